"""Sending an edition: plan the ledger, claim, render per segment, hand over, record.

:func:`send_edition` is the one entry point. It is safe to run again at any
time: rows already sent are never claimed again, rows a dead run left behind
are recovered (see :mod:`digest.deliver.ledger`), failed rows are retried.

Retries within a run: a recipient the provider refused *for now* (429, 5xx,
SMTP 4xx, connection lost before the message was complete) is retried after
an exponential, jittered pause that honours ``Retry-After``, up to
``[delivery] max_retries`` times; then it is recorded ``failed`` with the
reason and retried by the next run. A refusal for good (other 4xx) fails the
batch at once with the provider's message. A lost answer after the message
was handed over is recorded ``uncertain`` and not resent unless
``retry_uncertain`` is set (resends keep the same Message-ID).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from digest.config import Config
from digest.deliver import Addressee, Backend, Batch, Outcome, Result, ledger, make_backend, runners
from digest.deliver.compose import Links as Links  # re-exported (digest.web.mail uses it)
from digest.deliver.compose import Renderer
from digest.deliver.message import make_sender
from digest.deliver.report import Progress, SegmentPlan, SendReport
from digest.edition import Edition
from digest.errors import DeliveryError
from digest.render import RenderedEdition
from digest.segments import SegmentKey, has_news, segment_edition, segment_of
from digest.store import Store
from digest.store.subscribers import SubscriberChoice, get_subscriber, stream_choices
from digest.tokens import TokenSigner

NOTHING_NEW = "nothing new in the chosen regions"
SKIP_EMPTY = (ledger.SKIPPED, NOTHING_NEW)


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


def _recipients(store: Store, only: str | None) -> Iterator[SubscriberChoice]:
    """The active subscribers to plan for: everyone, or the one ``only`` names."""
    if only is None:
        yield from stream_choices(store, status="active")
        return
    found = get_subscriber(store, only.strip().lower())
    if found is None:
        raise DeliveryError(f"--to {only}: not a subscriber; add it with `digest subscribers add`")
    if found.status != "active":
        raise DeliveryError(f"--to {only}: subscriber is {found.status}, not active")
    yield SubscriberChoice(found.id, found.regions, found.locale)


def _plan_rows(
    edition: Edition, recipients: Iterator[SubscriberChoice], send_empty: bool
) -> Iterator[ledger.PlanRow]:
    # Each distinct choice's row values, worked out once (there are a few hundred).
    made: dict[tuple[frozenset[str] | None, str], tuple[str, str, str | None]] = {}
    for subscriber in recipients:
        choice = (subscriber.regions, subscriber.locale)
        if choice not in made:
            key = segment_of(subscriber)
            news = send_empty or has_news(edition, key)
            made[choice] = (key.label, *((ledger.PENDING, None) if news else SKIP_EMPTY))
        label, status, error = made[choice]
        yield ledger.PlanRow(subscriber.id, label, status, error)


def send_edition(
    store: Store,
    config: Config,
    edition: Edition,
    *,
    now: datetime,
    signer: TokenSigner,
    dry_run: bool = False,
    only: str | None = None,
    progress: Callable[[Progress], None] | None = None,
    retry_uncertain: bool = False,
    backend: Backend | None = None,
    retry: RetryPolicy | None = None,
    lease: timedelta = ledger.DEFAULT_LEASE,
) -> SendReport:
    """Deliver ``edition`` (recorded in the store) to every active subscriber
    (or only to the address ``only``) at most once each; see the module doc.

    ``now`` stamps claims, sent times and the Date header. ``backend``
    defaults to the configured one; ``retry`` to ``max_retries`` from config.
    """
    if dry_run:
        return dry_run_report(store, config, edition, only=only)
    backend = backend or make_backend(config)
    policy = retry or RetryPolicy(max_retries=config.delivery.max_retries)
    with runners.runner_lock(store):
        only_id = _plan(store, edition, only, config.delivery.send_empty)
        report = SendReport(edition.id, backend.name, before=ledger.counts(store, edition.id))
        ledger.reopen(store, edition.id, retry_uncertain=retry_uncertain)
        ledger.recover(store, edition.id, now=now, idempotent=backend.idempotent, lease=lease)
        run = _Run(store, config, edition, backend, policy, now, signer, report, progress, only_id)
        with backend:
            run.deliver()
        report.after = ledger.counts(store, edition.id)
        report.problems = ledger.problems(store, edition.id)
        report.renders = run.renderer.renders
    return report


def _plan(store: Store, edition: Edition, only: str | None, send_empty: bool) -> int | None:
    """Add the missing ledger rows; the subscriber id ``only`` names, if any."""
    if only is None:
        ledger.plan(store, edition.id, _plan_rows(edition, _recipients(store, None), send_empty))
        return None
    (one,) = _recipients(store, only)
    ledger.plan(store, edition.id, _plan_rows(edition, iter([one]), send_empty))
    return one.id


class _Run:
    """One runner's pass over the ledger of one edition."""

    def __init__(
        self,
        store: Store,
        config: Config,
        edition: Edition,
        backend: Backend,
        policy: RetryPolicy,
        now: datetime,
        signer: TokenSigner,
        report: SendReport,
        progress: Callable[[Progress], None] | None,
        only: int | None,
    ) -> None:
        self.store, self.edition, self.backend, self.policy = store, edition, backend, policy
        self.now, self.report, self.progress, self.only = now, report, progress, only
        self.sender = make_sender(
            config.delivery.from_,
            config.delivery.reply_to,
            site_title=config.site.title,
            edition_name=edition.name,
        )
        self.renderer = Renderer(edition, config)
        self.links = Links(config, signer, edition.id, self.sender)
        self.owner = runners.runner_id()
        self.claims = 0
        self.send_empty = config.delivery.send_empty
        self.news: dict[SegmentKey, bool] = {}

    def deliver(self) -> None:
        self.report.total = ledger.counts(self.store, self.edition.id).get(ledger.PENDING, 0)
        self._tick()
        for segment in ledger.segments_with_work(self.store, self.edition.id, self.only):
            while True:
                self.claims += 1
                owner = f"{self.owner}#{self.claims}"
                rows = ledger.claim(
                    self.store,
                    self.edition.id,
                    segment,
                    owner=owner,
                    limit=self.backend.claim_size,
                    now=self.now,
                    only=self.only,
                )
                if not rows:
                    break
                self._handle(owner, rows)

    def _handle(self, owner: str, rows: list[ledger.Claimed]) -> None:
        gone = {
            r.subscriber_id: f"subscriber is {r.status} now" for r in rows if r.status != "active"
        }
        ledger.skip(self.store, self.edition.id, gone)
        self.report.count_skipped(len(gone))
        groups: dict[SegmentKey, list[ledger.Claimed]] = {}
        for row in rows:
            if row.subscriber_id not in gone:
                groups.setdefault(segment_of(row), []).append(row)
        empty = {
            r.subscriber_id: NOTHING_NEW for k, m in groups.items() if not self._news(k) for r in m
        }
        ledger.skip(self.store, self.edition.id, empty)
        self.report.count_skipped(len(empty))
        size = self.backend.batch_size
        for key, members in groups.items():
            if not self._news(key):
                continue
            rendered = self.renderer(key)
            for start in range(0, len(members), size):
                chunk = members[start : start + size]
                self._send(owner, rendered, {r.subscriber_id: self._addressee(r) for r in chunk})
        self._tick()

    def _news(self, key: SegmentKey) -> bool:
        """Whether this segment gets mail (planned rows are checked again: a
        subscriber may have changed their regions since)."""
        if key not in self.news:
            self.news[key] = self.send_empty or has_news(self.edition, key)
        return self.news[key]

    def _addressee(self, row: ledger.Claimed) -> Addressee:
        return self.links.addressee(row.subscriber_id, row.email, row.name)

    def _batch(self, rendered: RenderedEdition, recipients: dict[int, Addressee]) -> Batch:
        return Batch(
            self.edition.id,
            self.edition.name,
            rendered,
            self.sender,
            tuple(recipients.values()),
            self.now,
        )

    def _send(self, owner: str, rendered: RenderedEdition, pending: dict[int, Addressee]) -> None:
        for attempt in range(self.policy.max_retries + 1):
            if not self.backend.idempotent and not ledger.mark_sending(
                self.store, self.edition.id, pending.keys(), owner
            ):
                self.report.lost += len(pending)  # a runner that thought us dead took them
                return
            results = self._hand_over(rendered, pending)
            retry = {sid: r for sid, r in results.items() if r.outcome is Outcome.RETRY}
            final = {sid: r for sid, r in results.items() if r.outcome is not Outcome.RETRY}
            wait = self.policy.delay(attempt, _longest_wait(retry))
            if retry and (why := self._give_up(attempt, wait)):
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
            pending = {sid: pending[sid] for sid in retry}

    def _give_up(self, attempt: int, wait: float) -> str | None:
        if attempt == self.policy.max_retries:
            return f"gave up after {attempt + 1} attempt(s)"
        if wait > self.policy.max_wait:
            return f"asked to wait {wait:.0f} s, more than {self.policy.max_wait:.0f} s"
        return None

    def _hand_over(
        self, rendered: RenderedEdition, pending: dict[int, Addressee]
    ) -> dict[int, Result]:
        try:
            results = self.backend.send(self._batch(rendered, pending))
        except DeliveryError as exc:
            failed = Result(Outcome.FAILED, str(exc))
            ledger.record(self.store, self.edition.id, dict.fromkeys(pending, failed), now=self.now)
            raise
        missing = Result(Outcome.UNCERTAIN, f"backend {self.backend.name} gave no result")
        return {sid: results.get(sid, missing) for sid in pending}

    def _tick(self) -> None:
        if self.progress is not None:
            self.progress(self.report.progress())


def _longest_wait(results: dict[int, Result]) -> float | None:
    waits = [r.retry_after for r in results.values() if r.retry_after is not None]
    return max(waits) if waits else None


def dry_run_report(
    store: Store, config: Config, edition: Edition, *, only: str | None = None
) -> SendReport:
    """What a send would do, per segment, without writing or sending anything."""
    done = ledger.statuses(store, edition.id)
    plans: dict[SegmentKey, SegmentPlan] = {}
    send_empty = config.delivery.send_empty
    renderer = Renderer(edition, config)
    for subscriber in _recipients(store, only):
        key = segment_of(subscriber)
        if key not in plans:
            view = segment_edition(edition, key)
            news = send_empty or view.story_count > 0
            subject = renderer(key).subject if news else None
            plans[key] = SegmentPlan(
                key, view.story_count, [s.title for s in view.sections], subject, news
            )
        plans[key].add(done.get(subscriber.id))
    report = SendReport(
        edition.id, config.delivery.backend, before=ledger.counts(store, edition.id)
    )
    report.dry_run = True
    report.segments = sorted(plans.values(), key=lambda p: p.key.label)
    report.renders = renderer.renders
    return report
