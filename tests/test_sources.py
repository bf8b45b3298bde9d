from __future__ import annotations

import codecs
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.errors import SourceError
from digest.ingest import sources
from digest.ingest.sources import (
    decode_snapshot,
    expand_paths,
    html_to_text,
    path_name,
    read_snapshot,
)

BRIEF = "TEHERAN (ANP/AFP) - Iran zegt dat het internet wordt hersteld.\n15 minuten geleden\n"


def test_utf8_is_read_as_is(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(BRIEF, encoding="utf-8")
    snapshot = read_snapshot(path)
    assert snapshot.text == BRIEF
    assert snapshot.warnings == ()
    assert len(snapshot.checksum) == 64
    assert snapshot.captured_at.tzinfo is not None


def test_capture_time_defaults_to_mtime(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(BRIEF, encoding="utf-8")
    os.utime(path, (1_768_980_000, 1_768_980_000))
    assert read_snapshot(path).captured_at == datetime.fromtimestamp(1_768_980_000, tz=UTC)


def test_utf8_bom_is_dropped() -> None:
    text, warnings = decode_snapshot(b"\xef\xbb\xbf" + BRIEF.encode(), "x")
    assert text == BRIEF
    assert warnings == []


def test_cp1252_is_decoded_with_a_warning() -> None:
    data = "GENÈVE (ANP) - Türk ziet een “verontrustende” toename.".encode("cp1252")
    text, warnings = decode_snapshot(data, "old.txt")
    assert text.startswith("GENÈVE (ANP) - Türk ziet een “verontrustende”")
    assert warnings == ["old.txt: not UTF-8; decoded as Windows-1252 (cp1252)"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the file is empty"),
        (b"  \r\n\t\n", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "the file is binary"),
        (bytes(range(256)) * 4, "the file is binary"),
    ],
)
def test_unusable_files_are_refused_by_name(data: bytes, reason: str) -> None:
    with pytest.raises(SourceError, match=f"^bad.txt: {reason}"):
        decode_snapshot(data, "bad.txt")


def test_html_page_is_reduced_to_visible_text() -> None:
    page = (
        b"<!DOCTYPE html><html><head><title>x</title><style>p{}</style>"
        b"<script>alert(1)</script></head><body><p>TEHERAN (ANP) - Iran zegt iets.</p>"
        b"<p>15 minuten geleden</p></body></html>"
    )
    text, warnings = decode_snapshot(page, "page.html")
    assert "alert" not in text
    assert "TEHERAN (ANP) - Iran zegt iets.\n15 minuten geleden" in text
    assert warnings == ["page.html: HTML page; using its visible text"]


def test_html_without_text_is_refused() -> None:
    with pytest.raises(SourceError, match="without visible text"):
        decode_snapshot(b"<html><script>x()</script></html>", "empty.html")


def test_html_to_text_keeps_block_structure() -> None:
    assert html_to_text("<div>a <b>b</b></div><div>c</div>") == "a b\nc"


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"nope\.txt: no such file"):
        read_snapshot(tmp_path / "nope.txt")


def test_folder_passed_as_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="is a folder"):
        read_snapshot(tmp_path)


def test_expand_paths_lists_folders_sorted_and_passes_missing_through(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("b")
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / ".hidden").write_text("h")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.txt").write_text("c")
    missing = tmp_path / "missing.txt"
    found = list(expand_paths([tmp_path, missing]))
    assert found == [tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "sub" / "c.txt", missing]


@pytest.mark.timeout(20)
def test_a_fifo_named_as_a_file_is_refused_by_name_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(SourceError, match=r"pipe\.txt: is not a regular file"):
        read_snapshot(fifo)


def test_a_fifo_inside_a_folder_is_not_listed(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(BRIEF, encoding="utf-8")
    os.mkfifo(tmp_path / "b.txt")
    assert list(expand_paths([tmp_path])) == [tmp_path / "a.txt"]


def test_a_file_name_that_is_not_utf8_is_shown_escaped(tmp_path: Path) -> None:
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/bericht-\xff.txt"))
    odd.write_bytes(b"\x00binary")
    assert path_name(odd).endswith("bericht-\\xff.txt")
    with pytest.raises(SourceError) as caught:
        read_snapshot(odd)
    assert "bericht-\\xff.txt: the file is binary" in str(caught.value)
    str(caught.value).encode("utf-8")  # printable: no lone surrogates


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"])
def test_utf16_and_utf32_with_a_bom_are_decoded(codec: str) -> None:
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE,
           "utf-32-be": codecs.BOM_UTF32_BE}.get(codec, b"")  # fmt: skip
    text, warnings = decode_snapshot(bom + BRIEF.encode(codec), "x")
    assert text == BRIEF and warnings == []


def test_utf16_without_a_bom_is_still_binary() -> None:
    with pytest.raises(SourceError, match="binary"):
        decode_snapshot(BRIEF.encode("utf-16-le"), "x")


def test_a_broken_utf16_file_is_named() -> None:
    with pytest.raises(SourceError, match="marked UTF-16 but not valid UTF-16"):
        decode_snapshot(codecs.BOM_UTF16_LE + b"\x00\xd8\x41", "x")


def test_a_file_over_the_size_limit_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources, "MAX_FILE_BYTES", 16)
    path = tmp_path / "big.txt"
    path.write_text(BRIEF, encoding="utf-8")
    with pytest.raises(SourceError, match="over the 16 byte limit"):
        read_snapshot(path)
