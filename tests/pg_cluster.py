"""A throwaway PostgreSQL cluster for tests: initdb in a temporary folder (as the postgres user when run as root,
since initdb refuses root), a free loopback port, trust authentication, stopped and deleted at the end.

.ci/run starts one before the test command and stops it at the end (`python3 tests/pg_cluster.py start` prints
the shell lines to export; `... stop FOLDER`), and the tests use it through ADVISOR_TEST_PG_URL. Without that
variable the tests start a cluster of their own; they skip only when the server binaries are missing, and say so.
"""
from __future__ import annotations

import glob
import os
import shlex
import shutil
import socket
import subprocess
import sys
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
    """A TCP port free on loopback now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ENV_URL = "ADVISOR_TEST_PG_URL"


class Server:
    """A PostgreSQL server someone else started (.ci/run): `url` connects as a user who may create databases."""

    def __init__(self, url: str):
        self.url = url

    def create_database(self, name: str) -> str:
        """A fresh database on the server; returns its URL."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def stop(self) -> None:
        """Not ours to stop."""


@dataclass
class Cluster(Server):
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


def server_for_tests() -> Server:
    """The server the tests use: the one in ADVISOR_TEST_PG_URL (started by .ci/run), or a cluster of our own.
    Raises FileNotFoundError where neither is possible (no server binaries)."""
    url = os.environ.get(ENV_URL)
    return Server(url) if url else start_cluster()


def main(argv: list[str]) -> int:
    """`start`: start a cluster and print the shell lines that export its URL and folder; `stop FOLDER`: stop the
    cluster in FOLDER and delete it. Uses only the standard library (it runs before the test environment exists)."""
    if argv[:1] == ["start"]:
        cluster = start_cluster()
        print(f"export {ENV_URL}={shlex.quote(cluster.url)} ADVISOR_TEST_PG_FOLDER={shlex.quote(str(cluster.folder))}")
        return 0
    if argv[:1] == ["stop"] and len(argv) == 2:
        folder = Path(argv[1])
        bin_dir = server_bin_dir()
        if bin_dir is not None and folder.name.startswith("advisor-pg-") and folder.exists():
            Cluster(folder, 0, bin_dir, os.geteuid() == 0).stop()
        return 0
    print("usage: pg_cluster.py start | stop FOLDER", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
