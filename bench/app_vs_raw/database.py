"""The database measured: a fresh one on the server (or the embedded PostgreSQL), or an existing
one; the application without snapshots."""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from pydantic import SecretStr

from domain.chain import ChainSigner
from domain.informants import InformantCipher
from jointcase.settings import Settings
from jointcase.storage import build_app, resolve_database
from service.app import JointCaseApp


# --- the database ---------------------------------------------------------------------------------
def _unreachable(url: str) -> str | None:
    """Why the server at `url` does not answer (None when it does); tries three times."""
    reason = ""
    for attempt in range(3):
        try:
            with psycopg.connect(url, connect_timeout=3):
                return None
        except psycopg.OperationalError as e:
            reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            time.sleep(0.5 * (attempt + 1))
    return reason


@contextmanager
def bench_database(database_url: str | None, server_url: str) -> Iterator[tuple[Settings, str]]:
    """Settings for the database to measure in, and a description of it. Without a URL, a fresh
    database on the server (dropped afterwards) or, when no server answers, the embedded
    PostgreSQL in a temporary folder."""
    key = SecretStr(InformantCipher.generate_key_text())
    chain = SecretStr(ChainSigner.generate_key_text())
    if database_url:
        info = conninfo_to_dict(database_url)
        yield (
            Settings(database_url=database_url, informant_key=key, chain_key=chain),
            f"given database {info.get('dbname')} on {info.get('host')}:{info.get('port', 5432)}",
        )
        return
    reason = _unreachable(server_url)
    if reason is None:
        name = f"jointcase_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        params = conninfo_to_dict(server_url)
        params["dbname"] = name
        try:
            yield (
                Settings(
                    database_url=make_conninfo("", **params), informant_key=key, chain_key=chain
                ),
                f"fresh database {name} on {params.get('host')}:{params.get('port', 5432)}",
            )
        finally:
            with psycopg.connect(server_url, autocommit=True) as conn:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (name,),
                )
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        return
    print(f"{server_url} does not answer ({reason}): using the embedded PostgreSQL instead")
    with tempfile.TemporaryDirectory(prefix="jointcase-bench-") as tmp:
        settings = Settings(
            database_url=None,
            postgres_host=None,
            data_dir=Path(tmp),
            informant_key=key,
            chain_key=chain,
        )
        try:
            yield settings, "embedded PostgreSQL in a temporary folder"
        finally:
            server = resolve_database(settings).server
            if server is not None:
                server.cleanup()


def no_snapshot_app(settings: Settings) -> JointCaseApp:
    """The application with snapshotting off, as `build_app` makes it for snapshot_interval=0
    (same tables as the snapshotting one: only the reading differs)."""
    nosnap = build_app(settings.model_copy(update={"snapshot_interval": 0}))
    if nosnap.name != JointCaseApp.name or nosnap.snapshots is not None:
        nosnap.close()
        raise RuntimeError(
            f"build_app(snapshot_interval=0) gave application {nosnap.name!r} with snapshots "
            f"{'on' if nosnap.snapshots else 'off'}: expected {JointCaseApp.name!r}, off"
        )
    return nosnap
