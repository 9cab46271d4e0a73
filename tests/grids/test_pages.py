"""The grid page: team shown with masked phones, edited through forms by team.write holders only."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.grids.conftest import SmallRegistry
from tests.web.test_pages import _csrf, page_sign_in


def test_township_leader_edits_a_team_through_the_page(app, make_user, small_registry: SmallRegistry) -> None:  # type: ignore[no-untyped-def]
    make_user("page_leader", "330903001", ["township_leader"])
    code = small_registry.yugang_grids[0]
    with TestClient(app, base_url="https://testserver") as client:
        page_sign_in(client, "page_leader")
        page = client.get(f"/grids/{code}")
        assert page.status_code == 200 and code in page.text and "服务团队" in page.text
        added = client.post(
            f"/grids/{code}/team",
            data={
                "role": "police",
                "name": "周警官",
                "phone": "13857209876",
                "duties": "治安",
                "csrf_token": _csrf(page.text),
            },
            follow_redirects=False,
        )
        assert added.status_code == 303
        page = client.get(f"/grids/{code}")
        assert "周警官" in page.text and "138****9876" in page.text and "13857209876" not in page.text
        refused = client.post(
            f"/grids/{code}/team",
            data={"role": "police", "name": "x", "phone": "999", "csrf_token": _csrf(page.text)},
        )
        assert refused.status_code == 200 and "phone must be" in refused.text
        member_id = re.search(r"/team/(\d+)/delete", page.text).group(1)  # type: ignore[union-attr]
        removed = client.post(f"/grids/{code}/team/{member_id}/delete", data={"csrf_token": _csrf(page.text)})
        assert removed.status_code == 200 and "周警官" not in removed.text


def test_commander_sees_but_cannot_edit(app, make_user, small_registry: SmallRegistry) -> None:  # type: ignore[no-untyped-def]
    make_user("page_cmd", "ZS-SZ", ["commander"])
    code = small_registry.yugang_grids[0]
    with TestClient(app, base_url="https://testserver") as client:
        page_sign_in(client, "page_cmd")
        page = client.get(f"/grids/{code}")
        assert page.status_code == 200 and "/delete" not in page.text
        assert client.post(f"/grids/{code}/team", data={"csrf_token": _csrf(page.text)}).status_code == 403
        assert client.get("/grids/330903001001999", headers={"accept": "text/html"}).status_code == 404
        assert client.get("/map").status_code == 200
