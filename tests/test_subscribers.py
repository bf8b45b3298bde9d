"""Subscribers: addresses, region choices, CSV import/export, the store and the CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.cli import main
from digest.store import Store, open_store
from digest.store.subscribers import (
    add_subscriber,
    count_subscribers,
    get_subscriber,
    import_subscribers,
    list_subscribers,
    remove_subscriber,
    set_status,
    stream_subscribers,
)
from digest.subscribers import (
    BadRow,
    ImportRow,
    SubscriberError,
    clean_name,
    export_csv,
    greeting_name,
    normalise_address,
    parse_import,
    parse_regions,
)
from tests.delivery_helpers import REGIONS, SLOT, write_config

# --- addresses and choices (pure) -------------------------------------------------


def test_addresses_are_normalised_to_lower_case_ascii() -> None:
    assert normalise_address("  Jan.Jansen@Example.ORG ") == "jan.jansen@example.org"
    assert normalise_address("anna@bücher.de") == "anna@xn--bcher-kva.de"


@pytest.mark.parametrize(
    "address", ["jan", "jan@localhost", "jan jansen@example.org", "Jan <jan@example.org>"]
)
def test_invalid_addresses_are_refused_naming_the_address(address: str) -> None:
    with pytest.raises(SubscriberError, match="is not valid"):
        normalise_address(address)


def test_names_are_one_line_and_blank_is_none() -> None:
    assert clean_name(" Anna\r\nBcc: x@example.org ") == "Anna Bcc: x@example.org"
    assert clean_name("   ") is None
    with pytest.raises(SubscriberError, match="longer than"):
        clean_name("x" * 500)


def test_no_regions_means_all_and_unknown_regions_are_named() -> None:
    assert parse_regions("", REGIONS) is None
    assert parse_regions(" Zeeland , groenland", REGIONS) == frozenset({"zeeland", "groenland"})
    assert parse_regions("zeeland;limburg", REGIONS, ";") == frozenset({"zeeland", "limburg"})
    with pytest.raises(SubscriberError, match=r"'mars'.*known: friesland"):
        parse_regions("zeeland,mars", REGIONS)


# --- CSV import (pure) ------------------------------------------------------------

IMPORT = (
    "\ufeffEmail,Name,Regions\n"
    "anna@example.org,Anna,groenland;zeeland\n"  # line 2
    "not-an-address,Bram,\n"  # line 3: bad address
    "\n"  # line 4: blank, ignored
    "carla@example.org,Carla,zeeland;mars\n"  # line 5: unknown region
    'daan@example.org,"Daan\nde Vries",\n'  # lines 6-7: quoted name over two lines
    "eva@example.org,Eva\n"  # line 8: too few fields
    "ANNA@example.org,Anna again,\n"  # line 9: repeats line 2
    "frank@example.org,,limburg\n"  # line 10
)


def test_import_reports_every_bad_row_with_line_and_reason() -> None:
    plan = parse_import(IMPORT, REGIONS, source="leden.csv")
    assert [(r.line, r.email, r.regions) for r in plan.rows] == [
        (2, "anna@example.org", frozenset({"groenland", "zeeland"})),
        (6, "daan@example.org", None),
        (10, "frank@example.org", frozenset({"limburg"})),
    ]
    assert plan.rows[1].name == "Daan de Vries"
    assert [b.line for b in plan.bad] == [3, 5, 8, 9]
    reasons = {b.line: b.reason for b in plan.bad}
    assert "not-an-address" in reasons[3]
    assert "'mars'" in reasons[5]
    assert "2 fields" in reasons[8]
    assert "repeats line 2" in reasons[9]
    assert str(plan.bad[0]).startswith("line 3: ")


@pytest.mark.parametrize(
    ("text", "problem"),
    [("", "empty"), ("name,regions\nx,y\n", "header"), ("email,phone\n", "unknown column")],
)
def test_a_file_without_a_usable_header_is_refused_whole(text: str, problem: str) -> None:
    with pytest.raises(SubscriberError, match=f"leden.csv: .*{problem}"):
        parse_import(text, REGIONS, source="leden.csv")


def test_a_locale_column_is_read_and_checked() -> None:
    plan = parse_import("email,locale\na@example.org,en\nb@example.org,fr\n", REGIONS)
    assert plan.rows[0].locale == "en"
    assert plan.bad == (BadRow(3, "locale 'fr' is not one of: nl, en"),)


def test_export_reads_back_with_import(sqlite_store: Store) -> None:
    rows = parse_import(IMPORT, REGIONS).rows
    import_subscribers(sqlite_store, rows, now=SLOT)
    text = "".join(export_csv(stream_subscribers(sqlite_store)))
    assert text.splitlines()[0] == (
        "email,name,regions,locale,editions,first_name,status,created_at"
    )
    again = parse_import(text, REGIONS)
    assert again.bad == ()
    assert [(r.email, r.name, r.regions, r.first_name) for r in again.rows] == [
        (r.email, r.name, r.regions, r.first_name) for r in rows
    ]


def test_a_first_name_column_is_read_stored_and_exported(sqlite_store: Store) -> None:
    text = "email,name,first_name\na@example.org,Anna de Vries,Anneke\nb@example.org,Bram,\n"
    plan = parse_import(text, REGIONS)
    assert [r.first_name for r in plan.rows] == ["Anneke", None]
    long = parse_import("email,first_name\nc@example.org," + "x" * 61 + "\n", REGIONS)
    assert long.bad[0].line == 2 and "longer than 60" in long.bad[0].reason
    import_subscribers(sqlite_store, plan.rows, now=SLOT)
    stored = {s.email: s for s in stream_subscribers(sqlite_store)}
    assert stored["a@example.org"].first_name == "Anneke"
    assert stored["a@example.org"].to_json()["first_name"] == "Anneke"
    assert "a@example.org,Anna de Vries,,nl,,Anneke,active," in "".join(
        export_csv(stream_subscribers(sqlite_store))
    )


@pytest.mark.parametrize(
    ("first_name", "name", "greeted"),
    [
        ("Jan Willem", "J.W. de Vries", "Jan Willem"),  # the first name as given
        (None, "Anna de Vries", "Anna"),  # else the first word of the name
        ("  ", "Anna-Maria Jansen", "Anna-Maria"),
        (None, None, ""),  # else nobody: "Goedemorgen,"
        ("Anna\r\nBcc: x", None, "Anna Bcc: x"),  # one line, whatever the form sent
    ],
)
def test_the_greeting_names_the_first_name_else_the_first_word_of_the_name(
    first_name: str | None, name: str | None, greeted: str
) -> None:
    assert greeting_name(first_name, name) == greeted


@given(st.one_of(st.none(), st.text()), st.one_of(st.none(), st.text()))
def test_the_greeting_is_the_first_name_or_first_word_on_one_line_whatever_the_text(
    first_name: str | None, name: str | None
) -> None:
    """Against the rule spelled out character by character (the code takes a
    quicker path for text with nothing to replace)."""

    def one_line(text: str | None) -> str:
        return " ".join("".join(c if c.isprintable() else " " for c in text or "").split())

    words = one_line(name).split()
    expected = one_line(first_name) or (words[0] if words else "")
    assert greeting_name(first_name, name) == expected


def test_export_neutralises_formulas_and_import_takes_the_quote_off(sqlite_store: Store) -> None:
    """Names come from the public form; a spreadsheet would run ``=HYPERLINK(...)``."""
    names = ['=HYPERLINK("http://evil.example","klik")', "+31 6 1234", "-2+3", "@SUM(A1)", "'x"]
    for n, name in enumerate(names):
        add_subscriber(sqlite_store, f"r{n}@example.org", name=name, now=SLOT)
    add_subscriber(sqlite_store, "-min@example.org", now=SLOT)
    text = "".join(export_csv(stream_subscribers(sqlite_store)))
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row[:2]]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert '\'=HYPERLINK("http://evil.example","klik")' in cells and "'-min@example.org" in cells
    again = parse_import(text, REGIONS)
    assert again.bad == ()
    assert {r.email: r.name for r in again.rows} == {
        **{f"r{n}@example.org": name for n, name in enumerate(names)},
        "-min@example.org": None,
    }


# --- the store (SQLite and PostgreSQL) ----------------------------------------------


def test_add_get_and_refuse_a_second_add(store: Store) -> None:
    added = add_subscriber(
        store, "anna@example.org", name="Anna", regions=frozenset({"zeeland"}), now=SLOT
    )
    assert added.status == "pending" and added.confirmed_at is None
    assert get_subscriber(store, "anna@example.org") == added
    assert added.created_at == SLOT
    with pytest.raises(SubscriberError, match="already a subscriber"):
        add_subscriber(store, "anna@example.org", now=SLOT)


def test_status_changes_set_their_times(store: Store) -> None:
    add_subscriber(store, "anna@example.org", now=SLOT)
    active = set_status(store, "anna@example.org", "active", now=SLOT)
    assert active.confirmed_at == SLOT
    gone = set_status(store, "anna@example.org", "unsubscribed", now=SLOT)
    assert gone.unsubscribed_at == SLOT and gone.confirmed_at == SLOT
    with pytest.raises(SubscriberError, match="status 'lost'"):
        set_status(store, "anna@example.org", "lost", now=SLOT)
    with pytest.raises(SubscriberError, match="not a subscriber"):
        set_status(store, "nobody@example.org", "active", now=SLOT)


def test_stream_reads_every_subscriber_in_chunks(store: Store) -> None:
    rows = [ImportRow(i, f"r{i:03d}@example.org", None, None) for i in range(23)]
    import_subscribers(store, rows, now=SLOT)
    streamed = list(stream_subscribers(store, chunk=5))
    assert [s.email for s in streamed] == [r.email for r in rows]
    assert count_subscribers(store) == {"active": 23}


def test_import_leaves_known_addresses_alone(store: Store) -> None:
    add_subscriber(store, "anna@example.org", now=SLOT)
    set_status(store, "anna@example.org", "unsubscribed", now=SLOT)
    rows = [
        ImportRow(2, "anna@example.org", "Anna", frozenset({"zeeland"})),
        ImportRow(3, "bram@example.org", "Bram", None, "en"),
    ]
    counts = import_subscribers(store, rows, now=SLOT, status="active")
    assert (counts.added, counts.existing) == (1, 1)
    anna, bram = list_subscribers(store)
    assert anna.status == "unsubscribed" and anna.regions is None
    assert (bram.status, bram.locale) == ("active", "en")
    assert list_subscribers(store, status="active") == [bram]


def test_remove_deletes_the_subscriber(store: Store) -> None:
    add_subscriber(store, "anna@example.org", now=SLOT)
    assert remove_subscriber(store, "anna@example.org")
    assert not remove_subscriber(store, "anna@example.org")
    assert get_subscriber(store, "anna@example.org") is None


# --- the commands -------------------------------------------------------------------


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DIGEST_SECRET_KEY", "subscribers-test-secret-0123456789")  # consent log
    return write_config(tmp_path)


def run(config_file: Path, *args: str) -> int:
    return main(["--config", str(config_file), "subscribers", *args])


def test_cli_import_with_bad_rows_imports_the_rest_and_fails(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = tmp_path / "leden.csv"
    csv_file.write_text(IMPORT, encoding="utf-8")
    assert run(config_file, "import", str(csv_file)) == 1
    out, err = capsys.readouterr()
    assert "3 imported, 0 already subscribed, 4 bad rows" in out
    errors = err.splitlines()
    assert len(errors) == 5
    assert errors[4] == f"digest: error: {csv_file}: 4 bad rows not imported (listed above)"
    assert errors[0].startswith(f"digest: error: {csv_file}:3: address 'not-an-address'")
    assert errors[1].startswith(f"digest: error: {csv_file}:5: unknown region 'mars'")
    assert run(config_file, "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [s["email"] for s in listed] == [
        "anna@example.org",
        "daan@example.org",
        "frank@example.org",
    ]
    assert listed[0]["regions"] == ["groenland", "zeeland"] and listed[0]["status"] == "active"


def test_cli_add_list_remove_export(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        run(
            config_file,
            "add",
            "Anna@Example.org",
            "--name",
            "Anna de Vries",
            "--first-name",
            "Anneke",
            "--regions",
            "zeeland",
        )
        == 0
    )
    assert run(config_file, "add", "bram@example.org", "--active", "--locale", "en") == 0
    assert "added anna@example.org (pending, zeeland, editions ochtend)" in capsys.readouterr().out
    assert run(config_file, "add", "carla@example.org", "--regions", "mars") == 1
    assert "unknown region 'mars'" in capsys.readouterr().err
    assert run(config_file, "list", "--status", "active") == 0
    assert (
        capsys.readouterr().out == "bram@example.org  active  en  all regions  editions ochtend\n"
    )
    assert run(config_file, "export", str(tmp_path / "out.csv")) == 0
    exported = (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()
    assert exported[1].startswith(
        "anna@example.org,Anna de Vries,zeeland,nl,ochtend,Anneke,pending,"
    )
    assert run(config_file, "remove", "anna@example.org") == 0
    assert run(config_file, "remove", "anna@example.org") == 1
    assert "not a subscriber" in capsys.readouterr().err
    store = open_store(f"sqlite:///{tmp_path / 'digest.db'}")
    assert [s.email for s in list_subscribers(store)] == ["bram@example.org"]
    store.close()


def test_every_subscribers_command_has_help(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in ("add", "import", "list", "remove", "export"):
        assert run(config_file, command, "--help") == 0
        assert "Usage:" in capsys.readouterr().out
