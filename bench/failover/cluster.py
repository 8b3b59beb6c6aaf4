"""A throw-away Patroni cluster on loopback ports: one etcd, three PostgreSQL members each run by
its own Patroni, synchronous replication (`synchronous_mode: on`), everything in a temporary
folder and stopped at the end. PostgreSQL refuses to run as root: when this runs as root, Patroni
(and so PostgreSQL) runs as the `postgres` OS user."""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PG_BIN_CANDIDATES = [Path(f"/usr/lib/postgresql/{v}/bin") for v in (17, 16, 15, 14)]
OS_USER = "postgres"


class Missing(RuntimeError):
    """A program the cluster needs is not installed."""


def pg_bin() -> Path:
    for candidate in PG_BIN_CANDIDATES:
        if (candidate / "postgres").exists():
            return candidate
    raise Missing("PostgreSQL server binaries (apt-get install postgresql)")


def missing_programs() -> list[str]:
    """What is not installed (empty when the cluster can run)."""
    missing = [p for p in ("etcd", "patroni", "patronictl") if shutil.which(p) is None]
    try:
        pg_bin()
    except Missing:
        missing.append("postgresql")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(OS_USER)
        except KeyError:
            missing.append(f"the {OS_USER} OS user")
    return missing


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, timeout: float = 1.0) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        try:
            return e.code, json.loads(e.read() or b"{}")
        except ValueError:
            return e.code, {}
    except (OSError, ValueError):
        return 0, {}


@dataclass
class Member:
    name: str
    pg_port: int
    rest_port: int
    folder: Path
    config: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    def role(self) -> str:
        """'leader', 'sync' (the synchronous standby), 'replica' or '' (down)."""
        status, body = _get(f"http://127.0.0.1:{self.rest_port}/patroni")
        if status == 0 or body.get("state") != "running":
            return ""
        if body.get("role") in ("master", "primary"):
            return "leader"
        status, _ = _get(f"http://127.0.0.1:{self.rest_port}/sync")
        return "sync" if status == 200 else "replica"

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None


@dataclass
class Cluster:
    root: Path
    members: list[Member] = field(default_factory=list)
    etcd: subprocess.Popen[bytes] | None = None
    etcd_port: int = 0
    scope: str = "jointcase"

    # --- addresses -------------------------------------------------------------------------------
    def hosts(self) -> str:
        return ",".join(f"127.0.0.1:{m.pg_port}" for m in self.members)

    def database_url(self, dbname: str = "jointcase", attrs: str = "read-write") -> str:
        return f"postgresql://postgres@{self.hosts()}/{dbname}?target_session_attrs={attrs}"

    def leader(self) -> Member | None:
        for m in self.members:
            if m.role() == "leader":
                return m
        return None

    def roles(self) -> dict[str, str]:
        return {m.name: m.role() or "down" for m in self.members}

    def wait_healthy(self, replicas: int, timeout: float = 90.0) -> Member:
        """Waits for a leader, a synchronous standby and ``replicas`` running replicas."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            roles = [m.role() for m in self.members]
            if (
                roles.count("leader") == 1
                and "sync" in roles
                and roles.count("sync") + roles.count("replica") >= replicas
            ):
                leader = self.leader()
                if leader is not None:
                    return leader
            time.sleep(0.5)
        raise TimeoutError(f"cluster not healthy after {timeout:.0f} s: {self.roles()}")

    # --- processes -------------------------------------------------------------------------------
    def _popen(self, args: list[str], log: Path, *, as_postgres: bool) -> subprocess.Popen[bytes]:
        kwargs: dict[str, Any] = {}
        env = dict(os.environ)
        if as_postgres and os.geteuid() == 0:
            user = pwd.getpwnam(OS_USER)
            kwargs.update(user=user.pw_uid, group=user.pw_gid, extra_groups=[])
            env.update(HOME=str(self.root), USER=OS_USER, LOGNAME=OS_USER)
        out = log.open("ab")
        return subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=self.root,
            start_new_session=True,
            **kwargs,
        )

    def start_etcd(self) -> None:
        self.etcd_port = free_port()
        peer = free_port()
        self.etcd = self._popen(
            [
                "etcd",
                "--name=e1",
                f"--data-dir={self.root / 'etcd'}",
                f"--listen-client-urls=http://127.0.0.1:{self.etcd_port}",
                f"--advertise-client-urls=http://127.0.0.1:{self.etcd_port}",
                f"--listen-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-cluster=e1=http://127.0.0.1:{peer}",
            ],
            self.root / "etcd.log",
            as_postgres=False,
        )
        deadline = time.monotonic() + 30
        while _get(f"http://127.0.0.1:{self.etcd_port}/health")[0] != 200:
            if time.monotonic() > deadline or self.etcd.poll() is not None:
                raise RuntimeError(f"etcd did not start: see {self.root / 'etcd.log'}")
            time.sleep(0.2)

    def add_member(self, index: int) -> Member:
        name = f"pg{index}"
        folder = self.root / name
        folder.mkdir(mode=0o700)
        member = Member(name, free_port(), free_port(), folder, folder / "patroni.yml")
        member.config.write_text(yaml.safe_dump(self._config(member)))
        if os.geteuid() == 0:
            user = pwd.getpwnam(OS_USER)
            os.chown(folder, user.pw_uid, user.pw_gid)
            os.chown(member.config, user.pw_uid, user.pw_gid)
        self.members.append(member)
        return member

    def _config(self, m: Member) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "name": m.name,
            "log": {"level": "WARNING"},
            "restapi": {
                "listen": f"127.0.0.1:{m.rest_port}",
                "connect_address": f"127.0.0.1:{m.rest_port}",
            },
            "etcd3": {"hosts": f"127.0.0.1:{self.etcd_port}"},
            "bootstrap": {
                "dcs": {
                    # A leader that stops renewing its key for `ttl` seconds is replaced.
                    "ttl": 10,
                    "loop_wait": 1,
                    "retry_timeout": 3,
                    "maximum_lag_on_failover": 1048576,
                    "synchronous_mode": True,
                    "postgresql": {
                        "use_pg_rewind": True,
                        "parameters": {
                            "wal_level": "replica",
                            "hot_standby": "on",
                            "wal_log_hints": "on",
                            "max_wal_senders": 10,
                            "max_replication_slots": 10,
                            "max_connections": 100,
                            "fsync": "off",  # a throw-away cluster on a shared machine
                        },
                    },
                },
                "initdb": [{"encoding": "UTF8"}, {"locale": "C"}],
            },
            "postgresql": {
                "listen": f"127.0.0.1:{m.pg_port}",
                "connect_address": f"127.0.0.1:{m.pg_port}",
                "data_dir": str(m.data_dir),
                "bin_dir": str(pg_bin()),
                "pgpass": str(m.folder / "pgpass"),
                "authentication": {
                    "superuser": {"username": "postgres", "password": "unused"},
                    "replication": {"username": "postgres", "password": "unused"},
                    "rewind": {"username": "postgres", "password": "unused"},
                },
                "parameters": {"unix_socket_directories": str(m.folder)},
                "pg_hba": [
                    "local all all trust",
                    "host replication postgres 127.0.0.1/32 trust",
                    "host all all 127.0.0.1/32 trust",
                ],
            },
        }

    def start_member(self, m: Member) -> None:
        m.process = self._popen(
            ["patroni", str(m.config)], m.folder.parent / f"{m.name}.log", as_postgres=True
        )

    def kill(self, m: Member) -> None:
        """SIGKILL, as a machine that dies: Patroni and its PostgreSQL at once."""
        postmaster = m.postmaster_pid()
        if m.process is not None:
            _killpg(m.process.pid, signal.SIGKILL)
            m.process.wait()
        if postmaster:
            _kill(postmaster, signal.SIGKILL)
        _wait_gone(postmaster)

    def patronictl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["patronictl", "-c", str(self.members[0].config), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )

    def stop(self) -> None:
        for m in self.members:
            postmaster = m.postmaster_pid()
            if m.process is not None and m.process.poll() is None:
                _killpg(m.process.pid, signal.SIGTERM)
                try:
                    m.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    _killpg(m.process.pid, signal.SIGKILL)
                    m.process.wait()
            if postmaster:
                _kill(postmaster, signal.SIGQUIT)
                _wait_gone(postmaster)
        if self.etcd is not None and self.etcd.poll() is None:
            self.etcd.terminate()
            try:
                self.etcd.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.etcd.kill()
                self.etcd.wait()


def _kill(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _killpg(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _wait_gone(pid: int | None, timeout: float = 10) -> None:
    if not pid:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        except PermissionError:
            pass
        time.sleep(0.05)


def start_cluster(members: int = 3, keep: bool = False) -> Cluster:
    """Starts etcd and ``members`` Patroni members; returns once the cluster is healthy."""
    root = Path(tempfile.mkdtemp(prefix="jointcase-failover-"))
    root.chmod(0o755)  # the postgres OS user works inside
    cluster = Cluster(root)
    try:
        cluster.start_etcd()
        first = cluster.add_member(1)
        cluster.start_member(first)  # the first one bootstraps; the others clone it
        deadline = time.monotonic() + 60
        while first.role() != "leader":
            if time.monotonic() > deadline:
                raise TimeoutError(f"no leader: see {root}/pg1.log")
            time.sleep(0.3)
        for i in range(2, members + 1):
            cluster.start_member(cluster.add_member(i))
        cluster.wait_healthy(replicas=members - 1)
    except BaseException:
        cluster.stop()
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
        raise
    return cluster
