"""The consent log: every sign-up, confirmation, preference change, unsubscribe
and import leaves an entry (time, consent text version, source, keyed IP hash),
entries are chained, and `digest consent verify` finds an entry changed,
deleted or forged directly in the database."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from digest.cli import main
from digest.store import Store, open_store
from digest.store.consent import (
    ConsentKeys,
    append,
    consent_text,
    entries_for,
    verify_chain,
)
from tests.test_web import NOW, SECRET, Site, link_in, token

KEYS = ConsentKeys.from_secret(SECRET)


def test_the_web_pages_log_sign_up_confirmation_changes_and_unsubscribe(site: Site) -> None:
    assert site.sign_up("anna@example.org", regions=["zeeland"]).status_code == 200
    site.confirm(link_in(site.mails()[-1], "confirm"))
    entries = entries_for(site.store, KEYS, "anna@example.org")
    assert [(e.event, e.source) for e in entries] == [
        ("signup", "form:signup"),
        ("confirm", "form:confirm"),
    ]
    anna = entries[0]
    assert anna.text_version is not None and anna.ip_hash is not None
    assert "testclient" not in anna.ip_hash and len(anna.ip_hash) == 64  # keyed, not plain
    shown = consent_text(site.store, anna.text_version)
    assert shown is not None and shown.startswith("Door je aan te melden")
    assert shown in " ".join(site.client.get("/").text.split())  # the words the page shows
    subscriber = entries[1].subscriber_id
    assert subscriber is not None
    from digest.store.subscribers import get_subscriber

    found = get_subscriber(site.store, "anna@example.org")
    assert found is not None
    url = f"/preferences/{token('preferences', found)}"
    data = {"csrf": site.csrf(url), "action": "save", "regions": ["groenland"]}
    assert site.client.post(url, data=data).status_code == 200
    assert site.client.post(url, data={**data, "action": "unsubscribe"}).status_code == 200
    later = entries_for(site.store, KEYS, "anna@example.org")
    assert [e.event for e in later] == ["signup", "confirm", "preferences", "unsubscribe"]
    assert later[2].details["regions"] == ["groenland"]
    assert later[3].details["status"] == "unsubscribed"
    assert verify_chain(site.store, KEYS).ok


def test_concurrent_writers_keep_one_chain(store: Store) -> None:
    def write(who: str) -> None:
        for n in range(25):
            append(store, KEYS, email=f"{who}{n}@example.org", subscriber_id=None,
                   event="signup", source="form:signup", now=NOW)  # fmt: skip

    threads = [threading.Thread(target=write, args=(name,)) for name in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    found = verify_chain(store, KEYS)
    assert found.entries == 75 and found.ok, found.problems


@pytest.mark.postgres
def test_postgresql_appends_take_turns_and_need_no_retry(
    fresh_postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four writers, one try each: on PostgreSQL appends wait for each other (an
    advisory lock per transaction) instead of racing on the unique prev_hash and
    retrying; under load the race ran out of its 20 retries (CI, 58 of 75)."""
    import digest.store.consent as consent

    monkeypatch.setattr(consent, "_RETRIES", 1)
    store = open_store(fresh_postgres_url)
    failures: list[Exception] = []

    def write(who: str) -> None:
        for n in range(25):
            try:
                append(store, KEYS, email=f"{who}{n}@example.org", subscriber_id=None,
                       event="signup", source="form:signup", now=NOW)  # fmt: skip
            except consent.ConsentError as exc:
                failures.append(exc)

    threads = [threading.Thread(target=write, args=(name,)) for name in "abcd"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert failures == []
        found = verify_chain(store, KEYS)
        assert found.entries == 100 and found.ok, found.problems
    finally:
        store.close()


def _site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from tests.delivery_helpers import write_config

    monkeypatch.setenv("DIGEST_SECRET_KEY", SECRET)
    return write_config(tmp_path)


def test_import_is_logged_and_verify_finds_an_entry_changed_in_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _site(tmp_path, monkeypatch)
    leden = tmp_path / "leden.csv"
    leden.write_text(
        "email,name,regions\na@example.org,A,\nb@example.org,B,zeeland\nc@example.org,C,\n"
    )
    base = ["--config", str(config)]
    assert main([*base, "subscribers", "import", str(leden)]) == 0
    assert main([*base, "subscribers", "editions", "b@example.org", "ochtend"]) == 0
    capsys.readouterr()
    assert main([*base, "subscribers", "consent", "b@example.org"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and "  import  import:leden.csv  text " in out[0]
    assert "regions=['zeeland']" in out[0] and "  preferences  cli  no text" in out[1]
    assert main([*base, "consent", "verify"]) == 0
    assert "consent log: 4 entries, chain intact" in capsys.readouterr().out

    engine = create_engine(f"sqlite:///{tmp_path / 'digest.db'}")
    with engine.begin() as conn:  # someone edits an entry's choice directly
        conn.execute(text("UPDATE consent_log SET details = '{\"regions\": null}' WHERE id = 2"))
    assert main([*base, "consent", "verify"]) == 1
    err = capsys.readouterr().err
    assert "consent log entry 2: its contents were changed after it was written" in err
    assert "1 entry of 4 failed the check" in err

    with engine.begin() as conn:  # ... and recomputes its hash, without the key
        row = conn.execute(text("SELECT prev_hash, details FROM consent_log WHERE id = 2")).one()
        forged = hashlib.sha256((row.prev_hash + row.details).encode()).hexdigest()
        conn.execute(text("UPDATE consent_log SET entry_hash = :h WHERE id = 2"), {"h": forged})
    assert main([*base, "consent", "verify"]) == 1
    err = capsys.readouterr().err
    assert "entry 2: its contents were changed" in err
    assert "entry 3: does not follow the entry before it" in err

    with engine.begin() as conn:  # a deleted entry
        conn.execute(text("DELETE FROM consent_log WHERE id IN (2, 3)"))
    assert main([*base, "consent", "verify"]) == 1
    assert "entry 4: does not follow the entry before it" in capsys.readouterr().err
    engine.dispose()


def test_the_log_needs_the_secret_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _site(tmp_path, monkeypatch)
    monkeypatch.delenv("DIGEST_SECRET_KEY")
    assert main(["--config", str(config), "subscribers", "add", "a@example.org"]) == 1
    assert "DIGEST_SECRET_KEY is not set" in capsys.readouterr().err
    assert main(["--config", str(config), "consent", "verify"]) == 1


@pytest.fixture
def site(sqlite_store: Store, tmp_path: Path) -> Site:
    return Site(sqlite_store, tmp_path)
