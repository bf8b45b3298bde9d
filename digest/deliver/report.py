"""What a send did (or, in a dry run, would do): counts, segments, problems."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from digest.deliver import Outcome, Result
from digest.deliver.segments import SegmentKey
from digest.errors import plural


@dataclass(frozen=True, slots=True)
class Progress:
    """Handed to the progress callback after every claim: counts so far."""

    done: int
    total: int
    sent: int
    failed: int
    uncertain: int


@dataclass
class SegmentPlan:
    """One segment in a dry run: who would get which edition."""

    key: SegmentKey
    stories: int
    sections: list[str]
    subject: str | None
    has_news: bool
    recipients: int = 0
    already: int = 0

    def add(self, status: str | None) -> None:
        self.recipients += 1
        if status == "sent":
            self.already += 1

    @property
    def to_send(self) -> int:
        return self.recipients - self.already if self.has_news else 0

    def describe(self) -> str:
        who = f"{self.key.describe()}: {plural(self.recipients, 'recipient')}"
        if not self.has_news:
            return f"{who}: nothing new in these regions, none would get mail"
        stories = plural(self.stories, "story", "stories")
        what = f"{stories} in {', '.join(self.sections) or 'no sections'}"
        sent = f"; {self.already} already sent" if self.already else ""
        return f"{who}: {self.to_send} would get {self.subject!r} ({what}){sent}"


@dataclass
class SendReport:
    """Counts of one run; ``before``/``after`` are the ledger's status counts."""

    edition_id: str
    backend: str
    before: dict[str, int] = field(default_factory=dict)
    after: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    segments: list[SegmentPlan] = field(default_factory=list)
    total: int = 0
    sent: int = 0
    failed: int = 0
    uncertain: int = 0
    sandboxed: int = 0
    skipped: int = 0
    retries: int = 0
    lost: int = 0
    resent: int = 0  # uncertain rows resent this run after the wait
    waiting: int = 0  # uncertain rows still to be settled by an event or the one resend
    renders: int = 0
    problems: list[tuple[str, str, str]] = field(default_factory=list)

    def count(self, results: Iterable[Result]) -> None:
        for result in results:
            if result.outcome is Outcome.SENT:
                self.sent += 1
            elif result.outcome is Outcome.FAILED:
                self.failed += 1
            elif result.outcome is Outcome.UNCERTAIN:
                self.uncertain += 1
            elif result.outcome is Outcome.SANDBOX:
                self.sandboxed += 1

    def count_skipped(self, n: int) -> None:
        self.skipped += n

    def progress(self) -> Progress:
        done = self.sent + self.failed + self.uncertain + self.sandboxed + self.skipped
        return Progress(done, self.total, self.sent, self.failed, self.uncertain)

    @property
    def ok(self) -> bool:
        """Nothing is left failed, or uncertain beyond what will settle by itself."""
        stuck = self.after.get("uncertain", 0) - self.waiting
        return not (self.after.get("failed") or stuck > 0)

    def summary(self) -> str:
        """One line for the end of ``digest send``."""
        if self.dry_run:
            would = sum(p.to_send for p in self.segments)
            people = sum(p.recipients for p in self.segments)
            return (
                f"{self.edition_id} (dry run, {self.backend}): {would} of "
                f"{plural(people, 'active subscriber')} would get mail, in "
                f"{plural(len(self.segments), 'segment')}; nothing sent"
            )
        after = self.after
        parts = [f"{self.sent} sent now", f"{self.before.get('sent', 0)} before"]
        if self.sandboxed:
            parts.append(f"{self.sandboxed} validated in sandbox mode (not delivered)")
        parts += [
            f"{after.get('skipped', 0)} skipped",
            f"{after.get('failed', 0)} failed",
            f"{after.get('uncertain', 0)} uncertain",
        ]
        if self.waiting:
            parts.append(f"{self.waiting} of them waiting for provider events or one resend")
        if self.resent:
            parts.append(f"{self.resent} uncertain resent after the wait")
        tail = (
            f"{plural(self.renders, 'segment render')}, "
            f"{plural(self.retries, 'retried batch', 'retried batches')}"
        )
        line = f"{self.edition_id} via {self.backend}: {', '.join(parts)}; {tail}"
        if not self.after:  # no ledger row at all: nobody to send to
            line += (
                "; no active subscriber gets this edition: add readers with "
                "`digest subscribers add` or `digest subscribers import`"
            )
        return line
