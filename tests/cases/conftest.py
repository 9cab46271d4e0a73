"""Case-hub fixtures: a land grid in 渔港社区 and signed-in HTTP clients for each role of the loop.

``hub.gw`` is the grid worker of 渔港社区 (上报, 核查), ``hub.cmd`` the command centre (立案, 派遣, 回访, 督办),
``hub.sjm`` the 沈家门街道 leader (who handles what is dispatched to the township), ``hub.cg`` an officer of
the city's urban-management bureau, ``hub.taohua`` a leader of another township, ``hub.vol`` a volunteer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditEntry
from pingan.cases.models import Case
from pingan.demo.registry import link_grid_worker
from tests.conftest import SEED_TIME, new_client, sign_in

GRID_SW = (122.30, 29.95)  # south-west corner of the test grid 330903001001001
INSIDE = (122.305, 29.955)


@dataclass
class Caller:
    """A signed-in client."""

    client: TestClient
    csrf: str
    username: str

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post(path, json=json, headers={"X-CSRF-Token": self.csrf}, **kw)

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, **kw)

    def act(self, number: str, action: str, expect: int = 200, **body: Any) -> dict[str, Any]:
        r = self.post(f"/api/cases/{number}/actions", {"action": action, **body})
        assert r.status_code == expect, r.text
        return dict(r.json())

    def report(
        self, code: str = "0102", text: str = "路边有一堆暴露垃圾无人清理", at: tuple[float, float] = INSIDE, **kw: Any
    ) -> dict[str, Any]:
        r = self.post("/api/cases", {"category_code": code, "description": text, "lon": at[0], "lat": at[1], **kw})
        assert r.status_code == 201, r.text
        return dict(r.json())


USERS = {
    "gw": ("gw_wu", "330903001001", ["grid_worker"]),
    "cmd": ("cmd_chen", "ZS-SZ", ["commander"]),
    "sjm": ("sjm_zhao", "330903001", ["township_leader"]),
    "cg": ("cg_li", "ZS-CG", ["dept_officer"]),
    "taohua": ("taohua_sun", "330903102", ["township_leader"]),
    "vol": ("vol_zheng", "330903001001", ["volunteer"]),
}


class Hub:
    """The test world; each role's account is created and signed in on first use (password hashing is slow)."""

    def __init__(self, app: Any, db: Session, make_user: Callable[..., Any]) -> None:
        self.app = app
        self.db = db
        self._make_user = make_user
        self._callers: dict[str, Caller] = {}

    def __getattr__(self, role: str) -> Caller:
        if role not in USERS:
            raise AttributeError(role)
        if role not in self._callers:
            username, unit, roles = USERS[role]
            self._make_user(username, unit, roles)
            if role == "gw":
                link_grid_worker(self.db, username, ["330903001001001"], now=SEED_TIME)
                self.db.commit()
            client = new_client(self.app)
            self._callers[role] = Caller(client, sign_in(client, username), username)
        return self._callers[role]

    def case(self, number: str) -> Case:
        self.db.expire_all()
        return self.db.scalars(select(Case).where(Case.number == number)).one()

    def audit_actions(self, number: str) -> list[str]:
        rows = self.db.scalars(
            select(AuditEntry.action).where(AuditEntry.object_type == "case", AuditEntry.object_id == number)
        )
        return list(rows)


@pytest.fixture
def hub(app, db: Session, make_user: Callable[..., Any], make_grid: Callable[..., Any]) -> Hub:  # type: ignore[no-untyped-def]
    make_grid("330903001001", 1, GRID_SW)
    return Hub(app, db, make_user)
