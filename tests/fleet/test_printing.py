"""The printed vessel file: a real PDF whose text (read back with pdftotext) holds the vessel's Chinese name."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import new_client, sign_in

PDFTOTEXT = "/usr/bin/pdftotext"


def test_vessel_file_pdf_holds_the_chinese_name_as_text(
    app, db: Session, make_vessel, make_fleet_user, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    if shutil.which(PDFTOTEXT) is None:
        pytest.fail("pdftotext is missing: install Debian's poppler-utils (scripts/test.sh does)")
    vessel = make_vessel(db, "浙普渔68001", "330903001", "trawl", name="普渔安康号")
    db.commit()
    make_fleet_user("print_probe", "330903001")
    with new_client(app) as client:
        sign_in(client, "print_probe")
        response = client.get(f"/fleet/vessels/{vessel.id}/file.pdf")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        (tmp_path / "file.pdf").write_bytes(response.content)
    text = subprocess.run(
        [PDFTOTEXT, str(tmp_path / "file.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "普渔安康号" in text
    assert "浙普渔68001" in text
    assert "渔船档案" in text


def test_vessel_outside_the_scope_is_not_printed(app, db: Session, make_vessel, make_fleet_user) -> None:  # type: ignore[no-untyped-def]
    vessel = make_vessel(db, "浙岱渔68002", "330921101", "gillnet")
    db.commit()
    make_fleet_user("print_other", "330903001")
    with new_client(app) as client:
        sign_in(client, "print_other")
        assert client.get(f"/fleet/vessels/{vessel.id}/file.pdf").status_code == 404
        assert client.get(f"/fleet/vessels/{vessel.id}", headers={"accept": "text/html"}).status_code == 404


def test_vessel_page_shows_the_file(app, db: Session, make_vessel, make_fleet_user) -> None:  # type: ignore[no-untyped-def]
    vessel = make_vessel(db, "浙普渔68003", "330903001", "light_purse_seine")
    db.commit()
    make_fleet_user("page_fleet", "330903001")
    with TestClient(app, base_url="https://testserver") as client:
        sign_in(client, "page_fleet")
        page = client.get(f"/fleet/vessels/{vessel.id}")
        assert page.status_code == 200 and "浙普渔68003" in page.text
        assert "inspection-form" in page.text  # township cadres may inspect
        listing = client.get("/fleet", params={"q": "68003"})
        assert f"/fleet/vessels/{vessel.id}" in listing.text
