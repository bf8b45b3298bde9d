"""What a publish keeps between runs to do less: the inputs key of the live
archive (in its manifest, ``manifest.sqlite``: equal inputs, nothing planned)
and each edition's story facts (``facts.sqlite``). Whatever was kept, an incremental publish
writes the same bytes as a build from scratch, and a crash changes nothing
readers see."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

import digest.publish as publish_module
from digest.errors import PublishError
from digest.model import Edition, Revision
from digest.publish import build_archive
from digest.publish.facts import FACTS_NAME
from digest.publish.manifest import MANIFEST_NAME, Manifests
from digest.publish.site import SiteSettings
from tests.test_publish_incremental import late_groenland_edition
from tests.test_publish_site import SETTINGS, make_editions, publish
from tests.test_publish_writer import assert_consistent, fail_after, snapshot


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "archief"


def contents(root: Path) -> dict[str, bytes]:
    return {path: data for path, (_, _, data) in snapshot(root).items()}


def fresh(
    editions: list[Edition], where: Path, settings: SiteSettings = SETTINGS
) -> dict[str, bytes]:
    build_archive(editions, settings, where, search=False)
    return contents(where)


def forbid_planning(monkeypatch: pytest.MonkeyPatch) -> None:
    def planned(*args: object, **kwargs: object) -> None:
        raise AssertionError("planned the site")

    monkeypatch.setattr(publish_module, "plan_site", planned)


def test_publishing_the_same_inputs_again_plans_nothing(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editions = make_editions(12)
    first = publish(editions, out)
    before, link = snapshot(out), os.readlink(out)
    forbid_planning(monkeypatch)
    report = publish(editions, out)
    assert (report.written, report.removed, report.pages) == (0, 0, first.pages)
    assert report.unchanged == len(before)
    assert snapshot(out) == before and os.readlink(out) == link


def test_a_lost_file_or_other_settings_are_not_the_same_inputs(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editions = make_editions(6)
    publish(editions, out)
    (out / "index.html").unlink()
    assert publish(editions, out).written_paths == ("index.html",)
    other = replace(SETTINGS, title="Digest Zeeland")
    report = build_archive(editions, other, out, search=False)
    assert report.written > 0 and contents(out) == fresh(editions, out.parent / "f", other)


def test_a_new_stored_wording_is_not_the_same_inputs(out: Path) -> None:
    editions = make_editions(4)
    story = editions[0].sections[0].briefs[0].story
    first = Revision(1, story.first_seen, story.title, story.text)
    build_archive(editions, SETTINGS, out, search=False, revisions={story.id: [first]})
    later = Revision(2, story.first_seen + timedelta(minutes=30), None, story.text + " Meer.")
    revisions = {story.id: [first, later]}
    report = build_archive(editions, SETTINGS, out, search=False, revisions=revisions)
    assert [p for p in report.written_paths if p.startswith("verhaal/")] == [
        p for p in contents(out) if p.startswith("verhaal/") and story.id in p
    ]


def test_incremental_publishes_write_what_a_fresh_build_writes(out: Path, tmp_path: Path) -> None:
    editions = make_editions(12)
    steps = [editions[:5], editions[:6], editions[:9], [*editions, late_groenland_edition()]]
    steps.append(editions)  # an edition taken away again
    for number, step in enumerate(steps):
        publish(step, out)
        assert contents(out) == fresh(step, tmp_path / f"fresh-{number}"), number
        assert_consistent(out)


def test_other_keywords_are_not_taken_from_kept_facts(out: Path, tmp_path: Path) -> None:
    editions = make_editions(8)
    publish(editions, out)
    keywords = replace(SETTINGS, topics=("dijken", "internet"))
    build_archive(editions, keywords, out, search=False)
    assert "onderwerp/dijken/index.html" in contents(out)
    assert contents(out) == fresh(editions, tmp_path / "fresh", keywords)


def test_a_damaged_facts_cache_is_rebuilt(out: Path, tmp_path: Path) -> None:
    editions = make_editions(6)
    publish(editions[:5], out)
    facts = out.parent / f".{out.name}.generations" / FACTS_NAME
    for extra in ("-wal", "-shm"):
        Path(f"{facts}{extra}").unlink(missing_ok=True)
    facts.write_bytes(b"not a database" * 100)
    publish(editions, out)
    assert contents(out) == fresh(editions, tmp_path / "fresh")


def test_a_crash_after_facts_were_kept_changes_nothing_and_is_not_taken_for_done(
    out: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Facts are kept before the swap and the inputs key only with it: after a
    crash the live archive still names its own inputs, so the next publish of
    the new inputs does the work and equals a fresh build."""
    editions = make_editions(12)
    publish(editions[:8], out)
    before, link = snapshot(out), os.readlink(out)
    fail_after(monkeypatch, 3, OSError(5, "Input/output error"))
    with pytest.raises(PublishError):
        publish(editions, out)
    assert os.readlink(out) == link and snapshot(out) == before
    monkeypatch.undo()
    report = publish(editions, out)
    assert report.written > 0
    assert contents(out) == fresh(editions, tmp_path / "fresh")
    assert_consistent(out)


@pytest.mark.parametrize("damage", ["deleted", "garbage"])
def test_a_lost_or_damaged_manifest_database_is_rebuilt(
    out: Path, tmp_path: Path, damage: str
) -> None:
    """Without its manifests a publish knows no live file: it writes every file
    into the spare (the live folder is untouched until the swap) and plans again."""
    editions = make_editions(7)
    publish(editions[:5], out)
    publish(editions[:6], out)
    manifest = out.parent / f".{out.name}.generations" / MANIFEST_NAME
    for extra in ("-wal", "-shm"):
        Path(f"{manifest}{extra}").unlink(missing_ok=True)
    if damage == "deleted":
        manifest.unlink()
    else:
        manifest.write_bytes(b"not a database" * 100)
    report = publish(editions[:6], out)
    assert report.unchanged == 0 and report.written == len(contents(out))
    assert contents(out) == fresh(editions[:6], tmp_path / "fresh-6")
    assert_consistent(out)
    publish(editions, out)
    assert contents(out) == fresh(editions, tmp_path / "fresh")
    assert_consistent(out)


def test_an_archive_with_json_manifests_is_taken_over_without_rewriting(
    out: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An archive published by an earlier version (``a.json``, ``b.json``): the
    first publish reads them, so the same inputs plan and write nothing, and
    later publishes keep every generation's files in the database."""
    editions = make_editions(8)
    publish(editions[:5], out)
    publish(editions[:6], out)
    home = out.parent / f".{out.name}.generations"
    manifests = Manifests(home)
    for name in ("a", "b"):
        found = manifests.read(name)
        assert found is not None
        files, inputs = found
        listed = {p: list(r) for p, r in files.items()}
        document = {"version": 1, "files": listed, "inputs": inputs}
        (home / f"{name}.json").write_text(json.dumps(document))
    manifests.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{home / MANIFEST_NAME}{suffix}").unlink(missing_ok=True)
    before = snapshot(out)
    with monkeypatch.context() as patched:
        forbid_planning(patched)
        report = publish(editions[:6], out)
    assert report.written == 0 and report.unchanged == len(before)
    assert snapshot(out) == before
    for count in (7, 8, 8):  # the spare of the first, then the JSON's live folder as spare
        report = publish(editions[:count], out)
        assert contents(out) == fresh(editions[:count], tmp_path / f"fresh-{count}")
        assert_consistent(out)
    assert report.written == 0 and report.unchanged == len(contents(out))
    assert not list(home.glob("*.json"))
