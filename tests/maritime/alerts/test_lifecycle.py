"""An engine restart carries on with the open alerts; a kind switched off by policy raises nothing."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.cases.models import Case
from pingan.fleet.models import Alert
from pingan.maritime.engine import AlertEngine, AlertWorker
from pingan.maritime.models import AlertPolicy
from tests.maritime.alerts.conftest import Fleet, Watch

WARM_UP_S = 300.0


def test_a_restarted_engine_carries_on_with_an_open_distress_alert(watch: Watch, fleet: Fleet, db: Session) -> None:
    watch.run(WARM_UP_S)
    watch.sim.start_scenario("distress", mmsi=fleet.mmsi("s2"))
    watch.run(5 * 60)
    assert db.scalar(select(func.count(Alert.id)).where(Alert.kind == "distress")) == 1
    cases = db.scalar(select(func.count(Case.id)))

    # A new engine (a restarted process) takes the open alert over instead of raising it again.
    runtime = watch.runtime
    watch.worker = AlertWorker(AlertEngine(runtime), runtime.write, period_s=3600.0, read=runtime.read)
    with runtime.read() as session:
        assert watch.worker.engine.resume(session, watch.now) == 1
    watch.run(5 * 60)
    assert db.scalar(select(func.count(Alert.id)).where(Alert.kind == "distress")) == 1
    assert db.scalar(select(func.count(Case.id))) == cases


def test_a_kind_switched_off_by_policy_raises_nothing(watch: Watch, fleet: Fleet, db: Session) -> None:
    watch.run(WARM_UP_S)
    db.get(AlertPolicy, "distress").enabled = False  # type: ignore[union-attr]
    db.commit()
    watch.sim.start_scenario("distress", mmsi=fleet.mmsi("s2"))
    watch.run(5 * 60)
    assert db.scalar(select(func.count(Alert.id)).where(Alert.kind == "distress")) == 0
