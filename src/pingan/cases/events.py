"""Domain events of the case hub, published after commit to in-process subscribers (webhook, SMS, live pages).

Services call :func:`publish` inside the transaction; the events wait in ``session.info`` and go out only when
the transaction commits (a rolled-back change announces nothing).
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_PENDING = "pingan_case_events"


@dataclass(frozen=True)
class CaseEvent:
    """Something that happened to a case: ``kind`` is past tense (``case.reported``, ``case.dispatched`` …)."""

    kind: str
    number: str
    at: datetime
    status: str
    unit_code: str | None = None
    actor: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (times ISO 8601)."""
        out = asdict(self)
        out["at"] = self.at.isoformat()
        return out


Subscriber = Callable[[CaseEvent], None]
_subscribers: list[Subscriber] = []
_lock = threading.Lock()


def subscribe(fn: Subscriber) -> Callable[[], None]:
    """Call ``fn`` for every committed event; returns a function that unsubscribes."""
    with _lock:
        _subscribers.append(fn)

    def undo() -> None:
        with _lock:
            if fn in _subscribers:
                _subscribers.remove(fn)

    return undo


def publish(session: Session, evt: CaseEvent) -> None:
    """Queue an event to go out when ``session`` commits."""
    session.info.setdefault(_PENDING, []).append(evt)


@event.listens_for(Session, "after_commit")
def _deliver(session: Session) -> None:
    pending: list[CaseEvent] = session.info.pop(_PENDING, [])
    if not pending:
        return
    with _lock:
        targets = list(_subscribers)
    for evt in pending:
        for fn in targets:
            try:
                fn(evt)
            except Exception:  # a subscriber's failure must never undo or block the committed change
                log.exception("case event subscriber failed for %s %s", evt.kind, evt.number)


@event.listens_for(Session, "after_rollback")
def _drop(session: Session) -> None:
    session.info.pop(_PENDING, None)


# ---------------------------------------------------------------- outside notification adapters


class WebhookNotifier:
    """POSTs each event as JSON to one URL from a small thread pool; failures are logged, never raised."""

    def __init__(self, url: str, *, timeout_s: float = 5.0) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="case-webhook")

    def __call__(self, evt: CaseEvent) -> None:
        self._pool.submit(self._post, evt)

    def _post(self, evt: CaseEvent) -> None:
        body = json.dumps(evt.to_json(), ensure_ascii=False).encode("utf-8")
        req = urllib.request.Request(  # noqa: S310 - the URL is the operator's own setting
            self.url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:  # noqa: S310
                resp.read()
        except Exception as exc:
            log.warning("case webhook to %s failed for %s: %s", self.url, evt.number, exc)

    def close(self) -> None:
        """Wait for queued posts and stop the pool."""
        self._pool.shutdown(wait=True)


class SmsAdapter:
    """The SMS interface: ``send(phone, text)``. The default adapter writes to the log (no gateway here)."""

    def send(self, phone: str, text: str) -> None:
        """Send one message."""
        raise NotImplementedError


class LoggingSms(SmsAdapter):
    """Logs each message with the phone masked; stands where a carrier gateway plugs in."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        """Log the message (and keep it, for the stats page and tests)."""
        from pingan.kit.masking import mask_mobile

        self.sent.append((mask_mobile(phone), text))
        del self.sent[:-1000]
        log.info("sms to %s: %s", mask_mobile(phone), text)


_sms: SmsAdapter = LoggingSms()


def sms() -> SmsAdapter:
    """The configured SMS adapter."""
    return _sms


def set_sms(adapter: SmsAdapter) -> None:
    """Install another SMS adapter (a carrier gateway)."""
    global _sms
    _sms = adapter
