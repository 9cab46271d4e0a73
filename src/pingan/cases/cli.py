"""``pingan cases …``: load defaults, run the clock scheduler, import calendars and hotline orders, Open311 keys,
and the MQTT sensor consumer."""

from __future__ import annotations

import json
import sys
import time

import click

from pingan.config import Settings

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


@click.group(context_settings=CONTEXT)
def cases() -> None:
    """The unified case hub (一网办理)."""


def _boot() -> Settings:
    """The process settings, once the database is known to be migrated."""
    from pingan.cli import _require_migrated, _settings

    settings = _settings()
    _require_migrated(settings)
    return settings


@cases.command("load-defaults")
@click.option("--overwrite", is_flag=True, help="Also reset stored categories to the bundled rules.")
def load_defaults(overwrite: bool) -> None:
    """Load the bundled categories and the bundled holiday calendars."""
    from pingan.cases import catalog, config
    from pingan.cli import _transaction
    from pingan.kit.clock import utcnow

    settings = _boot()
    with _transaction(settings) as session:
        if overwrite:
            created, updated = config.load_categories(session, catalog.load_catalog(), now=utcnow(), overwrite=True)
            out = {"categories_created": created, "categories_updated": updated}
        else:
            out = config.ensure_defaults(session, now=utcnow())
    click.echo(json.dumps(out))


@cases.command("tick")
@click.option("--loop", is_flag=True, help="Keep scanning every PINGAN_CASE_SCHEDULER_SECONDS until interrupted.")
@click.option("--count", type=int, default=0, help="With --loop, stop after this many scans (0 = forever).")
def tick(loop: bool, count: int) -> None:
    """Fire due warnings, overdue 催办, 督办 and 110 response escalations (exactly once, any number of processes)."""
    from pingan.cases.scheduled import tick as run_tick
    from pingan.cases.scheduled import worker_name
    from pingan.db import create_db_engine, make_sessionmakers
    from pingan.kit.clock import utcnow

    settings = _boot()
    engine = create_db_engine(settings.url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    _, write = make_sessionmakers(engine)
    worker = worker_name()
    scans = 0
    try:
        while True:
            result = run_tick(write, settings, now=utcnow(), worker=worker)
            click.echo(json.dumps({"worker": worker, "fired": result.fired, "skipped": result.skipped}))
            scans += 1
            if not loop or (count and scans >= count):
                break
            time.sleep(max(settings.case_scheduler_seconds, 0.2))
    finally:
        engine.dispose()


@cases.command("calendar-import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def calendar_import(path: str) -> None:
    """Import holidays and swapped working days (CSV date,kind,name or JSON); each year in the file is replaced."""
    from pingan.cases import clocks, sla
    from pingan.cli import _transaction
    from pingan.errors import ValidationFailed

    settings = _boot()
    text = open(path, encoding="utf-8-sig").read()  # noqa: SIM115 - read whole, closed by GC at once
    try:
        days = sla.parse_calendar(text, fmt="json" if path.lower().endswith(".json") else "csv")
    except ValueError as exc:
        raise ValidationFailed(f"{path}: {exc}") from None
    with _transaction(settings) as session:
        n = clocks.import_calendar(session, days)
    click.echo(f"imported {n} days for {sorted({d.day.year for d in days})}")


@cases.command("import-hotline")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_hotline(path: str) -> None:
    """Import 12345 work orders from a CSV export; all or nothing, known order numbers skipped."""
    from pingan.auth.principal import SYSTEM
    from pingan.cases.endpoints import import_orders, parse_hotline_csv
    from pingan.cli import _transaction
    from pingan.errors import ValidationFailed
    from pingan.kit.clock import utcnow

    settings = _boot()
    with open(path, encoding="utf-8-sig") as fh:
        orders, errors = parse_hotline_csv(fh.read())
    if errors:
        for e in errors[:20]:
            click.echo(f"line {e['line']} ({e['order_no']}): {e['error']}", err=True)
        raise ValidationFailed(f"{len(errors)} bad rows; nothing imported")
    with _transaction(settings) as session:
        out = import_orders(session, settings, orders, actor=SYSTEM, now=utcnow())
    click.echo(f"created {len(out.created)} cases, skipped {len(out.skipped)} known orders")


@cases.command("open311-key")
@click.argument("name")
@click.option("--revoke", is_flag=True, help="Revoke the client's key instead of issuing one.")
def open311_key(name: str, revoke: bool) -> None:
    """Issue (and print once) or revoke the API key of an Open311 client."""
    from pingan.cases import open311_keys
    from pingan.cli import _transaction
    from pingan.kit.clock import utcnow

    settings = _boot()
    with _transaction(settings) as session:
        if revoke:
            open311_keys.revoke(session, name, now=utcnow())
            click.echo(f"revoked the key of {name}")
            return
        key = open311_keys.issue(session, name, now=utcnow())
    click.echo(key)


@cases.command("mqtt")
@click.option("--url", default=None, help="Broker, mqtt://host:port (default PINGAN_MQTT_URL).")
@click.option("--topic", default=None, help="Topic filter (default PINGAN_MQTT_SENSOR_TOPIC).")
def mqtt(url: str | None, topic: str | None) -> None:
    """Consume sensor events from MQTT and open a case for each (runs until interrupted)."""
    from pingan.cases.mqtt import SensorConsumer

    settings = _boot()
    url = url or settings.mqtt_url
    if not url:
        click.echo("error: no broker: pass --url or set PINGAN_MQTT_URL", err=True)
        sys.exit(2)
    consumer = SensorConsumer(settings, url=url, topic=topic or settings.mqtt_sensor_topic)
    consumer.start()
    click.echo(f"consuming {consumer.topic} from {url}")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        consumer.stop()
