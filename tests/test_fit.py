"""Gmail's 102 KB clipping limit: a big edition gives way to "+N meer in het archief"."""

from __future__ import annotations

import importlib.util
import re
import sys
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest

from digest.edition.events import edition_events, trimmed
from digest.edition.group import group_edition
from digest.model import Edition
from digest.render.outputs import GMAIL_LIMIT, personalise, render_edition
from tests.test_render import render

ROOT = Path(__file__).resolve().parent.parent
LINKS = {
    "unsubscribe_url": "https://x.example/u/" + "t" * 120,
    "preferences_url": "https://x.example/p",
}


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_edition", ROOT / "bench/bench_edition.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_edition", module)  # its dataclasses look themselves up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def big() -> Edition:
    bench = _bench()
    stories, regions = bench.make_stories(2000, 10)
    return group_edition(
        stories, regions, name="b", title="Ochtendeditie", slot=bench.SLOT,
        window_start=bench.SLOT - timedelta(hours=48), zone=bench.ZONE,
    )  # fmt: skip


def test_an_edition_of_2000_stories_stays_under_gmails_limit(big: Edition) -> None:
    archive = "https://x.example/archief/2026/01/21/ochtend/"
    rendered = render_edition(
        big, site_title="Digest", base_url="https://x.example", archive_url=archive
    )
    mail = personalise(rendered, name="Anna de Vries", **LINKS)
    assert len(mail.html.encode("utf-8")) <= GMAIL_LIMIT
    more = re.findall(r'href="([^"]+)"[^>]*>\+([\d.]+) meer in het archief<', mail.html)
    assert more and all(url.startswith(archive + "#section-") for url, _ in more)
    shown = len(re.findall(r'class="brief"', mail.html))
    hidden = sum(int(n.replace(".", "")) for _, n in more)
    assert shown + hidden == big.for_regions(None).story_count  # every story shown or counted
    for anchor in re.findall(r'class="in-brief-link"[^>]*href="#([^"]+)"', mail.html):
        assert f'id="{anchor}"' in mail.html  # "In het kort" never links to a left-out entry
    assert "meer in het archief" in mail.text and "meer in het archief" in mail.markdown


def test_a_small_edition_is_shown_whole() -> None:
    rendered = render()
    assert "meer in het archief" not in rendered.html + rendered.text + rendered.markdown


def test_trimming_keeps_each_sections_first_entry_and_the_protected_ones(big: Edition) -> None:
    events = edition_events(big.for_regions(None))
    firsts = {key: bands[0][1][0] for key, bands in events.items()}
    protected = [bands[-1][1][-1] for bands in events.values()][:3]
    kept, hidden = trimmed(events, 30, protected)
    leads = {e.lead for bands in kept.values() for _, es in bands for e in es}
    assert {e.lead for e in firsts.values()} <= leads
    assert {e.lead for e in protected} <= leads
    assert set(hidden) == set(events)
