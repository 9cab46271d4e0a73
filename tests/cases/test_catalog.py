"""The category catalogue: the bundled Zhoushan set is sound, and a broken catalogue is reported in full."""

from __future__ import annotations

import ast
import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pingan.cases import catalog
from pingan.cases.catalog import (
    PLACEHOLDERS,
    REQUIRED_REPLIES,
    STEPS,
    CatalogError,
    CategoryKind,
    CategorySpec,
    DemandType,
    RoutingRule,
    load_catalog,
    validate,
)
from pingan.demo.seed import DEMO_UNITS

BUNDLED = load_catalog()
BIG = [spec for spec in BUNDLED if spec.parent is None]
SMALL = [spec for spec in BUNDLED if spec.parent is not None]
BY_CODE = {spec.code: spec for spec in BUNDLED}
NON_POLICE = {"纠纷", "非警务求助", "公共设施维护", "非法排污", "林水管理", "物业管理", "挪车"}  # governance §7


def minimal() -> dict[str, Any]:
    """A small valid catalogue to break in tests."""
    replies = {
        "received": "已受理，编号 {number}。",
        "dispatched": "编号 {number} 已派至{unit}，{due} 前处置。",
        "closed_fixed": "{category}问题已处理。",
        "closed_unfixable": "暂无法处置。",
        "closed_duplicate": "重复，已并案。",
        "rejected": "不予立案。",
    }
    return {
        "defaults": {"reply_templates": replies, "duplicate_radius_m": 50, "duplicate_window_h": 72},
        "categories": [
            {
                "code": "01",
                "name": "市容环境",
                "name_en": "Streetscape",
                "kind": "event",
                "routing_rule": "territory_first",
                "department": "ZS-CG",
                "limits": {"accept": {"value": 1, "unit": "work_hours"}},
                "children": [
                    {
                        "code": "0101",
                        "name": "私搭乱建",
                        "name_en": "Illegal structures",
                        "register_conditions": "公共区域违法搭建",
                        "close_conditions": "已拆除",
                        "limits": {"handle": {"value": 7, "unit": "work_days"}},
                        "weight": 600,
                    },
                    {
                        "code": "0102",
                        "name": "暴露垃圾",
                        "name_en": "Exposed rubbish",
                        "register_conditions": "公共区域暴露垃圾",
                        "close_conditions": "已清理",
                        "limits": {"handle": {"value": 4, "unit": "work_hours"}},
                        "questions": [
                            {
                                "code": "volume",
                                "label": "垃圾量",
                                "datatype": "singlevaluelist",
                                "required": True,
                                "values": [{"key": "small", "name": "少量"}, {"key": "large", "name": "大量"}],
                            }
                        ],
                        "weight": 400,
                    },
                ],
            }
        ],
    }


def problems_of(document: object) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        load_catalog(json.dumps(document, ensure_ascii=False))
    return caught.value.problems


# --- the bundled catalogue ------------------------------------------------------------------------------------------


def test_bundled_catalogue_loads_with_no_problem() -> None:
    assert validate(BUNDLED) == []


def test_bundled_catalogue_has_about_a_dozen_big_classes_and_70_to_90_small_ones() -> None:
    assert 10 <= len(BIG) <= 15
    assert 70 <= len(SMALL) <= 90


def test_codes_are_unique_and_each_small_code_begins_with_its_parents() -> None:
    assert len(BY_CODE) == len(BUNDLED)
    for spec in BIG:
        assert len(spec.code) == 2 and spec.code.isdigit()
    for spec in SMALL:
        assert len(spec.code) == 4 and spec.code.isdigit()
        assert spec.parent in BY_CODE and BY_CODE[spec.parent].parent is None
        assert spec.code[:2] == spec.parent
        assert spec.kind is BY_CODE[spec.parent].kind


def test_each_big_class_is_followed_by_its_small_classes() -> None:
    current = None
    for spec in BUNDLED:
        if spec.parent is None:
            current = spec.code
        else:
            assert spec.parent == current
    assert [spec.code for spec in BIG] == sorted(spec.code for spec in BIG)


def test_event_and_component_codes_do_not_collide() -> None:
    events = {spec.code for spec in BIG if spec.kind is CategoryKind.EVENT}
    components = {spec.code for spec in BIG if spec.kind is CategoryKind.COMPONENT}
    assert events == {"01", "02", "03", "04", "05"}
    assert components == {"11", "12", "13", "14"}
    assert [BY_CODE[code].name for code in ("0101", "0102", "0103", "0104", "0105", "0106")] == [
        "私搭乱建",
        "暴露垃圾",
        "积存垃圾渣土",
        "道路不洁",
        "水域不洁",
        "绿地脏乱",
    ]


def test_small_class_weights_add_up_to_one_thousand() -> None:
    assert sum(spec.weight for spec in SMALL) == pytest.approx(1000, abs=0.5)
    assert all(spec.weight > 0 for spec in SMALL)


def test_city_management_weights_follow_the_observed_frequencies() -> None:
    def share(big: str) -> float:
        return sum(spec.weight for spec in SMALL if spec.parent == big)

    city = sum(share(spec.code) for spec in BIG if spec.kind in (CategoryKind.EVENT, CategoryKind.COMPONENT))
    assert share("01") / city == pytest.approx(0.6516, abs=0.01)  # 市容环境
    assert share("05") / city == pytest.approx(0.2448, abs=0.01)  # 街面秩序
    assert city < 700  # room for disputes, 12345, non-police and maritime cases


def test_the_seven_non_police_classes_are_present_with_a_30_minute_accept_limit() -> None:
    non_police = [spec for spec in SMALL if spec.kind is CategoryKind.NONPOLICE]
    assert {spec.name for spec in non_police} == NON_POLICE
    assert len(non_police) == 7
    for spec in non_police:
        assert spec.limits["accept"] == {"value": 30.0, "unit": "minutes"}, spec.code
        assert "visit" in spec.limits, spec.code  # 回访 is mandatory


@pytest.mark.parametrize(
    ("code", "step", "value", "unit"),
    [
        ("0102", "handle", 4, "work_hours"),  # 暴露垃圾
        ("0104", "handle", 2, "work_hours"),  # 道路不洁
        ("0101", "handle", 7, "work_days"),  # 私搭乱建
        ("0105", "handle", 15, "work_days"),  # 水域不洁
    ],
)
def test_limits_follow_the_published_examples(code: str, step: str, value: float, unit: str) -> None:
    assert BY_CODE[code].limits[step] == {"value": value, "unit": unit}


def test_illegal_structures_have_severity_tiers() -> None:
    tiers = BY_CODE["0101"].severity_limits
    assert tiers["minor"]["handle"] == {"value": 4, "unit": "work_hours"}  # 停工
    assert tiers["serious"]["handle"] == {"value": 20, "unit": "work_days"}  # 拆除


def test_components_route_owner_first_and_events_territory_first() -> None:
    for spec in BUNDLED:
        if spec.kind is CategoryKind.COMPONENT:
            assert spec.routing_rule is RoutingRule.OWNER_FIRST, spec.code
        if spec.kind is CategoryKind.EVENT:
            assert spec.routing_rule is RoutingRule.TERRITORY_FIRST, spec.code


def test_departments_are_units_of_the_demo_organisation() -> None:
    units = {code for code, *_ in DEMO_UNITS}
    assert {spec.department for spec in BUNDLED} - {None} <= units


def test_maritime_classes_belong_to_the_fisheries_departments() -> None:
    maritime = [spec for spec in SMALL if spec.kind is CategoryKind.MARITIME]
    assert len(maritime) >= 6
    assert {spec.department for spec in maritime} <= {"ZS-HY", "ZS-HYZF"}


def test_sensitive_and_maritime_classes_are_not_offered_to_the_public() -> None:
    hidden = {spec.name for spec in SMALL if not spec.public}
    assert {"涉稳线索", "重点人员异常"} <= hidden
    assert all(not spec.public for spec in SMALL if spec.kind is CategoryKind.MARITIME)
    assert BY_CODE["0102"].public


def test_only_trivial_classes_may_be_handled_by_the_grid_worker() -> None:
    self_handled = {spec.name for spec in SMALL if spec.self_handle}
    assert {"非法小广告", "道路不洁", "暴露垃圾"} <= self_handled
    assert len(self_handled) <= 8
    assert all(spec.kind in (CategoryKind.EVENT, CategoryKind.COMPONENT) for spec in SMALL if spec.self_handle)


def test_every_small_class_has_conditions_limits_and_the_required_replies() -> None:
    for spec in SMALL:
        assert spec.register_conditions and spec.close_conditions, spec.code
        assert {"accept", "handle"} <= spec.limits.keys(), spec.code
        assert set(REQUIRED_REPLIES) <= spec.reply_templates.keys(), spec.code
        assert list(spec.limits) == [step for step in STEPS if step in spec.limits], spec.code


def test_reply_templates_render_with_the_known_placeholders() -> None:
    values = {"number": "ZS-2026-000123", "category": "暴露垃圾", "unit": "沈家门街道", "due": "5月6日 16:30"}
    assert set(values) == set(PLACEHOLDERS)
    for spec in BUNDLED:
        for status, text in spec.reply_templates.items():
            rendered = text.format_map(values)
            assert "{" not in rendered, (spec.code, status)


def test_bigger_classes_lend_their_rules_to_their_small_classes() -> None:
    assert BY_CODE["0102"].department == "ZS-CG"  # from 01
    assert BY_CODE["0505"].department == "ZS-GA"  # its own
    assert BY_CODE["0504"].department is None  # explicitly territorial
    assert BY_CODE["0102"].limits["accept"] == {"value": 1, "unit": "work_hours"}  # from 01, merged with its own
    assert BY_CODE["2107"].reply_templates["received"].startswith("已受理您的挪车请求")
    assert BY_CODE["2107"].reply_templates["rejected"] == BY_CODE["0102"].reply_templates["rejected"]  # defaults


def test_demand_classes_ask_for_the_demand_type() -> None:
    demand = [spec for spec in SMALL if spec.kind is CategoryKind.DEMAND]
    assert demand
    for spec in demand:
        (question,) = [q for q in spec.questions if q.code == "demand_type"]
        assert {key for key, _ in question.values} == set(DemandType)


def test_some_classes_ask_questions_for_the_open311_service_definition() -> None:
    (volume,) = BY_CODE["0102"].questions
    assert volume.datatype == "singlevaluelist" and volume.required
    assert [name for _, name in volume.values] == ["少量", "较多", "大量"]
    assert sum(1 for spec in SMALL if spec.questions) >= 10


def test_every_limit_reads_as_an_sla_time_limit() -> None:
    sla = pytest.importorskip("pingan.cases.sla")
    for spec in BUNDLED:
        for limit in spec.limits.values():
            sla.TimeLimit.parse(limit)
        for tier in spec.severity_limits.values():
            for limit in tier.values():
                sla.TimeLimit.parse(limit)


# --- loading and validating -----------------------------------------------------------------------------------------


def test_a_minimal_catalogue_loads() -> None:
    specs = load_catalog(json.dumps(minimal()))
    assert [spec.code for spec in specs] == ["01", "0101", "0102"]
    assert specs[2].questions[0].values == (("small", "少量"), ("large", "大量"))


def test_every_problem_of_a_broken_catalogue_is_reported_together() -> None:
    document = minimal()
    big = document["categories"][0]
    big["kind"] = "events"
    first, second = big["children"]
    first["limits"]["handle"]["unit"] = "weeks"
    first["colour"] = "red"
    first["duplicate_radius_m"] = -5
    first["severity_limits"] = {"extreme": {"handle": {"value": 1, "unit": "days"}}}
    first["reply_templates"] = {"received": "编号 {number}，由 {officer} 处理"}
    second["register_conditions"] = ""
    second["limits"] = {"handle": {"value": 0, "unit": "work_hours"}}
    second["questions"][0].pop("values")
    second["weight"] = 300
    big["children"].append(dict(copy.deepcopy(second), code="0201"))
    big["children"].append(dict(copy.deepcopy(second), code="0101", weight=0))
    problems = problems_of(document)
    expected = [
        "01: kind: 'events' is not one of event, component, demand, dispute, nonpolice, safety, maritime",
        "0101: colour: unknown field",
        "0101: code: the code is used more than once",
        "0101: duplicate_radius_m: -5 is not a positive number",
        "0101: limits.handle.unit: 'weeks' is not one of work_hours, work_days, minutes, hours, days",
        "0101: severity_limits.extreme: unknown tier; tiers are minor, general, serious",
        "0101: reply_templates.received: unknown placeholder {officer}; "
        "allowed are {number}, {category}, {unit}, {due}",
        "0102: register_conditions: a small class needs its 立案条件",
        "0102: limits.handle.value: 0.0 is not a positive number",
        "0102: questions[volume].values: a singlevaluelist question needs values",
        "0201: code: does not begin with its parent's code 01",
        "catalogue: weight: small-class weights add up to 1200, not 1000",
    ]
    for message in expected:
        assert message in problems
    # the duplicated 0101 and the copies of 0102 repeat some of these; nothing else is reported
    assert set(problems) - set(expected) <= {
        "0201: register_conditions: a small class needs its 立案条件",
        "0201: limits.handle.value: 0.0 is not a positive number",
        "0201: questions[volume].values: a singlevaluelist question needs values",
        "0101: register_conditions: a small class needs its 立案条件",
        "0101: limits.handle.value: 0.0 is not a positive number",
        "0101: questions[volume].values: a singlevaluelist question needs values",
    }
    assert len(problems) == len(set(problems))


def test_the_error_lists_every_problem_in_its_message() -> None:
    document = minimal()
    document["categories"][0]["children"][0]["name"] = ""
    document["categories"][0]["children"][1]["default_priority"] = "asap"
    with pytest.raises(ValueError, match="invalid category catalogue") as caught:
        load_catalog(json.dumps(document))
    assert "0101: name: must not be empty" in str(caught.value)
    assert "0102: default_priority: 'asap' is not one of low, normal, high, urgent" in str(caught.value)


def test_a_malformed_field_is_reported_once() -> None:
    document = minimal()
    document["categories"][0]["children"][0]["limits"] = "fast"
    document["categories"][0]["children"][1]["weight"] = "many"
    assert problems_of(document) == [
        "0101: limits: must be an object of step -> {value, unit}",
        "0102: weight: must be a number, not a string",
    ]


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ("[]", "catalogue: : must be an object with 'categories', not a list"),
        ("{}", "catalogue: categories: missing"),
        ('{"categories": []}', "catalogue: categories: no categories"),
        ("{", "catalogue: json: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    ],
)
def test_a_catalogue_that_is_not_one_is_refused(document: str, problem: str) -> None:
    with pytest.raises(CatalogError) as caught:
        load_catalog(document)
    assert caught.value.problems == [problem]


def test_a_big_class_without_kind_or_small_classes_is_reported() -> None:
    document = minimal()
    document["categories"].append({"code": "02", "name": "宣传广告", "name_en": "Advertising"})
    assert problems_of(document) == [
        "02: kind: missing",
        "02: routing_rule: missing",
        "02: children: a big class needs at least one small class",
    ]


def test_a_category_without_a_usable_code_is_named_by_its_place() -> None:
    document = minimal()
    del document["categories"][0]["children"][1]["code"]
    assert problems_of(document) == ["categories[0].children[1]: code: missing"]
    document = minimal()
    document["categories"][0]["code"] = 1
    assert problems_of(document) == ["categories[0]: code: must be a string"]


def test_limits_and_templates_are_merged_and_the_rest_inherited() -> None:
    document = minimal()
    document["defaults"]["reply_templates"]["revisited"] = "感谢评价（{number}）。"
    document["categories"][0]["reply_templates"] = {"rejected": "{category}：不予立案。"}
    document["categories"][0]["children"][0]["department"] = None
    first, second = load_catalog(json.dumps(document))[1:]
    assert first.limits == {
        "accept": {"value": 1.0, "unit": "work_hours"},
        "handle": {"value": 7.0, "unit": "work_days"},
    }
    assert first.reply_templates["rejected"] == "{category}：不予立案。"
    assert first.reply_templates["revisited"] == "感谢评价（{number}）。"
    assert (first.department, second.department) == (None, "ZS-CG")
    assert first.kind is CategoryKind.EVENT and first.routing_rule is RoutingRule.TERRITORY_FIRST


def test_big_classes_and_small_classes_come_out_in_code_order() -> None:
    document = minimal()
    big = document["categories"][0]
    big["children"].reverse()
    other = copy.deepcopy(big)
    other.update(code="02", name="宣传广告")
    for child in other["children"]:
        child["code"] = "02" + child["code"][2:]
        child["weight"] /= 2
    for child in big["children"]:
        child["weight"] /= 2
    document["categories"].insert(0, other)
    codes = [spec.code for spec in load_catalog(json.dumps(document))]
    assert codes == ["01", "0101", "0102", "02", "0201", "0202"]


def test_validate_wants_parents_before_their_children() -> None:
    big, first, second = load_catalog(json.dumps(minimal()))
    assert validate([big, first, second]) == []
    assert validate([first, big, second]) == ["0101: parent: 01 comes after its small class; parents must come first"]
    assert validate([first, second]) == [
        "0101: parent: unknown parent '01'",
        "0102: parent: unknown parent '01'",
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("编号 {number}，{category}已派至{unit}，{due} 前处置。", None),
        ("编号 {case_no}", "unknown placeholder {case_no}; allowed are {number}, {category}, {unit}, {due}"),
        ("{due:%H:%M} 前处置", "unknown placeholder {due:%H:%M}; allowed are {number}, {category}, {unit}, {due}"),
        ("编号 {number", "has an unmatched brace"),
        ("编号 number}", "has an unmatched brace"),
        ("   ", "must not be empty"),
    ],
)
def test_reply_placeholders_are_checked(text: str, problem: str | None) -> None:
    spec = BY_CODE["0102"]
    changed = replace(spec, reply_templates={**spec.reply_templates, "dispatched": text})
    problems = validate([BY_CODE["01"], changed])
    expected = [] if problem is None else [f"0102: reply_templates.dispatched: {problem}"]
    assert [p for p in problems if "reply_templates" in p] == expected


def test_replies_are_only_for_known_statuses_and_small_classes_need_the_main_ones() -> None:
    spec = BY_CODE["0102"]
    templates = {k: v for k, v in spec.reply_templates.items() if k not in ("rejected", "closed_duplicate")}
    changed = replace(spec, weight=1000.0, reply_templates={**templates, "lost": "丢了"})
    assert validate([BY_CODE["01"], changed]) == [
        "0102: reply_templates.lost: unknown status; statuses are received, registered, dispatched, accepted, "
        "in_progress, handled, closed_fixed, closed_unfixable, closed_duplicate, rejected, rework, revisited",
        "0102: reply_templates: missing closed_duplicate, rejected",
    ]


def test_a_big_class_carries_no_small_class_fields() -> None:
    big = replace(BY_CODE["01"], weight=5.0, self_handle=True)
    small = replace(BY_CODE["0102"], weight=1000.0)
    assert validate([big, small]) == [
        "01: self_handle: only small classes carry this",
        "01: weight: only small classes carry this",
    ]


def test_a_demand_type_question_offers_only_demand_types() -> None:
    spec = BY_CODE["2301"]
    (question,) = spec.questions
    changed = replace(
        spec, weight=1000.0, questions=(replace(question, values=(*question.values, ("rumour", "传言"))),)
    )
    assert validate([BY_CODE["23"], changed]) == [
        "2301: questions[demand_type].values: rumour not among the demand types "
        "consult, complaint, suggestion, help, report, praise"
    ]


def test_category_spec_is_a_plain_value() -> None:
    spec = CategorySpec(code="01", name="市容环境", name_en="Streetscape", kind=CategoryKind.EVENT, parent=None)
    assert not spec.is_small and spec.routing_rule is RoutingRule.TERRITORY_FIRST
    assert BY_CODE["0102"].is_small


def test_the_catalogue_module_imports_only_the_standard_library() -> None:
    tree = ast.parse(Path(catalog.__file__).read_text("utf-8"))
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    stdlib = {"__future__", "json", "math", "re", "collections.abc", "dataclasses", "enum", "importlib", "typing"}
    assert modules <= stdlib
