"""The `jointcase` command line: set up the database, run the demo, serve the API, manage officers."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from domain.errors import DomainError
from jointcase import serving
from jointcase.audit_cli import audit_app
from jointcase.console import fail
from jointcase.console import load_settings as _settings
from jointcase.console import open_app_and_views as _views
from jointcase.notify_cli import notify_app
from jointcase.officers_cli import officers_app
from jointcase.settings import Settings
from jointcase.storage import (
    ConfigurationError,
    Database,
    init_database,
    resolve_database,
    tables_exist,
)

app = typer.Typer(
    help="jointcase: cross-county case coordination for tobacco monopoly bureaus.",
    no_args_is_help=True,
)
db_app = typer.Typer(help="Database set-up.", no_args_is_help=True)
keys_app = typer.Typer(help="Secrets.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(officers_app, name="officers")
app.add_typer(notify_app, name="notify")
projections_app = typer.Typer(help="Read models.", no_args_is_help=True)
app.add_typer(projections_app, name="projections")
app.add_typer(audit_app, name="audit")


@db_app.command("init")
def db_init() -> None:
    """Create the tables (once, before any worker starts) and seed the default six units."""
    settings = _settings()
    try:
        _, added = init_database(settings)
        db = resolve_database(settings)
    except ConfigurationError as e:
        fail(str(e))
        return
    where = (
        f"embedded PostgreSQL in {settings.data_dir}"
        if db.embedded
        else f"{db.host}:{db.port}/{db.dbname}"
    )
    typer.echo(f"tables ready on {where}; {added} default unit(s) added")


@db_app.command("info")
def db_info() -> None:
    """Show which database is used and whether its tables exist."""
    settings = _settings()
    try:
        db = resolve_database(settings)
    except ConfigurationError as e:
        fail(str(e))
        return
    kind = "embedded" if db.embedded else "server"
    typer.echo(f"{kind}: host={db.host} port={db.port} dbname={db.dbname} user={db.user}")
    typer.echo(f"tables: {'present' if tables_exist(db) else 'missing (run `jointcase db init`)'}")


@keys_app.command("generate")
def keys_generate(
    chain: Annotated[
        bool, typer.Option("--chain", help="A signing key for JOINTCASE_CHAIN_KEY instead.")
    ] = False,
) -> None:
    """Print a new random key for JOINTCASE_INFORMANT_KEY (or, with --chain, JOINTCASE_CHAIN_KEY)."""
    from domain.chain import ChainSigner
    from domain.informants import InformantCipher

    typer.echo(ChainSigner.generate_key_text() if chain else InformantCipher.generate_key_text())


@app.command()
def demo(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the summary.")] = False,
) -> None:
    """Record a realistic scenario across the six units (creates the tables if needed)."""
    from jointcase.demo import run_demo

    settings = _settings()
    try:
        app_, _ = init_database(settings)
        result = run_demo(app_, say=(lambda _: None) if quiet else typer.echo)
    except (ConfigurationError, DomainError) as e:
        fail(str(e))
        return
    typer.echo(
        f"demo recorded {result.events} events for {result.leads} leads and cases "
        f"{', '.join(result.cases)}; last log position {result.last_position}"
    )
    _print_demo_sign_ins(settings)


def _print_demo_sign_ins(settings: Settings) -> None:
    """The demo's people, signed in to the console as the officers the demo recorded."""
    from jointcase.demo_signins import demo_sign_ins
    from jointcase.officers import OfficerStore
    from jointcase.signin import SignIns
    from jointcase.staff import Staff
    from jointcase.storage import informant_cipher, open_pool, token_pepper

    db = resolve_database(settings)
    pool = open_pool(db, size=1)
    try:
        officers = OfficerStore(pool, token_pepper(settings, db), settings.token_lifetime())
        made = demo_sign_ins(Staff(officers, SignIns(pool, informant_cipher(settings, db))))
    except DomainError as e:
        fail(str(e))
        return
    finally:
        pool.close()
    typer.echo("")
    typer.echo(
        f"console sign-ins (new passwords each run) at http://{settings.host}:{settings.port}/ :"
    )
    for person in made:
        typer.echo(f"  {person.county}  {person.role:<9}  {person.login:<15}  {person.password}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[int | None, typer.Option(help="API worker processes.")] = None,
) -> None:
    """Serve the HTTP API. On the embedded default it also creates the tables first."""
    import uvicorn

    settings = _settings()
    try:
        db = resolve_database(settings)
        if db.embedded:
            init_database(settings)
        elif not tables_exist(db):
            fail("the tables do not exist yet: run `jointcase db init` first")
        from jointcase.storage import chain_signer, informant_cipher, token_pepper

        informant_cipher(settings, db)
        chain_signer(settings, db)
        token_pepper(settings, db)
    except ConfigurationError as e:
        fail(str(e))
        return
    _print_first_run(settings, db, host or settings.host, port or settings.port)
    from jointcase.logs import configure, logging_config

    configure()
    workers = workers or settings.workers
    # Several workers share their connections evenly through a file of their counts
    # (jointcase.serving); the spawned workers find it in the environment.
    slots = None
    if workers > 1:
        try:
            slots = serving.WorkerSlots.create()
        except OSError as e:  # no writable temporary folder: the workers accept as uvicorn's do
            typer.echo(f"note: API workers will not share connections evenly ({e})", err=True)
    if slots is not None:
        os.environ[serving.SLOTS_ENV] = str(slots)
    try:
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=host or settings.host,
            port=port or settings.port,
            workers=workers,
            loop="jointcase.serving:new_event_loop",
            log_config=logging_config(),  # applied in every worker process as well
            # X-Forwarded-For is honoured by the app itself, from JOINTCASE_TRUSTED_PROXIES only
            # (uvicorn's default would trust 127.0.0.1 and read FORWARDED_ALLOW_IPS).
            proxy_headers=False,
        )
    finally:
        if slots is not None:
            slots.unlink(missing_ok=True)


def _print_first_run(settings: Settings, db: Database, host: str, port: int) -> None:
    """Where to go and how to sign in, before the JSON log lines start."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    where = (
        f"embedded PostgreSQL in {settings.data_dir.resolve()}"
        if db.embedded
        else f"PostgreSQL server {db.host}:{db.port}/{db.dbname}"
    )
    for line in (
        "jointcase",
        f"  console:   http://{shown}:{port}/",
        f"  API docs:  http://{shown}:{port}/docs  (and /redoc; work offline)",
        f"  data:      {where}",
        "  first administrator (in another shell):",
        "    jointcase officers add --county 140221 --role admin --name NAME --login LOGIN",
        "    (asks for a password; then sign in at the console and add your officers)",
        "  or try it: jointcase demo  (records a scenario and prints demo sign-ins)",
    ):
        typer.echo(line)


@app.command()
def worker() -> None:
    """Run every read model as a separate process until stopped (Ctrl-C / SIGTERM). A worker
    killed at any point resumes where its views left off: nothing lost, nothing twice."""
    import signal

    from projections.base import BatchRunner

    settings = _settings()
    try:
        app_, views = _views(settings)
    except ConfigurationError as e:
        fail(str(e))
        return
    from jointcase.logs import configure

    configure()
    runner = BatchRunner(app_, views.all(), page_size=settings.worker_page_size)
    signal.signal(signal.SIGTERM, lambda *_: runner.stopping.set())
    if settings.checkpoint_interval:
        from jointcase.checkpoints import Checkpoints, issue_every
        from jointcase.storage import chain_signer

        db = resolve_database(settings)
        checkpoints = Checkpoints(db.conninfo(), db.schema or "public")
        signer = chain_signer(settings, db)
        issue_every(checkpoints, signer, settings.checkpoint_interval, runner.stopping)
    from jointcase.notifications import Notifier, build_sender, build_store
    from jointcase.storage import open_pool, token_pepper

    db = resolve_database(settings)
    notifier: Notifier | None = None
    try:
        pepper = token_pepper(settings, db)  # webhook secrets derive from it, as in the API
    except ConfigurationError as e:
        typer.echo(f"worker: notifications off ({e})")
    else:
        notify_pool = open_pool(db, size=2)
        notices = build_store(settings, notify_pool, pepper)
        sender = build_sender(settings, notices)
        notifier = Notifier(
            notices, sender, views.workspace.position, interval=settings.notify_interval
        )
        notifier.stopping = runner.stopping  # one signal stops both
        notifier.start()
    typer.echo(
        "worker: views "
        + ", ".join(f"{v.name}@{v.position()}" for v in views.all())
        + f"; log at {app_.recorder.max_notification_id() or 0}"
    )
    try:
        runner.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if notifier is not None:
            notifier.stop()
            sender.close()
            notify_pool.close()
        views.close()
        app_.close()
    typer.echo("worker stopped")


@projections_app.command("status")
def projections_status() -> None:
    """Each view's position and lag behind the event log."""
    settings = _settings()
    try:
        app_, views = _views(settings)
    except ConfigurationError as e:
        fail(str(e))
        return
    head = app_.recorder.max_notification_id() or 0
    for view in views.all():
        typer.echo(f"{view.name:<12} position {view.position():>10}  lag {head - view.position()}")
    views.close()
    app_.close()


@projections_app.command("health")
def projections_health(
    max_lag: Annotated[
        int | None,
        typer.Option(help="Events a view may lag (default: JOINTCASE_WORKER_MAX_LAG)."),
    ] = None,
) -> None:
    """The worker's health check: exits 1 when a view lags the log by more than the allowed
    number of events (the worker is stopped, stuck or too slow) or the database is unreachable."""
    from projections.base import UNREACHABLE

    settings = _settings()
    limit = settings.worker_max_lag if max_lag is None else max_lag
    try:
        app_, views = _views(settings)
    except ConfigurationError as e:
        fail(str(e))
        return
    except UNREACHABLE as e:
        fail(f"unhealthy: the database is unreachable ({e})")
        return
    try:
        head = app_.recorder.max_notification_id() or 0
        behind = {view.name: head - view.position() for view in views.all()}
    except UNREACHABLE as e:
        fail(f"unhealthy: the database is unreachable ({e})")
        return
    finally:
        views.close()
        app_.close()
    over = {name: lag for name, lag in behind.items() if lag > limit}
    if over:
        fail(
            "unhealthy: "
            + ", ".join(f"{name} lags {lag}" for name, lag in sorted(over.items()))
            + f" events (allowed {limit}, log at {head})"
        )
        return
    typer.echo(f"healthy: largest lag {max(behind.values(), default=0)} (allowed {limit})")


@projections_app.command("rebuild")
def projections_rebuild(
    names: Annotated[
        list[str] | None, typer.Argument(help="Views to rebuild (default: all).")
    ] = None,
    page_size: Annotated[int, typer.Option(min=100, max=20000)] = 2000,
) -> None:
    """Rebuild views from position zero, with a progress bar. Views only write their own rows,
    so a rebuild never repeats a side effect. Stop the worker first, or it will wait its turn."""
    from rich.progress import MofNCompleteColumn, Progress, TimeRemainingColumn

    from projections.base import BatchRunner

    settings = _settings()
    try:
        app_, views = _views(settings)
        chosen = views.named(names)
    except (ConfigurationError, ValueError) as e:
        fail(str(e))
        return
    head = app_.recorder.max_notification_id() or 0
    runner = BatchRunner(app_, chosen, page_size=page_size)
    columns = (*Progress.get_default_columns()[:-1], MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns) as progress:
        task = progress.add_task(f"rebuilding {', '.join(v.name for v in chosen)}", total=head)

        def advance(_: int) -> None:
            position = min(v.position() for v in chosen)
            progress.update(task, completed=min(position, head))

        runner.rebuild(until=head, progress=advance)
        progress.update(task, completed=head)
    typer.echo("rebuilt " + ", ".join(f"{v.name} to {v.position()}" for v in chosen))
    views.close()
    app_.close()


def _public_key(settings: Settings, db: Database) -> str:
    from jointcase.storage import chain_signer

    return chain_signer(settings, db).verifier.text()


@app.command("export")
def export_log(
    output: Annotated[
        str, typer.Option("--output", "-o", help="File to write; '-' for standard output.")
    ] = "-",
) -> None:
    """Write the whole event log as JSON Lines (positions and ids kept, informant data sealed)."""
    from jointcase.backup import BackupError, export_events
    from jointcase.evidence_store import open_content
    from jointcase.storage import open_pool

    settings = _settings()
    try:
        db = resolve_database(settings)
    except ConfigurationError as e:
        fail(str(e))
        return
    if not tables_exist(db):
        fail("the tables do not exist: nothing to export")
    try:
        key = _public_key(settings, db)
    except ConfigurationError as e:
        fail(str(e))
        return
    content = open_content(settings, lambda: open_pool(db))
    try:
        if output == "-":
            header = export_events(db, sys.stdout.buffer, public_key=key, content=content)
        else:
            with open(output, "wb") as out:
                header = export_events(db, out, public_key=key, content=content)
    except BackupError as e:
        fail(str(e))
        return
    finally:
        content.close()
    typer.echo(
        f"exported {header['events']} events up to position {header['last_position']}"
        + (f"; chain head {header['chain_head']}" if header["chain_head"] else "")
        + (f"; {header['files']} evidence files" if header.get("files") else ""),
        err=output == "-",
    )


@app.command("import")
def import_log(
    source: Annotated[str, typer.Argument(help="A file written by `jointcase export`.")],
) -> None:
    """Restore an exported event log into an empty database, rebuild the read models and check
    the audit chain against the exported head."""
    from jointcase.backup import BackupError, import_events
    from jointcase.evidence_store import open_content
    from jointcase.storage import chain_signer, open_pool
    from projections.base import BatchRunner
    from projections.chain import verify

    settings = _settings()
    try:
        db = resolve_database(settings)
        init_database(settings, seed=False)
        content = open_content(settings, lambda: open_pool(db))
        try:
            with open(source, "rb") as stream:
                result = import_events(
                    db, stream, public_key=_public_key(settings, db), content=content
                )
        finally:
            content.close()
        if result["format_version"] == 1:  # written before the chain: chain and sign it now
            from jointcase.chain import chain_existing

            chain_existing(db.conninfo(), chain_signer(settings, db), db.schema or "public")
        app_, views = _views(settings)
    except FileNotFoundError:
        fail(f"no such file: {source}")
        return
    except (ConfigurationError, BackupError) as e:
        fail(str(e))
        return
    BatchRunner(app_, views.all()).rebuild()
    check = verify(db.conninfo(), chain_signer(settings, db).verifier, schema=db.schema or "public")
    views.close()
    app_.close()
    typer.echo(f"imported {result['imported']} events up to position {result['last_position']}")
    if not check.ok:
        fail(f"audit verify failed after import: {check.finding}")
    if result.get("chain_head") and result["chain_head"] != check.head_link:
        fail("the rebuilt audit chain head differs from the exported one")
    typer.echo(f"audit chain verified; head {check.head_link}")
    from jointcase.checkpoints import Checkpoints, ProofError

    kept = Checkpoints(db.conninfo(), db.schema or "public")
    restored = kept.all()
    try:
        for checkpoint in restored:
            kept.check_against_log(checkpoint, chain_signer(settings, db).verifier)
    except ProofError as e:
        fail(f"a restored checkpoint does not check: {e}")
    typer.echo(f"{len(restored)} signed checkpoint(s) restored and checked against the log")


def main() -> None:  # pragma: no cover - entry point
    sys.exit(app())
