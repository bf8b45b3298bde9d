"""An archive published day by day is byte for byte the archive a full build
of the same editions makes: every incremental shortcut (page keys, the body
and facts caches, the writer's two generations and what they remember of
each other) must leave no trace in the output."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from digest.classify.gazetteer import load_gazetteer
from digest.edition.group import group_edition
from digest.model import Edition, Revision
from digest.publish import build_archive
from digest.publish.facts import edition_facts
from digest.publish.site import place_editions, plan_site
from digest.publish.stories import story_url
from tests.sample_edition import ZONE
from tests.test_publish_site import REGIONS, SETTINGS, make_editions, make_story, publish
from tests.test_publish_writer import assert_consistent


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (the archive link followed): path -> bytes."""
    found = {}
    for folder, _dirs, files in os.walk(root, followlinks=True):
        for name in files:
            path = Path(folder) / name
            found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def carried_again(edition: Edition, earlier: Edition, number: int) -> Edition:
    """``edition`` with a story of ``earlier`` carried again in a new wording."""
    old = earlier.sections[0].briefs[0].story
    slot = edition.slot
    revised = replace(
        old,
        text=old.text + " Het dodental is opgelopen tot 4.100.",
        revisions=old.revisions + 1,
        updated_at=slot - timedelta(minutes=5),
        last_seen=slot,
    )
    stories = [revised, *(make_story(number, i, slot, ("iran",)) for i in range(3))]
    return group_edition(
        stories, REGIONS, name=edition.name, title=edition.title, slot=slot,
        window_start=slot - timedelta(hours=12), zone=ZONE,
    )  # fmt: skip


def steps() -> list[list[Edition]]:
    """The editions of each publish: one or two added each time, then one
    carrying an earlier story again, one changed (its note) and one removed."""
    editions = make_editions(14)
    runs = [editions[:3], editions[:4], editions[:6], editions[:6], editions[:7]]
    again = carried_again(editions[7], editions[2], 70)
    runs.append([*editions[:7], again])
    noted = replace(editions[4], note_markdown="Een **correctie** bij deze editie.")
    runs.append([*editions[:4], noted, *editions[5:7], again, editions[8]])
    runs.append([*editions[:4], noted, editions[6], again, *editions[8:10]])  # 5 removed
    runs.append([*editions[:4], noted, editions[6], again, *editions[8:14]])
    runs.append(runs[-1][:-1])  # the newest removed again
    return runs


@pytest.mark.parametrize("cleared", [False, True])
def test_publishing_day_by_day_gives_the_full_build_byte_for_byte(
    tmp_path: Path, cleared: bool
) -> None:
    """``cleared``: the caches beside the generations are lost between publishes
    (the writer's own manifests are kept)."""
    out = tmp_path / "archief"
    for number, editions in enumerate(steps()):
        if cleared:
            for name in ("bodies.sqlite", "facts.sqlite"):
                (tmp_path / ".archief.generations" / name).unlink(missing_ok=True)
        publish(editions, out)
        fresh = tmp_path / f"full-{number}"
        publish(editions, fresh)
        built, full = tree(out), tree(fresh)
        assert built.keys() == full.keys(), f"step {number}"
        differing = [path for path in built if built[path] != full[path]]
        assert differing == [], f"step {number}"
        assert_consistent(out)


def test_the_kept_facts_plan_the_pages_that_deriving_them_plans() -> None:
    """Planning with each edition's kept facts (addresses from the first edition
    that carried a story, mentions from the last) gives the pages, keys, story
    addresses and topics that deriving them from the stories gives; with a story
    carried again in a new wording that mentions a place the first did not."""
    editions = steps()[5]  # its last edition carries a story of the third again
    first, again = editions[2].sections[0].briefs[0].story, editions[-1]
    assert first.id in {b.story.id for s in again.sections for b in s.briefs}
    settings = replace(SETTINGS, topic_min=1, topics=("dodental",))
    entries = place_editions(editions, settings)
    gazetteer = load_gazetteer()
    kept = {e.fingerprint: edition_facts(e, settings.topics, gazetteer) for e in entries}
    derived = plan_site(entries, settings, site_key="k")
    planned = plan_site(entries, settings, site_key="k", facts=kept.__getitem__)
    assert [(p.url, p.key) for p in planned.pages] == [(p.url, p.key) for p in derived.pages]
    assert planned.story_urls() == derived.story_urls()
    topics = [(t.kind, t.name, [s.id for s in t.stories]) for t in planned.topics]
    assert topics == [(t.kind, t.name, [s.id for s in t.stories]) for t in derived.topics]
    assert ("keyword", "dodental", [first.id]) in topics  # only its new wording says it
    assert planned.story_urls()[first.id] == story_url(first)  # as first carried


def test_a_stored_new_wording_reaches_the_topic_pages_and_feeds(tmp_path: Path) -> None:
    """A story reworded in the store (``digest ingest``) that no new edition carries:
    its topic page says "2 versies" and its topic feeds date it by the new wording,
    as a full build does (the keys held only the wording the edition carried, so the
    topic pages and feeds kept the old count for good)."""
    editions = make_editions(3)
    story = next(
        b.story for s in editions[-1].sections for b in s.briefs if b.story.dateline == "NUUK"
    )
    first = Revision(1, story.first_seen, story.title, story.text)
    later = Revision(2, story.first_seen + timedelta(hours=5), story.title, story.text + " Meer.")
    out, fresh = tmp_path / "archief", tmp_path / "full"
    build_archive(editions, SETTINGS, out, search=False, revisions={story.id: (first,)})
    build_archive(editions, SETTINGS, out, search=False, revisions={story.id: (first, later)})
    build_archive(editions, SETTINGS, fresh, search=False, revisions={story.id: (first, later)})
    built, full = tree(out), tree(fresh)
    assert "2 versies" in full["onderwerp/nuuk/index.html"].decode()
    assert [path for path in full if built.get(path) != full[path]] == []
