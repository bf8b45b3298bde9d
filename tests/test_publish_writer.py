"""Atomic and incremental publishing: generations, manifests, crashes, a full disk."""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

import pytest

from digest.errors import PublishError
from digest.publish import writer
from digest.publish.manifest import Manifests
from digest.publish.writer import Output, Publication, content_hash
from tests.test_publish_site import internal_links, make_editions, publish


def snapshot(root: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file under the archive link: (inode, mtime_ns, content)."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            info = path.stat()
            found[path.relative_to(root).as_posix()] = (
                info.st_ino,
                info.st_mtime_ns,
                path.read_bytes(),
            )
    return found


def assert_consistent(root: Path) -> None:
    """The live generation matches its manifest and every internal link resolves."""
    generation = Path(os.readlink(root))
    manifests = Manifests(root.parent / generation.parent)
    try:
        found = manifests.read(generation.name)
    finally:
        manifests.close()
    assert found is not None, "the live generation has no clean manifest"
    manifest = found[0]
    on_disk = {p for p, (_, _, _) in snapshot(root).items()}
    assert on_disk == set(manifest)
    for path, (_key, digest, _inode) in manifest.items():
        assert content_hash((root / path).read_bytes()) == digest, path
    for page, href, target, _ in internal_links(root):
        assert target.is_file(), f"{page}: {href}"


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "archief"


def test_archive_is_a_link_to_a_generation(out: Path) -> None:
    report = publish(make_editions(3), out)
    assert out.is_symlink() and os.readlink(out) == ".archief.generations/a"
    assert report.written == len(snapshot(out)) and report.unchanged == 0
    assert_consistent(out)
    publish(make_editions(4), out)
    assert os.readlink(out) == ".archief.generations/b"
    assert_consistent(out)


def test_publishing_nothing_new_rewrites_no_file(out: Path) -> None:
    editions = make_editions(6)
    publish(editions, out)
    before, link = snapshot(out), os.readlink(out)
    report = publish(editions, out)
    assert report.written == 0 and report.removed == 0 and report.unchanged == len(before)
    assert snapshot(out) == before and os.readlink(out) == link


def test_one_new_edition_rewrites_only_the_pages_that_show_it(out: Path) -> None:
    editions = make_editions(13)
    publish(editions[:12], out)
    before = snapshot(out)
    report = publish(editions, out)
    after = snapshot(out)
    changed = {p for p in after if p not in before or after[p][2] != before[p][2]}
    assert set(report.written_paths) == changed
    new, neighbour = "2026/01/11/ochtend/", "2026/01/10/avond/"
    expected = {new + "index.html", new + "index.md", neighbour + "index.html"}
    expected |= {"index.html", "regio/index.html", "feed.xml", "sitemap.xml", "sitemap-2026.xml"}
    assert expected <= changed
    assert not any(p.startswith("2026/01/0") for p in changed)  # old editions untouched
    assert not any(p.startswith("pagina/") for p in changed)  # numbered pages are stable
    for path in set(after) - changed:
        assert after[path][:2] == before[path][:2], path  # same inode and mtime: not rewritten
    assert_consistent(out)


def edition_links(page: Path) -> list[str]:
    return re.findall(r'edition-item-title"><a href="([^"]+)"', page.read_text())


def test_numbered_pages_keep_their_content_as_editions_arrive(out: Path) -> None:
    editions = make_editions(15)
    publish(editions[:9], out)
    first = edition_links(out / "pagina/1/index.html")
    assert len(first) == 4 and first[-1].endswith("2026/01/05/ochtend/index.html")
    publish(editions[:14], out)  # pages 1 and 2 are full now; the front holds the rest
    assert edition_links(out / "pagina/1/index.html") == first
    before = snapshot(out)
    report = publish(editions, out)
    assert not [p for p in report.written_paths if p.startswith("pagina/")]
    after = snapshot(out)
    for page in ("pagina/1/index.html", "pagina/2/index.html"):
        assert after[page] == before[page]


def test_a_removed_edition_disappears(out: Path) -> None:
    editions = make_editions(5)
    publish(editions, out)
    report = publish(editions[:4], out)
    assert "2026/01/07/ochtend/index.html" in report.removed_paths
    assert not (out / "2026/01/07").exists()
    assert_consistent(out)


class Crash(RuntimeError):
    pass


def fail_after(monkeypatch: pytest.MonkeyPatch, count: int, error: BaseException) -> None:
    real = writer.write_new_file
    calls = {"n": 0}

    def failing(path: Path, data: bytes) -> int:
        calls["n"] += 1
        if calls["n"] > count:
            raise error
        return real(path, data)

    monkeypatch.setattr(writer, "write_new_file", failing)


@pytest.mark.parametrize("count", [0, 3, 10])
def test_a_crash_mid_publish_leaves_the_previous_archive_intact(
    out: Path, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    editions = make_editions(10)
    publish(editions[:8], out)
    publish(editions[:9], out)  # both generations exist: the spare is rewritten in place
    before, link = snapshot(out), os.readlink(out)
    fail_after(monkeypatch, count, Crash("power cut"))
    with pytest.raises(Crash):
        publish(editions, out)
    assert os.readlink(out) == link and snapshot(out) == before
    assert_consistent(out)
    monkeypatch.undo()
    report = publish(editions, out)  # the next publish repairs the half-written spare
    assert report.written > 0 and (out / "2026/01/09/ochtend/index.html").is_file()
    assert_consistent(out)


def test_a_full_disk_fails_cleanly_and_keeps_the_archive(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editions = make_editions(4)
    publish(editions[:3], out)
    before = snapshot(out)
    fail_after(monkeypatch, 2, OSError(errno.ENOSPC, "No space left on device"))
    with pytest.raises(PublishError, match="disk is full") as caught:
        publish(editions, out)
    assert "still serves the previous publish" in str(caught.value)
    assert snapshot(out) == before
    assert_consistent(out)


def test_a_failed_first_publish_says_that_nothing_was_published(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """There is no previous publish to serve (it said there was)."""
    fail_after(monkeypatch, 2, OSError(errno.ENOSPC, "No space left on device"))
    with pytest.raises(PublishError, match="disk is full") as caught:
        publish(make_editions(2), out)
    assert "nothing was published, fix the cause" in str(caught.value)
    assert "still serves" not in str(caught.value)
    assert not out.exists() and not out.is_symlink()


def test_first_publish_that_fails_leaves_no_archive(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail_after(monkeypatch, 5, Crash("killed"))
    with pytest.raises(Crash):
        publish(make_editions(2), out)
    assert not out.exists() and not out.is_symlink()
    monkeypatch.undo()
    publish(make_editions(2), out)
    assert_consistent(out)


def test_a_foreign_folder_is_never_overwritten(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "mine.html").write_text("keep me")
    with pytest.raises(PublishError, match="is not a digest archive"):
        publish(make_editions(1), folder)
    assert (folder / "mine.html").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # nothing made beside it
    elsewhere = tmp_path / "link"
    elsewhere.symlink_to(folder)
    with pytest.raises(PublishError, match="not to a digest archive generation"):
        publish(make_editions(1), elsewhere)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "site"]
    empty = tmp_path / "empty"
    empty.mkdir()
    publish(make_editions(1), empty)
    assert empty.is_symlink()


def test_two_publishes_never_overlap(out: Path) -> None:
    publish(make_editions(1), out)
    with Publication(out), pytest.raises(PublishError, match="another publish"):
        publish(make_editions(2), out)


def test_spare_already_holding_a_file_keeps_it(out: Path) -> None:
    data = b"<p>x</p>"
    for content in (data, b"<p>y</p>", data):
        with Publication(out) as publication:
            publication.stage({"a.html": Output.of("k", content)})
            stats = publication.commit()
        assert (out / "a.html").read_bytes() == content
    assert stats.written == ["a.html"]  # changed since the live one, though not re-written


def test_offered_files_are_written_as_they_come_and_unchanged_ones_linked_at_finish(
    out: Path,
) -> None:
    """Streaming: a changed file is on disk (in the spare) as soon as it is
    offered, so the build need not hold it; unchanged files touch nothing
    until :meth:`finish`, and a publish with no change never opens the spare."""
    with Publication(out) as publication:
        publication.stage({"a.html": Output.of("k", b"a"), "b.html": Output.of("k", b"b")})
        publication.commit()
    with Publication(out) as publication:
        publication.offer("a.html", Output("k", content_hash(b"a")))
        assert not publication.changed and not (publication.spare / "a.html").exists()
        publication.offer("c.html", Output.of("k", b"c"))
        assert publication.changed and (publication.spare / "c.html").read_bytes() == b"c"
        publication.finish({"a.html", "c.html"})
        stats = publication.commit()
    assert stats.written == ["c.html"] and stats.removed == ["b.html"]
    assert sorted(snapshot(out)) == ["a.html", "c.html"]


def test_a_template_failing_mid_build_leaves_the_previous_archive_intact(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digest.publish.pages import Renderer

    editions = make_editions(6)
    publish(editions[:5], out)
    before, link = snapshot(out), os.readlink(out)
    real, calls = Renderer.page, [0]

    def failing(self: Renderer, page: object) -> bytes:
        calls[0] += 1
        if calls[0] > 2:  # some files are already streamed into the spare
            raise PublishError("archive template archive/edition.html: broken")
        return real(self, page)  # type: ignore[arg-type]

    monkeypatch.setattr(Renderer, "page", failing)
    with pytest.raises(PublishError, match="broken"):
        publish(editions, out)
    assert os.readlink(out) == link and snapshot(out) == before
    monkeypatch.undo()
    publish(editions, out)
    assert_consistent(out)


def test_a_publish_reads_only_the_live_manifest_and_walks_no_generation(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With both generations clean, the spare is brought up to date from what
    the live manifest records of their differences: its rows are not read
    and its folder is not walked; the live folder is looked into only where a
    folder changed since its publish (none here); a spare left dirty is
    rebuilt as before."""
    editions = make_editions(6)
    for count in (3, 4, 5):
        publish(editions[:count], out)
    walked: list[str] = []
    read: list[str] = []
    present, manifest_read = writer._present, Manifests.read

    def spy_present(root: Path, recorded: dict[str, writer.Record]) -> dict[str, writer.Record]:
        walked.append(root.name)
        return present(root, recorded)

    def spy_read(manifests: Manifests, name: str) -> object:
        read.append(name)
        return manifest_read(manifests, name)

    monkeypatch.setattr(writer, "_present", spy_present)
    monkeypatch.setattr(Manifests, "read", spy_read)
    live = Path(os.readlink(out)).name
    report = publish(editions, out)
    assert walked == [] and read == [live]
    assert report.written > 0 and "2026/01/07/avond/index.html" in report.written_paths
    assert_consistent(out)
    real_write = writer.write_new_file
    fail_after(monkeypatch, 0, Crash("power cut"))
    with pytest.raises(Crash):
        publish(editions[:4], out)  # the spare is left dirty, half updated
    monkeypatch.setattr(writer, "write_new_file", real_write)
    report = publish(editions[:4], out)
    assert "2026/01/07/avond/index.html" in report.removed_paths
    assert_consistent(out)
    fresh = out.with_name("fresh")
    publish(editions[:4], fresh)
    assert snapshot_bytes(out) == snapshot_bytes(fresh)


def snapshot_bytes(root: Path) -> dict[str, bytes]:
    return {path: data for path, (_, _, data) in snapshot(root).items()}


def test_files_changed_by_hand_are_found_through_their_folders(out: Path) -> None:
    """A file replaced by another (a new inode: its folder's time changes) and a
    whole folder deleted are noticed without walking the other folders."""
    editions = make_editions(6)
    publish(editions, out)
    publish(editions, out)
    replaced, gone = "regio/iran/index.html", "2026/01/06/avond/"
    (out / "regio/iran/new.tmp").write_bytes(b"edited by hand")
    os.replace(out / "regio/iran/new.tmp", out / replaced)
    for name in os.listdir(out / gone):
        (out / gone / name).unlink()
    (out / gone).rmdir()
    report = publish(editions, out)
    assert replaced in report.written_paths
    assert {gone + "index.html", gone + "index.md"} <= set(report.written_paths)
    assert_consistent(out)


def test_offering_a_file_does_not_copy_the_set_of_every_path(out: Path) -> None:
    """Each offered file joins the next generation's paths in place: a copy of
    that set per file made a full build quadratic (188 against 102 CPU s at
    3,000 editions)."""
    with Publication(out) as publication:
        paths = publication._paths
        for n in range(3):
            publication.offer(f"{n}.html", Output.of("k", b"x"))
        publication.add({"late.html": Output.of("k", b"y")})
        assert publication._paths is paths and len(paths) == 4
