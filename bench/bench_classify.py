"""Classification throughput on many Dutch briefs, beside naive baselines.

    python bench/bench_classify.py [--n 30000] [--seed 1]

Measures, in one run:
- classify: ``Classifier.classify`` on ``n`` generated briefs rich in place
  names, adjectives, compounds, keywords and traps;
- parse+classify: ``parse_snapshot`` on a synthetic snapshot of ``n`` briefs
  (bench/snapshots.py) and ``classify`` on every item;
- baseline "substring": for each brief, ``form in text.lower()`` for every
  gazetteer form (what a first attempt does);
- baseline "alternation": one big case-insensitive ``\\b(?:a|b|...)\\b`` regex
  over all forms (finds words, knows no Dutch rules).
Both baselines are slow, so they run on a sample (``--sample``).

Peak memory is measured with tracemalloc in a separate pass so it does not
slow the timings. Never asserts a timing.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.snapshots import generate_snapshot  # noqa: E402
from digest.classify.classifier import Classifier  # noqa: E402
from digest.classify.gazetteer import load_gazetteer  # noqa: E402
from digest.classify.regions import load_regions  # noqa: E402
from digest.ingest.wire import parse_snapshot  # noqa: E402
from digest.model import Item  # noqa: E402

DATELINES = [
    "NUUK", "TEHERAN", "CARACAS", "GENÈVE", "BRUSSEL", "WASHINGTON", "MOSKOU", "KYIV",
    "DEN HAAG", "TEHERAN/JERUZALEM", "MEXICO-STAD", "VLISSINGEN", "ISTANBUL", None,
]  # fmt: skip
SUBJECTS = [
    "De {adj} regering", "Het {adj} parlement", "Duizenden {inh}", "De minister van {land}",
    "Een woordvoerder in {stad}", "De premier", "{land}", "De oppositie in {land}",
    "Khamenei", "Maduro", "De president", "Frans Timmermans", "De Noor Erling Haaland",
]  # fmt: skip
VERBS = ["zegt dat", "meldt dat", "ontkent dat", "waarschuwt dat", "bevestigt dat"]
FACTS = [
    "de {land}crisis nog lang niet voorbij is",
    "het {land}akkoord opnieuw op tafel ligt",
    "{n} militairen naar {land} worden gestuurd",
    "de chilisaus in de supermarkten van {stad} op is",
    "de betrekkingen met {land2} verslechteren",
    "{land}'s economie met {n} procent krimpt",
    "de {adj2} ambassadeur is ontboden",
    "er {n} arrestaties zijn verricht in Zuid-Amerika",
]  # fmt: skip
TAIL = [
    "Volgens lokale media is de situatie onder controle.",
    "De VS en de EU volgen de ontwikkelingen op de voet.",
    "Het is nog onduidelijk wanneer er meer bekend wordt.",
    "Eerder deze week waren er vergelijkbare berichten uit Irak.",
]


def vocabulary() -> dict[str, list[str]]:
    """Real forms from the gazetteer, by kind, written as Dutch writes them."""
    by_kind: dict[str, list[str]] = {"name": [], "adjective": [], "inhabitant": [], "city": []}
    for term in load_gazetteer().terms.values():
        if term.kind in by_kind and " " not in term.spelling and term.code:
            by_kind[term.kind].append(term.spelling.capitalize())
    return {k: sorted(v) for k, v in by_kind.items()}


def make_briefs(n: int, seed: int) -> list[Item]:
    rng = random.Random(seed)
    words = vocabulary()
    adjectives = [a for a in words["adjective"] if a.endswith("e")]
    items = []
    for _ in range(n):
        slots = {
            "land": rng.choice(words["name"]), "land2": rng.choice(words["name"]),
            "adj": rng.choice(adjectives), "adj2": rng.choice(adjectives),
            "inh": rng.choice(words["inhabitant"]), "stad": rng.choice(words["city"]),
            "n": rng.randint(2, 5000),
        }  # fmt: skip
        sentence = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(FACTS)}."
        text = " ".join([sentence.format(**slots), rng.choice(TAIL), rng.choice(TAIL)])
        items.append(
            Item("brief", None, rng.choice(DATELINES), ("ANP",), text, None, None, "bench")
        )
    return items


def timed(label: str, count: int, run: Callable[[], object], rows: list[str]) -> float:
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    rows.append(
        f"{label:<34} {count:>7} briefs {seconds:8.3f} s {count / seconds:>12,.0f} briefs/s"
    )
    return seconds


def peak_mib(run: Callable[[], object]) -> float:
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30_000, help="number of briefs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample", type=int, default=1_000, help="briefs for the slow baselines")
    args = parser.parse_args()

    start = time.perf_counter()
    load_gazetteer.__wrapped__()
    load_seconds = time.perf_counter() - start
    gazetteer_mib = peak_mib(load_gazetteer.__wrapped__)
    regions = load_regions(ROOT / "config" / "regions.toml")
    start = time.perf_counter()
    classifier = Classifier(regions)
    build_seconds = time.perf_counter() - start
    briefs = make_briefs(args.n, args.seed)
    snapshot = generate_snapshot(args.n, args.seed)
    captured = datetime(2026, 1, 20, 12, tzinfo=UTC)
    forms = sorted(load_gazetteer().terms, key=len, reverse=True)
    alternation = re.compile(r"\b(?:" + "|".join(map(re.escape, forms)) + r")\b", re.IGNORECASE)

    def classify_all() -> None:
        for item in briefs:
            classifier.classify(item)

    def parse_only() -> None:
        parse_snapshot(snapshot, captured, "bench")

    def parse_and_classify() -> None:
        for item in parse_snapshot(snapshot, captured, "bench").items:
            classifier.classify(item)

    def substring_baseline() -> None:
        for item in briefs[: args.sample]:
            text = item.text.lower()
            [form for form in forms if form in text]

    def alternation_baseline() -> None:
        for item in briefs[: args.sample]:
            alternation.findall(item.text)

    rows: list[str] = []
    timed("classify", len(briefs), classify_all, rows)
    timed("parse only (synthetic snapshot)", args.n, parse_only, rows)
    timed("parse+classify (synthetic snapshot)", args.n, parse_and_classify, rows)
    timed("baseline: substring loop", min(args.sample, len(briefs)), substring_baseline, rows)
    timed(
        "baseline: one big alternation", min(args.sample, len(briefs)), alternation_baseline, rows
    )
    print(f"gazetteer: {len(forms):,} forms, {len(load_gazetteer().datelines):,} dateline places")
    print(
        f"load gazetteer: {load_seconds * 1000:.0f} ms, peak {gazetteer_mib:.1f} MiB; "
        f"build classifier: {build_seconds * 1000:.0f} ms"
    )
    print("\n".join(rows))
    print(f"peak memory, classify {args.n:,}: {peak_mib(classify_all):.1f} MiB")
    print(f"peak memory, alternation baseline: {peak_mib(alternation_baseline):.1f} MiB")


if __name__ == "__main__":
    main()
