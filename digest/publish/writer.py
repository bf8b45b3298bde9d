"""Atomic, incremental output: two generation folders behind one symlink.

::

    var/archive -> .archive.generations/a   the archive: a relative symlink
    var/.archive.generations/a/             the live generation (never touched)
    var/.archive.generations/b/             the spare: the generation before
    var/.archive.generations/manifest.sqlite  each generation: path -> key, sha256, inode
    var/.archive.generations/lock           held while a publish runs

A publish brings the *spare* folder up to date and then points the symlink
at it with one ``rename`` (``os.replace``); the old live folder becomes the
spare. Why not per-file atomic writes in place: one new edition changes
several pages at once (its neighbour, the front pages, region pages, feeds,
the sitemap and a search bundle whose entry file names its index files);
written one by one, a reader or a crash in between sees them disagree. The
swap makes all of them change at the same instant, and until it happens the
live folder is not touched at all, so a crash or a full disk leaves the
previous archive exactly as it was.

Incremental: a file whose content equals the live one is hard-linked from
the live folder (same inode, same mtime: not rewritten); a file the spare
already holds with the right content (it was written two publishes ago) is
kept; only changed files are written (and made durable before the swap). A publish whose files
all equal the live ones writes nothing and does not swap. The spare's
manifest is marked dirty (on disk) before the spare is touched, so a spare
left half done by a crash is recognised next time and rebuilt from the live
folder. The manifests are rows in SQLite (:mod:`digest.publish.manifest`), so
a publish updates the few paths that changed, not a document of every file.

The spare is brought up to date where it differs from the live generation
(which the live manifest remembers from its own publish) and where this
publish changes a file; elsewhere it already holds the live file (the same
inode), so its rows are not read and its folder is not walked. Without that
record (the first publishes, a spare left dirty, an earlier version's
manifests) the spare's manifest is read whole and its folder checked, as
before. The spare is the writer's own: a file changed there by hand may
survive until the path changes again; the live folder is checked every time.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from digest.errors import PublishError
from digest.files import fsync_path
from digest.publish.manifest import Differing, Folders, Manifests, Record

__all__ = ["Output", "Publication", "Record", "WriteStats", "content_hash"]

GENERATIONS = ("a", "b")
SYNC_EACH_LIMIT = 64


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class Output:
    """A file of the next generation. ``data`` is ``None`` when it was not
    rendered again because its key matched the live file (same content)."""

    key: str
    hash: str
    data: bytes | None = None

    @classmethod
    def of(cls, key: str, data: bytes) -> Output:
        return cls(key, content_hash(data), data)


@dataclass(slots=True)
class WriteStats:
    written: list[str] = field(default_factory=list)  # new or changed since the live archive
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    swapped: bool = False


def _present(root: Path, recorded: dict[str, Record]) -> dict[str, Record]:
    """The ``recorded`` files still at ``root`` as recorded (same inode): a file
    deleted or replaced by hand is left out, so the publish writes it again.
    One walk of the folder (``scandir`` gives inodes without a ``stat``)."""
    found: dict[str, int] = {}
    pending = [(os.fspath(root), "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                pending.append((entry.path, prefix + entry.name + "/"))
            else:
                found[prefix + entry.name] = entry.inode()
    return {p: r for p, r in recorded.items() if found.get(p) == r.inode}


def _present_since(root: Path, recorded: dict[str, Record], folders: Folders) -> dict[str, Record]:
    """:func:`_present`, looking only into the folders whose modification time or
    inode changed since ``folders`` were recorded (deleting, adding or renaming a
    file changes its folder's time), or that were not recorded."""
    base = os.fspath(root)
    changed = set()
    for folder, seen in folders.items():
        try:
            info = os.stat(f"{base}/{folder}" if folder else base)
        except FileNotFoundError:
            changed.add(folder)
            continue
        if (info.st_mtime_ns, info.st_ino) != seen:
            changed.add(folder)
    parents = {path: path.rpartition("/")[0] for path in recorded}
    changed |= set(parents.values()) - folders.keys()
    if not changed:
        return dict(recorded)
    found: dict[str, int] = {}
    for folder in changed:
        prefix = folder + "/" if folder else ""
        try:
            entries = list(os.scandir(f"{base}/{folder}" if folder else base))
        except (FileNotFoundError, NotADirectoryError):
            continue
        found |= {
            prefix + e.name: e.inode() for e in entries if not e.is_dir(follow_symlinks=False)
        }
    return {
        p: r for p, r in recorded.items() if parents[p] not in changed or found.get(p) == r.inode
    }


def _folders_of(root: Path, paths: Iterable[str], known: Iterable[str] = ()) -> Folders:
    """The (mtime_ns, inode) of every folder holding ``paths`` under ``root``, and
    their parents, and of the folders ``known`` that are still there."""
    names = {"", *known}
    for path in paths:
        folder = path.rpartition("/")[0]
        while folder not in names:
            names.add(folder)
            folder = folder.rpartition("/")[0]
    base, found = os.fspath(root), {}
    for folder in sorted(names):
        with contextlib.suppress(FileNotFoundError):
            info = os.stat(f"{base}/{folder}" if folder else base)
            found[folder] = (info.st_mtime_ns, info.st_ino)
    return found


def write_new_file(path: Path, data: bytes) -> int:
    """Create ``path`` (which must not exist) with ``data``; its inode. Not yet
    fsynced: :meth:`Publication.commit` makes every written file durable first."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        return os.fstat(fd).st_ino
    finally:
        os.close(fd)


def make_durable(paths: list[Path]) -> None:
    """Flush ``paths`` to disk: each with fsync when they are few, else one
    ``sync()`` (thousands of fsyncs cost seconds; one sync flushes them together)."""
    if len(paths) > SYNC_EACH_LIMIT:
        os.sync()
        return
    for path in paths:
        fsync_path(path)


class Publication:
    """One publish into the archive at ``target``: ``with Publication(target) as pub``,
    then :meth:`stage` the files, :meth:`add` late ones, and :meth:`commit`."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.home = target.parent / f".{target.name}.generations"
        self.live_name: str | None = None
        self.live: dict[str, Record] = {}
        self.lost: set[str] = set()  # in the live manifest, but deleted or replaced by hand
        # What the live generation was made from, and what this one is made from
        # (the caller's: kept in the manifest so that the next publish can compare).
        self.live_inputs: dict[str, object] = {}
        self.inputs: dict[str, object] = {}
        self._recorded: dict[str, Record] = {}  # the live manifest, lost files too
        self._live_folders: Folders | None = None  # the live generation's, as recorded
        # the spare's rows: all, or where it differs (None: no such file there)
        self._spare: dict[str, Record | None] = {}
        # where the spare differs from the live manifest (see the module docstring);
        # None: ``_spare`` holds every row of the spare
        self._differing: Differing | None = None
        self._dropped: set[str] = set()  # the spare's files removed by this publish
        self._paths: set[str] = set()  # every path of the next generation
        self._manifests: Manifests | None = None
        self._staged: dict[str, Record] = {}
        self._dirs: set[str] = set()
        self._spare_dir = ""
        self._emptied: set[Path] = set()
        self._unsynced: list[Path] = []
        self._deferred: dict[str, Output] = {}
        self._kept: set[str] = set()
        self._opened = False
        self._lock: IO[str] | None = None
        self.stats = WriteStats()

    # -- opening -------------------------------------------------------------
    def __enter__(self) -> Publication:
        with self._errors(self.home):
            self._refuse_foreign()  # before anything is made beside it
            self.home.mkdir(parents=True, exist_ok=True)
            self._lock = (self.home / "lock").open("a")
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                self._lock.close()
                raise PublishError(
                    f"{self.target}: another publish is writing this archive; "
                    "try again when it has finished"
                ) from exc
            self.live_name = self._live_generation()
            for stale in self.target.parent.glob(f".{self.target.name}.*.link"):
                stale.unlink()  # a link a crashed publish made but never swapped in
            self._manifests = Manifests(self.home)
        if self.live_name is not None:
            found = self._manifests.read(self.live_name)
            recorded, self.live_inputs = found or ({}, {})
            root = self.home / self.live_name
            folders = self._manifests.folders(self.live_name, self.live_inputs) if found else None
            if folders is None:
                self.live = _present(root, recorded)
            else:
                self.live = _present_since(root, recorded, folders)
            self.lost = set(recorded) - set(self.live)
            self._recorded = recorded
            self._live_folders = folders
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._manifests is not None:
            self._manifests.close()
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()

    def _live_generation(self) -> str | None:
        """The generation the archive link points at (``None``: no archive yet; an
        empty folder in its place is removed, to become the link)."""
        self._refuse_foreign()  # again, now under the lock
        target = self.target
        if target.is_symlink():
            return Path(os.readlink(target)).name
        if target.is_dir():
            target.rmdir()  # an empty folder (e.g. made by hand) becomes the link
        return None

    def _refuse_foreign(self) -> None:
        """Raise unless the target is an archive link, an empty folder or absent."""
        target = self.target
        if target.is_symlink():
            pointed = Path(os.readlink(target))
            if pointed.parent.name != self.home.name or pointed.name not in GENERATIONS:
                raise PublishError(
                    f"{target} links to {pointed}, not to a digest archive generation; "
                    "remove the link or publish somewhere else"
                )
        elif target.exists() and not (target.is_dir() and not any(target.iterdir())):
            raise PublishError(
                f"{target} exists and is not a digest archive; move it away or choose "
                "another [archive] dir / --out"
            )

    @property
    def spare_name(self) -> str:
        return "b" if self.live_name == "a" else "a"

    @property
    def spare(self) -> Path:
        return self.home / self.spare_name

    # -- streaming -----------------------------------------------------------
    @property
    def changed(self) -> bool:
        """True once an :meth:`offer`-ed file differed from the live one."""
        return self._opened

    def offer(self, path: str, output: Output) -> None:
        """Stream one file of the next generation: written to the spare at once
        when it differs from the live file (its bytes need not be kept), else
        remembered and linked by :meth:`finish` only if the archive changes, so
        a publish that changes nothing never touches the spare."""
        live = self.live.get(path)
        if live is not None and live.hash == output.hash:
            self._deferred[path] = Output(output.key, output.hash)
            return
        if not self._opened:
            with self._errors(self.spare):
                self._open_spare()
            self._opened = True
        self.add({path: output})

    def keep(self, paths: Iterable[str]) -> None:
        """Files of the next generation known to equal the live ones (same key,
        so same content): like :meth:`offer`-ing each, without its bytes or hash."""
        self._kept.update(paths)

    def finish(self, paths: set[str]) -> None:
        """After the last :meth:`offer`: the spare holds exactly ``paths`` (more
        may be :meth:`add`-ed); the unchanged files are linked from the live folder."""
        if not self._opened:
            with self._errors(self.spare):
                self._open_spare()
            self._opened = True
        with self._errors(self.spare):
            self._drop_others(paths)
        self._paths |= paths
        deferred, self._deferred = self._deferred, {}
        kept, self._kept = self._kept, set()
        if self._differing is not None:  # the spare holds the live file everywhere else
            self.stats.unchanged += len(kept - self._differing.keys())
            kept &= self._differing.keys()
        live = self.live
        deferred |= {path: Output(live[path].key, live[path].hash) for path in sorted(kept)}
        differing = self._differing
        if differing is not None:  # the spare holds the live file everywhere else
            skipped = len(deferred)
            deferred = {
                path: output
                for path, output in deferred.items()
                if path in differing or output.key != self.live[path].key
            }
            self.stats.unchanged += skipped - len(deferred)
        self.add(deferred)

    # -- staging -------------------------------------------------------------
    def stage(self, files: Mapping[str, Output]) -> None:
        """Make the spare folder hold exactly ``files`` (more may be :meth:`add`-ed)."""
        with self._errors(self.spare):
            self._open_spare()
            self._opened = True
            self._drop_others(set(files))
        self._paths.update(files)
        self.add(files)

    def _drop_others(self, keep: set[str]) -> None:
        """Remove the spare's files that are not in ``keep``."""
        held = set(self._spare)
        if self._differing is not None:  # elsewhere, what the live manifest records
            held = {p for p, r in self._spare.items() if r is not None}
            held |= self._recorded.keys() - self._differing.keys()
        for path in sorted(held - keep):
            if path in self._staged:
                continue
            (self.spare / path).unlink(missing_ok=True)
            self._spare[path] = None
            self._dropped.add(path)
            self._emptied.add((self.spare / path).parent)
        if self._differing is None:
            self._spare = {p: r for p, r in self._spare.items() if r is not None}

    def _spare_record(self, path: str) -> Record | None:
        """The spare's file at ``path`` as its manifest records it."""
        if path in self._spare or self._differing is None:
            return self._spare.get(path)
        return self._recorded.get(path)

    def add(self, files: Mapping[str, Output]) -> None:
        """Put ``files`` into the spare folder (after :meth:`stage`)."""
        path = ""
        self._paths.update(files)
        try:
            for path, output in files.items():
                self._staged[path] = self._put(path, output)
        except OSError:
            with self._errors(self.spare / path):
                raise

    def _open_spare(self) -> None:
        manifests = self._opened_manifests()
        differing = None
        if self.live_name is not None and self.spare.is_dir():
            differing = manifests.differing(self.live_name, self.live_inputs, self.spare_name)
        if differing is not None:
            manifests.mark_dirty(self.spare_name)  # from here until commit (synced)
            fsync_path(self.home)
            self._differing = differing
            self._spare = dict(differing)
        else:
            found = manifests.read(self.spare_name) if self.spare.is_dir() else None
            known = found[0] if found else None
            manifests.mark_dirty(self.spare_name)  # from here until commit (synced)
            fsync_path(self.home)
            if known is None and self.spare.exists():
                shutil.rmtree(self.spare)  # left half done by a crash: start again
            self.spare.mkdir(exist_ok=True)
            self._spare = dict(_present(self.spare, known)) if known else {}
        self._spare_dir = os.fspath(self.spare)
        self._dirs = {self._spare_dir}

    def _put(self, path: str, output: Output) -> Record:
        live, spare = self.live.get(path), self._spare_record(path)
        if live is not None and live.hash == output.hash:
            self.stats.unchanged += 1
            if spare is None or spare.inode != live.inode:
                self._replace_with_link(path)
            return live if live.key == output.key else Record(output.key, output.hash, live.inode)
        self.stats.written.append(path)
        if spare is not None and spare.hash == output.hash:
            return Record(output.key, output.hash, spare.inode)
        if output.data is None:
            raise PublishError(f"{path}: no content to write (internal error: stale key)")
        destination = self._prepare(path)
        try:
            inode = write_new_file(Path(destination), output.data)
        except FileExistsError:  # not in the manifest, yet there: never write into it
            os.unlink(destination)
            inode = write_new_file(Path(destination), output.data)
        self._unsynced.append(Path(destination))
        return Record(output.key, output.hash, inode)

    def _prepare(self, path: str) -> str:
        """The spare's file for ``path``, its folder made, any old file there
        unlinked (it may be a hard link to a live file: never write into it)."""
        destination = f"{self._spare_dir}/{path}"
        parent = destination.rpartition("/")[0]
        if parent not in self._dirs:
            os.makedirs(parent, exist_ok=True)
            self._dirs.add(parent)
        if self._spare_record(path) is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(destination)
        return destination

    def _replace_with_link(self, path: str) -> None:
        destination = self._prepare(path)
        source = f"{self.home}/{self.live_name}/{path}"
        try:
            os.link(source, destination)
        except FileExistsError:
            os.unlink(destination)
            os.link(source, destination)

    # -- committing ----------------------------------------------------------
    def commit(self) -> WriteStats:
        """Write the spare's manifest and swap the archive link to the spare."""
        self.stats.removed = sorted(self.live.keys() - self._paths)
        with self._errors(self.home):
            self._prune_dirs()
            make_durable(self._unsynced)
            manifests = self._opened_manifests()
            differs, folders = self._differs(), self._spare_folders()
            if self._differing is None or differs is None:
                manifests.write(self.spare_name, self._staged, self.inputs, differs, folders)
            else:
                gone = self._dropped | (self._differing.keys() - self._staged.keys())
                manifests.update(self.spare_name, self._staged, gone, self.inputs, differs, folders)
            fsync_path(self.home)
            link = self.target.with_name(f".{self.target.name}.{os.getpid()}.link")
            link.unlink(missing_ok=True)
            os.symlink(Path(self.home.name) / self.spare_name, link)
            os.replace(link, self.target)
            fsync_path(self.target.parent)
        self.stats.swapped = True
        return self.stats

    def _spare_folders(self) -> Folders:
        """The spare's folders as they are now (see :func:`_folders_of`): where it
        holds the live files, the live generation's folders; elsewhere, those of
        the files this publish put there."""
        if self._differing is None or self._live_folders is None:
            return _folders_of(self.spare, self._paths)
        return _folders_of(self.spare, self._staged, self._live_folders)

    def _differs(self) -> tuple[str, set[str]] | None:
        """The live generation's name and the paths where the new one differs from
        what its manifest records (``None``: there is no live generation)."""
        if self.live_name is None:
            return None
        staged, recorded = self._staged, self._recorded
        if self._differing is None:
            paths = staged.keys() | recorded.keys()
        else:  # elsewhere the spare held the live file and kept it
            paths = staged.keys() | self._dropped | self._differing.keys()
        return self.live_name, {p for p in paths if staged.get(p) != recorded.get(p)}

    def _opened_manifests(self) -> Manifests:
        if self._manifests is None:
            raise PublishError(f"{self.target}: publish outside 'with Publication(...)'")
        return self._manifests

    def _prune_dirs(self) -> None:
        """Remove the folders that removed files left empty, deepest first."""
        for folder in sorted(self._emptied, key=lambda f: -len(f.parts)):
            while folder != self.spare and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent

    @contextmanager
    def _errors(self, where: Path) -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            reason = "the disk is full" if exc.errno == errno.ENOSPC else exc.strerror or str(exc)
            served = (
                f"{self.target} still serves the previous publish"
                if self.target.is_symlink()
                else "nothing was published"
            )
            raise PublishError(
                f"{where}: cannot write the archive ({reason}); {served}, fix the cause and "
                "publish again"
            ) from exc
