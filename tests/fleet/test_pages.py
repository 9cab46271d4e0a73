"""Fleet pages through the app: the mobile dynamic-report form and the lists."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.fleet.models import DynamicReport
from tests.web.test_pages import _csrf, page_sign_in


def test_report_form_files_a_departure_and_explains_a_bad_one(app, db: Session, make_vessel, make_fleet_user) -> None:  # type: ignore[no-untyped-def]
    vessel = make_vessel(db, "浙普渔68101", "330903001", "gillnet")
    db.commit()
    make_fleet_user("form_fleet", "330903001")
    with TestClient(app, base_url="https://testserver") as client:
        page_sign_in(client, "form_fleet")
        page = client.get(f"/fleet/vessels/{vessel.id}")
        assert 'id="report-form"' in page.text
        missing_crew = client.post(
            f"/fleet/vessels/{vessel.id}/reports",
            data={"kind": "departure", "destination": "舟山渔场", "csrf_token": _csrf(page.text)},
        )
        assert "crew on board" in missing_crew.text
        filed = client.post(
            f"/fleet/vessels/{vessel.id}/reports",
            data={
                "kind": "departure",
                "crew_on_board": "6",
                "destination": "舟山渔场",
                "expected_return": "2099-01-01T12:00",
                "csrf_token": _csrf(page.text),
            },
        )
        assert filed.status_code == 200
        assert re.search(r"出港报告 · 舟山渔场", filed.text)
        position = client.post(
            f"/fleet/vessels/{vessel.id}/reports",
            data={"kind": "position", "lon": "122.61", "lat": "30.12", "csrf_token": _csrf(page.text)},
        )
        assert "122.6100, 30.1200" in position.text
        timeline = client.get(f"/fleet/vessels/{vessel.id}").text
        assert timeline.count('class="timeline-report"') == 2  # both reports are on the vessel's timeline
    reports = db.scalars(select(DynamicReport).where(DynamicReport.vessel_id == vessel.id)).all()
    assert sorted(r.kind for r in reports) == ["departure", "position"]
    assert {r.source for r in reports} == {"form"}


def test_fleet_lists_render(app, make_fleet_user) -> None:  # type: ignore[no-untyped-def]
    make_fleet_user("lists_fleet", "330903001")
    with TestClient(app, base_url="https://testserver") as client:
        page_sign_in(client, "lists_fleet")
        for path in (
            "/fleet",
            "/fleet/coverage",
            "/fleet/certificates",
            "/fleet/rectifications?overdue=true",
            "/fleet/duty",
        ):
            assert client.get(path).status_code == 200, path
