"""The write gate: the alert engine's fast lane goes ahead of slow writers on one process's database.

Kept apart from :mod:`pingan.maritime.engine` because the runtime (which the engine imports) owns the gate.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session


class WriteGate:
    """Lets a fast-lane pass go ahead of the full lane, for the CPU and for SQLite's one writer.

    While a fast pass runs (:meth:`fast`, the whole pass), the full lane waits at its next checkpoint: between two
    rules (:meth:`wait_for_fast`), or — inside its transaction (:meth:`slow`) — after each alert, case or
    escalation (:meth:`pause`, which commits first); the pipeline's periodic saving of AIS statics into vessel
    files does the same after each vessel. The fast pass's own write (:meth:`fast_write`) starts only when every
    such slow writer is between two transactions. So a distress alert queues neither behind a burst of collision
    alerts nor behind the full lane's CPU (the threads share one GIL); the full lane loses a few milliseconds per
    fast pass. On PostgreSQL the early commits cost little.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._fast_active = 0
        self._slow_writing = 0  # transactions of the full lane and the pipeline's periodic work in progress

    @contextmanager
    def fast(self) -> Iterator[None]:
        """A whole fast-lane pass: the full lane stops at its next checkpoint until it ends."""
        with self._cond:
            self._fast_active += 1
        try:
            yield
        finally:
            with self._cond:
                self._fast_active -= 1
                self._cond.notify_all()

    @contextmanager
    def fast_write(self) -> Iterator[None]:
        """Inside :meth:`fast`: wait until every slow writer is between two transactions (they stay there)."""
        with self._cond:
            while self._slow_writing:
                self._cond.wait()
        yield

    @contextmanager
    def slow(self) -> Iterator[None]:
        """A slow write (the full lane's, the periodic saving of AIS statics): start once no fast pass runs."""
        with self._cond:
            while self._fast_active:
                self._cond.wait()
            self._slow_writing += 1
        try:
            yield
        finally:
            with self._cond:
                self._slow_writing -= 1
                self._cond.notify_all()

    def wait_for_fast(self) -> None:
        """A full-lane checkpoint outside a transaction: while a fast pass runs, wait for its end."""
        if not self._fast_active:  # read without the lock: at worst the fast pass shares the CPU one step longer
            return
        with self._cond:
            while self._fast_active:
                self._cond.wait()

    def pause(self, session: Session) -> None:
        """A slow writer's checkpoint inside its transaction: while a fast pass runs, commit and wait for its end."""
        if not self._fast_active:
            return
        session.commit()
        with self._cond:
            self._slow_writing -= 1
            self._cond.notify_all()
            while self._fast_active:
                self._cond.wait()
            self._slow_writing += 1
