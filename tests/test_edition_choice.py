"""Readers choose editions: the value, the CSV column, the CLI, the store
migration, the forms, and delivery that never sends an edition not chosen."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, select, text

from digest.cli import main
from digest.config import config_from_dict
from digest.deliver import ledger
from digest.deliver.outbox import outbox_name
from digest.deliver.plan import plan_active
from digest.deliver.send import NOT_CHOSEN, _decider, send_edition
from digest.errors import ConfigError, DeliveryError
from digest.store import Store, _alembic_config, open_store
from digest.store.schema import deliveries
from digest.store.subscribers import (
    add_subscriber,
    get_subscriber,
    import_subscribers,
    set_editions,
)
from digest.subscribers import BadRow, export_csv, parse_import
from tests.delivery_helpers import REGIONS_TOML, SIGNER, SLOT, make_config, make_edition, record
from tests.test_web import NOW, Site, token

TWO = [{"name": "ochtend", "title": "Ochtendeditie"}, {"name": "avond", "title": "Avondeditie"}]


# --- values and import ------------------------------------------------------------


def test_an_editions_column_is_read_and_checked() -> None:
    text = "email,editions\na@example.org,ochtend;avond\nb@example.org,\nc@example.org,middag\n"
    plan = parse_import(text, (), known_editions=("ochtend", "avond"))
    assert [r.editions for r in plan.rows] == [frozenset({"ochtend", "avond"}), None]
    assert plan.bad == (BadRow(4, "unknown edition 'middag'; known: ochtend, avond"),)


def test_a_row_without_editions_gets_the_default_and_export_reads_back(
    sqlite_store: Store,
) -> None:
    text = "email,editions\na@example.org,avond\nb@example.org,\n"
    rows = parse_import(text, (), known_editions=("ochtend", "avond")).rows
    import_subscribers(sqlite_store, rows, now=NOW, editions=frozenset({"ochtend"}))
    a, b = (
        get_subscriber(sqlite_store, "a@example.org"),
        get_subscriber(sqlite_store, "b@example.org"),
    )
    assert a is not None and a.editions == frozenset({"avond"})
    assert b is not None and b.editions == frozenset({"ochtend"})
    exported = "".join(export_csv([a, b]))
    again = parse_import(exported, (), known_editions=("ochtend", "avond"))
    assert [r.editions for r in again.rows] == [frozenset({"avond"}), frozenset({"ochtend"})]


def test_a_default_edition_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    data = {"editions": TWO, "subscribers": {"default_editions": ["middag"]}}
    with pytest.raises(ConfigError) as caught:
        config_from_dict(data, tmp_path / "digest.toml")
    assert "Config value 'subscribers.default_editions': unknown edition 'middag'" in str(
        caught.value
    )
    chosen = config_from_dict({"editions": TWO, "subscribers": {"default_editions": ["avond"]}})
    assert chosen.default_editions == frozenset({"avond"})
    assert config_from_dict({"editions": TWO}).default_editions == frozenset({"ochtend", "avond"})


# --- the command line -------------------------------------------------------------


def _config_file(tmp_path: Path) -> Path:
    (tmp_path / "regions.toml").write_text(REGIONS_TOML, encoding="utf-8")
    path = tmp_path / "digest.toml"
    path.write_text(
        f'[storage]\nurl = "sqlite:///{tmp_path / "digest.db"}"\n'
        '[[editions]]\nname = "ochtend"\ntitle = "Ochtendeditie"\n'
        '[[editions]]\nname = "avond"\ntitle = "Avondeditie"\ncron = "0 18 * * *"\n'
        '[subscribers]\ndefault_editions = ["ochtend"]\n',
        encoding="utf-8",
    )
    return path


def run(config: Path, *args: str) -> int:
    return main(["--config", str(config), "subscribers", *args])


def test_cli_add_import_set_and_list_editions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_SECRET_KEY", "choice-test-secret-0123456789")
    config = _config_file(tmp_path)
    assert run(config, "add", "anna@example.org", "--active") == 0
    assert "editions ochtend)" in capsys.readouterr().out
    assert run(config, "add", "bram@example.org", "--editions", "ochtend,avond") == 0
    assert "editions avond,ochtend)" in capsys.readouterr().out
    assert run(config, "add", "carla@example.org", "--editions", "middag") == 1
    assert "unknown edition 'middag'; known: ochtend, avond" in capsys.readouterr().err
    assert run(config, "editions", "anna@example.org", "avond") == 0
    assert "anna@example.org receives editions avond" in capsys.readouterr().out
    assert run(config, "editions", "anna@example.org", "") == 1
    csv = tmp_path / "leden.csv"
    csv.write_text("email,name,regions,editions\nd@example.org,D,,avond\ne@example.org,E,,\n")
    assert run(config, "import", str(csv)) == 0
    assert run(config, "list") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-4:] == [
        "anna@example.org  active  nl  all regions  editions avond",
        "bram@example.org  pending  nl  all regions  editions avond,ochtend",
        "d@example.org  active  nl  all regions  editions avond  D",
        "e@example.org  active  nl  all regions  editions ochtend  E",
    ]


# --- the store migration ----------------------------------------------------------


def test_migration_0005_keeps_readers_who_then_receive_every_edition(store_url: str) -> None:
    engine = create_engine(store_url)
    with engine.begin() as conn:  # a database made before 0005, with a subscriber
        command.upgrade(_alembic_config(conn), "0004")
        conn.execute(text(
            "INSERT INTO subscribers (email, locale, status, created_at, updated_at) VALUES "
            "('a@example.org', 'nl', 'active', '2026-01-01', '2026-01-01')"
        ))  # fmt: skip
    engine.dispose()
    store = open_store(store_url)
    try:
        old = get_subscriber(store, "a@example.org")
        assert old is not None and old.editions is None
        assert old.receives("ochtend") and old.receives("avond")
        changed = set_editions(store, "a@example.org", frozenset({"avond"}), now=NOW)
        assert changed.editions == frozenset({"avond"}) and not changed.receives("ochtend")
    finally:
        store.close()


# --- delivery ----------------------------------------------------------------------


def test_a_reader_gets_only_the_editions_they_chose(store: Store, tmp_path: Path) -> None:
    edition = record(store, make_edition())  # named "ochtend"
    chose = {
        "ochtend@example.org": frozenset({"ochtend"}),
        "avond@example.org": frozenset({"avond"}),
        "beide@example.org": frozenset({"ochtend", "avond"}),
        "oud@example.org": None,  # from before edition choices: every edition
    }
    ids = {}
    for address, editions in chose.items():
        added = add_subscriber(store, address, status="active", now=SLOT, editions=editions)
        ids[address] = added.id
    config = make_config(tmp_path)
    dry = send_edition(store, config, edition, now=SLOT, signer=SIGNER, dry_run=True)
    assert sum(plan.recipients for plan in dry.segments) == 3
    report = send_edition(store, config, edition, now=SLOT, signer=SIGNER)
    assert report.sent == 3
    for address, subscriber_id in ids.items():
        mailed = (tmp_path / "outbox" / outbox_name(edition.id, subscriber_id)).exists()
        assert mailed == (address != "avond@example.org"), address
    with store.begin() as conn:
        rows = conn.execute(select(deliveries.c.subscriber_id)).scalars().all()
    assert ids["avond@example.org"] not in rows  # no ledger row at all
    again = send_edition(store, config, edition, now=SLOT, signer=SIGNER)
    assert again.sent == 0
    with pytest.raises(DeliveryError, match="did not choose the edition 'ochtend'"):
        send_edition(store, config, edition, now=SLOT, signer=SIGNER, only="avond@example.org")


def test_a_reader_who_drops_an_edition_after_planning_is_skipped(
    store: Store, tmp_path: Path
) -> None:
    edition = record(store, make_edition())
    add_subscriber(store, "anna@example.org", status="active", now=SLOT, editions=None)
    plan_active(store, edition.id, _decider(edition, False), edition_name=edition.name)
    assert ledger.counts(store, edition.id) == {"pending": 1}
    set_editions(store, "anna@example.org", frozenset({"avond"}), now=SLOT)
    report = send_edition(store, make_config(tmp_path), edition, now=SLOT, signer=SIGNER)
    assert report.sent == 0 and report.after == {"skipped": 1}
    assert not list((tmp_path / "outbox").glob("*.eml"))
    with store.begin() as conn:
        assert conn.execute(select(deliveries.c.error)).scalar() == NOT_CHOSEN


# --- the forms -------------------------------------------------------------------


@pytest.fixture
def two_editions(sqlite_store: Store, tmp_path: Path) -> Site:
    data = {
        "site": {"base_url": "http://testserver"},
        "editions": TWO,
        "subscribers": {"default_editions": ["ochtend"]},
        "delivery": {"outbox": {"dir": "outbox"}},
    }
    return Site(sqlite_store, tmp_path, config=config_from_dict(data, tmp_path / "digest.toml"))


def test_sign_up_takes_editions_and_language(two_editions: Site) -> None:
    form = two_editions.client.get("/")
    assert 'value="ochtend" checked' in form.text and 'value="avond">' in form.text
    assert 'option value="en"' in form.text
    chosen = {"editions": ["avond"], "editions-shown": "1", "locale": "en"}
    assert two_editions.sign_up("anna@example.org", **chosen).status_code == 200
    anna = get_subscriber(two_editions.store, "anna@example.org")
    assert anna is not None and (anna.editions, anna.locale) == (frozenset({"avond"}), "en")
    none = two_editions.sign_up("bram@example.org", **{"editions-shown": "1"})
    assert none.status_code == 422 and "Vink ten minste één editie aan" in none.text
    assert get_subscriber(two_editions.store, "bram@example.org") is None
    bad = two_editions.sign_up("bram@example.org", editions=["middag"], locale="fr")
    assert bad.status_code == 422
    # a site's own form without the boxes: the configured default, the site's language
    assert two_editions.sign_up("carla@example.org").status_code == 200
    carla = get_subscriber(two_editions.store, "carla@example.org")
    assert carla is not None and (carla.editions, carla.locale) == (frozenset({"ochtend"}), "nl")


def test_preferences_change_editions_and_language(two_editions: Site) -> None:
    anna = add_subscriber(
        two_editions.store, "anna@example.org", status="active", now=NOW, editions=None
    )
    url = f"/preferences/{token('preferences', anna)}"
    page = two_editions.client.get(url)
    assert 'value="ochtend" checked' in page.text and 'value="avond" checked' in page.text
    data = {"csrf": two_editions.csrf(url), "action": "save", "editions-shown": "1"}
    saved = two_editions.client.post(url, data={**data, "editions": ["avond"], "locale": "en"})
    assert saved.status_code == 200 and "Your choices are saved." in saved.text
    found = get_subscriber(two_editions.store, "anna@example.org")
    assert found is not None and (found.editions, found.locale) == (frozenset({"avond"}), "en")
    emptied = two_editions.client.post(url, data=data)
    assert emptied.status_code == 422
    kept = get_subscriber(two_editions.store, "anna@example.org")
    assert kept is not None and kept.editions == frozenset({"avond"})
