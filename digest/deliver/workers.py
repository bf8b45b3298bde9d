"""One edition sent by several processes: ``digest send --workers N``.

The ledger is planned once, here; then ``N - 1`` worker processes (spawned,
each with its own store connection and backend) and this process run
:func:`digest.deliver.send.send_edition` on the same edition. They split the
pending rows through the ledger's claims (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL), so each mail goes out once, as with runners on several hosts.
A SQLite file admits one runner at a time (see
:func:`digest.deliver.runners.runner_lock`), so more than one worker needs
PostgreSQL. The reports of all the runners are added up into one.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

from digest.config import Config, load_config
from digest.deliver import backend_class, ledger, settle
from digest.deliver.report import SendReport
from digest.deliver.send import plan_edition, send_edition
from digest.errors import DeliveryError
from digest.model import Edition
from digest.store import Store, open_store
from digest.tokens import TokenSigner, secret_key

_ADDED = ("sent", "failed", "uncertain", "sandboxed", "skipped", "retries", "lost", "resent")


def send_with_workers(
    store: Store,
    config: Config,
    edition: Edition,
    *,
    workers: int,
    now: datetime,
    signer: TokenSigner,
    retry_uncertain: bool = False,
) -> SendReport:
    """Deliver ``edition`` with ``workers`` runners (this process and ``workers - 1``
    spawned ones) that share the ledger; one report for all of them."""
    if workers < 1:
        raise DeliveryError(f"--workers {workers}: give 1 or more")
    if workers > 1 and store.dialect != "postgresql":
        raise DeliveryError(
            f"--workers {workers}: several runners need PostgreSQL ([storage] url or "
            "DIGEST_DATABASE_URL); on a SQLite file one runner sends at a time"
        )
    before = ledger.counts(store, edition.id)
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=max(1, workers - 1), mp_context=spawn) as pool:
        # The worker processes start (and import digest and the backend) while the
        # ledger is planned here; they are given the edition only once it is planned.
        starting = [pool.submit(_start, config.delivery.backend) for _ in range(1, workers)]
        plan_edition(store, config, edition)
        for started in starting:
            started.result()
        others = [
            pool.submit(_runner, str(config.path), edition.id, now, retry_uncertain, (k, workers))
            for k in range(1, workers)
        ]
        report = send_edition(
            store, config, edition, now=now, signer=signer,
            retry_uncertain=retry_uncertain, planned=True, share=(0, workers),
        )  # fmt: skip
        reports = [other.result() for other in others]
    for other in reports:
        for name in _ADDED:
            setattr(report, name, getattr(report, name) + getattr(other, name))
        report.renders += other.renders
    report.before = before
    report.after = ledger.counts(store, edition.id)
    report.waiting = settle.waiting(store, edition.id)
    report.problems = ledger.problems(store, edition.id)
    return report


def _start(backend: str) -> None:
    """A worker process's first task, while the edition is being planned: import
    the backend's module (this module's imports came with the task)."""
    backend_class(backend)


def _runner(
    config_path: str,
    edition_id: str,
    now: datetime,
    retry_uncertain: bool,
    share: tuple[int, int],
) -> SendReport:
    """One worker process: its own config, store and backend, the shared ledger;
    it starts at its ``share`` of the segments."""
    from digest.store.editions import load_edition

    config = load_config(Path(config_path))
    store = open_store(config.database_url)
    try:
        edition = load_edition(store, edition_id)
        if edition is None:
            raise DeliveryError(f"worker: edition {edition_id} is not in the store")
        signer = TokenSigner(secret_key())
        return send_edition(
            store, config, edition, now=now, signer=signer,
            retry_uncertain=retry_uncertain, planned=True, share=share,
        )  # fmt: skip
    finally:
        store.close()
