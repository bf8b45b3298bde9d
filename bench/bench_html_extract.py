"""Which boilerplate remover reads the HTML test pages best (issue 15).

For every page under tests/data/sites/*.html, each extractor's text is parsed
as a wire snapshot and compared with the items the page holds (the expected
items of tests/test_furniture.py): item recall, junk items, and furniture
(navigation, cookie banner, footer, sidebar, <title>) found in a title or
text. The floor is the plain visible text of the page (digest's own
html_to_text). CPU seconds per extractor are printed beside it; the machine
may be loaded, so compare ratios within one run.

    .venv/bin/python bench/bench_html_extract.py
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: tests/

from digest.ingest.sources import html_to_text
from digest.ingest.wire import parse_snapshot
from tests.test_furniture import CAPTURED, EXPECTED, FURNITURE, SITES

Extractor = Callable[[str], str]


def _trafilatura(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html, favor_recall=True, include_comments=False) or ""


def _justext(html: str) -> str:
    import justext

    paragraphs = justext.justext(html.encode(), justext.get_stoplist("Dutch"))
    return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)


def _readability(html: str) -> str:
    from readability import Document

    return html_to_text(Document(html).summary())


def _chosen(html: str) -> str:
    """What digest uses: readability's main content, or the visible text without chrome."""
    from digest.ingest.pages import main_content

    return main_content(html) or html_to_text(html, drop_chrome=True)


EXTRACTORS: dict[str, Extractor] = {
    "digest (readability)": _chosen,
    "visible text (floor)": html_to_text,
    "trafilatura": _trafilatura,
    "jusText": _justext,
    "readability-lxml": _readability,
}


def score(extract: Extractor) -> tuple[int, int, int, int, float]:
    """(items found, items expected, junk items, furniture hits, CPU seconds)."""
    found = expected = junk = hits = 0
    cpu = 0.0
    for name, want in EXPECTED.items():
        html = (SITES / name.replace(".txt", ".html")).read_text("utf-8")
        start = time.process_time()
        text = extract(html)
        items = parse_snapshot(text, CAPTURED, name).items
        cpu += time.process_time() - start
        openings = [w[4] for w in want]
        expected += len(want)
        found += sum(any(i.text.startswith(o) for i in items) for o in openings)
        junk += sum(not any(i.text.startswith(o) for o in openings) for i in items)
        hits += sum(f in (i.title or "") + i.text for i in items for f in FURNITURE)
        hits += sum("Voorbeeldsite" in (i.title or "") + i.text for i in items)
    return found, expected, junk, hits, cpu


def main() -> None:
    wall = time.perf_counter()
    print(f"{'extractor':22} {'recall':>8} {'junk':>5} {'furniture':>9} {'CPU s':>7}")
    for label, extract in EXTRACTORS.items():
        try:
            found, expected, junk, hits, cpu = score(extract)
        except ImportError as exc:
            print(f"{label:22} not installed ({exc.name})")
            continue
        print(f"{label:22} {found:>4}/{expected:<3} {junk:>5} {hits:>9} {cpu:>7.3f}")
    print(f"wall {time.perf_counter() - wall:.2f} s (machine shared; compare within this run)")


if __name__ == "__main__":
    main()
