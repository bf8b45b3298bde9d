"""Sending an edition: plan the ledger, claim, render per segment, hand over, record.

:func:`send_edition` is the one entry point. It is safe to run again at any
time: rows already sent are never claimed again, rows a dead run left behind
are recovered (see :mod:`digest.deliver.ledger`), failed rows are retried.

Retries within a run (see :mod:`digest.deliver.handover`): a recipient the
provider refused *for now* is retried after a jittered pause, up to
``[delivery] max_retries`` times; then it is recorded ``failed`` with the
reason and retried by the next run. A refusal for good (other 4xx) fails the
batch at once with the provider's message. A lost answer after the message
was handed over is recorded ``uncertain`` and not resent unless
``retry_uncertain`` is set (resends keep the same Message-ID).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from digest.config import Config, parse_duration
from digest.deliver import Addressee, Backend, ledger, make_backend, runners, settle
from digest.deliver.compose import Links as Links  # re-exported (digest.web.mail uses it)
from digest.deliver.compose import Renderer
from digest.deliver.handover import HandOver
from digest.deliver.handover import RetryPolicy as RetryPolicy  # re-exported
from digest.deliver.message import make_sender
from digest.deliver.plan import ChoiceRows, PlanRow, plan_active, plan_rows
from digest.deliver.report import Progress, SegmentPlan, SendReport
from digest.deliver.segments import SegmentKey, has_news, segment_edition, segment_of
from digest.edition.build import archive_page
from digest.errors import DeliveryError
from digest.model import Edition
from digest.store import Store
from digest.store.subscribers import (
    SubscriberChoice,
    get_subscriber,
    stream_choices,
)
from digest.subscribers import receives
from digest.tokens import TokenSigner

SENDING = ledger.SENDING
NOTHING_NEW = "nothing new in the chosen regions"
SKIP_EMPTY = (ledger.SKIPPED, NOTHING_NEW)
NOT_CHOSEN = "subscriber no longer chooses this edition"


def _recipients(
    store: Store, only: str | None, edition: str, opt_in: bool = False
) -> Iterator[SubscriberChoice]:
    """The active subscribers who chose ``edition``: everyone, or the one ``only`` names."""
    if only is None:
        for choice in stream_choices(store, status="active"):
            if receives(choice.editions, edition, opt_in=opt_in):
                yield choice
        return
    found = get_subscriber(store, only.strip().lower())
    if found is None:
        raise DeliveryError(f"--to {only}: not a subscriber; add it with `digest subscribers add`")
    if found.status != "active":
        raise DeliveryError(f"--to {only}: subscriber is {found.status}, not active")
    if not found.receives(edition, opt_in=opt_in):
        raise DeliveryError(
            f"--to {only}: subscriber did not choose the edition {edition!r}; "
            "their editions: " + ", ".join(sorted(found.editions or ()))
        )
    yield SubscriberChoice(found.id, found.regions, found.locale, found.editions)


def _decider(edition: Edition, send_empty: bool) -> Callable[[SegmentKey], ChoiceRows]:
    """What the ledger rows of a segment get: its label, and pending, or
    skipped when its regions have nothing new (worked out once per segment)."""
    made: dict[SegmentKey, ChoiceRows] = {}

    def decide(key: SegmentKey) -> ChoiceRows:
        if key not in made:
            news = send_empty or has_news(edition, key)
            made[key] = ChoiceRows(key.label, *((ledger.PENDING, None) if news else SKIP_EMPTY))
        return made[key]

    return decide


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
    planned: bool = False,
    share: tuple[int, int] = (0, 1),
) -> SendReport:
    """Deliver ``edition`` (recorded in the store) to every active subscriber
    (or only to the address ``only``) at most once each; see the module doc.

    ``now`` stamps claims, sent times and the Date header. ``backend``
    defaults to the configured one; ``retry`` to ``max_retries`` from config.
    ``planned``: the ledger was planned already (:func:`plan_edition`, as
    ``--workers`` does once for all its runners), so this runner only sends.
    ``share``: this runner's number among how many share the edition (``(1, 2)``
    for the second of two): runners start at different segments, so that they
    rarely claim in the same one and each renders mostly its own segments.
    """
    if dry_run:
        return dry_run_report(store, config, edition, only=only)
    backend = backend or make_backend(config)
    policy = retry or RetryPolicy(max_retries=config.delivery.max_retries)
    with runners.runner_lock(store):
        if planned and only is None:
            only_id = None
        else:
            only_id = _plan(store, edition, only, config.delivery.send_empty)
        before = ledger.counts(store, edition.id)
        report = SendReport(edition.id, backend.name, before=before)
        report.resent = _tidy(
            store, config, edition.id, before, backend, now, lease, retry_uncertain
        )
        run = _Run(store, config, edition, backend, policy, now, signer, report, progress, only_id)
        run.share = share
        with backend:
            run.deliver(_pending_after_tidy(before, retry_uncertain))
        after = report.after = ledger.counts(store, edition.id)
        # Each reads every row of the edition; the counts say when nothing is to be found.
        if after.get(ledger.UNCERTAIN):
            report.waiting = settle.waiting(store, edition.id)
        if after.get(ledger.UNCERTAIN) or after.get(ledger.FAILED):
            report.problems = ledger.problems(store, edition.id)
        report.renders = run.renderer.renders
    return report


def _pending_after_tidy(before: dict[str, int], retry_uncertain: bool) -> int | None:
    """The edition's pending rows once :func:`_tidy` ran, when it is known from
    ``before`` (tidying had nothing to change, as for a fresh edition); None when
    tidying may have made rows pending, so that they must be counted again."""
    if ledger.reopens(before, retry_uncertain=retry_uncertain):
        return None
    if any(before.get(status) for status in (ledger.CLAIMED, ledger.SENDING, ledger.UNCERTAIN)):
        return None
    return before.get(ledger.PENDING, 0)


def _tidy(
    store: Store,
    config: Config,
    edition_id: str,
    before: dict[str, int],
    backend: Backend,
    now: datetime,
    lease: timedelta,
    retry_uncertain: bool,
) -> int:
    """Start of a run: failed rows reopened, stale claims recovered, overdue
    uncertain rows resent; how many were resent. Each statement reads every row
    of the edition, so it runs only when ``before`` (the edition's counts) has
    rows it could change: a fresh edition has none."""
    if ledger.reopens(before, retry_uncertain=retry_uncertain):
        ledger.reopen(store, edition_id, retry_uncertain=retry_uncertain)
    uncertain = before.get(ledger.UNCERTAIN, 0)
    if before.get(ledger.CLAIMED) or before.get(ledger.SENDING):
        recovered = ledger.recover(
            store, edition_id, now=now, idempotent=backend.idempotent, lease=lease
        )
        uncertain += recovered[1]
    if not uncertain:
        return 0
    wait = parse_duration(config.delivery.resend_uncertain_after)
    return settle.resend_overdue(store, edition_id, now=now, wait=wait)


def plan_edition(store: Store, config: Config, edition: Edition) -> None:
    """Add the ledger rows of every active subscriber still missing (idempotent)."""
    _plan(store, edition, None, config.delivery.send_empty)


def _plan(store: Store, edition: Edition, only: str | None, send_empty: bool) -> int | None:
    """Add the missing ledger rows; the subscriber id ``only`` names, if any."""
    if only is None:
        decide = _decider(edition, send_empty)
        opt_in = edition.kind != "regular"
        plan_active(store, edition.id, decide, edition_name=edition.name, opt_in=opt_in)
        return None
    (one,) = _recipients(store, only, edition.name, edition.kind != "regular")
    rows = _decider(edition, send_empty)(segment_of(one))
    plan_rows(store, edition.id, [PlanRow(one.id, rows.segment, rows.status, rows.error)])
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
        self.renderer = Renderer(edition, config, archive_page(store, config, edition))
        self.links = Links(config, signer, edition.id, self.sender)
        self.owner = runners.runner_id()
        # A claim that is one chunk goes straight into *sending* (one statement, no
        # mark), taken once the chunk before it was answered: see
        # digest.deliver.handover. Idempotent backends are never marked.
        self.into = (
            ledger.SENDING
            if backend.claim_size <= backend.batch_size and not backend.idempotent
            else ledger.CLAIMED
        )
        self.claims = 0
        self.send_empty = config.delivery.send_empty
        self.news: dict[SegmentKey, bool] = {}
        self.share = (0, 1)

    def deliver(self, pending: int | None = None) -> None:
        """Send every pending row; ``pending``: how many there are, when known
        (else counted here: each count reads every row of the edition)."""
        if pending is None:
            pending = ledger.counts(self.store, self.edition.id).get(ledger.PENDING, 0)
        self.report.total = pending
        self._tick()
        args = (self.store, self.edition, self.backend, self.policy, self.report, self.sender)
        with HandOver(*args, self.now) as hand:
            try:
                for segment in self._segments():
                    while self._claim(hand, segment):
                        pass
                hand.settle()
            except BaseException:
                hand.abort([f"{self.owner}#{self.claims}"])
                raise
        self._tick()

    def _segments(self) -> list[str]:
        """The segments with pending rows, from this runner's share of the list on
        (then round to the start): the others begin elsewhere."""
        found = ledger.segments_with_work(self.store, self.edition.id, self.only)
        index, count = self.share
        start = len(found) * index // max(1, count)
        return found[start:] + found[:start]

    def _claim(self, hand: HandOver, segment: str) -> bool:
        """Claim and dispatch the next rows of ``segment``; False when none are left."""
        self.claims += 1
        owner = f"{self.owner}#{self.claims}"
        if self.into == ledger.SENDING:
            hand.settle()  # no chunk of ours out while rows of this claim are *sending*
        rows = ledger.claim(
            self.store,
            self.edition.id,
            segment,
            owner=owner,
            limit=self.backend.claim_size,
            now=self.now,
            only=self.only,
            edition_name=self.edition.name,
            opt_in=self.edition.kind != "regular",
            into=self.into,
        )
        if rows:
            self._handle(hand, owner, rows)
        return bool(rows)

    def _handle(self, hand: HandOver, owner: str, rows: list[ledger.Claimed]) -> None:
        gone = {
            r.subscriber_id: f"subscriber is {r.status} now" for r in rows if r.status != "active"
        }
        # Planned rows are checked again (by the claim): a reader may have dropped
        # this edition since.
        gone |= {
            r.subscriber_id: NOT_CHOSEN for r in rows if not r.chooses and r.status == "active"
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
                pending = {r.subscriber_id: self._addressee(r) for r in chunk}
                hand.dispatch(owner, rendered, pending, claimed_sending=self.into == SENDING)
        self._tick()

    def _news(self, key: SegmentKey) -> bool:
        """Whether this segment gets mail (planned rows are checked again: a
        subscriber may have changed their regions since)."""
        if key not in self.news:
            self.news[key] = self.send_empty or has_news(self.edition, key)
        return self.news[key]

    def _addressee(self, row: ledger.Claimed) -> Addressee:
        return self.links.addressee(row.subscriber_id, row.email, row.name, row.first_name)

    def _tick(self) -> None:
        if self.progress is not None:
            self.progress(self.report.progress())


def dry_run_report(
    store: Store, config: Config, edition: Edition, *, only: str | None = None
) -> SendReport:
    """What a send would do, per segment, without writing or sending anything."""
    done = ledger.statuses(store, edition.id)
    plans: dict[SegmentKey, SegmentPlan] = {}
    send_empty = config.delivery.send_empty
    renderer = Renderer(edition, config, archive_page(store, config, edition))
    for subscriber in _recipients(store, only, edition.name, edition.kind != "regular"):
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
