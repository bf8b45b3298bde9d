"""Readers own their data: download everything stored about them, erase
themselves (leaving only a keyed suppression hash that keeps a later import
from adding them back), and unconfirmed sign-ups pruned after 30 days."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from digest.cli import main
from digest.store import Store
from digest.store.consent import ConsentKeys
from digest.store.erasure import prune_pending, suppressed
from digest.store.subscribers import add_subscriber, get_subscriber
from tests.test_web import CSRF, NOW, SECRET, Site, link_in, token

KEYS = ConsentKeys.from_secret(SECRET)


@pytest.fixture
def site(sqlite_store: Store, tmp_path: Path) -> Site:
    return Site(sqlite_store, tmp_path)


def test_a_reader_downloads_their_data_then_erases_themselves(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    signed = site.sign_up("anna@example.org", name="Anna", first_name="Anneke", regions=["zeeland"])
    assert signed.status_code == 200
    site.confirm(link_in(site.mails()[-1], "confirm"))
    anna = get_subscriber(site.store, "anna@example.org")
    assert anna is not None and anna.status == "active"
    url = f"/preferences/{token('preferences', anna)}"
    page = site.client.get(url)
    assert "Download mijn gegevens" in page.text and "Verwijder mij" in page.text

    download = site.client.get(f"{url}/data")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/json"
    assert "attachment" in download.headers["content-disposition"]
    data = json.loads(download.content)
    assert data["subscriber"]["email"] == "anna@example.org"
    assert data["subscriber"]["name"] == "Anna" and data["subscriber"]["regions"] == ["zeeland"]
    assert data["subscriber"]["first_name"] == "Anneke"
    assert [e["event"] for e in data["consent_log"]] == ["signup", "confirm"]
    assert data["deliveries"] == [] and data["provider_events"] == []

    asked = site.client.get(f"{url}/erase")  # a page with one button: opening it erases nothing
    assert asked.status_code == 200 and get_subscriber(site.store, "anna@example.org")
    found = CSRF.search(asked.text)
    assert found is not None
    no_csrf = site.client.post(f"{url}/erase", data={})
    assert no_csrf.status_code == 403 and get_subscriber(site.store, "anna@example.org")
    erased = site.client.post(f"{url}/erase", data={"csrf": found.group(1)})
    assert erased.status_code == 200 and "Je gegevens zijn verwijderd" in erased.text
    assert get_subscriber(site.store, "anna@example.org") is None
    assert suppressed(site.store, KEYS, ["anna@example.org", "bram@example.org"]) == {
        "anna@example.org"
    }
    assert site.client.get(url).status_code in (400, 403, 404)  # the link names no one now

    # A later import cannot add her back; she can sign up again herself.
    monkeypatch.setenv("DIGEST_SECRET_KEY", SECRET)
    from tests.delivery_helpers import write_config

    (tmp_path / "cli").mkdir()
    config = write_config(tmp_path / "cli")
    monkeypatch.setenv("DIGEST_DATABASE_URL", str(site.store.engine.url))
    leden = tmp_path / "leden.csv"
    leden.write_text("email,name,regions\nanna@example.org,Anna,\nbram@example.org,Bram,\n")
    assert main(["--config", str(config), "subscribers", "import", str(leden)]) == 0
    assert "1 imported, 0 already subscribed, 1 erased at their request" in capsys.readouterr().out
    assert get_subscriber(site.store, "anna@example.org") is None
    assert main(["--config", str(config), "subscribers", "add", "anna@example.org"]) == 1
    assert "erased at the owner's request" in capsys.readouterr().err
    site.clock.value += 3600  # past the sign-up rate limit
    assert site.sign_up("anna@example.org").status_code == 200
    site.confirm(link_in(site.mails()[-1], "confirm"))
    assert suppressed(site.store, KEYS, ["anna@example.org"]) == set()
    assert main(["--config", str(config), "consent", "verify"]) == 0  # the log survived


def test_unconfirmed_sign_ups_are_pruned_after_thirty_days(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = add_subscriber(sqlite_store, "old@example.org", now=NOW - timedelta(days=31))
    add_subscriber(sqlite_store, "new@example.org", now=NOW - timedelta(days=29))
    add_subscriber(sqlite_store, "kept@example.org", status="active", now=NOW - timedelta(days=90))
    assert [s.email for s in prune_pending(sqlite_store, before=NOW - timedelta(days=30))] == [
        old.email
    ]
    assert get_subscriber(sqlite_store, "old@example.org") is None
    assert get_subscriber(sqlite_store, "new@example.org") is not None
    assert get_subscriber(sqlite_store, "kept@example.org") is not None


def test_the_prune_command_uses_the_configured_age(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    from tests.delivery_helpers import write_config

    monkeypatch.setenv("DIGEST_SECRET_KEY", SECRET)
    monkeypatch.setenv("DIGEST_DATABASE_URL", str(sqlite_store.engine.url))
    config = write_config(tmp_path)
    config.write_text(
        config.read_text() + '[subscribers]\nprune_pending_after = "7d"\n', encoding="utf-8"
    )
    add_subscriber(sqlite_store, "a@example.org", now=NOW - timedelta(days=8))
    add_subscriber(sqlite_store, "b@example.org", now=NOW - timedelta(days=6))
    at = NOW.isoformat()
    assert main(["--config", str(config), "subscribers", "prune", "--at", at]) == 0
    assert "pruned 1 sign-up unconfirmed for more than 7d" in capsys.readouterr().out
    assert get_subscriber(sqlite_store, "a@example.org") is None
    assert get_subscriber(sqlite_store, "b@example.org") is not None
