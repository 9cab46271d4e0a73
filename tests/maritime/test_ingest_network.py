"""Positions over real sockets (UDP, TCP server, TCP client, MQTT) and HTTP, read back from the live API."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from fastapi.testclient import TestClient
from pyais import encode_dict
from sqlalchemy.orm import Session, sessionmaker

from pingan.config import Settings
from pingan.maritime.history import HistoryWriter
from pingan.maritime.runtime import MaritimeRuntime
from pingan.maritime.terminals import TerminalConsumer
from tests.conftest import new_client, sign_in
from tests.fleet.conftest import add_vessel

FISHING_MMSI = 413000001
MERCHANT_MMSI = 477123456


def sentences(data: dict[str, Any], channel: str = "A") -> list[bytes]:
    """AIVDM sentences for one message, encoded by pyais."""
    return [s.encode() for s in encode_dict(data, radio_channel=channel, talker_id="AI", sentence_type="VDM")]


def class_b(mmsi: int, lon: float, lat: float, sog: float = 8.0, cog: float = 90.0) -> list[bytes]:
    return sentences({"msg_type": 18, "mmsi": mmsi, "lon": lon, "lat": lat, "speed": sog, "course": cog, "heading": 91})


def class_a(mmsi: int, lon: float, lat: float, sog: float = 12.0, cog: float = 270.0) -> list[bytes]:
    body = {"msg_type": 1, "mmsi": mmsi, "lon": lon, "lat": lat, "speed": sog, "course": cog, "heading": 270}
    return sentences(body)


def static_a(mmsi: int, name: str) -> list[bytes]:
    body = {
        "msg_type": 5,
        "mmsi": mmsi,
        "shipname": name,
        "callsign": "VRAB1",
        "ship_type": 70,
        "destination": "NINGBO",
    }
    return sentences(body, channel="B")


@pytest.fixture
def live(
    app: Any, db: Session, settings: Settings, session_factory: sessionmaker[Session], tmp_path: Path
) -> Iterator[MaritimeRuntime]:
    """The app's pipeline listening on ephemeral UDP and TCP ports, with one registered fishing vessel."""
    add_vessel(db, "浙普渔68001", mmsi=str(FISHING_MMSI))
    db.commit()
    runtime: MaritimeRuntime = app.state.maritime
    runtime.settings = settings.model_copy(
        update={
            "ais_udp_port": 0,
            "ais_tcp_port": 0,
            "ais_host": "127.0.0.1",
            "ais_flush_seconds": 3600.0,  # the test flushes itself; no second thread on the test connection
            "alert_engine": False,
            "data_dir": tmp_path,
            "ais_history_dir": tmp_path / "tracks",
        }
    )
    runtime.write = session_factory
    runtime.pipeline.history = HistoryWriter(tmp_path / "tracks")
    runtime.start()
    yield runtime
    runtime.stop()


@pytest.fixture
def viewer(app: Any, make_user: Callable[..., Any]) -> Iterator[TestClient]:
    make_user("sea_watch", "ZS-SZ", ["commander"])
    with new_client(app) as client:
        sign_in(client, "sea_watch")
        yield client


def wait_for(
    client: TestClient, predicate: Callable[[dict[str, Any]], bool], timeout_s: float = 10.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        body = client.get("/api/maritime/targets").json()
        if predicate(body):
            return body
        assert time.monotonic() < deadline, f"targets never matched: {body}"
        time.sleep(0.05)


def by_key(body: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {t["key"]: t for t in body["targets"]}


def test_udp_and_tcp_sentences_become_targets_on_the_api(live: MaritimeRuntime, viewer: TestClient) -> None:
    udp, tcp = live.listeners.bound["udp"], live.listeners.bound["tcp"]  # type: ignore[union-attr]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(b"\r\n".join(class_b(FISHING_MMSI, 122.60, 30.00)) + b"\r\n", ("127.0.0.1", udp))
    with socket.create_connection(("127.0.0.1", tcp)) as stream:
        stream.sendall(b"\n".join([*class_a(MERCHANT_MMSI, 122.70, 29.80), *static_a(MERCHANT_MMSI, "OCEAN STAR")]))
        stream.sendall(b"\n!AIVDM,1,1,,A,garbage,0*00\n" + b"X" * 5000 + b"\n")

    body = wait_for(viewer, lambda b: {FISHING_MMSI, MERCHANT_MMSI} <= by_key(b).keys())
    targets = by_key(body)
    fishing, merchant = targets[FISHING_MMSI], targets[MERCHANT_MMSI]
    assert fishing["kind"] == "fishing" and fishing["class"] == "vessel" and fishing["vessel_id"] is not None
    assert fishing["sog_kn"] == 8.0 and fishing["cog_deg"] == 90.0 and fishing["state"] == "at_sea"
    assert fishing["lon"] == pytest.approx(122.60, abs=0.01) and fishing["lat"] == pytest.approx(30.00, abs=0.01)
    assert merchant["kind"] == "merchant" and merchant["name"] == "OCEAN STAR"

    card = viewer.get(f"/api/maritime/targets/{FISHING_MMSI}").json()
    assert card["vessel"]["registration_no"] == "浙普渔68001"
    assert card["last_reports"][0]["source"] == "ais" and card["last_reports"][0]["msg_type"] == 18
    merchant_card = viewer.get(f"/api/maritime/targets/{MERCHANT_MMSI}").json()
    assert merchant_card["vessel"] is None and merchant_card["static"]["callsign"] == "VRAB1"

    deadline = time.monotonic() + 5
    while True:  # the oversized line arrives after the merchant's; wait for the counters to show it
        ingest = viewer.get("/api/maritime/ingest").json()["ingest"]
        if ingest["rejected"].get("too_long"):
            break
        assert time.monotonic() < deadline, ingest
        time.sleep(0.05)
    assert ingest["rejected"]["checksum"] == 1
    assert ingest["messages"] == 3 and ingest["lines"] == ingest["used_lines"] + sum(ingest["rejected"].values())

    now = datetime.now(UTC)
    track = viewer.get(
        f"/api/maritime/tracks/{FISHING_MMSI}",
        params={"start": (now - timedelta(hours=1)).isoformat(), "end": (now + timedelta(minutes=1)).isoformat()},
    ).json()
    assert [(round(p["lon"], 3), round(p["lat"], 3)) for p in track["points"]] == [(122.6, 30.0)]


def test_tcp_client_connects_to_a_receiver_and_reads_its_feed(
    app: Any, settings: Settings, session_factory: sessionmaker[Session], tmp_path: Path, viewer: TestClient
) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def receiver() -> None:
        conn, _ = server.accept()
        with conn:
            conn.sendall(b"\r\n".join(class_a(MERCHANT_MMSI, 122.75, 29.85)) + b"\r\n")
            time.sleep(1.0)

    thread = threading.Thread(target=receiver, daemon=True)
    thread.start()
    runtime: MaritimeRuntime = app.state.maritime
    runtime.settings = settings.model_copy(
        update={
            "ais_udp_port": None,
            "ais_tcp_sources": [f"127.0.0.1:{port}"],
            "ais_flush_seconds": 3600.0,
            "alert_engine": False,
        }
    )
    runtime.write = session_factory
    runtime.pipeline.history = HistoryWriter(tmp_path / "tracks")
    runtime.start()
    try:
        body = wait_for(viewer, lambda b: MERCHANT_MMSI in by_key(b))
        assert by_key(body)[MERCHANT_MMSI]["lon"] == pytest.approx(122.75, abs=0.01)
    finally:
        runtime.stop()
        server.close()


def test_beidou_reports_over_http_fuse_with_the_vessels_ais_target(
    app: Any, db: Session, make_user: Callable[..., Any], viewer: TestClient
) -> None:
    vessel = add_vessel(db, "浙普渔68002", mmsi="413000002")
    from pingan.fleet import terminals as fleet_terminals
    from tests.fleet.conftest import OPERATOR, SEED_TIME

    fleet_terminals.fit_terminal(
        db, vessel.id, kind="beidou", device_id="BD-TEST-2", installed_at=SEED_TIME, actor=OPERATOR, now=SEED_TIME
    )
    db.commit()
    runtime: MaritimeRuntime = app.state.maritime
    runtime.write = lambda: db  # type: ignore[assignment,return-value]
    make_user("gateway", "ZS-SZ", ["commander"])
    with new_client(app) as gateway:
        csrf = sign_in(gateway, "gateway")
        runtime.registry.index.by_device["BD-TEST-2"] = vessel.id
        runtime.registry.index.mmsi_of[vessel.id] = 413000002
        runtime.pipeline.index = runtime.registry.index
        observed = datetime.now(UTC).replace(microsecond=0)
        good = {"device_id": "BD-TEST-2", "observed_at": observed.isoformat(), "lon": 122.9, "lat": 30.1}
        unknown = {**good, "device_id": "BD-NOBODY"}
        response = gateway.post(
            "/api/maritime/reports", json={"reports": [good, unknown]}, headers={"X-CSRF-Token": csrf}
        )
        assert response.status_code == 200, response.text
        assert response.json() == {"accepted": 1, "refused": {"unknown_terminal": 1}}
        bad = gateway.post(
            "/api/maritime/reports",
            json={"reports": [{**good, "observed_at": "2026-11-29T08:00:00"}]},
            headers={"X-CSRF-Token": csrf},
        )
        assert bad.status_code == 422 and "UTC offset" in bad.text
    target = by_key(viewer.get("/api/maritime/targets").json())[413000002]
    assert target["source"] == "beidou" and target["vessel_id"] == vessel.id


def test_a_viewer_without_the_permission_is_refused(app: Any, make_user: Callable[..., Any]) -> None:
    make_user("no_sea", "ZS-SZ", [])
    with new_client(app) as client:
        sign_in(client, "no_sea")
        assert client.get("/api/maritime/targets").status_code == 403
        assert client.post("/api/maritime/reports", json={"reports": []}).status_code in (403, 422)


def test_terminal_reports_over_mqtt_reach_the_pipeline() -> None:
    from pingan.maritime.pipeline import Pipeline, VesselIndex

    pipeline = Pipeline(history_root=None, index=VesselIndex(by_device={"BD-MQTT-1": 7}, mmsi_of={}))
    topic_root = f"pingan-test/{uuid.uuid4().hex}"
    consumer = TerminalConsumer("mqtt://127.0.0.1:1883", f"{topic_root}/+/position", pipeline)
    consumer.start()
    try:
        assert consumer.subscribed.wait(10)
        publisher = paho.Client(paho.CallbackAPIVersion.VERSION2)
        publisher.connect("127.0.0.1", 1883)
        publisher.loop_start()
        now = datetime.now(UTC).isoformat()
        report = {"device_id": "BD-MQTT-1", "observed_at": now, "lon": 122.8, "lat": 30.2, "sog_kn": 6.5}
        publisher.publish(f"{topic_root}/BD-MQTT-1/position", json.dumps(report), qos=1).wait_for_publish(5)
        publisher.publish(f"{topic_root}/BD-MQTT-1/position", b"{not json", qos=1).wait_for_publish(5)
        deadline = time.monotonic() + 10
        while consumer.counts["received"] < 2:
            assert time.monotonic() < deadline, consumer.counts
            time.sleep(0.05)
        publisher.loop_stop()
        publisher.disconnect()
    finally:
        consumer.stop()
    assert consumer.counts["accepted"] == 1 and consumer.counts["bad_payload"] == 1
    row = pipeline.tracks.index[-7]  # no AIS MMSI: the key is -(vessel id)
    assert pipeline.tracks.sog_kn[row] == 6.5
