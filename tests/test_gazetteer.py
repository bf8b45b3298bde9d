"""The Dutch gazetteer: its data, the folding and the matcher's rules."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from babel import Locale

from digest.classify.gazetteer import VENUE, fold, key, load_gazetteer

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "digest" / "data" / "gazetteer.json"


def found(text: str) -> list[tuple[str, str | None]]:
    """(surface, country) for every form the gazetteer finds in ``text``."""
    return [(text[h.start : h.end], h.term.code) for h in load_gazetteer().find(text)]


def codes(text: str) -> set[str | None]:
    return {code for _, code in found(text)}


def test_fold_keeps_one_character_for_one() -> None:
    text = "GENÈVE, Curaçao’s “Straße” – İzmir Diyarbakır Łódź Øresund"
    assert len(fold(text)) == len(text)
    assert fold("GENÈVE") == "geneve"
    assert fold("Curaçao’s") == "curacao's"
    assert fold("a–b") == "a-b"


def test_key_joins_words_with_single_spaces() -> None:
    assert key("Mexico-Stad") == key("MEXICO STAD") == "mexico stad"
    assert key("'s-Hertogenbosch") == "s hertogenbosch"


def test_the_gazetteer_is_loaded_once() -> None:
    assert load_gazetteer() is load_gazetteer()


def test_shipped_data_is_modest_and_consistent() -> None:
    assert DATA.stat().st_size < 2_000_000
    data = json.loads(DATA.read_text(encoding="utf-8"))
    countries = set(data["countries"])
    assert {row[0] for row in data["terms"].values()} - {None} <= countries
    assert set(data["datelines"].values()) <= countries


def test_every_iso_country_has_its_dutch_cldr_name() -> None:
    gazetteer = load_gazetteer()
    territories = Locale("nl").territories
    for code in ("IR", "VE", "GL", "DK", "IQ", "IS", "US", "NL", "CH", "XK"):
        assert gazetteer.countries[code] == territories[code]
        assert gazetteer.terms[key(territories[code])].code == code


@pytest.mark.parametrize(
    ("place", "code"),
    [
        ("Teheran", "IR"),
        ("Isfahan", "IR"),
        ("Tabriz", "IR"),
        ("Nuuk", "GL"),
        ("Kopenhagen", "DK"),
        ("Mexico-Stad", "MX"),
        ("Genève", "CH"),
        ("Kyiv", "UA"),
        ("Kiev", "UA"),
        ("Moskou", "RU"),
        ("Peking", "CN"),
        ("Brussel", "BE"),
        ("Parijs", "FR"),
        ("Londen", "GB"),
        ("Washington", "US"),
        ("Jeruzalem", "IL"),
        ("Maracaibo", "VE"),
        ("Caracas", "VE"),
        ("Koersk", "RU"),
        ("Berlijn", "DE"),
    ],
)
def test_capitals_and_cities_under_their_dutch_names(place: str, code: str) -> None:
    assert found(f"Het nieuws kwam uit {place} vandaag.") == [(place, code)]


@pytest.mark.parametrize(
    ("forms", "code"),
    [
        (["Iraans", "Iraanse", "Iraniër", "Iraniërs"], "IR"),
        (["Venezolaans", "Venezolaanse", "Venezolaan", "Venezolanen"], "VE"),
        (["Groenlands", "Groenlandse", "Groenlander", "Groenlanders"], "GL"),
        (["Deens", "Deense", "Deen", "Denen"], "DK"),
        (["Indiaas", "Indiase", "Indiër"], "IN"),
        (["Chinees", "Chinese", "Chinezen"], "CN"),
        (["Noord-Koreaanse", "Noord-Koreanen"], "KP"),
    ],
)
def test_adjectives_and_inhabitants_with_inflections(forms: list[str], code: str) -> None:
    for form in forms:
        assert codes(f"Volgens de {form} bronnen") == {code}, form


def test_compounds_hyphens_and_possessives() -> None:
    assert codes("De Groenlandcrisis en de Groenlandkwestie") == {"GL"}
    assert codes("Het Iranakkoord en de Iran-deal") == {"IR"}
    assert codes("Irans programma") == {"IR"}
    assert codes("Venezuela's olie en de Venezuela-crisis") == {"VE"}


def test_near_neighbours_are_other_countries() -> None:
    assert codes("Irak, de Iraakse regering, een Irakees") == {"IQ"}
    assert codes("Venetië en de Venetiaanse gondels") == {"IT"}
    assert codes("IJsland en de IJslandse premier") == {"IS"}
    assert codes("De Ierse en de Ieren") == {"IE"}


def test_false_compounds_are_refused() -> None:
    assert codes("Indianen en een Indiaanse stam") == {None}  # blockers, no country
    assert codes("Chilisaus en Malibu en krimpende Romeinse") == set()
    assert codes("Gentiaan") == set()


def test_accents_in_the_text_must_agree_but_may_be_missing() -> None:
    assert codes("GENEVE en Geneve") == {"CH"}
    assert codes("Volker Türk sprak") == set()
    assert codes("de Turk sprak") == {"TR"}


def test_case_rules() -> None:
    assert codes("chili en polen en jersey") == set()
    assert codes("Chili en Polen") == {"CL", "PL"}
    assert codes("Ajax vs Feyenoord") == set()
    assert codes("de VS") == {"US"}


def test_first_names_are_not_nationalities() -> None:
    assert codes("Frans Timmermans en Noor de Vries") == set()
    assert codes("de Noor Erling Haaland en het Frans Open") == {"NO", "FR"}


def test_longest_name_wins() -> None:
    assert found("Guinee-Bissau en Nieuw-Zeeland en New Jersey") == [
        ("Guinee-Bissau", "GW"),
        ("Nieuw-Zeeland", "NZ"),
        ("New Jersey", "US"),
    ]
    assert codes("Zuid-Amerika en Latijns-Amerikaanse landen") == {None}


def test_datelines() -> None:
    gazetteer = load_gazetteer()
    assert [(s, t.code) for s, t in gazetteer.place("TEHERAN/JERUZALEM")] == [
        ("TEHERAN", "IR"),
        ("JERUZALEM", "IL"),
    ]
    assert [t.code for _, t in gazetteer.place("MEXICO-STAD")] == ["MX"]
    assert [t.code for _, t in gazetteer.place("VLISSINGEN")] == ["NL"]
    assert [t.code for _, t in gazetteer.place("AUSTIN")] == ["US"]
    assert gazetteer.place("GENÈVE")[0][1].flags & VENUE
    assert gazetteer.place("NERGENSDORP") == []


def _build_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "build_gazetteer", ROOT / "scripts" / "build_gazetteer.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_adjective_inflection_follows_dutch_spelling() -> None:
    inflect = _build_module().inflect
    assert inflect("Iraans") == ["Iraans", "Iraanse"]
    assert inflect("Chinees") == ["Chinees", "Chinese"]
    assert inflect("Indiaas") == ["Indiaas", "Indiase"]
    assert inflect("Russisch") == ["Russisch", "Russische"]
    assert inflect("Deens") == ["Deens", "Deense"]


def test_the_shipped_json_is_what_the_generator_writes() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_gazetteer.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
