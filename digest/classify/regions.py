"""The regions an editor configures in ``regions.toml``.

A region groups briefs in an edition: one section per region, in the order
of the file, then "Overig". Each ``[[regions]]`` table has:

- ``id``: slug used in JSON and URLs (``groenland``), lower case, digits, hyphens;
- ``name``: the heading readers see (``Groenland``);
- ``countries``: ISO 3166-1 alpha-2 codes; an item about one of them belongs;
- ``keywords``: people, institutions or places that imply the region
  (``Maduro``); a trailing ``*`` matches any word that starts with the rest;
- ``exclude``: terms that keep an item out of the region whatever else matched.

A keyword made of parts joined by `` + `` (``"Verenigde Staten + Denemarken +
overeenkomst"``) is a *co-occurrence*: the item belongs when every part occurs
in its title or text (whole words, case forgiven, in any order), for briefs about
a known dispute that do not name the region. And an item put in a region always
carries that region's country when the region has exactly one (a brief from OSLO
about Machado is in Venezuela, so its countries include VE).

A region needs countries or keywords. Loading reports every problem at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from digest.classify.compiled import Joined
from digest.classify.gazetteer import spaced
from digest.config import read_toml
from digest.errors import ConfigError
from digest.model import Item

FIELDS = ("id", "name", "countries", "keywords", "exclude")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_WORDLIKE = re.compile(r"[^\W_]")


@dataclass(frozen=True, slots=True)
class Region:
    """One configured region; ``countries`` upper-case ISO codes."""

    id: str
    name: str
    countries: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    together: tuple[tuple[str, ...], ...] = ()  # co-occurrence keywords, split at " + "


def load_regions(path: Path, known_countries: Iterable[str] | None = None) -> tuple[Region, ...]:
    """Read and validate a regions file; raise ConfigError listing every problem.

    ``known_countries`` defaults to the codes of the shipped gazetteer.
    """
    data = read_toml(path, "create it or point [site] regions at another file")
    return regions_from_dict(data, path, known_countries)


def regions_from_dict(
    data: Mapping[str, Any], path: Path, known_countries: Iterable[str] | None = None
) -> tuple[Region, ...]:
    """Validate an already-read mapping as if it came from ``path``."""
    if known_countries is None:
        from digest.classify.gazetteer import load_gazetteer

        known_countries = load_gazetteer().countries
    known = frozenset(known_countries)
    problems = [f"Config value '{k}': unknown key; the file holds only [[regions]]" for k in data]
    problems = [p for p, k in zip(problems, data, strict=True) if k != "regions"]
    tables = data.get("regions", [])
    if not isinstance(tables, list):
        problems.append("Config value 'regions': must be a list of [[regions]] tables")
        tables = []
    regions: list[Region] = []
    seen: dict[str, int] = {}
    for index, table in enumerate(tables):
        region, found = _region(index, table, known)
        problems.extend(found)
        if region is not None and region.id in seen:
            problems.append(
                f"Config value 'regions[{index}].id': duplicate id {region.id!r} "
                f"(also regions[{seen[region.id]}]); give each region its own id"
            )
        elif region is not None:
            seen[region.id] = index
            regions.append(region)
    if problems:
        raise ConfigError(str(path), problems)
    return tuple(regions)


def _region(index: int, table: Any, known: frozenset[str]) -> tuple[Region | None, list[str]]:
    where = f"regions[{index}]"
    if not isinstance(table, dict):
        return None, [f"Config value '{where}': must be a table with id, name and countries"]
    label = f" (region {table['id']!r})" if isinstance(table.get("id"), str) else ""
    problems = [
        f"Config value '{where}.{k}': unknown key{label}; use one of {', '.join(FIELDS)}"
        for k in table
        if k not in FIELDS
    ]
    region_id = _text(table, "id", where, label, problems)
    if region_id is not None and not _ID.match(region_id):
        problems.append(
            f"Config value '{where}.id': {region_id!r} is not a valid id; "
            "use lower-case letters, digits and hyphens, e.g. 'groenland'"
        )
    name = _text(table, "name", where, label, problems)
    countries = tuple(c.upper() for c in _texts(table, "countries", where, label, problems))
    for code in countries:
        if code not in known:
            problems.append(
                f"Config value '{where}.countries': unknown country code {code!r}{label}; "
                "use an ISO 3166-1 alpha-2 code such as 'GL'"
            )
    keywords = _texts(table, "keywords", where, label, problems)
    exclude = _texts(table, "exclude", where, label, problems)
    for field, terms in (("keywords", keywords), ("exclude", exclude)):
        problems.extend(
            f"Config value '{where}.{field}': {term!r} has no letters or digits{label}"
            for term in terms
            if not _WORDLIKE.search(term)
        )
    if not countries and not keywords:
        problems.append(f"Config value '{where}': empty region{label}; give countries or keywords")
    if problems or region_id is None or name is None:
        return None, problems
    together = tuple(_parts(k) for k in keywords if "+" in k)
    plain = tuple(k for k in keywords if "+" not in k)
    return Region(region_id, name, countries, plain, exclude, together), problems


def _parts(keyword: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in keyword.split("+") if part.strip())


Label = tuple[tuple[str, ...], tuple[str, ...]]  # (regions, countries) of one item


def _term(term: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", re.IGNORECASE)


class ContextRules:
    """The rules with context: co-occurrence keywords put an item in their region
    (unless one of its ``exclude`` terms occurs), and an item in a one-country
    region carries that country."""

    def __init__(self, regions: Iterable[Region]) -> None:
        self.chosen = tuple(regions)
        self.rules = [
            (r, [[_term(p) for p in parts] for parts in r.together], [_term(e) for e in r.exclude])
            for r in self.chosen
        ]
        self.single = {r.id: r.countries[0] for r in self.chosen if len(r.countries) == 1}
        parts = sorted({p for r in self.chosen for parts in r.together for p in parts})
        # Where any part occurs at all, in one pass over many texts: a superset of
        # where a part occurs as whole words (no part holds the separator of Joined,
        # so no match runs from one text into the next).
        self.any_part = (
            re.compile("|".join(map(re.escape, parts)), re.IGNORECASE) if parts else None
        )
        self.every_item = any("\x00" in p or "\n" in p for p in parts)
        # ASCII parts can be looked for in the folded text, where case and accents
        # are gone, one character for one; only two characters that match an ASCII
        # letter regardless of case do not fold to it (see ``_parted``).
        self.folded = [spaced(p) for p in parts] if all(p.isascii() for p in parts) else None

    def apply(self, title: str | None, body: str, label: Label, parts: bool = True) -> Label:
        """``label`` with the rules applied to an item of ``title`` and ``body``
        (``parts`` False: no co-occurrence part occurs in it)."""
        regions, countries = label
        found = self._together(f"{title or ''}\n{body}", regions) if parts else []
        ids = tuple(r.id for r in self.chosen if r.id in regions or r.id in found)
        extra = tuple(
            self.single[i] for i in ids if i in self.single and self.single[i] not in countries
        )
        if not found and not extra:
            return label
        return ids, countries + extra

    def labels(self, items: Sequence[Item], labels: Sequence[Label], joined: Joined) -> list[Label]:
        """``apply`` for every item and its label; ``joined`` holds each item's
        title and text in turn (``Classifier.labels``)."""
        parted: set[int] = set()
        if self.every_item:
            parted = set(range(len(items)))
        elif self.any_part is not None:
            parted = {index // 2 for index in self._parted(joined)}
        alone: dict[Label, Label] = {}  # without a part, the label alone decides
        out = []
        for index, (item, label) in enumerate(zip(items, labels, strict=True)):
            if index in parted:
                out.append(self.apply(item.title, item.text, label))
            elif (done := alone.get(label)) is not None:
                out.append(done)
            else:
                out.append(alone.setdefault(label, self.apply(None, "", label, parts=False)))
        return out

    def _parted(self, joined: Joined) -> set[int]:
        """The texts of ``joined`` where a part may occur, case forgiven."""
        assert self.any_part is not None
        if self.folded is None or "\u212a" in joined.text or "\u017f" in joined.text:
            return joined.found(self.any_part)  # KELVIN SIGN matches k, LONG S matches s
        folded, found = joined.tok.spaced, set()
        for part in self.folded:
            at = folded.find(part)
            while at >= 0:
                found.add(joined.owner(at))
                at = folded.find(part, at + 1)
        return found

    def _together(self, text: str, regions: tuple[str, ...]) -> list[str]:
        return [
            region.id
            for region, combos, excludes in self.rules
            if region.id not in regions
            and any(all(p.search(text) for p in combo) for combo in combos)
            and not any(e.search(text) for e in excludes)
        ]


def with_context(
    annotate: Callable[[Item], Item], regions: Iterable[Region]
) -> Callable[[Item], Item]:
    """``annotate`` plus the rules with context (``ContextRules``)."""
    rules = ContextRules(regions)

    def annotated(item: Item) -> Item:
        done = annotate(item)
        label = (done.regions, done.countries)
        after = rules.apply(item.title, item.text, label)
        return done if after is label else done.classified(*after)

    return annotated


def _text(
    table: dict[str, Any], field: str, where: str, label: str, problems: list[str]
) -> str | None:
    value = table.get(field)
    if isinstance(value, str) and value.strip():
        return value.strip()
    reason = "is required" if value is None else "must be a non-empty string"
    problems.append(f"Config value '{where}.{field}': {reason}{label}")
    return None


def _texts(
    table: dict[str, Any], field: str, where: str, label: str, problems: list[str]
) -> tuple[str, ...]:
    value = table.get(field, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(
            f"Config value '{where}.{field}': must be a list of non-empty strings{label}"
        )
        return ()
    return tuple(v.strip() for v in value)
