"""BeiDou and other terminal reports over MQTT: one JSON report per message on `pingan/terminals/<id>/position`."""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from urllib.parse import urlparse

import paho.mqtt.client as paho
from pydantic import ValidationError

from pingan.maritime.pipeline import Pipeline
from pingan.maritime.schemas import TerminalReportIn

log = logging.getLogger(__name__)


class TerminalConsumer:
    """Subscribes to the terminal topic and feeds each report to the pipeline; bad messages are counted."""

    def __init__(self, url: str, topic: str, pipeline: Pipeline, *, client_id: str = "pingan-terminals") -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("mqtt", "tcp") or not parsed.hostname:
            raise ValueError(f"broker URL must look like mqtt://host:1883, not {url!r}")
        self.host = parsed.hostname
        self.port = parsed.port or 1883
        self.topic = topic
        self.pipeline = pipeline
        self.counts: Counter[str] = Counter()
        self.subscribed = threading.Event()
        self._client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv311)
        self._client.on_connect = lambda client, *a: client.subscribe(self.topic, qos=1)
        self._client.on_message = lambda client, userdata, msg: self.handle(msg.payload)
        self._client.on_subscribe = lambda *a, **k: self.subscribed.set()

    def handle(self, payload: bytes) -> bool:
        """Feed one message; False when it is refused."""
        self.counts["received"] += 1
        try:
            body = TerminalReportIn.model_validate(json.loads(payload.decode("utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError, ValidationError) as exc:
            self.counts["bad_payload"] += 1
            log.warning("terminal message refused: %s", str(exc)[:200])
            return False
        refusal = self.pipeline.take_position(body.to_report())
        self.counts["accepted" if refusal is None else f"refused_{refusal.value}"] += 1
        return refusal is None

    def start(self) -> None:
        """Connect and consume in paho's network thread."""
        self._client.connect(self.host, self.port, keepalive=30)
        self._client.loop_start()

    def stop(self) -> None:
        """Disconnect."""
        self._client.loop_stop()
        self._client.disconnect()
