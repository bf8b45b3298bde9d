"""``digest send --workers N``: several runner processes split one edition through
the ledger's claims on PostgreSQL, each mail once; refused where it cannot work."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.cli import main
from digest.deliver.sendgrid import API_KEY_ENV
from digest.deliver.workers import send_with_workers
from digest.errors import DeliveryError
from digest.store import Store, open_store
from digest.store.subscribers import list_subscribers
from digest.tokens import SECRET_ENV
from tests.delivery_helpers import SECRET, SIGNER, SLOT, add_readers, make_config, make_edition
from tests.delivery_helpers import record as record_edition
from tests.support.sendgrid_server import SendGridServer


@pytest.mark.postgres
@pytest.mark.slow
def test_two_workers_send_each_mail_once(
    fresh_postgres_url: str,
    sendgrid_server: SendGridServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DIGEST_DATABASE_URL", fresh_postgres_url)  # the workers read it too
    monkeypatch.setenv(API_KEY_ENV, "SG.test-key")
    monkeypatch.setenv(SECRET_ENV, SECRET)
    config = make_config(
        tmp_path, backend="sendgrid", sendgrid={"host": sendgrid_server.url, "batch_size": 20}
    )
    assert config.database_url == fresh_postgres_url
    store = open_store(fresh_postgres_url)
    try:
        edition = record_edition(store, make_edition())
        add_readers(store, 640)
        report = send_with_workers(store, config, edition, workers=2, now=SLOT, signer=SIGNER)
        wanted = sorted(
            s.email for s in list_subscribers(store) if s.regions != frozenset({"limburg"})
        )
        again = send_with_workers(store, config, edition, workers=2, now=SLOT, signer=SIGNER)
    finally:
        store.close()
    received = sendgrid_server.recipients()
    assert sorted(received) == wanted  # every reader with news, each exactly once
    assert sendgrid_server.invalid == []
    assert report.sent == len(wanted) and report.after == {"sent": 600, "skipped": 40}
    assert again.sent == 0 and again.after == report.after  # a rerun sends nothing


def test_several_workers_are_refused_on_a_sqlite_file(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    store = open_store(config.database_url)
    try:
        edition = record_edition(store, make_edition())
        with pytest.raises(DeliveryError, match="--workers 2: several runners need PostgreSQL"):
            send_with_workers(store, config, edition, workers=2, now=SLOT, signer=SIGNER)
    finally:
        store.close()


def test_the_command_refuses_workers_with_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    config = make_config(tmp_path)
    store = open_store(config.database_url)
    try:
        record_edition(store, make_edition())
    finally:
        store.close()
    argv = ["--config", str(config.path), "send", "--workers", "2", "--to", "a@example.org"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "--workers: not with --dry-run, --to or --test" in err and "Traceback" not in err


def test_a_runner_starts_at_its_share_of_the_segments_and_still_sends_everyone_once(
    sendgrid_server: SendGridServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import select

    from digest.deliver.send import send_edition
    from digest.store.schema import deliveries, subscribers

    monkeypatch.setenv(API_KEY_ENV, "SG.test-key")
    config = make_config(
        tmp_path, backend="sendgrid", sendgrid={"host": sendgrid_server.url, "batch_size": 20}
    )
    store = open_store(config.database_url)
    try:
        edition = record_edition(store, make_edition())
        add_readers(store, 160)
        report = send_edition(store, config, edition, now=SLOT, signer=SIGNER, share=(1, 2))
        query = select(subscribers.c.email, deliveries.c.segment).join(
            deliveries, deliveries.c.subscriber_id == subscribers.c.id
        )
        with store.begin() as conn:
            segment_of: dict[str, str] = {e: seg for e, seg in conn.execute(query).all()}
        wanted = sorted(e for e, _ in segment_of.items() if e not in _skipped(store))
    finally:
        store.close()
    received = sendgrid_server.recipients()
    assert sorted(received) == wanted and report.sent == len(wanted)
    mailed = sorted({segment_of[e] for e in received})
    first = {
        segment_of[to["email"]]
        for p in sendgrid_server.accepted[0].body["personalizations"]
        for to in p["to"]
    }
    assert first == {mailed[len(mailed) // 2]}  # the second of two starts half-way


def _skipped(store: Store) -> set[str]:
    from sqlalchemy import select

    from digest.store.schema import deliveries, subscribers

    query = (
        select(subscribers.c.email)
        .join(deliveries, deliveries.c.subscriber_id == subscribers.c.id)
        .where(deliveries.c.status == "skipped")
    )
    with store.begin() as conn:
        return set(conn.execute(query).scalars())
