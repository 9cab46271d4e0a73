"""KPI tables from the database: a small fixed set of cases with every indicator worked out by hand.

The cases (all reported on 2026-03-10 unless said otherwise; the period is March 2026):

沈家门街道 (grid 330903001001001 in 渔港社区)
  A1 网格员 wu, 城管: dispatched, accepted on time, handled after 4 h, one 返工, closed on time, 回访 满意
  A2 网格员 wu: self-handled (自行处置), handling time 0
  A3 群众, 城管: accepted late, handled after 10 h, 回访 不满意 → 发回重办 (open, rework), due in 2 days, overdue
  A4 12345: registered, then merged into A1 (重复件)
  A5 群众: 不予立案
  A6 110 非警务, 沈家门派出所: accepted and first response after 10 min (due 30 min), due after the period
桃花镇 (grid 330903102201001 in 桃花村)
  B1 110 非警务, 沈家门派出所: accepted late, response after 1 h (missed), two 返工, handled after 3 h, closed
     as unfixable, late, overdue
  B2 网格员 li: received, not yet registered
  B3 群众, 城管: dispatched, not accepted, due the next day (open past its deadline → 应结案)
no place
  D1 12345, address only: registered
outside the period
  C1 (2026-02-20) in 沈家门街道, closed after one 返工: counted nowhere
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.auth.principal import SYSTEM
from pingan.cases.kpi import Counts, indicators
from pingan.cases.kpi_endpoints import router as kpi_router
from pingan.cases.kpis import GroupBy, kpi_table
from pingan.cases.models import Case, CaseCategory, CaseStep
from pingan.org.models import OrgUnit
from tests.conftest import new_client, sign_in

T = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)
START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 4, 1, tzinfo=UTC)
PERIOD = "start=2026-03-01&end=2026-04-01"  # local days (Asia/Shanghai): 2026-02-28T16:00Z – 2026-03-31T16:00Z


@pytest.fixture
def data(db: Session, make_user: Callable[..., Any], make_grid: Callable[..., Any]) -> dict[str, Any]:
    """The cases of the module docstring, inserted as rows (the loop itself is tested elsewhere)."""
    unit = {u.code: u.id for u in db.scalars(select(OrgUnit))}
    cat = {c.code: c.id for c in db.scalars(select(CaseCategory).where(CaseCategory.code.in_(["0101", "0102"])))}
    grid_a = make_grid("330903001001", 1, (122.30, 29.95))
    grid_b = make_grid("330903102201", 1, (122.40, 29.80))
    wu = make_user("kpi_wu", "330903001001", ["grid_worker"])
    li = make_user("kpi_li", "330903102201", ["grid_worker"])
    a = {"grid_id": grid_a.id, "unit_id": unit["330903001001"], "category_id": cat["0101"]}
    b = {"grid_id": grid_b.id, "unit_id": unit["330903102201"], "category_id": cat["0102"]}
    cg, police = unit["ZS-CG"], unit["PT-GA-SJM"]
    cases: dict[str, Case] = {}

    def add(name: str, channel: str, status: str, place: dict[str, Any], **fields: Any) -> Case:
        fields.setdefault("reported_at", T)
        fields.setdefault("is_open", status not in ("rejected", "closed_fixed", "closed_unfixable", "revisited"))
        row = Case(
            number=f"KPI-{name}",
            channel=channel,
            title=name,
            description=name,
            status=status,
            updated_at=T,
            **{"category_id": cat["0101"], **place, **fields},
        )
        db.add(row)
        db.flush()
        cases[name] = row
        return row

    closed = {"registered_at": T, "dispatched_at": T + H, "accepted_at": T + 2 * H, "accepted_on_time": True}
    add(
        "A1",
        "grid_worker",
        "revisited",
        a,
        reported_by_id=wu.id,
        responsible_unit_id=cg,
        **closed,
        handled_at=T + 5 * H,
        closed_at=T + 6 * H,
        closed_on_time=True,
        revisited_at=T + 7 * H,
        satisfaction="satisfied",
        handle_due_at=T + 48 * H,
    )
    add(
        "A2",
        "grid_worker",
        "closed_fixed",
        a,
        reported_by_id=wu.id,
        responsible_unit_id=unit["330903001001"],
        registered_at=T,
        dispatched_at=T,
        accepted_at=T,
        accepted_on_time=True,
        handled_at=T,
        closed_at=T,
        closed_on_time=True,
        sub_status="自行处置",
    )
    add(
        "A3",
        "public",
        "rework",
        a,
        responsible_unit_id=cg,
        registered_at=T,
        dispatched_at=T,
        accepted_at=T + 9 * H,
        accepted_on_time=False,
        handled_at=T + 10 * H,
        revisited_at=T + 12 * H,
        satisfaction="unsatisfied",
        redo_count=1,
        is_overdue=True,
        handle_due_at=T + 48 * H,
        sub_status="发回重办",
    )
    add("A4", "hotline_12345", "closed_duplicate", a, registered_at=T, master_id=cases["A1"].id, is_open=False)
    add("A5", "public", "rejected", a)
    add(
        "A6",
        "nonpolice_110",
        "accepted",
        a,
        responsible_unit_id=police,
        registered_at=T,
        dispatched_at=T,
        accepted_at=T + H / 6,
        accepted_on_time=True,
        first_response_at=T + H / 6,
        response_due_at=T + H / 2,
        handle_due_at=datetime(2026, 4, 10, tzinfo=UTC),
    )
    add(
        "B1",
        "nonpolice_110",
        "closed_unfixable",
        b,
        responsible_unit_id=police,
        registered_at=T,
        dispatched_at=T,
        accepted_at=T + H,
        accepted_on_time=False,
        first_response_at=T + H,
        response_due_at=T + H / 2,
        handled_at=T + 3 * H,
        closed_at=T + 30 * H,
        closed_on_time=False,
        is_overdue=True,
        redo_count=2,
        handle_due_at=T + 24 * H,
    )
    add("B2", "grid_worker", "received", b, reported_by_id=li.id)
    add(
        "B3",
        "public",
        "dispatched",
        b,
        responsible_unit_id=cg,
        registered_at=T,
        dispatched_at=T,
        handle_due_at=T + 24 * H,
    )
    add("D1", "hotline_12345", "registered", {"grid_id": None, "unit_id": None}, registered_at=T, address="某路")
    add(
        "C1",
        "public",
        "closed_fixed",
        a,
        reported_at=datetime(2026, 2, 20, tzinfo=UTC),
        registered_at=T,
        dispatched_at=T,
        handled_at=T + H,
        closed_at=T + 2 * H,
        closed_on_time=True,
    )

    steps = [("A1", "check_fail", "rework"), ("A3", "revisit", "rework"), ("A1", "revisit", "revisited")]
    steps += [("B1", "check_fail", "rework"), ("B1", "check_fail", "rework"), ("C1", "check_fail", "rework")]
    steps += [("A3", "handle", "handled"), ("B1", "return", "returned")]  # other actions count for nothing
    for seq, (name, action, to_status) in enumerate(steps, start=100):
        db.add(
            CaseStep(case_id=cases[name].id, seq=seq, action=action, to_status=to_status, actor_label="t", at=T + 8 * H)
        )
    db.commit()
    return {"cases": cases, "wu": wu, "li": li, "grid_a": grid_a, "grid_b": grid_b}


# Every indicator of each area row, worked out by hand from the module docstring.
SHENJIAMEN = {
    "reported": 6,  # A1–A6
    "registered": 5,  # all but A5
    "register_rate": 5 / 6,
    "accepted": 4,  # A1 A2 A3 A6
    "accepted_on_time": 3,  # A3 was late
    "accept_on_time_rate": 3 / 4,
    "due_handle": 4,  # dispatched: A1 A2 A3 A6
    "handled": 3,  # A1 A2 A3
    "handle_rate": 3 / 4,
    "avg_handle_hours": (4 + 0 + 10) / 3,
    "closed": 2,  # A1 (revisited), A2; not the duplicate A4, not the rejected A5
    "due_close": 3,  # + A3: open, registered, due 2026-03-12
    "closed_on_time": 2,
    "close_rate": 2 / 5,
    "close_on_time_rate": 2 / 3,
    "rework": 1,  # A1's check_fail
    "rework_rate": 1 / 3,
    "revisited": 2,  # A1, A3
    "revisit_rate": 2 / 2,
    "satisfied": 1,
    "satisfaction_rate": 1 / 2,
    "sent_back": 1,  # A3's unsatisfied revisit
    "sent_back_rate": 1 / 2,
    "duplicates": 1,
    "duplicate_rate": 1 / 6,
    "overdue": 1,
    "self_handled": 1,
    "transferred": 1,
    "responded_on_time": 1,
    "response_rate": 1.0,
}
TAOHUA = {
    "reported": 3,
    "registered": 2,  # B1 B3
    "register_rate": 2 / 3,
    "accepted": 1,
    "accepted_on_time": 0,
    "accept_on_time_rate": 0.0,
    "due_handle": 2,
    "handled": 1,
    "handle_rate": 1 / 2,
    "avg_handle_hours": 3.0,
    "closed": 1,  # B1 as unfixable
    "due_close": 2,  # + B3, due 2026-03-11
    "closed_on_time": 0,
    "close_rate": 1 / 2,
    "close_on_time_rate": 0.0,
    "rework": 2,
    "rework_rate": 2.0,  # two 返工 of one handled case
    "revisited": 0,
    "revisit_rate": 0.0,
    "satisfied": 0,
    "satisfaction_rate": None,  # nobody revisited: no rate, not 0
    "sent_back": 0,
    "sent_back_rate": None,
    "duplicates": 0,
    "duplicate_rate": 0.0,
    "overdue": 1,
    "self_handled": 0,
    "transferred": 1,
    "responded_on_time": 0,
    "response_rate": 0.0,
}
NO_PLACE = {
    **{k: (0 if isinstance(v, int) and not isinstance(v, bool) else None) for k, v in TAOHUA.items()},
    "reported": 1,
    "registered": 1,
    "register_rate": 1.0,
    "close_rate": 0.0,
    "duplicate_rate": 0.0,
}


def assert_values(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    assert set(actual) == set(expected)
    for key, value in expected.items():
        if value is None or isinstance(actual[key], int):
            assert actual[key] == value, key
        else:
            assert actual[key] == pytest.approx(value), key


def table(by: str, **kw: Any) -> dict[str | None, Any]:
    return {
        r.label: r for r in kpi_table(kw.pop("db"), actor=kw.pop("actor", SYSTEM), by=by, start=START, end=END, **kw)
    }


def test_area_rows_carry_every_indicator_as_worked_out_by_hand(db: Session, data: dict[str, Any]) -> None:
    rows = kpi_table(db, actor=SYSTEM, by="area", start=START, end=END)
    assert [(r.code, r.label) for r in rows] == [("330903001", "沈家门街道"), ("330903102", "桃花镇"), (None, "未定位")]
    assert_values(rows[0].values, SHENJIAMEN)
    assert_values(rows[1].values, TAOHUA)
    assert_values(rows[2].values, NO_PLACE)


def test_every_grouping_partitions_the_same_cases(db: Session, data: dict[str, Any]) -> None:
    for by in GroupBy:
        rows = kpi_table(db, actor=SYSTEM, by=by, start=START, end=END)
        summed = sum((r.counts for r in rows), Counts())
        assert summed.reported == 10, by  # C1 lies outside the period
        assert summed.rework_steps == 3 and summed.sent_back == 1, by
        assert summed.closed == 3 and summed.due_open == 2, by


def test_grid_unit_person_category_and_channel_rows(db: Session, data: dict[str, Any]) -> None:
    grids = table("grid", db=db)
    assert grids["渔港社区第1网格"].code == "330903001001001"
    assert grids["渔港社区第1网格"].counts.reported == 6
    assert grids["桃花村第1网格"].counts.reported == 3
    assert grids["网格外"].counts.reported == 1

    units = table("unit", db=db)
    assert {k: r.counts.reported for k, r in units.items()} == {
        "舟山市综合行政执法局": 3,  # A1 A3 B3
        "沈家门派出所": 2,  # A6 B1
        "渔港社区": 1,  # A2, self-handled
        "未派遣": 4,  # A4 A5 B2 D1
    }
    police = units["沈家门派出所"].values
    assert police["transferred"] == 2 and police["response_rate"] == 0.5 and police["rework"] == 2
    assert units["舟山市综合行政执法局"].values["sent_back"] == 1
    assert units["舟山市综合行政执法局"].values["due_close"] == 3  # A1 closed, A3 and B3 past their deadline

    people = table("person", db=db)
    assert people["kpi_wu"].code == "kpi_wu"
    assert (people["kpi_wu"].counts.reported, people["kpi_wu"].counts.self_handled) == (2, 1)
    assert people["kpi_li"].counts.reported == 1
    assert people["非账号上报（群众、热线、系统）"].counts.reported == 7

    categories = {r.code: r.counts.reported for r in kpi_table(db, actor=SYSTEM, by="category", start=START, end=END)}
    assert categories == {"0101": 7, "0102": 3}

    channels = kpi_table(db, actor=SYSTEM, by="channel", start=START, end=END)
    assert [(r.code, r.counts.reported) for r in channels] == [
        ("grid_worker", 3),
        ("public", 3),
        ("hotline_12345", 2),
        ("nonpolice_110", 2),
    ]
    assert channels[0].label == "网格员上报"


def test_now_moves_the_deadline_cut_off_of_due_cases(db: Session, data: dict[str, Any]) -> None:
    rows = table("area", db=db, now=T + 36 * H)  # B3 (due +24 h) is late by then, A3 (due +48 h) not yet
    assert rows["沈家门街道"].values["due_close"] == 2
    assert rows["桃花镇"].values["due_close"] == 2


def test_area_code_keeps_only_cases_placed_under_that_unit(db: Session, data: dict[str, Any]) -> None:
    assert list(table("area", db=db, area_code="330903102")) == ["桃花镇"]
    assert list(table("area", db=db, area_code="330903")) == ["沈家门街道", "桃花镇"]
    assert list(table("unit", db=db, area_code="330903102")) == ["沈家门派出所", "舟山市综合行政执法局", "未派遣"]


def test_a_period_without_cases_has_no_rows(db: Session, data: dict[str, Any]) -> None:
    assert kpi_table(db, actor=SYSTEM, by="area", start=END, end=END + 30 * 24 * H) == []


# ---------------------------------------------------------------- HTTP


@pytest.fixture
def kpi_app(app):  # type: ignore[no-untyped-def]
    """The app with the KPI routes ahead of ``/api/cases/{number}`` (unless app.py already includes them)."""
    if not any(getattr(r, "path", "").startswith("/api/cases/kpis") for r in app.routes):
        app.router.routes[:0] = kpi_router.routes
    return app


def signed_in(app: Any, make_user: Callable[..., Any], name: str, unit: str, role: str) -> Any:
    make_user(name, unit, [role])
    client = new_client(app)
    sign_in(client, name)
    return client


def test_api_answers_rows_with_labels_and_a_total(
    kpi_app: Any, make_user: Callable[..., Any], data: dict[str, Any]
) -> None:
    client = signed_in(kpi_app, make_user, "kpi_cmd", "ZS-SZ", "commander")
    r = client.get(f"/api/cases/kpis?by=area&{PERIOD}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["group_label"] == "乡镇（街道）" and body["scope"] == "全部"
    assert [row["label"] for row in body["rows"]] == ["沈家门街道", "桃花镇", "未定位"]
    assert_values(body["rows"][0]["values"], SHENJIAMEN)
    assert body["rows"][1]["values"]["satisfaction_rate"] is None
    assert body["total"]["values"]["reported"] == 10
    assert body["total"]["values"]["rework"] == 3
    assert {i["key"] for i in body["indicators"]} == set(indicators(Counts()))


def test_a_township_account_sees_only_its_township(
    kpi_app: Any, make_user: Callable[..., Any], data: dict[str, Any]
) -> None:
    client = signed_in(kpi_app, make_user, "kpi_sjm", "330903001", "township_leader")
    body = client.get(f"/api/cases/kpis?by=area&{PERIOD}").json()
    assert [row["label"] for row in body["rows"]] == ["沈家门街道"]
    assert_values(body["rows"][0]["values"], SHENJIAMEN)
    assert body["scope"] == "沈家门街道及下级"
    channels = client.get(f"/api/cases/kpis?by=channel&{PERIOD}").json()
    assert channels["total"]["values"]["reported"] == 6


def test_excel_export_has_a_title_headers_and_percentage_formats(
    kpi_app: Any, make_user: Callable[..., Any], data: dict[str, Any]
) -> None:
    client = signed_in(kpi_app, make_user, "kpi_cmd", "ZS-SZ", "commander")
    r = client.get(f"/api/cases/kpis.xlsx?by=area&{PERIOD}")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"]
    ws = load_workbook(io.BytesIO(r.content))["考核指标"]
    assert "按乡镇" in ws["A1"].value
    assert "2026-03-01 至 2026-03-31" in ws["A2"].value and "全部" in ws["A2"].value
    headers = [c.value for c in ws[3]]
    assert headers[:5] == ["编码", "乡镇（街道）", "上报数", "立案数", "立案率"]
    assert "按期结案率" in headers and "30分钟响应达标率" in headers
    rows = {ws.cell(row=n, column=2).value: n for n in range(4, ws.max_row + 1)}
    assert list(rows) == ["沈家门街道", "桃花镇", "未定位", "合计"]
    rate_col = headers.index("立案率") + 1
    cell = ws.cell(row=rows["沈家门街道"], column=rate_col)
    assert cell.value == pytest.approx(5 / 6) and cell.number_format == "0.0%"
    assert ws.cell(row=rows["桃花镇"], column=headers.index("满意率") + 1).value == "—"
    assert ws.cell(row=rows["合计"], column=headers.index("上报数") + 1).value == 10


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("by=area&start=2026-13-01&end=2026-04-01", "start must be a date"),
        ("by=area&start=2026-03-01&end=soon", "end must be a date"),
        ("by=area&start=2026-04-01&end=2026-04-01", "must be after start"),
        ("by=area&start=2026-04-01&end=2026-03-01", "must be after start"),
        ("by=area&start=2020-01-01&end=2023-01-02", "at most 3 years"),
        ("by=area&start=2026-03-01&end=2026-04-01&area_code=nowhere", "no area"),
        ("by=town&start=2026-03-01&end=2026-04-01", "by"),
    ],
)
def test_bad_periods_and_parameters_answer_422(
    kpi_app: Any, make_user: Callable[..., Any], query: str, fragment: str
) -> None:
    client = signed_in(kpi_app, make_user, "kpi_cmd", "ZS-SZ", "commander")
    for path in ("/api/cases/kpis", "/api/cases/kpis.xlsx"):
        r = client.get(f"{path}?{query}")
        assert r.status_code == 422, r.text
        assert fragment in r.json()["error"]["message"]


def test_three_years_exactly_is_allowed(kpi_app: Any, make_user: Callable[..., Any]) -> None:
    client = signed_in(kpi_app, make_user, "kpi_cmd", "ZS-SZ", "commander")
    assert client.get("/api/cases/kpis?start=2024-02-29&end=2027-02-28").status_code == 200


def test_kpis_need_the_kpi_permission(kpi_app: Any, make_user: Callable[..., Any]) -> None:
    client = signed_in(kpi_app, make_user, "kpi_gw", "330903001001", "grid_worker")
    assert client.get(f"/api/cases/kpis?{PERIOD}").status_code == 403
    assert client.get(f"/api/cases/kpis.xlsx?{PERIOD}").status_code == 403
    assert new_client(kpi_app).get(f"/api/cases/kpis?{PERIOD}").status_code == 401


def test_sqlite_counts_a_large_table_in_two_halves_with_the_same_result(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On an engine-bound SQLite session a whole-table period runs on two connections; the counts must not change."""
    from pingan import migrate
    from pingan.auth.principal import cli_principal
    from pingan.cases import config as case_config
    from pingan.cases import kpis
    from pingan.db import create_db_engine
    from pingan.demo.seed import DEMO_UNITS
    from pingan.org import service as org_service

    url = f"sqlite:///{tmp_path / 'halves.db'}"
    migrate.upgrade(url)
    engine = create_db_engine(url)
    with Session(engine) as s, s.begin():
        for code, name, name_en, kind, parent in DEMO_UNITS:
            org_service.create_unit(
                s, code=code, name=name, name_en=name_en, kind=kind, parent_code=parent, actor=cli_principal(), now=T
            )
        case_config.ensure_defaults(s, now=T)
        units = [s.scalars(select(OrgUnit.id).where(OrgUnit.code == c)).one() for c in ("330903001001", "330903102201")]
        category = s.scalars(select(CaseCategory.id).where(CaseCategory.code == "0101")).one()
        for i in range(40):
            s.add(
                Case(
                    number=f"H-{i}",
                    channel="public",
                    category_id=category,
                    title="t",
                    description="t",
                    status="closed_fixed" if i % 3 else "received",
                    is_open=not i % 3,
                    unit_id=units[i % 2],
                    reported_at=T + i * H,
                    registered_at=T + i * H if i % 3 else None,
                    dispatched_at=T + i * H if i % 3 else None,
                    handled_at=T + (i + 2) * H if i % 3 else None,
                    updated_at=T,
                )
            )
        s.flush()
        first = s.scalars(select(Case.id).order_by(Case.id)).first()
        s.add(CaseStep(case_id=first, seq=9, action="check_fail", to_status="rework", actor_label="t", at=T))
    try:
        split = kpis._in_halves
        calls: list[int] = []
        monkeypatch.setattr(kpis, "_in_halves", lambda *args: calls.append(1) or split(*args))
        with Session(engine) as s:
            monkeypatch.setattr(kpis, "SQLITE_SPLIT_MIN_CASES", 1)
            halves = kpi_table(s, actor=SYSTEM, by="area", start=START, end=END)
            monkeypatch.setattr(kpis, "SQLITE_SPLIT_MIN_CASES", 10**12)
            whole = kpi_table(s, actor=SYSTEM, by="area", start=START, end=END)
    finally:
        engine.dispose()
    assert calls == [1]  # only the first table was counted in halves
    assert [(r.label, r.counts) for r in halves] == [(r.label, r.counts) for r in whole]
    assert [r.label for r in whole] == ["沈家门街道", "桃花镇"]
    assert sum(r.counts.reported for r in whole) == 40
    assert sum(r.counts.handled for r in whole) == 26
    assert sum(r.counts.rework_steps for r in whole) == 1
    assert whole[0].values["avg_handle_hours"] == pytest.approx(2.0)
