"""API shapes of the people register, its controlled vocabularies and the checks of a resident's fields.

Personal data leaves only masked (:meth:`ResidentOut.masked`); the clear values go out through the reveal action.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pingan.kit.crypto import FieldCipher
from pingan.kit.idcard import birth_date_of, gender_of, id_number_problem, is_mobile, normalize_id_number
from pingan.kit.masking import mask_id_number, mask_mobile, mask_name
from pingan.people.models import Gender, Household, Relation, Resident


class ResidentTag(StrEnum):
    """特殊人群 kinds a resident may carry (the only accepted tags)."""

    RELEASED_PRISONER = "released_prisoner"  # 刑满释放
    COMMUNITY_CORRECTION = "community_correction"  # 社区矫正
    DRUG_USER = "drug_user"  # 吸毒
    SEVERE_MENTAL_DISORDER = "severe_mental_disorder"  # 严重精神障碍
    KEY_YOUTH = "key_youth"  # 重点青少年
    PETITIONER = "petitioner"  # 信访
    ELDERLY_ALONE = "elderly_alone"  # 独居老人
    LEFT_BEHIND_CHILD = "left_behind_child"  # 留守儿童
    DISABLED = "disabled"  # 残疾人


TAG_LABELS_ZH: dict[ResidentTag, str] = {
    ResidentTag.RELEASED_PRISONER: "刑满释放",
    ResidentTag.COMMUNITY_CORRECTION: "社区矫正",
    ResidentTag.DRUG_USER: "吸毒",
    ResidentTag.SEVERE_MENTAL_DISORDER: "严重精神障碍",
    ResidentTag.KEY_YOUTH: "重点青少年",
    ResidentTag.PETITIONER: "信访",
    ResidentTag.ELDERLY_ALONE: "独居老人",
    ResidentTag.LEFT_BEHIND_CHILD: "留守儿童",
    ResidentTag.DISABLED: "残疾人",
}
RELATION_LABELS_ZH: dict[Relation, str] = {
    Relation.HEAD: "户主",
    Relation.SPOUSE: "配偶",
    Relation.CHILD: "子女",
    Relation.PARENT: "父母",
    Relation.GRANDCHILD: "孙子女",
    Relation.SIBLING: "兄弟姐妹",
    Relation.OTHER: "其他",
}
GENDER_LABELS_ZH: dict[Gender, str] = {Gender.MALE: "男", Gender.FEMALE: "女"}

RevealField = Literal["name", "id_number", "phone"]
REVEAL_FIELDS: tuple[RevealField, ...] = ("name", "id_number", "phone")
# Spreadsheet programs run a cell that starts with one of these as a formula (CSV/formula injection, CWE-1236).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_TAG_SPLIT_RE = re.compile(r"[、,，;；/\s]+")
_TAGS_BY_TEXT = {t.value: t for t in ResidentTag} | {label: t for t, label in TAG_LABELS_ZH.items()}
TAG_CODES = frozenset(t.value for t in ResidentTag)
_GENDER_BY_TEXT = {g.value: g for g in Gender} | {label: g for g, label in GENDER_LABELS_ZH.items()}
_RELATION_BY_TEXT: dict[str, Relation] = (
    {r.value: r for r in Relation}
    | {label: r for r, label in RELATION_LABELS_ZH.items()}
    | {"本人": Relation.HEAD, "夫": Relation.SPOUSE, "妻": Relation.SPOUSE, "丈夫": Relation.SPOUSE}
    | {"妻子": Relation.SPOUSE, "子": Relation.CHILD, "女": Relation.CHILD, "儿子": Relation.CHILD}
    | {"女儿": Relation.CHILD, "父亲": Relation.PARENT, "母亲": Relation.PARENT, "孙子": Relation.GRANDCHILD}
    | {"孙女": Relation.GRANDCHILD, "兄": Relation.SIBLING, "弟": Relation.SIBLING, "姐": Relation.SIBLING}
    | {"妹": Relation.SIBLING}
)


class BuildingIn(BaseModel):
    """A new building in a land grid; its code is the grid code plus the next 5-digit number."""

    grid_code: str = Field(min_length=1, max_length=15)
    address: str = Field(min_length=1, max_length=200)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    floors: int = Field(default=1, ge=1, le=200)
    use: str = Field(default="residential", min_length=1, max_length=20)


class BuildingOut(BaseModel):
    """A building (楼栋)."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    grid_id: int
    village_unit_id: int
    address: str
    lon: float
    lat: float
    floors: int
    use: str


class HouseholdIn(BaseModel):
    """A new household; with ``building_id`` and ``room`` the dwelling is registered too."""

    grid_code: str = Field(min_length=1, max_length=15)
    address: str = Field(min_length=1, max_length=200)
    code: str | None = Field(default=None, min_length=1, max_length=24)
    building_id: int | None = None
    room: str | None = Field(default=None, min_length=1, max_length=20)


class ResidentIn(BaseModel):
    """A new resident of a household; gender and birth date default to what the ID number says."""

    household_id: int
    name: str = Field(min_length=1, max_length=40)
    id_number: str = Field(min_length=1, max_length=20)
    relation: Relation
    gender: Gender | None = None
    birth_date: str | None = Field(default=None, description="YYYY-MM-DD; must agree with the ID number")
    ethnicity: str = Field(default="汉族", min_length=1, max_length=12)
    phone: str | None = Field(default=None, max_length=20)
    address: str | None = Field(default=None, max_length=200, description="default: the household's address")
    tags: list[ResidentTag] = Field(default_factory=list)


class ResidentOut(BaseModel):
    """A resident as everyone sees it: name, ID number and phone masked, birth year only."""

    id: int
    household_id: int
    grid_id: int
    grid_code: str | None
    village_unit_id: int
    name: str
    gender: Gender
    ethnicity: str
    birth_year: int
    id_number: str
    phone: str | None
    address: str
    relation: Relation
    tags: list[str]
    created_at: datetime

    @classmethod
    def masked(cls, resident: Resident, cipher: FieldCipher, grid_codes: Mapping[int, str]) -> ResidentOut:
        """Mask a stored resident for an answer (decrypts only to cut the visible characters)."""
        return cls(
            id=resident.id,
            household_id=resident.household_id,
            grid_id=resident.grid_id,
            grid_code=grid_codes.get(resident.grid_id),
            village_unit_id=resident.village_unit_id,
            name=mask_name(resident.name),
            gender=resident.gender,
            ethnicity=resident.ethnicity,
            birth_year=resident.birth_date.year,
            id_number=mask_id_number(cipher.decrypt(resident.id_enc)),
            phone=mask_mobile(cipher.decrypt(resident.phone_enc)) if resident.phone_enc else None,
            address=resident.address,
            relation=resident.relation,
            tags=list(resident.tags or []),
            created_at=resident.created_at,
        )


def _by_id(resident: Resident) -> int:
    return resident.id


class HouseholdOut(BaseModel):
    """A household (户) with its members, masked."""

    id: int
    code: str
    grid_id: int
    grid_code: str | None
    village_unit_id: int
    house_id: int | None
    address: str
    members: list[ResidentOut]

    @classmethod
    def masked(cls, household: Household, cipher: FieldCipher, grid_codes: Mapping[int, str]) -> HouseholdOut:
        """A household and its members, masked."""
        return cls(
            id=household.id,
            code=household.code,
            grid_id=household.grid_id,
            grid_code=grid_codes.get(household.grid_id),
            village_unit_id=household.village_unit_id,
            house_id=household.house_id,
            address=household.address,
            members=[ResidentOut.masked(r, cipher, grid_codes) for r in sorted(household.residents, key=_by_id)],
        )


class RevealIn(BaseModel):
    """Why the caller needs the clear values (查看明文); the reason goes to the audit trail."""

    reason: str = Field(max_length=200)
    fields: list[RevealField] = Field(default_factory=lambda: list(REVEAL_FIELDS), min_length=1)


class RevealOut(BaseModel):
    """Clear values of the fields asked for (others are null)."""

    id: int
    name: str | None = None
    id_number: str | None = None
    phone: str | None = None


class TagOut(BaseModel):
    """One tag of the controlled vocabulary."""

    code: ResidentTag
    label: str


class ImportProblemOut(BaseModel):
    """What is wrong with one cell (or row) of an import file."""

    row: int
    column: str
    message: str


class ImportOut(BaseModel):
    """An import that went through: counts only."""

    rows: int
    households_created: int
    residents_created: int


# ---------------------------------------------------------------- field checks shared by the API and the import


@dataclass(frozen=True)
class Person:
    """A resident's personal fields after checking and normalising."""

    name: str
    id_number: str
    gender: Gender
    birth_date: date
    ethnicity: str
    phone: str | None
    relation: Relation
    tags: tuple[str, ...]


def _parse_date(value: object) -> date:
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for pattern in (r"^(\d{4})-(\d{1,2})-(\d{1,2})$", r"^(\d{4})/(\d{1,2})/(\d{1,2})$", r"^(\d{4})(\d{2})(\d{2})$"):
        m = re.match(pattern, text)
        if m:
            return date(int(m[1]), int(m[2]), int(m[3]))
    raise ValueError(text)


def check_person(
    *,
    name: object,
    id_number: object,
    relation: object,
    gender: object = None,
    birth_date: object = None,
    ethnicity: object = None,
    phone: object = None,
    tags: object = None,
    today: date,
) -> tuple[Person | None, list[tuple[str, str]]]:
    """Check and normalise a resident's fields; return the person, or None and (field, problem) pairs.

    Gender and birth date may be left out (they are read from the ID number) but must agree with it when given.
    """
    problems: list[tuple[str, str]] = []
    clean_name = " ".join(str(name or "").split())
    if not 1 <= len(clean_name) <= 40 or _CONTROL_RE.search(clean_name):
        problems.append(("name", "name must be 1–40 characters"))
    elif clean_name.startswith(FORMULA_PREFIXES):
        problems.append(("name", "name must not start with =, +, - or @"))
    number = normalize_id_number(str(id_number or ""))
    id_problem = id_number_problem(number)
    born: date | None = None
    sex: Gender | None = None
    if id_problem:
        problems.append(("id_number", f"ID number: {id_problem}"))
    else:
        born, sex = birth_date_of(number), Gender(gender_of(number))
        if born > today:
            problems.append(("id_number", "ID number: birth date is in the future"))
    if gender not in (None, ""):
        text = str(gender).strip()
        given = _GENDER_BY_TEXT.get(text) or _GENDER_BY_TEXT.get(text.lower())
        if given is None:
            problems.append(("gender", "gender must be 男 or 女"))
        elif sex is not None and given is not sex:
            problems.append(("gender", "gender does not agree with the ID number"))
    if birth_date not in (None, ""):
        try:
            given_date = _parse_date(birth_date)
        except ValueError:
            problems.append(("birth_date", "birth date must read YYYY-MM-DD"))
        else:
            if born is not None and given_date != born:
                problems.append(("birth_date", "birth date does not agree with the ID number"))
    clean_phone: str | None = None
    if phone not in (None, ""):
        clean_phone = re.sub(r"[\s-]", "", str(phone))
        if not is_mobile(clean_phone):
            problems.append(("phone", "phone must be an 11-digit mobile number starting 13–19"))
    rel = _RELATION_BY_TEXT.get(str(relation or "").strip())
    if rel is None:
        problems.append(("relation", "relation to the head is not one of " + "、".join(RELATION_LABELS_ZH.values())))
    clean_ethnicity = str(ethnicity or "汉族").strip() or "汉族"
    if len(clean_ethnicity) > 12:
        problems.append(("ethnicity", "ethnicity must be at most 12 characters"))
    tag_texts: list[object] = []
    if isinstance(tags, str):
        tag_texts.extend(_TAG_SPLIT_RE.split(tags.strip()))
    elif isinstance(tags, list | tuple):
        tag_texts.extend(tags)
    chosen: list[str] = []
    for text in (str(t).strip() for t in tag_texts):
        if not text:
            continue
        tag = _TAGS_BY_TEXT.get(text)
        if tag is None:
            problems.append(("tags", f"unknown tag {text!r}; use " + "、".join(TAG_LABELS_ZH.values())))
        elif tag.value not in chosen:
            chosen.append(tag.value)
    if problems or born is None or sex is None or rel is None:
        return None, problems
    person = Person(clean_name, number, sex, born, clean_ethnicity, clean_phone, rel, tuple(chosen))
    return person, []
