"""A point-in-time restore with pgBackRest, end to end, on a throw-away PostgreSQL server:
continuous WAL archiving (archive_command = pgbackrest archive-push), a full backup, events
written before and after a chosen moment, then the server restored to that moment (the data
folder emptied, `pgbackrest restore --type=time`); the log ends exactly at the last event
committed before the moment and `jointcase audit verify` passes on it. PostgreSQL and pgBackRest
refuse to run as root: when this runs as root they run as the `postgres` OS user."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from bench.failover.cluster import OS_USER, free_port, pg_bin
from domain.chain import ChainSigner
from domain.informants import InformantCipher
from domain.values import Actor, Context, Role

STANZA = "jointcase"
COUNTY = "140221"


def missing_programs() -> list[str]:
    missing = [] if shutil.which("pgbackrest") else ["pgbackrest"]
    try:
        pg_bin()
    except RuntimeError:
        missing.append("postgresql")
    return missing


@dataclass
class Server:
    root: Path
    port: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def config(self) -> Path:
        return self.root / "pgbackrest.conf"

    def url(self, dbname: str = "jointcase") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def run(self, *args: str, timeout: float = 300) -> str:
        """Runs a program as the PostgreSQL OS user; its output, or an error with it."""
        kwargs: dict[str, Any] = {}
        if os.geteuid() == 0:
            user = pwd.getpwnam(OS_USER)
            kwargs.update(user=user.pw_uid, group=user.pw_gid, extra_groups=[])
        done = subprocess.run(
            list(args), capture_output=True, text=True, timeout=timeout, cwd=self.root, **kwargs
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)}: {done.stdout}{done.stderr}")
        return done.stdout

    def pgbackrest(self, *args: str) -> str:
        return self.run("pgbackrest", f"--config={self.config}", f"--stanza={STANZA}", *args)

    def pg_ctl(self, *args: str) -> str:
        return self.run(str(pg_bin() / "pg_ctl"), "-D", str(self.data), *args)


def prepare(root: Path) -> Server:
    """An initialised server that archives its WAL with pgBackRest, started, stanza created."""
    server = Server(root, free_port())
    for sub in ("repo", "log", "spool", "lock"):
        (root / sub).mkdir()
    server.config.write_text(
        "[global]\n"
        f"repo1-path={root / 'repo'}\n"
        f"log-path={root / 'log'}\n"
        f"spool-path={root / 'spool'}\n"
        f"lock-path={root / 'lock'}\n"
        "start-fast=y\n"
        "log-level-console=warn\n"
        "compress-type=zst\n"
        f"\n[{STANZA}]\n"
        f"pg1-path={server.data}\n"
        f"pg1-port={server.port}\n"
        f"pg1-socket-path={root}\n"
    )
    if os.geteuid() == 0:
        user = pwd.getpwnam(OS_USER)
        for path in [root, *root.iterdir()]:
            os.chown(path, user.pw_uid, user.pw_gid)
    server.run(str(pg_bin() / "initdb"), "-D", str(server.data), "-U", "postgres", "-A", "trust")
    with (server.data / "postgresql.conf").open("a") as conf:
        conf.write(
            f"port = {server.port}\n"
            "listen_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{root}'\n"
            "wal_level = replica\n"
            "archive_mode = on\n"
            f"archive_command = 'pgbackrest --config={server.config} --stanza={STANZA} "
            "archive-push %p'\n"
            "fsync = off\n"
        )
    server.pg_ctl("start", "-w", "-l", str(root / "postgres.log"))
    server.pgbackrest("stanza-create")
    server.pgbackrest("check")  # archiving works
    return server


def _settings(server: Server, keys: dict[str, str]) -> Any:
    from jointcase.settings import Settings

    return Settings(_env_file=None, database_url=server.url(), **keys)  # type: ignore[call-arg]


def _register(app: Any, n: int, label: str) -> int:
    ctx = Context(Actor("pitr", COUNTY, Role.OFFICER), datetime.now(UTC), f"pitr-{label}")
    for i in range(n):
        app.register_lead(ctx, summary=f"{label} {i}", source="tip_off", place_county=COUNTY)
    return int(app.log_position())


def _archived(server: Server) -> None:
    """Switches to a new WAL segment and waits until the finished one is archived."""
    with psycopg.connect(server.url(), autocommit=True) as conn:
        row = conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()
        assert row is not None
        segment = row[0]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            got = conn.execute("SELECT last_archived_wal FROM pg_stat_archiver").fetchone()
            if got and got[0] and got[0] >= segment:
                return
            time.sleep(0.2)
    raise TimeoutError(f"WAL segment {segment} was not archived")


def run(root: Path, before: int = 40, after: int = 25, say: Any = print) -> dict[str, Any]:
    from jointcase.storage import build_app, init_database

    server = prepare(root)
    result: dict[str, Any] = {}
    keys = {
        "informant_key": InformantCipher.generate_key_text(),
        "chain_key": ChainSigner.generate_key_text(),
        "token_pepper": "pitr-pepper-0123456789abcdef0123456789",
    }
    try:
        with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE jointcase")
        settings = _settings(server, keys)
        app, _ = init_database(settings)
        try:
            _register(app, 5, "before the backup")
            t = time.monotonic()
            server.pgbackrest("backup", "--type=full")
            result["full_backup_seconds"] = round(time.monotonic() - t, 2)
            kept = _register(app, before, "kept")
            time.sleep(1.1)
            with psycopg.connect(server.url(), autocommit=True) as conn:
                row = conn.execute("SELECT now()").fetchone()
                assert row is not None
                moment: datetime = row[0]
            time.sleep(1.1)
            lost = _register(app, after, "after the moment")
            _archived(server)
        finally:
            app.close()
        result.update(position_at_moment=kept, position_at_end=lost, moment=moment.isoformat())
        say(f"log at {kept} at {moment.isoformat()}, at {lost} later; restoring to the moment")

        server.pg_ctl("stop", "-m", "fast", "-w")
        for child in server.data.iterdir():  # the data folder is lost
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
        t = time.monotonic()
        server.pgbackrest(
            "restore",
            "--type=time",
            f"--target={moment.isoformat(sep=' ')}",
            "--target-action=promote",
        )
        server.pg_ctl("start", "-w", "-t", "120", "-l", str(root / "postgres.log"))
        with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
            deadline = time.monotonic() + 120
            while conn.execute("SELECT pg_is_in_recovery()").fetchone() != (False,):
                if time.monotonic() > deadline:
                    raise TimeoutError("the restored server is still recovering")
                time.sleep(0.2)
        result["restore_seconds"] = round(time.monotonic() - t, 2)

        restored = build_app(_settings(server, keys))
        try:
            result["position_after_restore"] = int(restored.log_position())
        finally:
            restored.close()
        env = {
            **{
                k: v for k, v in os.environ.items() if not k.startswith(("JOINTCASE_", "POSTGRES_"))
            },
            "DATABASE_URL": server.url(),
            "JOINTCASE_INFORMANT_KEY": keys["informant_key"],
            "JOINTCASE_CHAIN_KEY": keys["chain_key"],
            "JOINTCASE_TOKEN_PEPPER": keys["token_pepper"],
        }
        verify = subprocess.run(
            [sys.executable, "-m", "jointcase", "audit", "verify"],
            env=env,
            cwd=root,
            capture_output=True,
            text=True,
            timeout=300,
        )
        result["audit_verify_passes"] = verify.returncode == 0
        result["audit_verify"] = (verify.stdout + verify.stderr).strip().splitlines()[-1:]
    finally:
        with contextlib.suppress(RuntimeError):
            server.pg_ctl("stop", "-m", "immediate", "-w")
    return result


def main() -> int:
    missing = missing_programs()
    if missing:
        print("missing: " + ", ".join(missing) + " (apt-get install -y pgbackrest)")
        return 2
    root = Path(tempfile.mkdtemp(prefix="jointcase-pitr-"))
    root.chmod(0o755)
    try:
        result = run(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(result)
    ok = (
        result["position_after_restore"] == result["position_at_moment"]
        and result["audit_verify_passes"]
    )
    return 0 if ok else 1
