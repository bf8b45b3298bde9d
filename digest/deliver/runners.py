"""Who is sending: runner identities, whether one is still alive, and the
one-runner-at-a-time lock for SQLite files."""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import uuid
from collections.abc import Iterator

from digest.errors import DeliveryError
from digest.store import Store


def runner_id() -> str:
    """``host:pid:random``: who holds a claim, so a dead owner is recognised."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_alive(owner: str) -> bool:
    """False only when ``owner`` was a process on this host that has ended."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return True  # another machine: only the lease can tell
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def runner_lock(store: Store) -> Iterator[None]:
    """On a SQLite file: hold ``<db>.send.lock`` so one runner at a time sends
    (DeliveryError if another holds it). PostgreSQL runners share the work instead."""
    database = store.engine.url.database or ""
    if store.dialect != "sqlite" or not database or database == ":memory:":
        yield
        return
    path = f"{database}.send.lock"
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DeliveryError(
                f"another `digest send` is running on {database} (it holds {path}); "
                "let it finish, or run again when it has stopped"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
