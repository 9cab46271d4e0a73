"""Sensor events over MQTT (物联感知): one JSON message per event on ``pingan/sensors/<sensor_id>/events``.

The payload is :class:`pingan.cases.schemas.SensorEventIn` (documented in docs/cases.md). Messages are taken at
QoS 1 on a persistent session, so the broker keeps what arrives while the consumer is down; ``event_id`` is the
case's external reference, so a redelivered message opens no second case. A bad message is counted and logged,
never fatal.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from urllib.parse import urlparse

import paho.mqtt.client as paho
from pydantic import ValidationError

from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.auth.scope import Visibility
from pingan.cases import service
from pingan.cases.schemas import SensorEventIn
from pingan.config import Settings
from pingan.db import create_db_engine, make_sessionmakers
from pingan.errors import Conflict, PinganError
from pingan.kit.clock import utcnow

log = logging.getLogger(__name__)

SENSOR_GATEWAY = Principal(
    label="sensor-gateway",
    permissions=frozenset({Permission.CASE_INTAKE.value}),
    visibility=Visibility(everything=True),
)


class SensorConsumer:
    """Subscribes to the sensor topic and turns each message into a case."""

    def __init__(self, settings: Settings, *, url: str, topic: str, client_id: str = "pingan-sensors") -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("mqtt", "tcp") or not parsed.hostname:
            raise ValueError(f"broker URL must look like mqtt://host:1883, not {url!r}")
        self.settings = settings
        self.host = parsed.hostname
        self.port = parsed.port or 1883
        self.topic = topic
        self.counts: Counter[str] = Counter()
        self.created: list[str] = []
        self.subscribed = threading.Event()
        self._engine = create_db_engine(settings.url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
        _, self._write = make_sessionmakers(self._engine)
        self._client = paho.Client(
            paho.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False, protocol=paho.MQTTv311
        )
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._client.on_subscribe = lambda *a, **k: self.subscribed.set()

    def _on_connect(self, client: paho.Client, userdata: object, flags: object, reason: object, props: object) -> None:
        client.subscribe(self.topic, qos=1)

    def _on_message(self, client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        self.handle(msg.payload)

    def handle(self, payload: bytes) -> str | None:
        """Turn one payload into a case; returns its number (None when refused or already known)."""
        self.counts["received"] += 1
        try:
            body = SensorEventIn.model_validate(json.loads(payload.decode("utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError, ValidationError) as exc:
            self.counts["bad_payload"] += 1
            log.warning("sensor message refused: %s", str(exc)[:200])
            return None
        from pingan.cases.endpoints import sensor_data

        try:
            with self._write() as session, session.begin():
                result = service.intake(session, self.settings, sensor_data(body), actor=SENSOR_GATEWAY, now=utcnow())
                number = result.case.number
        except Conflict:
            self.counts["duplicate"] += 1
            return None
        except PinganError as exc:
            self.counts["refused"] += 1
            log.warning("sensor event %s refused: %s", body.event_id, exc.message)
            return None
        except Exception:
            self.counts["failed"] += 1
            log.exception("sensor event %s failed", body.event_id)
            return None
        self.counts["created"] += 1
        self.created.append(number)
        return number

    def start(self) -> None:
        """Connect and consume in paho's network thread."""
        self._client.connect(self.host, self.port, keepalive=30)
        self._client.loop_start()

    def stop(self) -> None:
        """Disconnect and release the database."""
        self._client.loop_stop()
        self._client.disconnect()
        self._engine.dispose()
