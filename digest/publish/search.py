"""Full-text search with Pagefind, built into the archive, no server needed.

Pagefind indexes the edition pages (their ``data-pagefind-body``); ``lang="nl"``
on the pages makes it use Dutch stemming. The index is split into *shards*
by period: one per week of the newest edition's month, one per earlier month
of its year, one per earlier year. A shard is rebuilt only when one of its
editions changes, so a new edition re-indexes one week, not the whole
archive; the search page merges the shards in the browser (``mergeIndex``).

We run the Pagefind binary that ``pagefind[extended]`` installs through its
command line: its Python API (``pagefind.index.PagefindIndex``) waits 100 ms
per message, which makes adding thousands of pages one by one take minutes.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from digest.errors import PublishError
from digest.publish.site import EditionEntry, digest_of

BUNDLES = "pagefind"  # shards live in pagefind/<shard>/
TIMEOUT = 600
_KEEP_PREFIXES = ("index/", "fragment/", "filter/")
_KEEP_NAMES = ("pagefind.js", "pagefind-worker.js", "pagefind-entry.json")
# Page parts that are not worth finding: times, counts, the table of contents.
EXCLUDE = (".brief-meta", ".section-count", ".band", ".toc")


class SearchError(PublishError):
    """Pagefind is missing or failed; the archive is published without search."""


@dataclass(frozen=True, slots=True)
class Shard:
    name: str  # "2026-02-d08" (a week), "2026-01" or "2025"
    glob: str  # the edition pages it indexes, relative to the site folder
    key: str  # changes when any of its editions (or the templates) change

    @property
    def prefix(self) -> str:
        return f"{BUNDLES}/{self.name}/"


WEEK_STARTS = (1, 8, 15, 22)  # the newest month's shards start on these days


def shard_name(entry: EditionEntry, newest: tuple[int, int]) -> str:
    """``2024`` for an earlier year, ``2026-01`` for an earlier month of the
    newest edition's year, ``2026-02-d08`` for a week of its month (days 8-14;
    the last week runs to the month's end)."""
    local = entry.local_slot
    if local.year != newest[0]:
        return f"{local:%Y}"
    if local.month != newest[1]:
        return f"{local:%Y-%m}"
    start = max(day for day in WEEK_STARTS if day <= local.day)
    return f"{local:%Y-%m}-d{start:02d}"


def shard_glob(name: str) -> str:
    """The edition pages of shard ``name``, relative to the site folder."""
    period, _, week = name.partition("-d")
    folder = period.replace("-", "/")
    if not week:
        return folder + "/**/index.html"
    start = int(week)
    stop = start + 7 if start != WEEK_STARTS[-1] else 32
    days = ",".join(f"{day:02d}" for day in range(start, stop))
    return f"{folder}/{{{days}}}/**/index.html"


def plan_shards(entries: Sequence[EditionEntry], site_key: str) -> list[Shard]:
    """The search shards of ``entries`` (oldest first in), newest shard first.

    Older periods are big shards that never change; the newest month is cut
    into weeks, so that a new edition re-indexes at most ten days of pages."""
    if not entries:
        return []
    last = entries[-1].local_slot
    members: dict[str, list[EditionEntry]] = {}
    for entry in entries:
        members.setdefault(shard_name(entry, (last.year, last.month)), []).append(entry)
    shards = []
    for name, group in members.items():
        parts = [(e.url, e.fingerprint) for e in group]
        key = digest_of(site_key, pagefind_version(), EXCLUDE, parts)
        shards.append(Shard(name, shard_glob(name), key))
    return sorted(shards, key=lambda s: s.name, reverse=True)


def pagefind_version() -> str:
    for package in ("pagefind-bin-extended", "pagefind-bin", "pagefind"):
        try:
            return f"{package} {metadata.version(package)}"
        except metadata.PackageNotFoundError:
            continue
    return "unknown"


def pagefind_binary() -> Path | None:
    """The Pagefind executable (``$PAGEFIND_BINARY_PATH``, then the PyPI binaries)."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        return None
    found = get_executable()
    return found if found is not None and found.is_file() else None


def build_shards(
    binary: Path, site: Path, shards: Sequence[Shard], scratch: Path
) -> dict[str, Path]:
    """Index ``shards`` of the pages in ``site`` (as many at once as there are CPUs);
    each bundle goes to ``scratch/<name>``. Raises SearchError naming the shard."""
    outputs = {shard.name: scratch / shard.name for shard in shards}
    pending = list(shards)
    running: list[tuple[Shard, subprocess.Popen[bytes]]] = []
    while pending or running:
        while pending and len(running) < (os.cpu_count() or 1):
            shard = pending.pop(0)
            command = _command(binary, site, shard, outputs[shard.name])
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            running.append((shard, process))
        shard, process = running.pop(0)
        _finish(shard, process)
    return outputs


def _command(binary: Path, site: Path, shard: Shard, out: Path) -> list[str]:
    command = [str(binary), "--site", str(site), "--glob", shard.glob]
    command += ["--output-path", str(out), "--silent"]
    for selector in EXCLUDE:
        command += ["--exclude-selectors", selector]
    return command


def _finish(shard: Shard, process: subprocess.Popen[bytes]) -> None:
    try:
        output, _ = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        process.kill()
        process.communicate()
        raise SearchError(f"search shard {shard.name}: Pagefind took over {TIMEOUT} s") from exc
    if process.returncode != 0:
        detail = output.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise SearchError(f"search shard {shard.name}: Pagefind failed: {detail[0]}")


def bundle_files(folder: Path) -> dict[str, bytes]:
    """The files of a Pagefind bundle that the search page needs (no UI kits)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(folder).as_posix()
        if relative.startswith(_KEEP_PREFIXES) or relative in _KEEP_NAMES or _is_data(relative):
            found[relative] = path.read_bytes()
    return found


def _is_data(name: str) -> bool:
    return "/" not in name and (name.endswith(".pf_meta") or name.startswith("wasm."))
