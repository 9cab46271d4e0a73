"""A sensor message published to the real Mosquitto broker on 127.0.0.1:1883 becomes a case."""

from __future__ import annotations

import json
import secrets
import socket
import time

import paho.mqtt.client as paho
import pytest
from sqlalchemy import select

from pingan.cases.models import Case
from pingan.cases.mqtt import SensorConsumer
from tests.cases.test_scheduled import pg_hub  # noqa: F401 - the committed PostgreSQL fixture

BROKER = ("127.0.0.1", 1883)


def _broker_up() -> None:
    try:
        socket.create_connection(BROKER, timeout=2).close()
    except OSError as exc:
        pytest.fail(f"Mosquitto must listen on {BROKER}: {exc}")


def publish(topic: str, payload: bytes) -> None:
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"test-{secrets.token_hex(4)}")
    client.connect(*BROKER)
    client.loop_start()
    info = client.publish(topic, payload, qos=1)
    info.wait_for_publish(timeout=10)
    client.loop_stop()
    client.disconnect()


def wait_for(predicate, timeout_s: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_sensor_message_over_mqtt_opens_one_case(pg_hub) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _broker_up()
    settings, factory = pg_hub
    run = secrets.token_hex(4)
    topic_root = f"pingan-test/{run}/sensors"
    consumer = SensorConsumer(
        settings, url="mqtt://127.0.0.1:1883", topic=f"{topic_root}/+/events", client_id=f"pingan-{run}"
    )
    consumer.start()
    try:
        assert consumer.subscribed.wait(10), "no SUBACK from the broker"
        event = {
            "event_id": f"evt-{run}",
            "sensor_id": "SJM-SMOKE-01",
            "category_code": "0105",
            "description": "水域漂浮物传感器告警",
            "lon": 122.305,
            "lat": 29.955,
            "value": 3.2,
            "unit": "m2",
        }
        publish(f"{topic_root}/SJM-SMOKE-01/events", json.dumps(event).encode())
        publish(f"{topic_root}/SJM-SMOKE-01/events", json.dumps(event).encode())  # redelivered: no second case
        publish(f"{topic_root}/SJM-SMOKE-01/events", b"{not json")
        wait_for(lambda: consumer.counts["received"] >= 3)
    finally:
        consumer.stop()
    assert consumer.counts["created"] == 1 and consumer.counts["duplicate"] == 1
    assert consumer.counts["bad_payload"] == 1
    with factory() as s:
        case = s.scalars(select(Case).where(Case.external_ref == f"evt-{run}")).one()
        assert case.channel == "sensor" and case.status == "received" and case.number == consumer.created[0]
        assert case.grid_id is not None and case.attributes["sensor_id"] == "SJM-SMOKE-01"
