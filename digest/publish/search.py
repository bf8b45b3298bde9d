"""Full-text search with Pagefind, built into the archive, no server needed.

Pagefind indexes the edition pages (their ``data-pagefind-body``); ``lang="nl"``
on the pages makes it use Dutch stemming. The index is split into *shards*
by period: one per month of the newest edition's year, one per earlier year.
A shard is rebuilt only when one of its editions changes, so a new edition
re-indexes one month, not the whole archive; the search page merges the
shards in the browser (``mergeIndex``).

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
    name: str  # "2026-01" or "2025"
    glob: str  # the edition pages it indexes, relative to the site folder
    key: str  # changes when any of its editions (or the templates) change

    @property
    def prefix(self) -> str:
        return f"{BUNDLES}/{self.name}/"


def shard_name(entry: EditionEntry, newest_year: int) -> str:
    local = entry.local_slot
    return f"{local:%Y-%m}" if local.year == newest_year else f"{local:%Y}"


def plan_shards(entries: Sequence[EditionEntry], site_key: str) -> list[Shard]:
    """The search shards of ``entries`` (oldest first in), newest shard first."""
    if not entries:
        return []
    newest_year = entries[-1].local_slot.year
    members: dict[str, list[EditionEntry]] = {}
    for entry in entries:
        members.setdefault(shard_name(entry, newest_year), []).append(entry)
    shards = []
    for name, group in members.items():
        glob = name.replace("-", "/") + "/**/index.html"
        parts = [(e.url, e.fingerprint) for e in group]
        key = digest_of(site_key, pagefind_version(), EXCLUDE, parts)
        shards.append(Shard(name, glob, key))
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
