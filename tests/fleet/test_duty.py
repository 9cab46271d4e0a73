"""Watch duty: rosters, who is on duty now (with the walk up the organisation tree), duty log and handover."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.auth.principal import cli_principal
from pingan.errors import Conflict, ValidationFailed
from pingan.fleet import duty
from pingan.fleet.duty import on_duty_now
from pingan.org.models import OrgUnit
from tests.conftest import sign_in

OPERATOR = cli_principal("test")
T0 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)  # 08:00 local: shift changeover
H = timedelta(hours=1)


def _unit(db: Session, code: str) -> int:
    return db.scalars(select(OrgUnit.id).where(OrgUnit.code == code)).one()


def _shift(db: Session, code: str, start: datetime, hours: int, officer: str, deputy: str = "") -> int:
    shift = duty.create_shift(
        db,
        unit_id=_unit(db, code),
        starts_at=start,
        ends_at=start + hours * H,
        officer_name=officer,
        deputy_name=deputy,
        actor=OPERATOR,
        now=T0,
    )
    return shift.id


def test_on_duty_now_picks_the_running_shift(db: Session) -> None:
    night = _shift(db, "330903001", T0 - 12 * H, 12, "夜班甲", "夜班乙")
    day = _shift(db, "330903001", T0, 12, "白班甲", "白班乙")
    township = _unit(db, "330903001")
    found = on_duty_now(db, township, T0 - H)
    assert found is not None and found.shift.id == night and not found.fallback
    found = on_duty_now(db, township, T0)  # a shift ends exclusive, starts inclusive
    assert found is not None and found.shift.id == day
    assert (found.shift.officer_name, found.shift.deputy_name) == ("白班甲", "白班乙")
    assert on_duty_now(db, township, T0 + 12 * H) is None


def test_on_duty_now_falls_back_to_the_nearest_unit_above(db: Session) -> None:
    district = _shift(db, "330903", T0 - 24 * H, 48, "区值班长")
    township = _shift(db, "330903001", T0, 12, "街道值班员")
    village = _unit(db, "330903001001")  # 渔港社区, in 沈家门街道, in 普陀区
    found = on_duty_now(db, village, T0 + H)
    assert found is not None and found.shift.id == township and found.fallback
    assert found.unit.code == "330903001" and found.asked_unit_id == village
    found = on_duty_now(db, village, T0 + 13 * H)  # the township's shift is over: the district answers
    assert found is not None and found.shift.id == district and found.unit.code == "330903"
    assert on_duty_now(db, _unit(db, "330902001"), T0 + H) is None  # 定海区 has no roster and neither has the city
    _shift(db, "330900", T0, 24, "市值班长")
    found = on_duty_now(db, _unit(db, "330902001"), T0 + H)
    assert found is not None and found.unit.code == "330900"


def test_shifts_of_a_unit_may_not_overlap(db: Session) -> None:
    _shift(db, "330903001", T0, 12, "甲")
    with pytest.raises(Conflict):
        _shift(db, "330903001", T0 + 11 * H, 12, "乙")
    _shift(db, "330903001", T0 + 12 * H, 12, "乙")  # back to back is fine
    _shift(db, "330903", T0, 12, "区")  # another unit is fine
    with pytest.raises(ValidationFailed):
        _shift(db, "330903001", T0 + 48 * H, 0, "丙")


def test_log_entries_and_handover(db: Session) -> None:
    shift_id = _shift(db, "330903001", T0, 12, "甲")
    duty.add_log_entry(db, shift_id, "08:30 浙普渔20001 北斗终端故障，已转人工报告", actor=OPERATOR, now=T0 + H)
    duty.add_log_entry(db, shift_id, "10:00 台风外围大风，通知渔船回港", actor=OPERATOR, now=T0 + 2 * H)
    assert [e.text[:5] for e in duty.list_log(db, shift_id, actor=OPERATOR)] == ["08:30", "10:00"]
    shift = duty.set_handover_note(db, shift_id, "3艘船未回港，继续跟踪", actor=OPERATOR, now=T0 + 12 * H)
    assert shift.handover_note == "3艘船未回港，继续跟踪"
    roster = duty.list_roster(db, _unit(db, "330903001"), actor=OPERATOR, start=T0 - 24 * H, end=T0 + 24 * H)
    assert [s.id for s in roster] == [shift_id]


def test_duty_api_and_scope(db: Session, make_user, client) -> None:  # type: ignore[no-untyped-def]
    make_user("taohua_watch", "330903102", ["township_leader"])  # duty.write, scope: 桃花镇 and below
    taohua, shenjiamen = _unit(db, "330903102"), _unit(db, "330903001")
    with time_machine.travel(T0 + H, tick=False):
        csrf = sign_in(client, "taohua_watch")
        headers = {"X-CSRF-Token": csrf}
        shift = {
            "unit_id": taohua,
            "starts_at": T0.isoformat(),
            "ends_at": (T0 + 12 * H).isoformat(),
            "officer_name": "孙值班",
            "deputy_name": "钱副班",
        }
        created = client.post("/api/fleet/duty/shifts", json=shift, headers=headers)
        assert created.status_code == 201, created.text
        shift_id = created.json()["id"]
        now = client.get("/api/fleet/duty/now", params={"unit_id": taohua}).json()
        assert now["shift"]["officer_name"] == "孙值班" and now["fallback"] is False
        roster = client.get("/api/fleet/duty/roster", params={"unit_id": taohua, "start": T0.isoformat()}).json()
        assert [s["id"] for s in roster] == [shift_id]
        logged = client.post(f"/api/fleet/duty/shifts/{shift_id}/log", json={"text": "巡查渔港"}, headers=headers)
        assert logged.status_code == 201
        assert [e["text"] for e in client.get(f"/api/fleet/duty/shifts/{shift_id}/log").json()] == ["巡查渔港"]
        handover = client.put(f"/api/fleet/duty/shifts/{shift_id}/handover", json={"note": "无异常"}, headers=headers)
        assert handover.json()["handover_note"] == "无异常"

        # Another township is outside the scope: 404, never 403.
        other = {**shift, "unit_id": shenjiamen}
        assert client.post("/api/fleet/duty/shifts", json=other, headers=headers).status_code == 404
        assert client.get("/api/fleet/duty/now", params={"unit_id": shenjiamen}).status_code == 404
        naive = {**shift, "starts_at": "2026-11-03T08:00:00", "ends_at": "2026-11-03T20:00:00"}
        assert client.post("/api/fleet/duty/shifts", json=naive, headers=headers).status_code == 422
