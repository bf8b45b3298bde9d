"""Classification throughput on many Dutch briefs, beside naive baselines.

    python bench/bench_classify.py [--n 30000] [--seed 1]

Measures, in one run:
- classify: ingest's classification (``Labeller.labels``) of ``n`` generated
  briefs rich in place names, adjectives, compounds, keywords and traps;
- parse+classify: ``parse_snapshot`` on a synthetic snapshot of ``n`` briefs
  (bench/snapshots.py), then ingest's classification of the whole snapshot
  (``Labeller.labels``: one compiled pass, the region rules with context
  included); "item by item" is ``Classifier.annotate`` on each item instead;
- baseline "substring": for each brief, ``form in text.lower()`` for every
  gazetteer form (what a first attempt does);
- baseline "alternation": one big case-insensitive ``\\b(?:a|b|...)\\b`` regex
  over all forms (finds words, knows no Dutch rules).
Both baselines are slow, so they run on a sample (``--sample``).
- floor "dateline regex pass": one compiled regex finding every dateline of
  the same synthetic snapshot; parse+classify is reported as a ratio to it.

The steps run in interleaved rounds (``--rounds``, median) so that machine
load hits step and floor alike; each prints per CPU second and per wall
second. Peak memory is measured with tracemalloc in a separate pass so it
does not slow the timings. The last line is the bench's row of the speed
table (``make bench``). Never asserts a timing.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.floors import interleaved, line, peak_mib, table_row  # noqa: E402
from bench.snapshots import generate_snapshot  # noqa: E402
from digest.classify.classifier import Classifier  # noqa: E402
from digest.classify.gazetteer import load_gazetteer  # noqa: E402
from digest.classify.labeller import Labeller  # noqa: E402
from digest.classify.regions import load_regions  # noqa: E402
from digest.ingest.wire import parse_snapshot  # noqa: E402
from digest.model import Item  # noqa: E402

# The floor: one compiled pass finding every dateline of the snapshot, the
# least any parser of the page must do (the ingest bench uses the same one).
DATELINE = re.compile(r"([A-ZÀ-Þ'][A-ZÀ-Þ'. /-]*[A-ZÀ-Þ.])(?: \(([A-Z/]+)\))? - ")

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30_000, help="number of briefs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample", type=int, default=1_000, help="briefs for the slow baselines")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    args = parser.parse_args()

    start = time.perf_counter()
    load_gazetteer.__wrapped__()
    load_seconds = time.perf_counter() - start
    gazetteer_mib = peak_mib(load_gazetteer.__wrapped__)
    regions = load_regions(ROOT / "config" / "regions.toml")
    start = time.perf_counter()
    classifier = Classifier(regions)
    labeller = Labeller(regions, classifier)
    build_seconds = time.perf_counter() - start
    briefs = make_briefs(args.n, args.seed)
    snapshot = generate_snapshot(args.n, args.seed)
    captured = datetime(2026, 1, 20, 12, tzinfo=UTC)
    forms = sorted(load_gazetteer().terms, key=len, reverse=True)
    alternation = re.compile(r"\b(?:" + "|".join(map(re.escape, forms)) + r")\b", re.IGNORECASE)
    sample = briefs[: args.sample]

    def regex_pass() -> int:
        return sum(1 for _ in DATELINE.finditer(snapshot))

    def classify_all() -> int:
        return len(labeller.labels(briefs))

    def parse_only() -> int:
        return len(parse_snapshot(snapshot, captured, "bench").items)

    def parse_and_classify() -> int:
        return len(labeller.labels(parse_snapshot(snapshot, captured, "bench").items))

    def item_by_item() -> int:
        annotate = classifier.annotate
        return len([annotate(item) for item in parse_snapshot(snapshot, captured, "bench").items])

    def substring_baseline() -> int:
        for item in sample:
            text = item.text.lower()
            [form for form in forms if form in text]
        return len(sample)

    def alternation_baseline() -> int:
        for item in sample:
            alternation.findall(item.text)
        return len(sample)

    cases = {
        "floor: dateline regex pass": regex_pass,
        "parse only (synthetic snapshot)": parse_only,
        "parse+classify (synthetic snapshot)": parse_and_classify,
        "parse+classify, item by item": item_by_item,
        "classify (generated briefs)": classify_all,
        "baseline: substring loop": substring_baseline,
        "baseline: one big alternation": alternation_baseline,
    }
    timings = interleaved(cases, args.rounds)
    floor = timings["floor: dateline regex pass"]
    print(f"gazetteer: {len(forms):,} forms, {len(load_gazetteer().datelines):,} dateline places")
    print(
        f"load gazetteer: {load_seconds * 1000:.0f} ms, peak {gazetteer_mib:.1f} MiB; "
        f"build classifier: {build_seconds * 1000:.0f} ms"
    )
    print(f"median of {args.rounds} interleaved rounds; ratios are floor speed / step speed")
    peaks = {
        "floor: dateline regex pass": peak_mib(regex_pass),
        "parse+classify (synthetic snapshot)": peak_mib(parse_and_classify),
        "classify (generated briefs)": peak_mib(classify_all),
    }
    for name, timing in timings.items():
        shown = None if name.startswith("floor") else floor
        print(line(name, timing, "briefs", shown, peaks.get(name)))
    both, parse = (
        timings["parse+classify (synthetic snapshot)"],
        timings["parse only (synthetic snapshot)"],
    )
    now = (
        f"{both.per_cpu / 1000:.0f}k briefs/CPU-s, {floor.per_cpu / both.per_cpu:.1f}× the regex "
        f"pass (parse alone {floor.per_cpu / parse.per_cpu:.1f}×)"
    )
    print(
        table_row(
            "parse+classify", now, f"regex pass {floor.per_cpu / 1000:.0f}k/CPU-s",
            floor.per_cpu / both.per_cpu, "≥ 50k/s, within 10× of the regex pass",
        )
    )  # fmt: skip


if __name__ == "__main__":
    main()
