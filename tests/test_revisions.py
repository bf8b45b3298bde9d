"""Updated briefs: the words changed since a reader last got the story, marked in
its text, end to end from two captures of the same story through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.cli import main
from digest.render.revisions import marked_paragraphs
from digest.render.typography import typographic
from tests.test_build import write_config

NBSP = "\u00a0"


def test_a_changed_number_is_marked_not_its_unit_or_the_rest() -> None:
    before = typographic("Zeker 3.700 doden. De regering zwijgt.")
    now = typographic("Zeker 4.100 doden, zegt de VN.\n\nDe regering zwijgt.")
    assert marked_paragraphs(before, now) == [
        [
            ("Zeker ", False),
            ("4.100", True),
            (f"{NBSP}doden, ", False),
            ("zegt de VN", True),
            (".", False),
        ],
        [("De regering zwijgt.", False)],
    ]


def test_unchanged_text_has_no_mark() -> None:
    text = "Het internet werkt weer.\n\nDe regering zwijgt."
    assert marked_paragraphs(text, text) == [
        [("Het internet werkt weer.", False)],
        [("De regering zwijgt.", False)],
    ]


@given(
    st.lists(st.sampled_from(["de", "3.700", "doden", ",", ".", " ", "\n\n", "4.100"])).map(
        "".join
    ),
    st.lists(st.sampled_from(["de", "3.700", "doden", ",", ".", " ", "\n\n", "zegt"])).map("".join),
)
def test_the_runs_are_the_new_text_and_nothing_else(before: str, now: str) -> None:
    """Marking adds no word and drops none: the runs join back into the paragraphs."""
    from digest.render.markup import paragraphs

    runs = marked_paragraphs(before, now)
    assert ["".join(text for text, _ in paragraph) for paragraph in runs] == paragraphs(now)
    assert all(not changed or text.strip() for paragraph in runs for text, changed in paragraph)


QUAKE = (
    "TEHERAN (ANP) - Bij een aardbeving in het zuiden van Iran zijn zeker {dead} doden "
    "gevallen. Reddingswerkers zoeken in het puin naar overlevenden{who}.\n"
)
FIRST = "Meer uit Buitenland\n" + QUAKE.format(dead=12, who="") + "10 minuten geleden"
SECOND = (
    "Meer uit Buitenland\n"
    + QUAKE.format(dead=18, who=", melden de autoriteiten")
    + "10 minuten geledenCARACAS (ANP) - Een groot deel van het westen van Venezuela zit "
    "sinds zaterdag zonder stroom.\n20 minuten geleden"
)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_story_reworded_between_two_editions_is_marked_updated_with_what_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = str(write_config(tmp_path))
    (tmp_path / "one.txt").write_text(FIRST, encoding="utf-8")
    (tmp_path / "two.txt").write_text(SECOND, encoding="utf-8")
    first = ("ingest", str(tmp_path / "one.txt"), "--captured-at", "2026-01-20T06:00:00+01:00")
    assert run(capsys, "--config", cfg, *first)[0] == 0
    build = ("build", "--out", str(tmp_path / "a"), "--at", "2026-01-20T07:00:00+01:00")
    assert run(capsys, "--config", cfg, *build)[0] == 0
    second = ("ingest", str(tmp_path / "two.txt"), "--captured-at", "2026-01-21T05:30:00+01:00")
    assert run(capsys, "--config", cfg, *second)[0] == 0
    out = tmp_path / "b"
    code, printed, err = run(
        capsys, "--config", cfg, "build", "--out", str(out), "--at", "2026-01-21T07:00", "--json"
    )
    assert code == 0, err
    edition = json.loads(printed)
    assert edition["skip_reason"] is None  # an edition needs a new brief, not only an update
    [brief] = [b for s in edition["sections"] for b in s["briefs"] if b["updated"]]
    assert brief["updated"] and brief["changes"] == [
        ["12", "18"],
        ["overlevenden", "overlevenden, melden de autoriteiten"],
    ]
    assert "zeker 12 doden" in brief["before"]
    html = (out / "2026-01-21-ochtend.html").read_text(encoding="utf-8")
    assert '<strong class="brief-badge"' in html and ">Bijgewerkt</strong>" in html
    assert '<mark class="brief-changed"' in html
    assert ">18</mark>&nbsp;doden" in html and ">melden de autoriteiten</mark>." in html
    assert html.count('class="brief-changed"') == 2
    text = (out / "2026-01-21-ochtend.txt").read_text(encoding="utf-8")
    flat = " ".join(text.split())
    assert "bijgewerkt" in flat and "‘12’ → ‘18’; ‘overlevenden’ → ‘overlevenden," in flat
    markdown = (out / "2026-01-21-ochtend.md").read_text(encoding="utf-8")
    assert "‘12’ → ‘18’" in markdown and "<mark" not in markdown
