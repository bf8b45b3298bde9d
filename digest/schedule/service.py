"""``digest schedule``: the editions and sources on APScheduler 3.

One job per edition (its cron expression in the site zone) runs
:func:`digest.schedule.job.run_job` for that edition; one job per source (every
``every``) ingests it. Jobs live in the same database as everything else
(APScheduler's ``SQLAlchemyJobStore`` makes its own ``apscheduler_jobs``
table), so a restarted service knows what it missed.

APScheduler's traps, and what guards against each:

- a run due while the service was down: the stored next run time is kept on
  restart (re-adding a job would otherwise move it to the future), and
  ``misfire_grace_time`` (``[schedule] misfire_grace``; ``catch_up = "none"``
  makes it a minute) with ``coalesce`` runs it once, late, for the latest
  missed slot only;
- a run that failed (mail server down) or died: a retry job every ten
  minutes resumes it while its slot is still within the grace;
- the fall-back hour firing a 02:30 job twice, and several schedulers on one
  job store each firing a job: :mod:`digest.schedule.claims` lets one run per slot do
  the work; the others log that the slot was taken.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.executors.base import BaseExecutor
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger

from digest import clock
from digest.config import Config, parse_duration
from digest.errors import DigestError
from digest.schedule.claims import DEFAULT_LEASE, get_claim, list_claims, new_owner
from digest.schedule.context import Context
from digest.schedule.extras import run_extras
from digest.schedule.job import RunReport, due_slots, run_job
from digest.schedule.slots import catch_up_grace, cron_trigger
from digest.schedule.sources import SourceOutcome, ingest_sources

log = logging.getLogger(__name__)
JOBSTORE = "default"
WORKERS = 4
RETRY_EVERY = timedelta(minutes=10)


@dataclass
class _Service:
    """The context of the jobs in this process: job store rows name functions,
    not objects, so the functions find the app (and the clock) here."""

    app: Context | None = None
    now: Callable[[], datetime] = clock.now


_SERVICE = _Service()


def edition_job(edition: str) -> RunReport:
    """What the scheduler runs for an edition: the whole job at this instant."""
    app = _app()
    report = run_job(app, edition, _SERVICE.now(), now=_SERVICE.now)
    for done in report.editions:
        level = logging.ERROR if done.status == "failed" else logging.INFO
        log.log(level, "edition %s: %s: %s", done.slot, done.status, done.message)
        if done.notice:
            log.warning("%s", done.notice)
    if not report.due:
        log.info("edition %s: no slot due at %s (missed for good)", edition, report.at.isoformat())
    for failure in [f for s in report.sources for f in s.errors]:
        log.error("%s", failure)
    return report


def retry_job() -> list[RunReport]:
    """Every few minutes: resume the due slots whose run failed (a mail server
    down at 07:00) or died, and finish the deliveries still waiting for uncertain
    hand-overs to settle, and the editions waiting for approval; the edition jobs
    themselves fire only once a slot."""
    app, now = _app(), _SERVICE.now()
    reports = []
    retried: set[str] = set()
    for ec, slot in due_slots(app.config, None, now):
        claim = get_claim(app.store, slot.key)
        if claim is not None and (claim.status == "failed" or claim.is_stale(now, DEFAULT_LEASE)):
            log.info("edition %s: retrying after %s", slot, claim.message or claim.status)
            reports.append(edition_job(ec.name))
            retried.add(ec.name)
    waiting = {c.edition_name for c in list_claims(app.store, status="waiting")}
    # editions waiting for an editor: sent soon after approval, skipped at the deadline
    waiting |= {c.edition_name for c in list_claims(app.store, status="approval")}
    for name in sorted(waiting - retried):
        if name in {ec.name for ec in app.config.editions}:
            reports.append(edition_job(name))  # run_job settles its waiting claims
    return reports


def source_job(source: str) -> list[SourceOutcome]:
    """What the scheduler runs for a source: ingest it, then fire any Extra
    editie its news makes due (exactly once per slot, through the claims)."""
    now = _SERVICE.now()
    app = _app()
    outcomes = ingest_sources(app, at=now, now=now, only=source)
    for outcome in outcomes:
        log.info("source %s: %s", outcome.name, outcome.summary)
        for error in outcome.errors:
            log.error("%s", error)
    extras = [ec.name for ec in app.config.editions if ec.kind == "extra"]
    if extras:
        runs = run_extras(app, new_owner(), extras, now, now=_SERVICE.now, lease=DEFAULT_LEASE)
        for done in runs:
            level = logging.ERROR if done.status == "failed" else logging.INFO
            log.log(level, "edition %s: %s: %s", done.slot, done.status, done.message)
    return outcomes


def _app() -> Context:
    if _SERVICE.app is None:
        raise DigestError("no digest service in this process; start it with `digest schedule`")
    return _SERVICE.app


def grace_seconds(config: Config) -> int:
    grace = catch_up_grace(config.schedule.catch_up, parse_duration(config.schedule.misfire_grace))
    return int(grace.total_seconds())


def configure_scheduler(
    scheduler: BaseScheduler,
    app: Context,
    *,
    now: Callable[[], datetime] = clock.now,
    executor: BaseExecutor | None = None,
) -> list[Job]:
    """Give ``scheduler`` the job store, executor and jobs of ``app``'s config;
    jobs no longer configured are removed. Call before ``scheduler.start()``.
    ``now`` and ``executor`` are for tests that drive the scheduler themselves."""
    _SERVICE.app, _SERVICE.now = app, now
    config = app.config
    store = SQLAlchemyJobStore(engine=app.store.engine)
    scheduler.configure(
        jobstores={JOBSTORE: store},
        executors={"default": executor or ThreadPoolExecutor(WORKERS)},
        job_defaults={"coalesce": True, "max_instances": 1},
        timezone=config.zone,
    )
    store.start(scheduler, JOBSTORE)  # early, to read what the last service left
    start = now()
    wanted = _edition_jobs(config) + _source_jobs(config, start) + [_retry_spec(start)]
    for job_id in {job.id for job in store.get_all_jobs()} - {w["id"] for w in wanted}:
        store.remove_job(job_id)
        log.info("job %s is no longer configured; removed", job_id)
    return [_add(scheduler, store, spec, start) for spec in wanted]


def _edition_jobs(config: Config) -> list[dict[str, Any]]:
    grace = grace_seconds(config)
    return [
        {
            "id": f"edition:{ec.name}",
            "name": f"edition {ec.name} ({ec.cron})",
            "func": edition_job,
            "args": [ec.name],
            "trigger": cron_trigger(ec.cron, config.zone, edition=ec.name),
            "misfire_grace_time": grace,
        }
        for ec in config.editions
        if ec.kind != "extra"  # fired by the news, after each ingestion
    ]


def _every(interval: timedelta, start: datetime) -> IntervalTrigger:
    # An explicit start: APScheduler would read its own clock for the default.
    return IntervalTrigger(seconds=int(interval.total_seconds()), start_date=start + interval)


def _retry_spec(start: datetime) -> dict[str, Any]:
    seconds = int(RETRY_EVERY.total_seconds())
    return {
        "id": "retry",
        "name": f"retry failed editions (every {seconds // 60}m)",
        "func": retry_job,
        "trigger": _every(RETRY_EVERY, start),
        "misfire_grace_time": seconds,
    }


def _source_jobs(config: Config, start: datetime) -> list[dict[str, Any]]:
    jobs = []
    for source in config.sources:
        every = parse_duration(source.every)
        trigger = _every(every, start)
        jobs.append(
            {
                "id": f"source:{source.name}",
                "name": f"source {source.name} (every {source.every})",
                "func": source_job,
                "args": [source.name],
                "trigger": trigger,
                "misfire_grace_time": max(int(every.total_seconds()), 60),
            }
        )
    return jobs


def _add(
    scheduler: BaseScheduler, store: SQLAlchemyJobStore, spec: dict[str, Any], now: datetime
) -> Job:
    """Add (or replace) a job, keeping a stored run time that is already past:
    that is a run missed while no service was up, which must still happen."""
    next_run = spec["trigger"].get_next_fire_time(None, now)
    stored = _stored_next_run(store, spec["id"])
    if stored is not None and next_run is not None and stored < next_run:
        if stored <= now:
            log.info("job %s: the run due at %s was missed", spec["id"], stored.isoformat())
        next_run = stored
    return scheduler.add_job(replace_existing=True, next_run_time=next_run, **spec)


def _stored_next_run(store: SQLAlchemyJobStore, job_id: str) -> datetime | None:
    try:
        job = store.lookup_job(job_id)
    except Exception as exc:  # a row pickled by another release: start afresh
        log.warning("job %s in the job store cannot be read (%s); replacing it", job_id, exc)
        return None
    return job.next_run_time if job is not None else None


def describe_jobs(jobs: list[Job], zone: Any) -> list[str]:
    """One line per job: what it is and when it runs next."""
    lines = []
    for job in jobs:
        when = job.next_run_time
        lines.append(f"{job.name}: next run {clock.moment(when, zone)}" if when else job.name)
    return lines
