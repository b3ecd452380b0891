"""A throwaway PostgreSQL cluster for tests: initdb in a temporary folder (as the postgres user when run as root,
since initdb refuses root), a free loopback port, trust authentication, stopped and deleted at the end.

Tests that need it skip only when the server binaries are missing, and say so; .ci/run installs Debian's
postgresql package so CI always has them.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def server_bin_dir() -> Path | None:
    """The folder of initdb, pg_ctl and postgres: PG_BIN, PATH, or Debian's /usr/lib/postgresql/<version>/bin."""
    candidates = [os.environ.get("PG_BIN", "")]
    found = shutil.which("pg_ctl")
    if found:
        candidates.append(str(Path(os.path.realpath(found)).parent))
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        if folder and all((Path(folder) / tool).exists() for tool in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    folder: Path
    port: int
    bin_dir: Path
    as_postgres: bool

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)

    def create_database(self, name: str) -> str:
        """A fresh database in the cluster; returns its URL."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "stop", timeout=60)
        shutil.rmtree(self.folder, ignore_errors=True)


def start_cluster() -> Cluster:
    """Starts a cluster; raises RuntimeError with initdb's or the server's own words when it cannot."""
    bin_dir = server_bin_dir()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found")
    folder = Path(tempfile.mkdtemp(prefix="advisor-pg-"))
    as_postgres = os.geteuid() == 0
    if as_postgres:
        shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(folder, free_port(), bin_dir, as_postgres)
    done = cluster._run("initdb", "-D", str(folder / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                        "--no-sync")
    if done.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {done.stderr.strip()[-500:]}")
    options = f"-p {cluster.port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
    started = cluster._run("pg_ctl", "-D", str(folder / "data"), "-o", options, "-l", str(folder / "server.log"),
                           "-w", "-t", "60", "start")
    if started.returncode != 0:
        log = (folder / "server.log").read_text(errors="replace")[-500:] if (folder / "server.log").exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {started.stderr.strip()[-300:]} {log}")
    for _ in range(50):
        try:
            with socket.create_connection(("127.0.0.1", cluster.port), timeout=1):
                return cluster
        except OSError:
            time.sleep(0.1)
    return cluster
