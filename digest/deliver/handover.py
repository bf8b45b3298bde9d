"""Handing chunks of recipients to the backend: mark, send, record, retry.

A chunk's rows are marked *sending* (committed) before the backend gets the
chunk, and their results are recorded when it answers. One chunk at a time
is with the backend, in a worker thread, while the runner claims and
prepares the next one; the next chunk is marked *sending* only after the
answer for the one before it has been recorded. So at any moment at most one
chunk can be left *sending* by a crash, as in a run that sends one chunk
after the other, and all ledger writes stay in the runner's thread.

A chunk claimed straight into *sending* (``dispatch(..., claimed_sending=True)``)
is not marked again: its runner claimed it after :meth:`HandOver.settle`, with
no chunk of its own out, and hands it over at once, so the promise above holds.

Retries: a recipient the provider refused *for now* (429, 5xx, SMTP 4xx,
connection lost before the message was complete) is retried after an
exponential, jittered pause that honours ``Retry-After``, up to
``max_retries`` times; then it is recorded ``failed`` with the reason and
retried by the next run.
"""

from __future__ import annotations

import contextlib
import functools
import random
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from digest.deliver import Addressee, Backend, Batch, Outcome, Result, ledger
from digest.deliver.message import Sender
from digest.deliver.report import SendReport
from digest.errors import DeliveryError, plural
from digest.model import Edition
from digest.render.outputs import RenderedEdition
from digest.store import Store


@dataclass
class RetryPolicy:
    """How long to wait before retrying what a provider refused for now."""

    max_retries: int = 5
    base: float = 1.0  # seconds before the first retry (before jitter); doubles each time
    cap: float = 60.0  # longest pause of our own choosing
    max_wait: float = 600.0  # a longer Retry-After fails the batch for the next run
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Full jitter on ``base * 2**attempt``, but never less than Retry-After."""
        backoff = self.rng.uniform(0, min(self.cap, self.base * 2**attempt))
        return max(backoff, retry_after or 0.0)

    def give_up(self, attempt: int, wait: float) -> str | None:
        """Why not to retry after ``attempt`` (counted from 0), or None."""
        if attempt == self.max_retries:
            return f"gave up after {plural(attempt + 1, 'attempt')}"
        if wait > self.max_wait:
            return f"asked to wait {wait:.0f} s, more than {self.max_wait:.0f} s"
        return None


@dataclass(frozen=True, slots=True)
class _Flight:
    """A chunk with the backend."""

    owner: str
    rendered: RenderedEdition
    pending: dict[int, Addressee]
    answer: Future[dict[int, Result]]


class HandOver:
    """Hands one runner's chunks to ``backend`` and records what became of them.

    Use as a context manager; call :meth:`settle` when the last chunk has
    been dispatched, and :meth:`abort` when the run fails.
    """

    def __init__(
        self,
        store: Store,
        edition: Edition,
        backend: Backend,
        policy: RetryPolicy,
        report: SendReport,
        sender: Sender,
        now: datetime,
    ) -> None:
        self.store, self.edition, self.backend = store, edition, backend
        self.policy, self.report, self.sender, self.now = policy, report, sender, now
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digest-hand-over")
        self._flight: _Flight | None = None
        self._handed: set[str] = set()  # owners whose rows (some) went to the backend

    def __enter__(self) -> HandOver:
        return self

    def __exit__(self, *exc: object) -> None:
        self._worker.shutdown(wait=True)

    def dispatch(
        self,
        owner: str,
        rendered: RenderedEdition,
        pending: dict[int, Addressee],
        *,
        claimed_sending: bool = False,
    ) -> None:
        """Give ``pending`` (claimed by ``owner``) to the backend once the chunk
        before it is settled; returns without waiting for the answer.
        ``claimed_sending``: the rows were claimed straight into *sending*."""
        self.settle()
        if claimed_sending or self._mark(owner, pending):
            self._handed.add(owner)
            answer = self._worker.submit(self.backend.send, self._batch(rendered, pending))
            self._flight = _Flight(owner, rendered, pending, answer)

    def settle(self) -> None:
        """Wait for the chunk with the backend, record its results, and retry
        (here, in turn) what was refused for now."""
        flight = self._flight
        if flight is None:
            return
        try:
            results = self._answer(flight.pending, flight.answer.result)
        except Exception:
            self._flight = None  # answered with an error, recorded as such
            raise
        self._flight = None  # (interrupted while waiting, it stays for abort to record)
        self._conclude(flight.owner, flight.rendered, flight.pending, results)

    def abort(self, owners: Iterable[str]) -> None:
        """After an error: record the answer for the chunk with the backend
        (it may have been sent), and give the rows ``owners`` claimed but did
        not hand over back to the ledger."""
        flight, self._flight = self._flight, None
        held = set(owners)
        if flight is not None:
            held.add(flight.owner)
            with contextlib.suppress(Exception):
                results = self._answer(flight.pending, flight.answer.result)
                ledger.record(self.store, self.edition.id, results, now=self.now)
        unsent = held - self._handed  # claimed into sending, never handed over
        ledger.release(self.store, self.edition.id, held & self._handed, unsent)

    def _conclude(
        self,
        owner: str,
        rendered: RenderedEdition,
        pending: dict[int, Addressee],
        results: dict[int, Result],
    ) -> None:
        attempt = 0
        while True:
            retry = {sid: r for sid, r in results.items() if r.outcome is Outcome.RETRY}
            final = {sid: r for sid, r in results.items() if r.outcome is not Outcome.RETRY}
            wait = self.policy.delay(attempt, _longest_wait(retry))
            if retry and (why := self.policy.give_up(attempt, wait)):
                final |= {
                    sid: Result(Outcome.FAILED, f"{why}: {r.reason}") for sid, r in retry.items()
                }
                retry = {}
            ledger.record(self.store, self.edition.id, {**final, **retry}, now=self.now)
            self.report.count(final.values())
            if not retry:
                return
            self.report.retries += 1
            self.policy.sleep(wait)
            pending, attempt = {sid: pending[sid] for sid in retry}, attempt + 1
            if not self._mark(owner, pending):
                return
            send = functools.partial(self.backend.send, self._batch(rendered, pending))
            results = self._answer(pending, send)

    def _mark(self, owner: str, pending: dict[int, Addressee]) -> bool:
        """Commit that ``pending`` is being handed over; False when another
        runner took the rows (it thought us dead)."""
        if self.backend.idempotent or ledger.mark_sending(
            self.store, self.edition.id, pending.keys(), owner
        ):
            return True
        self.report.lost += len(pending)
        return False

    def _batch(self, rendered: RenderedEdition, pending: dict[int, Addressee]) -> Batch:
        edition = self.edition
        recipients = tuple(pending.values())
        return Batch(edition.id, edition.name, rendered, self.sender, recipients, self.now)

    def _answer(
        self, pending: dict[int, Addressee], answer: Callable[[], dict[int, Result]]
    ) -> dict[int, Result]:
        """The backend's result for every recipient of ``pending``; a
        DeliveryError is recorded as the failure of all of them, then raised."""
        try:
            results = answer()
        except DeliveryError as exc:
            failed = Result(Outcome.FAILED, str(exc))
            ledger.record(self.store, self.edition.id, dict.fromkeys(pending, failed), now=self.now)
            raise
        missing = Result(Outcome.UNCERTAIN, f"backend {self.backend.name} gave no result")
        return {sid: results.get(sid, missing) for sid in pending}


def _longest_wait(results: dict[int, Result]) -> float | None:
    waits = [r.retry_after for r in results.values() if r.retry_after is not None]
    return max(waits) if waits else None
