"""Access control over the API: data scopes (404 outside), 三权分立, the read-only auditor, tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy.exc
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.auth import service
from pingan.auth.models import User, UserRole
from pingan.auth.principal import cli_principal
from pingan.errors import Conflict
from pingan.org.models import OrgUnit
from tests.conftest import PASSWORD, new_client, sign_in


def _unit(db: Session, code: str) -> OrgUnit:
    unit = db.scalars(select(OrgUnit).where(OrgUnit.code == code)).one()
    return unit


def test_township_account_gets_404_for_another_townships_records(client: TestClient, make_user, db: Session) -> None:  # type: ignore[no-untyped-def]
    make_user("sjm_probe", "330903001", ["township_leader"])  # 沈家门街道
    neighbour = make_user("th_probe", "330903102", ["township_leader"])  # 桃花镇
    colleague = make_user("sjm_grid", "330903001001", ["grid_worker"])  # under 沈家门
    sign_in(client, "sjm_probe")

    assert client.get(f"/api/org-units/{_unit(db, '330903102').id}").status_code == 404
    assert client.get(f"/api/users/{neighbour.id}").status_code == 404
    assert client.get(f"/api/org-units/{_unit(db, '330903001001').id}").status_code == 200
    assert client.get(f"/api/users/{colleague.id}").status_code == 200
    missing = client.get("/api/users/999999")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "not_found", "message": "user 999999 not found"}}

    listed_units = {u["code"] for u in client.get("/api/org-units").json()}
    assert "330903102" not in listed_units and "330900" not in listed_units
    assert "330903001" in listed_units
    listed_users = {u["username"] for u in client.get("/api/users").json()}
    assert listed_users == {"sjm_probe", "sjm_grid"}


def test_custom_scope_shows_the_chosen_units_and_what_is_under_them(client: TestClient, make_user, db: Session) -> None:  # type: ignore[no-untyped-def]
    from pingan.auth.models import Role
    from pingan.auth.policy import DataScope

    role = Role(
        code="island_liaison",
        name="海岛联络员",
        data_scope=DataScope.CUSTOM,
        permissions=["org.read", "user.read"],
        builtin=False,
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
        description="",
    )
    role.custom_units = [_unit(db, "330903102"), _unit(db, "330922")]
    db.add(role)
    db.commit()
    make_user("liaison_probe", "ZS-SZ", ["island_liaison"])
    sign_in(client, "liaison_probe")
    codes = {u["code"] for u in client.get("/api/org-units").json()}
    assert codes == {"330903102", "330903102201", "330922", "330922101"}


def test_no_account_holds_two_administrator_roles(client: TestClient, make_user, db: Session, settings) -> None:  # type: ignore[no-untyped-def]
    target = make_user("dual_probe", "ZS-SZ", ["sys_admin"])
    make_user("sec_granter", "ZS-SZ", ["security_admin"])
    csrf = sign_in(client, "sec_granter")
    for pair in (["sys_admin", "audit_admin"], ["sys_admin", "security_admin"], ["security_admin", "audit_admin"]):
        response = client.put(f"/api/users/{target.id}/roles", json={"roles": pair}, headers={"X-CSRF-Token": csrf})
        assert response.status_code == 409, pair
        assert response.json()["error"]["code"] == "separation_of_duties"
    # An administrator role plus an ordinary role is fine.
    ok = client.put(
        f"/api/users/{target.id}/roles", json={"roles": ["sys_admin", "commander"]}, headers={"X-CSRF-Token": csrf}
    )
    assert ok.status_code == 200, ok.text

    with pytest.raises(Conflict):
        service.create_user(
            db,
            settings,
            username="dual_cli",
            display_name="x",
            unit_code="ZS-SZ",
            password=PASSWORD,
            role_codes=["audit_admin", "security_admin"],
            actor=cli_principal(),
            now=datetime(2026, 11, 29, tzinfo=UTC),
        )


def test_database_itself_refuses_a_second_administrator_role(db: Session, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("db_dual_probe", "ZS-SZ", ["security_admin"])
    from pingan.auth.repository import roles_by_code

    audit_role = roles_by_code(db, ["audit_admin"])["audit_admin"]
    with pytest.raises(sqlalchemy.exc.IntegrityError), db.begin_nested():
        db.add(
            UserRole(
                user_id=user.id,
                role_id=audit_role.id,
                admin_kind=audit_role.admin_kind,
                granted_at=datetime(2026, 11, 29, tzinfo=UTC),
            )
        )
        db.flush()


def test_system_administrator_cannot_grant_roles_or_read_the_audit_trail(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    target = make_user("plain_probe", "330903001", ["grid_worker"])
    make_user("sys_probe2", "ZS-SZ", ["sys_admin"])
    csrf = sign_in(client, "sys_probe2")
    grant = client.put(f"/api/users/{target.id}/roles", json={"roles": ["sys_admin"]}, headers={"X-CSRF-Token": csrf})
    assert grant.status_code == 403
    assert client.get("/api/audit").status_code == 403
    minted = client.post(
        "/api/users",
        json={
            "username": "minted_admin",
            "display_name": "x",
            "unit_code": "ZS-SZ",
            "password": PASSWORD,
            "roles": ["audit_admin"],
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert minted.status_code == 403


def _write_routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every unsafe operation of the published API, from the OpenAPI document."""
    routes = []
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            if method.upper() in {"POST", "PUT", "PATCH", "DELETE"} and path != "/api/auth/login":
                routes.append((method.upper(), path))
    return routes


def test_audit_administrator_can_read_the_trail_and_change_nothing(app, make_user) -> None:  # type: ignore[no-untyped-def]
    other = make_user("victim_probe", "330903001", ["grid_worker"])
    make_user("auditor_probe", "ZS-SZ", ["audit_admin"])
    with new_client(app) as client:
        csrf = sign_in(client, "auditor_probe")
        assert client.get("/api/audit").status_code == 200
        assert client.get("/api/audit/verify").json()["ok"] is True
        bodies = {
            "/api/users": {
                "username": "auditor_made",
                "display_name": "x",
                "unit_code": "ZS-SZ",
                "password": PASSWORD,
                "roles": [],
            },
            "/api/users/{user_id}/roles": {"roles": ["grid_worker"]},
            "/api/users/{user_id}/password": {"new_password": "Daishan-Harbour-77"},
            "/api/org-units": {"code": "X1", "name": "x", "kind": "community", "parent_code": "330903001"},
            "/api/tokens": {"name": "x", "unit_code": "ZS-SZ", "permissions": ["org.read"], "days": 1},
        }
        tried = []
        for method, path in _write_routes(app):
            if path in {"/api/auth/logout", "/api/auth/password"}:
                continue  # the auditor's own session and password are not the system's data
            url = path.replace("{user_id}", str(other.id)).replace("{token_id}", "1").replace("{fmt}", "json")
            response = client.request(method, url, json=bodies.get(path), headers={"X-CSRF-Token": csrf})
            assert response.status_code == 403, (method, path, response.status_code, response.text)
            tried.append(path)
        assert len(tried) >= 7
        for path in ("/api/users", "/api/org-units", "/api/roles", "/api/stats", "/api/tokens"):
            assert client.get(path).status_code == 403, path
        # There is no route that changes the trail at all.
        assert not [p for m, p in _write_routes(app) if p.startswith("/api/audit")]


def test_revoked_token_is_refused(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("token_admin", "ZS-SZ", ["security_admin"])
    csrf = sign_in(client, "token_admin")
    issued = client.post(
        "/api/tokens",
        json={"name": "12345 hotline bridge", "unit_code": "ZS-12345", "permissions": ["org.read"], "days": 30},
        headers={"X-CSRF-Token": csrf},
    )
    assert issued.status_code == 201, issued.text
    secret = issued.json()["secret"]
    assert secret.startswith("pa_")
    bearer = {"Authorization": f"Bearer {secret}"}
    with new_client(client.app) as integration:
        assert integration.get("/api/org-units", headers=bearer).status_code == 200
        assert integration.get("/api/users", headers=bearer).status_code == 403  # not a token permission
        revoked = client.delete(f"/api/tokens/{issued.json()['id']}", headers={"X-CSRF-Token": csrf})
        assert revoked.status_code == 200
        refused = integration.get("/api/org-units", headers=bearer)
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "bad_token"


def test_token_is_scoped_to_its_unit_and_expires(client: TestClient, make_user, db: Session) -> None:  # type: ignore[no-untyped-def]
    make_user("token_admin2", "ZS-SZ", ["security_admin"])
    csrf = sign_in(client, "token_admin2")
    now = datetime.now(UTC)
    issued = client.post(
        "/api/tokens",
        json={"name": "taohua sensors", "unit_code": "330903102", "permissions": ["org.read"], "days": 1},
        headers={"X-CSRF-Token": csrf},
    ).json()
    bearer = {"Authorization": f"Bearer {issued['secret']}"}
    with new_client(client.app) as integration:
        codes = {u["code"] for u in integration.get("/api/org-units", headers=bearer).json()}
        assert codes == {"330903102", "330903102201"}
        assert integration.get(f"/api/org-units/{_unit(db, '330903001').id}", headers=bearer).status_code == 404
        with time_machine.travel(now + timedelta(days=1, seconds=1), tick=False):
            assert integration.get("/api/org-units", headers=bearer).status_code == 401
    stored = db.scalars(select(User).where(User.username == "token_admin2")).one()
    assert stored.username == "token_admin2"


@pytest.mark.parametrize("permission", ["audit.read", "user.roles", "token.manage", "no.such"])
def test_tokens_never_carry_administrator_permissions(client: TestClient, make_user, permission: str) -> None:  # type: ignore[no-untyped-def]
    make_user("token_admin3", "ZS-SZ", ["security_admin"])
    csrf = sign_in(client, "token_admin3")
    response = client.post(
        "/api/tokens",
        json={"name": "x", "unit_code": "ZS-SZ", "permissions": [permission], "days": 1},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 422
