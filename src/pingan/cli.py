"""The ``pingan`` command line."""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from sqlalchemy.orm import Session

from pingan import __version__
from pingan.config import ConfigError, Settings, get_settings
from pingan.errors import PinganError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


def _settings() -> Settings:
    try:
        settings = get_settings()
    except Exception as exc:  # pydantic's message names the bad variable
        raise click.ClickException(f"bad settings: {exc}") from exc
    return settings


@contextmanager
def _transaction(settings: Settings) -> Iterator[Session]:
    """A write session for one command: committed on success, rolled back on error."""
    from pingan.db import create_db_engine, make_sessionmakers

    engine = create_db_engine(settings.url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    _, write = make_sessionmakers(engine)
    try:
        with write() as session, session.begin():
            yield session
    finally:
        engine.dispose()


def _require_migrated(settings: Settings) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from pingan import migrate
    from pingan.db import create_db_engine

    engine = create_db_engine(settings.url)
    try:
        current = migrate.current_revision(engine)
    except SQLAlchemyError as exc:
        raise click.ClickException(f"database unreachable: {exc.__class__.__name__}: {exc}") from exc
    finally:
        engine.dispose()
    head = migrate.head_revision(settings.url)
    if current != head:
        raise click.ClickException(f"database is at {current or 'nothing'}, code at {head}: run 'pingan db upgrade'")


class _Group(click.Group):
    """Turns expected errors into one line on stderr and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PinganError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(2)
        except ConfigError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=_Group, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="pingan")
def main() -> None:
    """pingan (平安): sea–land grid governance platform."""


@main.command()
def version() -> None:
    """Print the version."""
    click.echo(__version__)


# ---------------------------------------------------------------- serving


def _serve(settings: Settings, host: str | None, port: int | None, workers: int = 1) -> None:
    import socket

    import uvicorn

    from pingan.app import create_app

    host, port = host or settings.host, port or settings.port
    with socket.socket() as probe:
        # As uvicorn binds: SO_REUSEADDR, so a port in TIME_WAIT after a restart is not taken for a busy one.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise click.ClickException(f"cannot listen on {host}:{port} ({exc.strerror}); choose --port") from exc
    if workers > 1:  # each worker process builds the app from the same environment (and runs its own scheduler)
        uvicorn.run("pingan.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info")
        return
    app = create_app(settings)
    uvicorn.run(app, host=host, port=port, log_level="info")


@main.command()
@click.option("--host", default=None, help="Address to listen on (default PINGAN_HOST, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (default PINGAN_PORT, 8000).")
@click.option(
    "--workers", type=click.IntRange(1, 64), default=None, help="Worker processes (default PINGAN_WEB_WORKERS, 1)."
)
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the web UI and API (the database must be migrated)."""
    settings = _settings()
    settings.check_production()
    _require_migrated(settings)
    _serve(settings, host, port, workers or settings.web_workers)


@main.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (default PINGAN_PORT, 8000).")
@click.option(
    "--scale",
    type=click.Choice(["sample", "full"]),
    default="sample",
    show_default=True,
    help="People register size: a sample, or the full 370,000 households and 970,000 residents.",
)
@click.option("--no-serve", is_flag=True, help="Migrate and seed, print the accounts, then exit.")
def demo(host: str | None, port: int | None, scale: str, no_serve: bool) -> None:
    """Migrate, seed the demo organisation, geography, people and accounts, and serve on 127.0.0.1."""
    import time

    from pingan import migrate
    from pingan.demo.seed import seed_demo
    from pingan.kit.clock import utcnow

    settings = _settings()
    if settings.is_production:
        raise click.ClickException("the demo refuses to run with PINGAN_ENV=production")
    started = time.perf_counter()
    migrate.upgrade(settings.url)
    with _transaction(settings) as session:
        accounts = seed_demo(session, settings, now=utcnow())
    with _transaction(settings) as session:
        built = seed_demo_registry(session, settings, scale=scale)
    click.echo(f"demo data ready in {time.perf_counter() - started:.1f} s: {built}")
    click.echo("Demo accounts (demo mode only; kept in " + str(settings.data_dir / "demo-accounts.json") + "):")
    for username, password in accounts.items():
        click.echo(f"  {username:<14} {password}")
    url = f"http://{host or settings.host}:{port or settings.port}/"
    if no_serve:
        return
    simulator = None
    if settings.ais_ingest and settings.ais_simulator and settings.ais_udp_port:
        from pingan.demo.sim_cli import start_for_demo

        simulator = start_for_demo(settings, now=utcnow())
        click.echo(f"fleet simulator: AIVDM over UDP to 127.0.0.1:{settings.ais_udp_port} (海上态势: {url}sea)")
    click.echo(f"pingan demo: {url}", err=False)
    sys.stdout.flush()
    try:
        _serve(settings, host, port)
    finally:
        if simulator is not None:
            simulator.stop()


def seed_demo_registry(session: Session, settings: Settings, *, scale: str) -> str:
    """Build the demo geography and people once; a later run at a larger scale tops the people up."""
    from pingan.demo.fleet import fleet_loaded, load_fleet
    from pingan.demo.geography import build_geography
    from pingan.demo.people import top_up_people
    from pingan.demo.registry import link_grid_worker, load_geography, registry_loaded
    from pingan.kit.clock import utcnow

    now = utcnow()
    parts = []
    if not registry_loaded(session):
        loaded = load_geography(session, settings, build_geography(), now=now)
        link_grid_worker(session, "grid_wu", ["330903001001001", "330903001001002"], now=now)
        parts.append(", ".join(f"{v} {k.replace('_', ' ')}" for k, v in loaded.items()))
    if not fleet_loaded(session):
        fleet = load_fleet(session, settings, now=now)
        parts.append(", ".join(f"{v} {k.replace('_', ' ')}" for k, v in fleet.items()))
    from pingan.demo.cases import cases_loaded, load_cases

    if not cases_loaded(session):
        seeded = load_cases(session, settings, scale=scale, now=now)
        parts.append(", ".join(f"{v} {k.replace('_', ' ')}" for k, v in seeded.items()))
    added = top_up_people(session, settings, scale=scale, now=now)
    parts.append(", ".join(f"{v} {k}" for k, v in added.items()) if added else "people register already at scale")
    return "; ".join(parts)


# ---------------------------------------------------------------- database


@main.group(context_settings=CONTEXT)
def db() -> None:
    """Migrate and check the database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the newest revision and sync the built-in roles."""
    from pingan import migrate
    from pingan.auth.service import sync_builtin_roles
    from pingan.kit.clock import utcnow

    settings = _settings()
    migrate.upgrade(settings.url)
    from pingan.cases.config import ensure_defaults

    with _transaction(settings) as session:
        changed = sync_builtin_roles(session, now=utcnow())
        loaded = ensure_defaults(session, now=utcnow())
    click.echo(
        f"database at {migrate.head_revision(settings.url)}; built-in roles updated: {changed}; "
        f"case categories loaded: {loaded['categories']}, calendar days: {loaded['calendar_days']}"
    )


@db.command("check")
def db_check() -> None:
    """Exit non-zero when the models and the migrations disagree."""
    from pingan import migrate

    settings = _settings()
    _require_migrated(settings)
    drift = migrate.check(settings.url)
    if drift:
        click.echo(f"models and migrations disagree: {drift}", err=True)
        sys.exit(1)
    click.echo("models and migrations agree")


# ---------------------------------------------------------------- organisation


@main.group(context_settings=CONTEXT)
def org() -> None:
    """Manage organisation units."""


@org.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--kind", type=click.Choice([k.value for k in __import__("pingan.org.models").org.models.UnitKind]))
@click.option("--parent", default=None, help="Code of the parent unit (omit for a root).")
def org_add(code: str, name: str, kind: str | None, parent: str | None) -> None:
    """Add an organisation unit."""
    from pingan.auth.principal import cli_principal
    from pingan.kit.clock import utcnow
    from pingan.org import service
    from pingan.org.models import UnitKind

    if kind is None:
        raise click.UsageError("--kind is required")
    settings = _settings()
    _require_migrated(settings)
    with _transaction(settings) as session:
        unit = service.create_unit(
            session,
            code=code,
            name=name,
            kind=UnitKind(kind),
            parent_code=parent,
            actor=cli_principal("cli:org add"),
            now=utcnow(),
        )
        click.echo(f"added {unit.code} {unit.name} at {unit.path}")


# ---------------------------------------------------------------- grids


@main.group(context_settings=CONTEXT)
def grids() -> None:
    """Import, export, check and query areas and grids."""


@grids.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--layer", type=click.Choice(["admin-areas", "land-grids", "sea-grids"]), required=True, help="What the file holds."
)
def grids_import(path: str, layer: str) -> None:
    """Import a GeoJSON FeatureCollection; every feature is checked first, and any problem stores nothing."""
    from pingan.auth.principal import cli_principal
    from pingan.errors import ValidationFailed
    from pingan.grids import interchange
    from pingan.kit.clock import utcnow

    settings = _settings()
    _require_migrated(settings)
    try:
        data = json.loads(open(path, encoding="utf-8").read())  # noqa: SIM115 - small file, read once
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{path}: not readable GeoJSON ({exc})") from exc
    try:
        with _transaction(settings) as session:
            report = interchange.import_geojson(
                session, data, layer, actor=cli_principal("cli:grids import"), now=utcnow()
            )
    except ValidationFailed as exc:
        problems = exc.details.get("problems") or [exc.message]
        click.echo(f"import refused, nothing stored ({len(problems)} problem(s)):", err=True)
        for problem in problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(2)
    click.echo(f"{layer}: {report.created} created, {report.updated} updated")


@grids.command("export")
@click.option(
    "--layer", type=click.Choice(["admin-areas", "land-grids", "sea-grids"]), required=True, help="What to export."
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, writable=True), default="-", help="File (default stdout)."
)
def grids_export(layer: str, output: str) -> None:
    """Export a layer as an RFC 7946 GeoJSON FeatureCollection."""
    from pingan.auth.principal import cli_principal
    from pingan.grids import interchange

    settings = _settings()
    _require_migrated(settings)
    with _transaction(settings) as session:
        data = interchange.export_geojson(session, layer, actor=cli_principal("cli:grids export"))
    text = json.dumps(data, ensure_ascii=False)
    if output == "-":
        click.echo(text)
    else:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
        click.echo(f"{len(data['features'])} features written to {output}", err=True)


@grids.command("check")
def grids_check() -> None:
    """List every gap, overlap or stray grid in the villages' partitions; exit 1 if there is any."""
    from pingan.grids import service

    settings = _settings()
    _require_migrated(settings)
    with _transaction(settings) as session:
        checked, violations = service.check_partitions(session)
    for v in violations:
        click.echo(f"{v.village_code} {v.kind}: {v.message}", err=True)
    if violations:
        click.echo(f"{len(violations)} violation(s) in {checked} villages", err=True)
        sys.exit(1)
    click.echo(f"{checked} villages checked: no gap, no overlap")


@grids.command("locate")
@click.argument("lon", type=float)
@click.argument("lat", type=float)
def grids_locate(lon: float, lat: float) -> None:
    """Print the land grid, or the static, control and patrol sea grids, of a point (lon lat, degrees)."""
    from dataclasses import asdict

    from pingan.grids import service

    settings = _settings()
    _require_migrated(settings)
    with _transaction(settings) as session:
        found = service.locator(session).locate(lon, lat)
    click.echo(json.dumps(asdict(found), ensure_ascii=False))


# ---------------------------------------------------------------- users


@main.group(context_settings=CONTEXT)
def user() -> None:
    """Manage accounts from the server console."""


def _user_id(session: Session, username: str) -> int:
    from pingan.auth.repository import get_user_by_username
    from pingan.errors import NotFound

    found = get_user_by_username(session, username)
    if found is None:
        raise NotFound(f"no account {username!r}")
    return found.id


@user.command("create")
@click.argument("username")
@click.option("--name", "display_name", default=None, help="Display name (default: the username).")
@click.option("--unit", "unit_code", required=True, help="Code of the account's organisation unit.")
@click.option("--role", "roles", multiple=True, help="Role code; repeat for several.")
@click.option("--password", default=None, help="Initial password (default: generate and print one).")
def user_create(
    username: str, display_name: str | None, unit_code: str, roles: tuple[str, ...], password: str | None
) -> None:
    """Create an account that must change its password at first sign-in."""
    from pingan.auth import service
    from pingan.auth.principal import cli_principal
    from pingan.kit.clock import utcnow

    settings = _settings()
    _require_migrated(settings)
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    with _transaction(settings) as session:
        created = service.create_user(
            session,
            settings,
            username=username,
            display_name=display_name or username,
            unit_code=unit_code,
            password=password,
            role_codes=list(roles),
            actor=cli_principal("cli:user create"),
            now=utcnow(),
        )
        click.echo(f"created {created.username} (id {created.id}) in {unit_code} with roles {', '.join(roles) or '-'}")
    if generated:
        click.echo(f"initial password (must be changed at first sign-in): {password}")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table.")
def user_list(as_json: bool) -> None:
    """List accounts with unit, roles and lock state."""
    from pingan.auth import service
    from pingan.auth.principal import cli_principal

    settings = _settings()
    _require_migrated(settings)
    with _transaction(settings) as session:
        users = service.list_users(session, actor=cli_principal(), limit=100_000)
        rows = [
            {
                "username": u.username,
                "name": u.display_name,
                "unit": u.unit.code,
                "roles": sorted(r.code for r in u.roles),
                "locked": u.locked_at is not None,
                "active": u.is_active,
                "must_change_password": u.must_change_password,
            }
            for u in users
        ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        flags = ("locked " if r["locked"] else "") + ("must-change" if r["must_change_password"] else "")
        click.echo(f"{r['username']:<16} {r['unit']:<14} {','.join(r['roles']):<28} {flags}")


@user.command("set-roles")
@click.argument("username")
@click.argument("roles", nargs=-1)
def user_set_roles(username: str, roles: tuple[str, ...]) -> None:
    """Replace an account's roles (none given: remove all)."""
    from pingan.auth import service
    from pingan.auth.principal import cli_principal
    from pingan.kit.clock import utcnow

    settings = _settings()
    _require_migrated(settings)
    with _transaction(settings) as session:
        updated = service.set_roles(
            session,
            _user_id(session, username),
            list(roles),
            actor=cli_principal("cli:user set-roles"),
            now=utcnow(),
        )
        click.echo(f"{updated.username}: {', '.join(sorted(r.code for r in updated.roles)) or '(no roles)'}")


@user.command("unlock")
@click.argument("username")
def user_unlock(username: str) -> None:
    """Unlock an account locked by failed sign-ins."""
    from pingan.auth import service
    from pingan.auth.principal import cli_principal
    from pingan.kit.clock import utcnow

    settings = _settings()
    _require_migrated(settings)
    with _transaction(settings) as session:
        service.unlock_user(session, _user_id(session, username), actor=cli_principal("cli:user unlock"), now=utcnow())
    click.echo(f"{username} unlocked")


@user.command("reset-password")
@click.argument("username")
@click.option("--password", default=None, help="Temporary password (default: generate and print one).")
def user_reset_password(username: str, password: str | None) -> None:
    """Set a temporary password that must be changed at the next sign-in."""
    from pingan.auth import service
    from pingan.auth.principal import cli_principal
    from pingan.kit.clock import utcnow

    settings = _settings()
    _require_migrated(settings)
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    with _transaction(settings) as session:
        service.reset_password(
            session,
            settings,
            _user_id(session, username),
            password,
            actor=cli_principal("cli:user reset-password"),
            now=utcnow(),
        )
    click.echo(f"{username}: password reset; sessions ended")
    if generated:
        click.echo(f"temporary password: {password}")


# ---------------------------------------------------------------- people register


@main.group(context_settings=CONTEXT)
def people() -> None:
    """Import residents and rotate the personal-data encryption key."""


@people.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--unit", "unit_code", required=True, help="Code of the unit whose grids the file may fill.")
def people_import(path: str, unit_code: str) -> None:
    """Import residents from an .xlsx file, all or nothing.

    Every row is checked first; if any fails, nothing is stored, the problems are printed by row and column,
    and the command exits with status 2.
    """
    from dataclasses import replace
    from pathlib import Path

    from pingan.auth.principal import cli_principal
    from pingan.auth.scope import Visibility
    from pingan.errors import NotFound
    from pingan.kit.clock import utcnow
    from pingan.org.service import unit_by_code
    from pingan.people.excel import import_residents

    settings = _settings()
    _require_migrated(settings)
    data = Path(path).read_bytes()
    with _transaction(settings) as session:
        unit = unit_by_code(session, unit_code)
        if unit is None:
            raise NotFound(f"organisation unit {unit_code!r} not found")
        # The operator acts with every permission, but only inside the named unit's subtree.
        actor = replace(cli_principal("cli:people import"), visibility=Visibility(subtree_paths=frozenset({unit.path})))
        report = import_residents(session, settings.field_cipher(), data, actor=actor, now=utcnow())
    if not report.ok:
        for p in report.problems:
            click.echo(f"row {p.row:>6}  {p.column or '-'}: {p.message}")
        click.echo(f"error: {len(report.problems)} problem(s) in {report.rows} rows; nothing was imported", err=True)
        sys.exit(2)
    created = f"{report.households_created} new households, {report.residents_created} residents"
    click.echo(f"imported {report.rows} rows: {created}")


@people.command("rotate-key")
@click.option("--batch", type=click.IntRange(1, 100_000), default=1000, show_default=True, help="Rows per commit.")
def people_rotate_key(batch: int) -> None:
    """Re-encrypt personal-data fields under the active key.

    Reads every ciphertext in batches and rewrites those under an older key of the ring; each batch commits
    on its own, so an interrupted run can simply be started again.
    """
    from pingan.auth.principal import cli_principal
    from pingan.db import create_db_engine, make_sessionmakers
    from pingan.kit.clock import utcnow
    from pingan.people.service import ENCRYPTED_COLUMNS, record_rotation, rotate_key_batch

    settings = _settings()
    _require_migrated(settings)
    cipher = settings.field_cipher()
    engine = create_db_engine(settings.url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    _, write = make_sessionmakers(engine)
    counts: dict[str, int] = {}
    try:
        for table in ENCRYPTED_COLUMNS:
            after, scanned, rewritten = 0, 0, 0
            while True:
                with write() as session, session.begin():
                    step = rotate_key_batch(session, cipher, table, after_id=after, limit=batch)
                if not step.scanned:
                    break
                after, scanned, rewritten = step.last_id, scanned + step.scanned, rewritten + step.rewritten
            counts[f"{table}_rows"], counts[f"{table}_reencrypted"] = scanned, rewritten
            click.echo(f"{table:<18} rows {scanned:>9}  ciphertexts re-encrypted {rewritten:>9}")
        with write() as session, session.begin():
            record_rotation(
                session,
                counts,
                active_key_id=cipher.active_key_id,
                actor=cli_principal("cli:people rotate-key"),
                now=utcnow(),
            )
    finally:
        engine.dispose()
    click.echo(f"every ciphertext is now under key {cipher.active_key_id}")


# ---------------------------------------------------------------- fleet


@main.group(context_settings=CONTEXT)
def fleet() -> None:
    """Fleet safety jobs (dynamic reports, alerts)."""


@fleet.command("check-reports")
def fleet_check_reports() -> None:
    """Run the overdue manual-report check once and print the alerts it raised.

    Every vessel in manual reporting mode whose last report (or the mode's start) is older than its interval
    gets one report_overdue alert per overdue period, addressed to its cadre; running the check again raises
    nothing new until another period is overdue. A server running the alert rules (PINGAN_ALERT_ENGINE) checks
    every minute by itself; schedule this command (cron or a systemd timer) where none does.
    """
    from pingan.fleet.reports import check_overdue_reports
    from pingan.kit.clock import to_local, utcnow

    settings = _settings()
    _require_migrated(settings)
    with _transaction(settings) as session:
        raised = check_overdue_reports(session, now=utcnow())
        lines = [f"{a.id:>8}  {to_local(a.raised_at):%Y-%m-%d %H:%M}  {a.message}" for a in raised]
    for line in lines:
        click.echo(line)
    click.echo(f"{len(lines)} alert(s) raised")


# ---------------------------------------------------------------- audit and stats


@main.group(context_settings=CONTEXT)
def audit() -> None:
    """Inspect the audit trail."""


@audit.command("verify")
def audit_verify() -> None:
    """Check the audit hash chain; name the first bad row and exit 1 if broken."""
    from pingan.audit.service import verify_chain

    settings = _settings()
    _require_migrated(settings)
    with _transaction(settings) as session:
        checked, brk = verify_chain(session)
    if brk is not None:
        click.echo(f"audit chain BROKEN at row {brk.row_id} ({brk.problem}): {brk.message}", err=True)
        sys.exit(1)
    click.echo(f"audit chain intact: {checked} rows")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of lines.")
def stats(as_json: bool) -> None:
    """Print counts of the main entities."""
    from pingan import stats as stats_module

    settings = _settings()
    _require_migrated(settings)
    with _transaction(settings) as session:
        counts = stats_module.collect(session)
    counts.update(stats_module.live_positions(settings))
    if as_json:
        click.echo(json.dumps(counts, sort_keys=True))
    else:
        for name, value in counts.items():
            click.echo(f"{name:<20} {value}")


def _register_subcommands() -> None:
    from pingan.cases.cli import cases
    from pingan.demo.sim_cli import simulate, simulate_trigger
    from pingan.maritime.cli import ais

    main.add_command(cases)
    main.add_command(ais)
    main.add_command(simulate)
    main.add_command(simulate_trigger)


_register_subcommands()
