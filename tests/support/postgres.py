"""A real PostgreSQL server for the tests, started from the installed binaries.

One server per test session, in a temporary folder, listening on a free port of
127.0.0.1 with ``trust`` authentication. PostgreSQL refuses to run as root, so when
the tests run as root the server runs as the ``postgres`` system user (or ``nobody``).
Durability is switched off (``fsync=off``): the data is thrown away afterwards.

Fixtures: ``postgres_server`` and ``postgres_url`` (session), ``fresh_postgres_url``
and its alias ``pg_database`` (one new empty database per test).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.support import free_port

SUPERUSER = "digest"
DEFAULT_DB = "digest"
PG_SEARCH_GLOB = "/usr/lib/postgresql/*/bin"
MISSING_REASON = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in "
    f"{PG_SEARCH_GLOB}; run .ci/system-deps.sh"
)


def find_pg_bindir() -> Path | None:
    """Return the folder holding ``initdb`` and ``pg_ctl``, newest version first."""
    on_path = shutil.which("initdb")
    candidates = [Path(on_path).resolve().parent] if on_path else []

    def version(path: str) -> int:
        name = Path(path).parent.name
        return int(name) if name.isdigit() else 0

    candidates += [Path(p) for p in sorted(glob.glob(PG_SEARCH_GLOB), key=version, reverse=True)]
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    return None


def _server_account() -> pwd.struct_passwd | None:
    """The unprivileged account to run PostgreSQL as, or None to run as ourselves."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root, but neither user 'postgres' nor 'nobody' exists")


@dataclass
class PostgresServer:
    """A running PostgreSQL server; ``url()`` builds SQLAlchemy URLs for its databases."""

    bindir: Path
    root: Path
    port: int
    host: str = "127.0.0.1"
    user: str = SUPERUSER
    account: pwd.struct_passwd | None = None
    _env: dict[str, str] = field(default_factory=dict)

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def logfile(self) -> Path:
        return self.root / "server.log"

    def url(self, dbname: str = DEFAULT_DB) -> str:
        """SQLAlchemy URL ``postgresql+psycopg://USER@HOST:PORT/DBNAME``."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        """An autocommit psycopg connection to ``dbname`` (close it when done)."""
        return psycopg.connect(
            host=self.host, port=self.port, user=self.user, dbname=dbname, autocommit=True
        )

    def create_database(self, dbname: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        return self.url(dbname)

    def drop_database(self, dbname: str) -> None:
        """Drop a database, ending any sessions still connected to it."""
        with self.connect() as conn:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            conn.execute(drop.format(sql.Identifier(dbname)))

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        user = group = None
        if self.account is not None:
            user, group = self.account.pw_uid, self.account.pw_gid
        return subprocess.run(
            args,
            cwd=self.root,
            env=self._env,
            user=user,
            group=group,
            extra_groups=[] if user is not None else None,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def _check(self, proc: subprocess.CompletedProcess[str], what: str) -> None:
        if proc.returncode != 0:
            log = self.logfile.read_text(errors="replace") if self.logfile.exists() else ""
            raise RuntimeError(
                f"PostgreSQL {what} failed ({proc.args[0]} exit {proc.returncode}):\n"
                f"{proc.stdout}{proc.stderr}{log}"
            )

    def init(self) -> None:
        """Create the cluster with ``initdb`` (superuser ``digest``, trust auth)."""
        proc = self._run(
            str(self.bindir / "initdb"),
            *("-D", str(self.datadir), "-U", self.user, "-A", "trust"),
            *("-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"),
        )
        self._check(proc, "initdb")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (
            f"-h {self.host} -p {self.port} -k {self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        proc = self._run(
            str(self.bindir / "pg_ctl"),
            *("-D", str(self.datadir), "-l", str(self.logfile), "-o", options, "-w", "start"),
        )
        self._check(proc, "start")

    def stop(self) -> None:
        """Stop the server (sessions still open are ended)."""
        proc = self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop"
        )
        self._check(proc, "stop")


def start_postgres(bindir: Path) -> PostgresServer:
    """Create a cluster in a new temporary folder, start it and create ``digest``."""
    account = _server_account()
    root = Path(tempfile.mkdtemp(prefix="digest-pg-"))
    if account is not None:
        os.chown(root, account.pw_uid, account.pw_gid)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}
    if account is not None:
        env["HOME"] = str(root)
    server = PostgresServer(bindir=bindir, root=root, port=0, account=account, _env=env)
    server.init()
    for attempt in range(3):  # another process may take the free port before we bind it
        server.port = free_port()
        try:
            server.start()
            break
        except RuntimeError:
            if attempt == 2:
                raise
    server.create_database(DEFAULT_DB)
    return server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Session-wide real PostgreSQL server (a ``PostgresServer``).

    Started from the installed binaries (PATH, then /usr/lib/postgresql/*/bin) in a
    temporary folder on a free port of 127.0.0.1; stopped and removed at the end.
    Skips only when no PostgreSQL binaries are installed.
    """
    bindir = find_pg_bindir()
    if bindir is None:
        pytest.skip(MISSING_REASON)
    server = start_postgres(bindir)
    try:
        yield server
    finally:
        try:
            server.stop()
        finally:
            shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """SQLAlchemy URL of the session's database ``digest``:
    ``postgresql+psycopg://digest@127.0.0.1:PORT/digest``. Shared by every test that
    uses it: prefer ``fresh_postgres_url`` unless a test cleans up after itself.
    """
    return postgres_server.url(DEFAULT_DB)


@pytest.fixture
def fresh_postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """SQLAlchemy URL of a new, empty database made for this test alone.

    Dropped after the test (``WITH (FORCE)``, so pooled connections left open do not
    block it). Same server as ``postgres_url``; creating a database takes milliseconds.
    """
    dbname = f"t_{uuid.uuid4().hex[:16]}"
    url = postgres_server.create_database(dbname)
    try:
        yield url
    finally:
        postgres_server.drop_database(dbname)


@pytest.fixture
def pg_database(fresh_postgres_url: str) -> str:
    """Alias of ``fresh_postgres_url``: the URL of a new empty database for this test."""
    return fresh_postgres_url
