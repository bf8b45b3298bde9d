"""The outbox: one readable .eml per message, written atomically, never twice."""

from __future__ import annotations

import email
import email.policy
import os
import stat
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from digest.deliver import ledger
from digest.deliver.outbox import OutboxBackend, outbox_name
from digest.deliver.send import send_edition
from digest.errors import DeliveryError
from digest.files import write_atomic
from digest.model import Edition
from digest.store import Store
from digest.store.subscribers import add_subscriber, list_subscribers, remove_subscriber
from tests.delivery_helpers import SIGNER, SLOT, add_readers, make_config, make_edition, record

EDITION = "ochtend-2026-01-21T0700"


def written(path: Path) -> tuple[int, int]:
    """Which write made the file (inode numbers alone are reused)."""
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


def read(path: Path) -> EmailMessage:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


@pytest.fixture
def edition(sqlite_store: Store) -> Edition:
    return record(sqlite_store, make_edition())


def test_each_reader_with_news_gets_one_readable_file(
    sqlite_store: Store, edition: Edition, tmp_path: Path
) -> None:
    add_readers(sqlite_store, 64)
    config = make_config(tmp_path, unsubscribe_mailto="afmelden@example.org")
    report = send_edition(sqlite_store, config, edition, now=SLOT, signer=SIGNER)
    files = sorted((tmp_path / "outbox").iterdir())
    readers = list_subscribers(sqlite_store)
    # readers who chose only limburg (no news there) get nothing
    limburg_only = [r for r in readers if r.regions == frozenset({"limburg"})]
    assert len(limburg_only) == 4
    assert len(files) == report.sent == 60
    assert report.after == {"sent": 60, "skipped": 4}
    for reader in readers:
        path = tmp_path / "outbox" / outbox_name(EDITION, reader.id)
        assert path.exists() == (reader not in limburg_only)
    reader = readers[17]  # chose groenland only, reads English
    msg = read(tmp_path / "outbox" / outbox_name(EDITION, reader.id))
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["To"] == f"Lezer 17 <{reader.email}>"
    assert msg["List-Unsubscribe"].startswith("<https://news.example.org/unsubscribe/")
    assert "<mailto:afmelden@example.org?subject=unsubscribe%20" in msg["List-Unsubscribe"]
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = msg.get_body(("plain",))
    assert text is not None
    body = text.get_content()
    assert "Good morning Lezer," in body  # the first word of "Lezer 17"
    assert "GROENLAND" in body and "ZEELAND" not in body


def test_the_links_carry_tokens_for_this_subscriber(
    sqlite_store: Store, edition: Edition, tmp_path: Path
) -> None:
    add_readers(sqlite_store, 1)
    send_edition(sqlite_store, make_config(tmp_path), edition, now=SLOT, signer=SIGNER)
    (reader,) = list_subscribers(sqlite_store)
    msg = read(tmp_path / "outbox" / outbox_name(EDITION, reader.id))
    token = msg["List-Unsubscribe"].split("/unsubscribe/")[1].split(">")[0]
    assert SIGNER.read("unsubscribe", token, {reader.id: reader.email}) == reader.id
    html = msg.get_body(("html",))
    assert html is not None and f"/unsubscribe/{token}" in html.get_content()


def test_a_rerun_writes_nothing_again(
    sqlite_store: Store, edition: Edition, tmp_path: Path
) -> None:
    add_readers(sqlite_store, 20)
    config = make_config(tmp_path)
    first = send_edition(sqlite_store, config, edition, now=SLOT, signer=SIGNER)
    inodes = {p.name: written(p) for p in (tmp_path / "outbox").iterdir()}
    again = send_edition(sqlite_store, config, edition, now=SLOT, signer=SIGNER)
    assert (first.sent, again.sent) == (len(inodes), 0)
    assert {p.name: written(p) for p in (tmp_path / "outbox").iterdir()} == inodes


def test_a_run_killed_after_writing_is_completed_without_rewriting(
    sqlite_store: Store, edition: Edition, tmp_path: Path
) -> None:
    add_readers(sqlite_store, 20)
    config = make_config(tmp_path)
    send_edition(sqlite_store, config, edition, now=SLOT, signer=SIGNER)
    inodes = {p.name: written(p) for p in (tmp_path / "outbox").iterdir()}
    # as if the run died after writing the files but before marking them sent
    (tmp_path / "outbox" / next(iter(inodes))).unlink()
    with sqlite_store.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE deliveries SET status = 'sending', claimed_by = 'gone:1:x#1'"
            " WHERE status = 'sent'"
        )
    later = SLOT + ledger.DEFAULT_LEASE + timedelta(minutes=1)
    report = send_edition(sqlite_store, config, edition, now=later, signer=SIGNER)
    assert report.sent == len(inodes) and report.after["sent"] == len(inodes)
    now = {p.name: written(p) for p in (tmp_path / "outbox").iterdir()}
    assert now.keys() == inodes.keys()
    assert sum(now[name] != inodes[name] for name in inodes) == 1  # only the missing one


def test_files_are_written_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "a.eml"
    write_atomic(target, b"first")
    write_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    with pytest.raises(IsADirectoryError):
        write_atomic(tmp_path, b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.eml"]  # no temp file left


def test_an_outbox_that_cannot_be_made_is_named(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(DeliveryError, match=r"delivery\.outbox\.dir"):
        OutboxBackend(tmp_path / "file" / "outbox").open()


def test_send_empty_mails_readers_without_news(
    sqlite_store: Store, edition: Edition, tmp_path: Path
) -> None:
    add_readers(sqlite_store, 5)  # the fifth chose limburg only
    config = make_config(tmp_path, send_empty=True)
    assert send_edition(sqlite_store, config, edition, now=SLOT, signer=SIGNER).sent == 5


def test_a_new_subscriber_never_inherits_a_removed_ones_mail(store: Store, tmp_path: Path) -> None:
    """SQLite used to give the newest deleted row's id to the next insert: the new
    reader found the old reader's outbox file, was marked sent and got nothing."""
    edition = record(store, make_edition())
    add_readers(store, 3)
    config = make_config(tmp_path)
    send_edition(store, config, edition, now=SLOT, signer=SIGNER)
    newest = max(list_subscribers(store), key=lambda s: s.id)
    assert remove_subscriber(store, newest.email)
    newcomer = add_subscriber(store, "nieuw@example.org", status="active", now=SLOT)
    assert newcomer.id > newest.id
    report = send_edition(store, config, edition, now=SLOT, signer=SIGNER)
    assert report.sent == 1
    mail = read(tmp_path / "outbox" / outbox_name(EDITION, newcomer.id))
    assert mail["To"] == "nieuw@example.org"


def test_the_greeting_names_the_first_name_the_to_header_the_full_name(
    sqlite_store: Store, edition: Edition, tmp_path: Path
) -> None:
    given = add_subscriber(
        sqlite_store,
        "anna@example.org",
        name="Anna de Vries",
        first_name="Anneke",
        status="active",
        now=SLOT,
    )
    plain = add_subscriber(
        sqlite_store, "bram@example.org", name="Bram Bos", status="active", now=SLOT
    )
    send_edition(sqlite_store, make_config(tmp_path), edition, now=SLOT, signer=SIGNER)
    mail = read(tmp_path / "outbox" / outbox_name(EDITION, given.id))
    assert mail["To"] == "Anna de Vries <anna@example.org>"
    for part in ("plain", "html"):
        body = mail.get_body((part,))
        assert body is not None and "Goedemorgen Anneke," in body.get_content()
    fallback = read(tmp_path / "outbox" / outbox_name(EDITION, plain.id)).get_body(("plain",))
    assert fallback is not None and "Goedemorgen Bram," in fallback.get_content()


def test_outbox_mails_are_world_readable(
    sqlite_store: Store, edition: Edition, tmp_path: Path
) -> None:
    old = os.umask(0o022)
    try:
        add_readers(sqlite_store, 2)
        send_edition(sqlite_store, make_config(tmp_path), edition, now=SLOT, signer=SIGNER)
    finally:
        os.umask(old)
    files = list((tmp_path / "outbox").iterdir())
    assert files and all(stat.S_IMODE(p.stat().st_mode) == 0o644 for p in files)
