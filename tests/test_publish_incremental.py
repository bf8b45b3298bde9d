"""Incremental publishing: page-input keys and the body cache decide what is
rendered and written; a file lost by hand comes back; nothing else is touched."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from digest.edition.group import group_edition
from digest.errors import PublishError
from digest.model import Edition
from digest.publish import pages, writer
from digest.publish.cache import CACHE_NAME, BodyCache
from digest.publish.site import Page
from tests.sample_edition import ZONE
from tests.test_publish_site import REGIONS, START, make_editions, make_story, publish
from tests.test_publish_writer import assert_consistent, fail_after, snapshot


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "archief"


def late_groenland_edition() -> Edition:
    """A third edition on the day of ``make_editions(12)[-1]``, about Groenland only."""
    slot = START + timedelta(hours=12 * 11 + 2)
    stories = [make_story(99, index, slot, ("groenland",)) for index in range(2)]
    return group_edition(
        stories, REGIONS, name="laat", title="Late editie", slot=slot,
        window_start=slot - timedelta(hours=2), zone=ZONE,
    )  # fmt: skip


class Counts:
    """Calls of the costly parts: edition bodies rendered, pages rendered, files written."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.bodies: list[str] = []
        self.pages: list[str] = []
        self.writes: list[str] = []
        body = pages.render_edition_body  # type: ignore[attr-defined]
        page, write = pages.Renderer.page, writer.write_new_file

        def counted_body(edition: Edition, **kwargs: object) -> str:
            self.bodies.append(edition.id)
            return body(edition, **kwargs)  # type: ignore[arg-type]

        def counted_page(renderer: pages.Renderer, planned: Page) -> bytes:
            self.pages.append(planned.url)
            return page(renderer, planned)

        def counted_write(path: Path, data: bytes) -> int:
            self.writes.append(path.name)
            return write(path, data)

        monkeypatch.setattr(pages, "render_edition_body", counted_body)
        monkeypatch.setattr(pages.Renderer, "page", counted_page)
        monkeypatch.setattr(writer, "write_new_file", counted_write)


def test_a_second_publish_with_no_change_renders_and_writes_nothing(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editions = make_editions(12)
    publish(editions, out)
    before, link = snapshot(out), os.readlink(out)
    counts = Counts(monkeypatch)
    report = publish(editions, out)
    assert (counts.bodies, counts.pages, counts.writes) == ([], [], [])
    assert report.written == 0 and report.removed == 0
    assert snapshot(out) == before and os.readlink(out) == link


def test_one_new_edition_rewrites_exactly_the_pages_that_show_it(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editions = make_editions(12)
    publish(editions, out)
    publish(editions, out)  # nothing new: the spare generation stays as it was
    before = snapshot(out)
    counts = Counts(monkeypatch)
    late = late_groenland_edition()
    report = publish([*editions, late], out)
    new, neighbour = "2026/01/10/laat/", "2026/01/10/avond/"
    assert sorted(report.written_paths) == sorted(
        [new + "index.html", new + "index.md", new + "share.png", neighbour + "index.html",
         "index.html", "feed.xml", "sitemap-2026.xml", "regio/index.html",
         "regio/groenland/index.html", "regio/groenland/feed.xml", "regio/groenland/feed.json",
         # its two stories' pages, and the topics of their datelines (Den Haag, Nuuk)
         *(f"verhaal/{slug}.html" for slug in (
             "de-dijken-bij-vlissingen-worden-versterkt-tegen-de-s00991",
             "de-regering-overlegt-over-de-begroting-voor-volgend-s00990")),
         "onderwerp/index.html",
         *(f"onderwerp/{topic}/{name}" for topic in ("den-haag", "nuuk")
           for name in ("index.html", "feed.xml", "feed.json"))]
    )  # fmt: skip
    after = snapshot(out)
    for path in set(after) - set(report.written_paths):
        assert after[path] == before[path], path  # same inode, mtime and bytes
    # Bodies come from the cache: only the new edition's is rendered.
    assert set(counts.bodies) == {late.id}
    # Pages rendered: exactly the HTML pages among them (feeds and images are not pages).
    html = [path.removesuffix("index.html") for path in report.written_paths
            if path.endswith(".html")]  # fmt: skip
    assert sorted(counts.pages) == sorted(html) and len(html) == 10
    assert_consistent(out)


def test_a_file_deleted_by_hand_is_restored(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    editions = make_editions(12)
    publish(editions, out)
    publish(editions, out)
    before = snapshot(out)
    lost = "2026/01/07/ochtend/index.html"
    (out / lost).unlink()
    (out / "regio/iran/feed.xml").write_bytes(b"edited by hand")  # same inode: not noticed
    (out / "2026/01/06/avond/index.md").unlink()
    counts = Counts(monkeypatch)
    report = publish(editions, out)
    assert sorted(report.written_paths) == ["2026/01/06/avond/index.md", lost]
    assert "regio/iran/feed.xml" not in report.written_paths
    assert counts.pages == ["2026/01/07/ochtend/"] and counts.bodies == []
    after = snapshot(out)
    assert after[lost][2] == before[lost][2]
    assert after["2026/01/06/avond/index.md"][2] == before["2026/01/06/avond/index.md"][2]
    assert os.readlink(out).endswith("/b")


def test_a_damaged_body_cache_is_rebuilt(out: Path) -> None:
    editions = make_editions(5)
    publish(editions, out)
    cache = out.parent / f".{out.name}.generations" / CACHE_NAME
    for extra in ("-wal", "-shm"):
        Path(f"{cache}{extra}").unlink(missing_ok=True)
    cache.write_bytes(b"not a database" * 100)
    before = snapshot(out)
    publish([*editions, *make_editions(6)[5:]], out)
    assert snapshot(out)["2026/01/05/ochtend/index.html"][2] == before[
        "2026/01/05/ochtend/index.html"][2]  # fmt: skip
    assert_consistent(out)


def test_bodies_of_other_templates_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / CACHE_NAME
    old = BodyCache(path, "templates-1")
    old.put("e1:full", "<p>een</p>")
    old.close()
    new = BodyCache(path, "templates-2")
    assert new.get("e1:full") == "<p>een</p>"  # content-addressed: the key says which
    new.prune()
    assert new.get("e1:full") is None and "e1:full" not in new
    new.close()


def test_a_crash_after_bodies_were_cached_leaves_both_archive_and_cache_sound(
    out: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The cache is filled before the swap; a crash after that changes nothing
    readers see, and the next publish (using the cached bodies) writes the
    same files as a fresh build."""
    editions = make_editions(12)
    publish(editions[:8], out)
    before, link = snapshot(out), os.readlink(out)
    fail_after(monkeypatch, 3, OSError(5, "Input/output error"))
    with pytest.raises(PublishError):
        publish(editions, out)
    assert os.readlink(out) == link and snapshot(out) == before
    monkeypatch.undo()
    publish(editions, out)
    fresh = tmp_path / "fresh"
    publish(editions, fresh)
    assert {p: c for p, (_, _, c) in snapshot(out).items()} == {
        p: c for p, (_, _, c) in snapshot(fresh).items()
    }
    assert_consistent(out)
