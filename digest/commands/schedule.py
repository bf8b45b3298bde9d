"""``digest schedule``: run the editions and sources as a long-running service."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import TYPE_CHECKING

import click

from digest.commands.app import App, pass_app

if TYPE_CHECKING:
    from apscheduler.schedulers.blocking import BlockingScheduler

log = logging.getLogger("digest.schedule")


@click.command("schedule")
@pass_app
def schedule(app: App) -> None:
    """Run each edition at its cron time and read each source every `every`.

    Jobs are kept in the database of [storage], so a run missed while the
    service was down happens once when it is back (the latest missed slot,
    within [schedule] misfire_grace). Several services may share one
    PostgreSQL database: each slot is still built and sent once. Stops
    cleanly on SIGTERM or Ctrl-C, letting running jobs finish.
    """
    from apscheduler.schedulers.blocking import BlockingScheduler

    from digest.schedule.service import configure_scheduler, describe_jobs

    app.require_secrets()  # every edition it runs is delivered, with signed links
    if logging.getLogger("digest").getEffectiveLevel() > logging.INFO:
        logging.getLogger("digest").setLevel(logging.INFO)  # a service's log is its output
    scheduler = BlockingScheduler()
    jobs = configure_scheduler(scheduler, app)
    for line in describe_jobs(jobs, app.config.zone):
        log.info("%s", line)
    _stop_on_signals(scheduler)
    log.info("started; jobs kept in table apscheduler_jobs of %s", app.store.describe())
    scheduler.start()
    log.info("stopped")


def _stop_on_signals(scheduler: BlockingScheduler) -> None:
    """SIGTERM/SIGINT stop the scheduler from a helper thread: shutting down
    inside the handler could re-enter the scheduler's own locks."""

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("%s received; stopping after running jobs finish", signal.Signals(signum).name)
        threading.Thread(target=scheduler.shutdown, name="digest-stop").start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
