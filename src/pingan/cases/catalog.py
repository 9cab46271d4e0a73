"""The default two-level category catalogue (大类/小类) of the case hub: its vocabulary, loader and validator (pure).

The catalogue is data, ``data/categories.json``; this module reads and checks it. A 大类 has a two-digit code and
each of its 小类 four digits beginning with the 大类's code, as in GB/T 30428 and CJ/T 214. Those standards number
event (事件) and component (部件) classes from ``01`` in two separate trees, but the hub has one code space, so the
event classes keep ``01``–``05`` (市容环境, 宣传广告, 施工管理, 突发事件, 街面秩序) and the component classes move
to ``11``–``14`` (公用设施, 道路交通, 市容环境设施, 园林绿化). pingan's own classes follow: ``20`` 矛盾纠纷,
``21`` 非警务警情, ``22`` 治安与安全隐患, ``23`` 12345 诉求 and ``30`` 海上安全.

In the file each 大类 lists its 小类 under ``children``. A 小类 takes from its 大类, and a 大类 from the file's
``defaults``, each of kind, routing rule, department, duplicate radius and window, priority and ``public`` that it
does not set itself; ``limits`` (step by step) and ``reply_templates`` (status by status) are merged.
:func:`load_catalog` returns :class:`CategorySpec` objects holding the resolved values, each 大类 followed by its
小类, and reports every problem it finds in one :class:`CatalogError`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from typing import Any, TypedDict, TypeGuard, TypeVar


class CategoryKind(StrEnum):
    """What sort of matter a category holds; it decides the sub-workflow and the reports a case feeds."""

    EVENT = "event"  # 事件 (数字城管)
    COMPONENT = "component"  # 部件 (数字城管)
    DEMAND = "demand"  # 12345 诉求
    DISPUTE = "dispute"  # 矛盾纠纷
    NONPOLICE = "nonpolice"  # 非警务警情
    SAFETY = "safety"  # 治安/安全隐患
    MARITIME = "maritime"  # 海上/渔船


KIND_LABELS_ZH: dict[CategoryKind, str] = {
    CategoryKind.EVENT: "事件",
    CategoryKind.COMPONENT: "部件",
    CategoryKind.DEMAND: "12345 诉求",
    CategoryKind.DISPUTE: "矛盾纠纷",
    CategoryKind.NONPOLICE: "非警务警情",
    CategoryKind.SAFETY: "治安与安全隐患",
    CategoryKind.MARITIME: "海上安全",
}


class RoutingRule(StrEnum):
    """Who is asked first (governance §3): components go 先属主、后属地, events 先属地、后属主."""

    OWNER_FIRST = "owner_first"  # 先属主、后属地
    TERRITORY_FIRST = "territory_first"  # 先属地、后属主


class DemandType(StrEnum):
    """The 12345 demand types: 国办发〔2020〕53号's four plus 举报 and 表扬."""

    CONSULT = "consult"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"
    HELP = "help"
    REPORT = "report"
    PRAISE = "praise"


DEMAND_TYPE_LABELS_ZH: dict[DemandType, str] = {
    DemandType.CONSULT: "咨询",
    DemandType.COMPLAINT: "投诉",
    DemandType.SUGGESTION: "建议",
    DemandType.HELP: "求助",
    DemandType.REPORT: "举报",
    DemandType.PRAISE: "表扬",
}
DEMAND_TYPE_QUESTION = "demand_type"  # a question with this code must offer DemandType values only

STEPS: tuple[str, ...] = ("register", "dispatch", "accept", "handle", "check", "visit")
STEP_LABELS_ZH: dict[str, str] = {
    "register": "立案",
    "dispatch": "派遣",
    "accept": "签收",
    "handle": "处置",
    "check": "核查",
    "visit": "回访",
}
# The values of pingan.cases.sla.LimitUnit, repeated so that the catalogue does not depend on the SLA clock.
LIMIT_UNITS: tuple[str, ...] = ("work_hours", "work_days", "minutes", "hours", "days")
SEVERITY_TIERS: tuple[str, ...] = ("minor", "general", "serious")
SEVERITY_LABELS_ZH: dict[str, str] = {"minor": "轻微", "general": "一般", "serious": "严重"}
PRIORITIES: tuple[str, ...] = ("low", "normal", "high", "urgent")
REPLY_STATUSES: tuple[str, ...] = (
    "received",
    "registered",
    "dispatched",
    "accepted",
    "in_progress",
    "handled",
    "closed_fixed",
    "closed_unfixable",
    "closed_duplicate",
    "rejected",
    "rework",
    "revisited",
)
REQUIRED_REPLIES: tuple[str, ...] = (
    "received",
    "dispatched",
    "closed_fixed",
    "closed_unfixable",
    "closed_duplicate",
    "rejected",
)
PLACEHOLDERS: tuple[str, ...] = ("number", "category", "unit", "due")  # filled by str.format_map
QUESTION_DATATYPES: tuple[str, ...] = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LIST_DATATYPES = frozenset({"singlevaluelist", "multivaluelist"})
WEIGHT_TOTAL = 1000.0  # small-class weights are per mille of all cases
WEIGHT_TOLERANCE = 0.5

_BIG_CODE = re.compile(r"[0-9]{2}")
_SMALL_CODE = re.compile(r"[0-9]{4}")
_DEPARTMENT = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
_QUESTION_CODE = re.compile(r"[a-z][a-z0-9_]*")  # posted as Open311 attribute[code]
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class LimitSpec(TypedDict):
    """A time limit as stored: ``{"value": 4.0, "unit": "work_hours"}`` (read by ``sla.TimeLimit.parse``)."""

    value: float
    unit: str


@dataclass(frozen=True)
class Question:
    """A per-category form question; it becomes an Open311 service-definition attribute."""

    code: str
    label: str
    datatype: str  # one of QUESTION_DATATYPES
    required: bool
    values: tuple[tuple[str, str], ...] = ()  # (key, name) for the list datatypes
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class CategorySpec:
    """One 大类 (``parent`` None) or 小类 with its rules, all inherited values resolved."""

    code: str
    name: str
    name_en: str
    kind: CategoryKind
    parent: str | None
    register_conditions: str = ""  # 立案条件
    close_conditions: str = ""  # 结案条件
    limits: dict[str, LimitSpec] = field(default_factory=dict)  # step -> limit
    severity_limits: dict[str, dict[str, LimitSpec]] = field(default_factory=dict)  # tier -> step -> limit
    routing_rule: RoutingRule = RoutingRule.TERRITORY_FIRST
    department: str | None = None  # org-unit code of the 主管 department; None routes by territory only
    duplicate_radius_m: float = 50.0
    duplicate_window_h: float = 72.0
    reply_templates: dict[str, str] = field(default_factory=dict)  # status -> Chinese reply
    questions: tuple[Question, ...] = ()
    self_handle: bool = False  # 网格员可自行处置 (minor matters only)
    default_priority: str = "normal"
    public: bool = True  # offered on the public web form and through Open311
    weight: float = 0.0  # per mille of all cases, for synthetic data
    keywords: tuple[str, ...] = ()

    @property
    def is_small(self) -> bool:
        """Whether this is a 小类 (cases are filed under small classes only)."""
        return self.parent is not None


class CatalogError(ValueError):
    """A catalogue that does not load; ``problems`` lists every problem found, one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid category catalogue:\n" + "\n".join(f"  {p}" for p in self.problems))


def load_catalog(text: str | None = None) -> list[CategorySpec]:
    """Read a catalogue (the bundled ``categories.json`` when ``text`` is None), each 大类 followed by its 小类.

    Raises :class:`CatalogError` listing every problem, each as ``"<code>: <field>: <what is wrong>"``.
    """
    if text is None:
        text = resources.files(__package__).joinpath("data", "categories.json").read_text("utf-8")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogError([f"catalogue: json: {exc}"]) from None
    shape: list[_Problem] = []
    specs = _read(document, shape)
    # A malformed field is reported once: the rules would only restate it through its fallback value. Totals over
    # the catalogue mean nothing once a field they add up, or a whole entry (root ""), could not be read.
    failed = {(p.where, p.root) for p in shape}
    unreadable = {p.root for p in shape}
    rules = [
        p
        for p in _check(specs)
        if (p.where, p.root) not in failed and not (p.where == _CATALOGUE and unreadable & {p.root, ""})
    ]
    if shape or rules:
        raise CatalogError([str(p) for p in (*shape, *rules)])
    return specs


def validate(specs: Iterable[CategorySpec]) -> list[str]:
    """The problems of a list of categories, each as ``"<code>: <field>: <what is wrong>"``; empty when fine."""
    return [str(p) for p in _check(list(specs))]


# --- problems ---------------------------------------------------------------------------------------------------

_CATALOGUE = "catalogue"


@dataclass(frozen=True)
class _Problem:
    where: str  # category code, or its place in the file when the code itself is unusable
    field: str  # dotted path inside the category, e.g. "limits.handle.unit"
    what: str

    @property
    def root(self) -> str:
        return self.field.split(".", 1)[0].split("[", 1)[0]

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.what}"


def _json_type(value: object) -> str:
    names = {bool: "a boolean", str: "a string", int: "a number", float: "a number", list: "a list", dict: "an object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_str(value: object) -> TypeGuard[str]:
    return isinstance(value, str)


def _is_optional_str(value: object) -> TypeGuard[str | None]:
    return value is None or isinstance(value, str)


def _is_bool(value: object) -> TypeGuard[bool]:
    return isinstance(value, bool)


def _is_strings(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _is_texts(value: object) -> TypeGuard[dict[str, str]]:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


# --- reading the JSON shape ---------------------------------------------------------------------------------------

_E = TypeVar("_E", bound=StrEnum)
_T = TypeVar("_T")
_DEFAULTS_KEYS = frozenset(
    {"duplicate_radius_m", "duplicate_window_h", "default_priority", "public", "reply_templates"}
)
_SHARED_KEYS = frozenset({"code", "name", "name_en", "kind", "routing_rule", "department", "limits", "keywords"})
_BIG_KEYS = _SHARED_KEYS | _DEFAULTS_KEYS | {"children"}
_SMALL_ONLY = {"register_conditions", "close_conditions", "severity_limits", "questions", "self_handle", "weight"}
_SMALL_KEYS = _SHARED_KEYS | _DEFAULTS_KEYS | _SMALL_ONLY
_QUESTION_KEYS = frozenset({"code", "label", "datatype", "required", "values", "description"})


@dataclass(frozen=True)
class _Inherited:
    """The values a category passes down to its children."""

    kind: CategoryKind = CategoryKind.EVENT
    routing_rule: RoutingRule = RoutingRule.TERRITORY_FIRST
    department: str | None = None
    duplicate_radius_m: float = 50.0
    duplicate_window_h: float = 72.0
    default_priority: str = "normal"
    public: bool = True
    limits: Mapping[str, LimitSpec] = field(default_factory=dict)
    reply_templates: Mapping[str, str] = field(default_factory=dict)


class _Reader:
    """Reads the fields of one JSON object; a field of the wrong shape is recorded and replaced by its fallback."""

    def __init__(
        self, raw: Mapping[str, Any], where: str, problems: list[_Problem], allowed: frozenset[str], prefix: str = ""
    ) -> None:
        self.raw, self.where, self.problems, self.prefix = raw, where, problems, prefix
        for key in sorted(set(raw) - allowed):
            self.fail(key, "unknown field")

    def fail(self, path: str, what: str) -> None:
        self.problems.append(_Problem(self.where, self.prefix + path, what))

    def get(self, key: str, fallback: _T, ok: Callable[[object], TypeGuard[_T]], must_be: str) -> _T:
        """The value at ``key`` when it has the right shape; else the fallback, and a recorded problem."""
        value = self.raw.get(key, fallback)
        if ok(value):
            return value
        self.fail(key, f"must be {must_be}, not {_json_type(value)}")
        return fallback

    def text(self, key: str, fallback: str = "") -> str:
        return self.get(key, fallback, _is_str, "a string")

    def number(self, key: str, fallback: float) -> float:
        return float(self.get(key, fallback, _is_number, "a number"))

    def flag(self, key: str, fallback: bool) -> bool:
        return self.get(key, fallback, _is_bool, "true or false")

    def choice(self, key: str, enum: type[_E], fallback: _E) -> _E:
        if key not in self.raw:
            return fallback
        try:
            return enum(self.raw[key])
        except (ValueError, TypeError):
            self.fail(key, f"{self.raw[key]!r} is not one of {', '.join(enum)}")
            return fallback

    def required(self, *keys: str) -> None:
        for key in keys:
            if key not in self.raw:
                self.fail(key, "missing")

    def limits(self, key: str) -> dict[str, LimitSpec]:
        return self._limits(self.raw.get(key, {}), key)

    def severity_limits(self, key: str) -> dict[str, dict[str, LimitSpec]]:
        value = self.raw.get(key, {})
        if not isinstance(value, Mapping):
            self.fail(key, "must be an object of tier -> step -> limit")
            return {}
        return {str(tier): self._limits(limits, f"{key}.{tier}") for tier, limits in value.items()}

    def _limits(self, value: object, path: str) -> dict[str, LimitSpec]:
        if not isinstance(value, Mapping):
            self.fail(path, "must be an object of step -> {value, unit}")
            return {}
        out: dict[str, LimitSpec] = {}
        for step, limit in value.items():
            where = f"{path}.{step}"
            if not isinstance(limit, Mapping):
                self.fail(where, f"must be an object {{value, unit}}, not {_json_type(limit)}")
                continue
            for extra in sorted(set(limit) - {"value", "unit"}):
                self.fail(f"{where}.{extra}", "unknown field")
            amount, unit = limit.get("value"), limit.get("unit")
            if not _is_number(amount):
                self.fail(f"{where}.value", "missing" if "value" not in limit else "must be a number")
            if not isinstance(unit, str):
                self.fail(f"{where}.unit", "missing" if "unit" not in limit else "must be a string")
            if _is_number(amount) and isinstance(unit, str):
                out[str(step)] = {"value": float(amount), "unit": unit}
        return out

    def questions(self, key: str) -> tuple[Question, ...]:
        value = self.raw.get(key, [])
        if not isinstance(value, list):
            self.fail(key, "must be a list of questions")
            return ()
        out = []
        for index, raw in enumerate(value):
            if not isinstance(raw, Mapping):
                self.fail(f"{key}[{index}]", "must be an object")
                continue
            sub = _Reader(raw, self.where, self.problems, _QUESTION_KEYS, f"{self.prefix}{key}[{index}].")
            sub.required("code", "label", "datatype")
            out.append(
                Question(
                    code=sub.text("code"),
                    label=sub.text("label"),
                    datatype=sub.text("datatype"),
                    required=sub.flag("required", False),
                    values=sub.values("values"),
                    description=sub.text("description"),
                )
            )
        return tuple(out)

    def values(self, key: str) -> tuple[tuple[str, str], ...]:
        value = self.raw.get(key, [])
        pairs = []
        if isinstance(value, list):
            pairs = [(v.get("key"), v.get("name")) for v in value if isinstance(v, Mapping) and len(v) == 2]
        if (
            not isinstance(value, list)
            or len(pairs) != len(value)
            or not all(isinstance(k, str) and isinstance(n, str) for k, n in pairs)
        ):
            self.fail(key, "must be a list of {key, name} objects")
            return ()
        return tuple((str(k), str(n)) for k, n in pairs)

    def inherited(self, up: _Inherited) -> _Inherited:
        """This object's own values over those it inherits."""
        return _Inherited(
            kind=self.choice("kind", CategoryKind, up.kind),
            routing_rule=self.choice("routing_rule", RoutingRule, up.routing_rule),
            department=self.get("department", up.department, _is_optional_str, "a string or null"),
            duplicate_radius_m=self.number("duplicate_radius_m", up.duplicate_radius_m),
            duplicate_window_h=self.number("duplicate_window_h", up.duplicate_window_h),
            default_priority=self.text("default_priority", up.default_priority),
            public=self.flag("public", up.public),
            limits={**up.limits, **self.limits("limits")},
            reply_templates={**up.reply_templates, **self.get("reply_templates", {}, _is_texts, "status -> text")},
        )


def _read(document: object, problems: list[_Problem]) -> list[CategorySpec]:
    """Build every category the document describes, recording each shape problem on the way."""
    if not isinstance(document, Mapping):
        problems.append(_Problem(_CATALOGUE, "", f"must be an object with 'categories', not {_json_type(document)}"))
        return []
    top = _Reader(document, _CATALOGUE, problems, frozenset({"defaults", "categories"}))
    defaults = document.get("defaults", {})
    base = _Inherited()
    if isinstance(defaults, Mapping):
        base = _Reader(defaults, "defaults", problems, _DEFAULTS_KEYS).inherited(base)
    else:
        top.fail("defaults", "must be an object")
    big_classes = document.get("categories")
    if not isinstance(big_classes, list):
        top.fail("categories", "missing" if big_classes is None else "must be a list of big classes")
        return []
    families: list[tuple[CategorySpec, list[CategorySpec]]] = []
    for index, raw_big in enumerate(big_classes):
        locator = f"categories[{index}]"
        if not isinstance(raw_big, Mapping):
            problems.append(_Problem(locator, "", "must be an object"))
            continue
        big = _Reader(raw_big, _where(raw_big, locator), problems, _BIG_KEYS)
        big.required("kind", "routing_rule")
        resolved = big.inherited(base)
        children = raw_big.get("children", [])
        if not isinstance(children, list):
            big.fail("children", "must be a list of small classes")
            children = []
        kids = []
        for child_index, raw_small in enumerate(children):
            child_locator = f"{locator}.children[{child_index}]"
            if not isinstance(raw_small, Mapping):
                problems.append(_Problem(child_locator, "", "must be an object"))
                continue
            small = _Reader(raw_small, _where(raw_small, child_locator), problems, _SMALL_KEYS)
            kids.append(_spec(small, big.where, small.inherited(resolved)))
        families.append((_spec(big, None, resolved), sorted(kids, key=lambda spec: spec.code)))
    # The 大类 in code order, each followed by its 小类.
    families.sort(key=lambda family: family[0].code)
    return [spec for big_spec, kids in families for spec in (big_spec, *kids)]


def _step_rank(step: str) -> int:
    return STEPS.index(step) if step in STEPS else len(STEPS)


def _where(raw: Mapping[str, Any], locator: str) -> str:
    """A category's name in problems: its code, else its place in the file."""
    code = raw.get("code")
    return code if isinstance(code, str) and code else locator


def _spec(r: _Reader, parent: str | None, inherited: _Inherited) -> CategorySpec:
    """A category from its own fields and the values it inherits."""
    code = r.raw.get("code")
    if not (isinstance(code, str) and code):
        r.fail("code", "missing" if code is None else "must not be empty" if code == "" else "must be a string")
    small = parent is not None
    return CategorySpec(
        code=r.where,
        name=r.text("name"),
        name_en=r.text("name_en"),
        kind=inherited.kind,
        parent=parent,
        register_conditions=r.text("register_conditions") if small else "",
        close_conditions=r.text("close_conditions") if small else "",
        limits=dict(sorted(inherited.limits.items(), key=lambda item: _step_rank(item[0]))),
        severity_limits=r.severity_limits("severity_limits") if small else {},
        routing_rule=inherited.routing_rule,
        department=inherited.department,
        duplicate_radius_m=inherited.duplicate_radius_m,
        duplicate_window_h=inherited.duplicate_window_h,
        reply_templates=dict(inherited.reply_templates),
        questions=r.questions("questions") if small else (),
        self_handle=r.flag("self_handle", False) if small else False,
        default_priority=inherited.default_priority,
        public=inherited.public,
        weight=r.number("weight", 0.0) if small else 0.0,
        keywords=tuple(r.get("keywords", [], _is_strings, "a list of strings")),
    )


# --- the rules ----------------------------------------------------------------------------------------------------


class _Findings:
    """Problems of one category."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.problems: list[_Problem] = []

    def add(self, path: str, what: str) -> None:
        self.problems.append(_Problem(self.where, path, what))


def _check(specs: Sequence[CategorySpec]) -> list[_Problem]:
    """Every rule a catalogue must keep, checked on built categories."""
    if not specs:
        return [_Problem(_CATALOGUE, "categories", "no categories")]
    problems: list[_Problem] = []
    first: dict[str, int] = {}
    for index, spec in enumerate(specs):
        if spec.code in first:
            problems.append(_Problem(spec.code, "code", "the code is used more than once"))
        first.setdefault(spec.code, index)
    for index, spec in enumerate(specs):
        problems.extend(_check_one(spec, index, specs, first))
    parents = {spec.parent for spec in specs}
    problems.extend(
        _Problem(spec.code, "children", "a big class needs at least one small class")
        for spec in specs
        if spec.parent is None and spec.code not in parents
    )
    weights = [spec.weight for spec in specs if spec.parent is not None and math.isfinite(spec.weight)]
    total = math.fsum(weights)
    if weights and abs(total - WEIGHT_TOTAL) > WEIGHT_TOLERANCE:
        what = f"small-class weights add up to {total:g}, not {WEIGHT_TOTAL:g}"
        problems.append(_Problem(_CATALOGUE, "weight", what))
    return problems


def _check_one(
    spec: CategorySpec, index: int, specs: Sequence[CategorySpec], first: Mapping[str, int]
) -> list[_Problem]:
    f = _Findings(spec.code)
    _check_place(f, spec, index, specs, first)
    for name, text in (("name", spec.name), ("name_en", spec.name_en)):
        if not text.strip():
            f.add(name, "must not be empty")
    if spec.department is not None and not _DEPARTMENT.fullmatch(spec.department):
        f.add("department", f"{spec.department!r} is not an org-unit code such as 'ZS-CG'")
    for name in ("duplicate_radius_m", "duplicate_window_h"):
        amount = getattr(spec, name)
        if not (math.isfinite(amount) and amount > 0):
            f.add(name, f"{amount:g} is not a positive number")
    if spec.default_priority not in PRIORITIES:
        f.add("default_priority", f"{spec.default_priority!r} is not one of {', '.join(PRIORITIES)}")
    for step, limit in spec.limits.items():
        _check_limit(f, f"limits.{step}", step, limit)
    for tier, limits in spec.severity_limits.items():
        if tier not in SEVERITY_TIERS:
            f.add(f"severity_limits.{tier}", f"unknown tier; tiers are {', '.join(SEVERITY_TIERS)}")
        if not limits:
            f.add(f"severity_limits.{tier}", "a tier needs at least one limit")
        for step, limit in limits.items():
            _check_limit(f, f"severity_limits.{tier}.{step}", step, limit)
    for status, text in spec.reply_templates.items():
        _check_template(f, status, text)
    _check_questions(f, spec.questions)
    for keyword in spec.keywords:
        if not keyword.strip() or "," in keyword:
            f.add("keywords", f"{keyword!r} must be non-empty and hold no comma (Open311 joins keywords with commas)")
    if spec.parent is None:
        _check_big(f, spec)
    else:
        _check_small(f, spec)
    return f.problems


def _check_place(
    f: _Findings, spec: CategorySpec, index: int, specs: Sequence[CategorySpec], first: Mapping[str, int]
) -> None:
    """Code shape and the link to the parent."""
    if spec.parent is None:
        if not _BIG_CODE.fullmatch(spec.code):
            f.add("code", f"{spec.code!r} is not a two-digit big-class code")
        return
    if not _SMALL_CODE.fullmatch(spec.code):
        f.add("code", f"{spec.code!r} is not a four-digit small-class code")
    elif _BIG_CODE.fullmatch(spec.parent) and not spec.code.startswith(spec.parent):
        f.add("code", f"does not begin with its parent's code {spec.parent}")
    at = first.get(spec.parent)
    if at is None:
        f.add("parent", f"unknown parent {spec.parent!r}")
        return
    parent = specs[at]
    if parent.parent is not None:
        f.add("parent", f"{spec.parent} is itself a small class")
    elif at > index:
        f.add("parent", f"{spec.parent} comes after its small class; parents must come first")
    if parent.kind != spec.kind:
        f.add("kind", f"{spec.kind} differs from its parent's {parent.kind}")


def _check_limit(f: _Findings, path: str, step: str, limit: object) -> None:
    if step not in STEPS:
        f.add(path, f"unknown step; steps are {', '.join(STEPS)}")
    if not isinstance(limit, Mapping):
        f.add(path, "must be {value, unit}")
        return
    amount, unit = limit.get("value"), limit.get("unit")
    if not (_is_number(amount) and math.isfinite(amount) and amount > 0):
        f.add(f"{path}.value", f"{amount!r} is not a positive number")
    if unit not in LIMIT_UNITS:
        f.add(f"{path}.unit", f"{unit!r} is not one of {', '.join(LIMIT_UNITS)}")


def _check_template(f: _Findings, status: str, text: str) -> None:
    path = f"reply_templates.{status}"
    if status not in REPLY_STATUSES:
        f.add(path, f"unknown status; statuses are {', '.join(REPLY_STATUSES)}")
    if not text.strip():
        f.add(path, "must not be empty")
    allowed = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    for name in _PLACEHOLDER.findall(text):
        if name not in PLACEHOLDERS:
            f.add(path, f"unknown placeholder {{{name}}}; allowed are {allowed}")
    rest = _PLACEHOLDER.sub("", text)
    if "{" in rest or "}" in rest:
        f.add(path, "has an unmatched brace")


def _check_questions(f: _Findings, questions: Sequence[Question]) -> None:
    seen: set[str] = set()
    for index, q in enumerate(questions):
        path = f"questions[{q.code or index}]"
        if not _QUESTION_CODE.fullmatch(q.code):
            f.add(f"{path}.code", f"{q.code!r} must be lower-case letters, digits and underscores")
        elif q.code in seen:
            f.add(f"{path}.code", "duplicate question code")
        seen.add(q.code)
        if not q.label.strip():
            f.add(f"{path}.label", "must not be empty")
        if q.datatype not in QUESTION_DATATYPES:
            f.add(f"{path}.datatype", f"{q.datatype!r} is not one of {', '.join(QUESTION_DATATYPES)}")
        elif q.datatype in LIST_DATATYPES and not q.values:
            f.add(f"{path}.values", f"a {q.datatype} question needs values")
        elif q.datatype not in LIST_DATATYPES and q.values:
            f.add(f"{path}.values", f"a {q.datatype} question takes no values")
        keys = [key for key, _ in q.values]
        if len(set(keys)) != len(keys):
            f.add(f"{path}.values", "duplicate keys")
        if any(not key.strip() or not name.strip() for key, name in q.values):
            f.add(f"{path}.values", "keys and names must not be empty")
        if q.code == DEMAND_TYPE_QUESTION and not set(keys) <= set(DemandType):
            unknown = ", ".join(sorted(set(keys) - set(DemandType)))
            f.add(f"{path}.values", f"{unknown} not among the demand types {', '.join(DemandType)}")


def _check_big(f: _Findings, spec: CategorySpec) -> None:
    only_small = {
        "register_conditions": spec.register_conditions,
        "close_conditions": spec.close_conditions,
        "severity_limits": spec.severity_limits,
        "questions": spec.questions,
        "self_handle": spec.self_handle,
        "weight": spec.weight,
    }
    for name, value in only_small.items():
        if value:
            f.add(name, "only small classes carry this")


def _check_small(f: _Findings, spec: CategorySpec) -> None:
    if not spec.register_conditions.strip():
        f.add("register_conditions", "a small class needs its 立案条件")
    if not spec.close_conditions.strip():
        f.add("close_conditions", "a small class needs its 结案条件")
    for step in ("accept", "handle"):
        if step not in spec.limits:
            f.add("limits", f"a small class needs a limit on {step}")
    missing = [status for status in REQUIRED_REPLIES if status not in spec.reply_templates]
    if missing:
        f.add("reply_templates", f"missing {', '.join(missing)}")
    if not (math.isfinite(spec.weight) and spec.weight >= 0):
        f.add("weight", f"{spec.weight:g} is not a non-negative number")
