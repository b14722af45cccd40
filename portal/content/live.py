"""The last good version of every content file, kept up to date with the disk.

Editors change files while the portal runs. A good change must go live without a
restart, and a broken one must never replace what patients were getting. One
mechanism does that for every kind of content (the prelude and the trees, pages,
social maps), so they all behave the same, from start-up on:

* ``refresh`` costs one ``stat`` per file (and per directory: a directory's listing
  is kept while it is unchanged, ``Listings``) when nothing changed, and loads only
  the files that changed (and the files whose ``context`` changed: every tree,
  when the prelude does);
* once every file is loaded, ``check`` looks across files (a tree's self-care
  page exists, a page's other language exists, …), so a file can be refused for
  what another file did;
* a file whose current version passes its own checks and the cross-checks is
  live; otherwise patients keep its last good version, and ``refused`` says why.
  A file that never passed is not live at all, with one exception the check
  names (``Findings.served_when_new``): a file refused only for what it points
  at is served as it is when it has no last good version. A file that is gone
  is dropped.

A file's text may come from elsewhere than the disk: ``sources`` maps a path to a
``Source`` (a version published in the browser and kept in the database, or an
editor's draft in ``trial``). Such a path is loaded from that text, exactly as the
file would be, and exists even when there is no file; its stamp is the source's
token, so it is loaded again only when the token changes.

Plain Python: time comes in as a parameter, so the portal decides how often to
look (``RULES_CHECK_SECONDS``) and a test decides what "today" is.

A ``LiveFiles`` made with ``share_loads`` (the portal's and the linter's content,
``portal.lint.Content``) shares what loading a file gave with every other such
``LiveFiles`` of the process (``SharedLoads``): a new app, worker or linter run on
the same files does not read, parse and build them again. The rules that make that
as safe as reading the file are in ``SharedLoads``.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from ..triage.problems import Problem, errors
from .files import _INSTEAD, reading_instead

T = TypeVar("T")

#: Something a file points at in another file, with its line: ``("pagina", "hoesten", 31)``.
Reference = tuple[str, str, int]


@dataclass(frozen=True)
class Loaded(Generic[T]):
    """One version of one file: what was built from it (None when it fails its own
    checks), its problems, and what it points at (checked when every file is loaded)."""

    value: T | None
    problems: tuple[Problem, ...] = ()
    references: tuple[Reference, ...] = ()


def _nothing(_snapshot: Snapshot) -> None:
    return None


@dataclass(frozen=True)
class Source:
    """A text read instead of the file at its path (``kind`` is the Kind's name that
    lists the path; ``token`` changes whenever the text does, e.g. ``"v12"``)."""

    kind: str
    text: str
    token: str


@dataclass(frozen=True, eq=False)
class Kind(Generic[T]):
    """One kind of content file: which files there are, how one is loaded, and what else
    a load depends on.

    ``context`` is that dependency (for trees: the prelude in force). When it is another
    object than at the last load, every file of the kind is loaded again. ``files`` and
    ``context`` see the kinds added before this one already loaded.
    """

    name: str
    files: Callable[[Snapshot], Sequence[Path]]
    load: Callable[[Path, date, Any], Loaded[T]]
    context: Callable[[Snapshot], object] = _nothing


@dataclass(frozen=True)
class Version:
    """The version of a file that was loaded last, and what it was loaded from."""

    kind: Kind[Any]
    stamp: tuple[int, int] | str | None
    context: object
    loaded: Loaded[Any]


@dataclass(frozen=True)
class Snapshot:
    """Every file's current version and the last good version of each, at one moment.

    A refresh builds a new snapshot and swaps it in whole, so a request reads one
    consistent state while another thread refreshes.
    """

    versions: Mapping[Path, Version]
    good: Mapping[Path, Any]
    problems: Mapping[Path, list[Problem]]
    sources: Mapping[Path, Source] = field(default_factory=dict)

    def extra(self, kind: str, directory: Path) -> set[Path]:
        """Paths of ``kind`` in ``directory`` that have a source, with or without a file:
        a Kind's ``files`` adds them to what it finds on disk."""
        return {path for path, source in self.sources.items() if source.kind == kind and path.parent == directory}

    def loaded(self, kind: Kind[T]) -> dict[Path, Loaded[T]]:
        """The current version of every file of ``kind``, good or not."""
        return {path: version.loaded for path, version in self.versions.items() if version.kind is kind}

    def candidates(self, kind: Kind[T]) -> dict[Path, T]:
        """The current version of each file that passes its own checks."""
        return {path: loaded.value for path, loaded in self.loaded(kind).items() if loaded.value is not None}

    def live(self, kind: Kind[T]) -> dict[Path, T]:
        """The last good version of each file that still exists: what patients get."""
        versions = self.versions  # what _is asks, inline: every refresh asks this for the prelude in force
        found = {
            path: value for path, value in self.good.items() if (v := versions.get(path)) is not None and v.kind is kind
        }
        return cast(dict[Path, T], found)

    def available(self, kind: Kind[T]) -> dict[Path, T]:
        """What other files may point at: the live versions, replaced by current ones
        that pass their own checks. A file refused only for a cross-check is still
        available, so one missing file refuses the files that point at it, not a chain."""
        return {**self.live(kind), **self.candidates(kind)}

    def problems_of(self, *kinds: Kind[Any]) -> dict[Path, list[Problem]]:
        return {path: found for path, found in self.problems.items() if any(self._is(path, k) for k in kinds)}

    def refused(self, *kinds: Kind[Any]) -> dict[Path, list[Problem]]:
        """Files whose current version was refused, with the errors."""
        return {path: errors(found) for path, found in self.problems_of(*kinds).items() if errors(found)}

    def _is(self, path: Path, kind: Kind[Any]) -> bool:
        version = self.versions.get(path)
        return version is not None and version.kind is kind


@dataclass(frozen=True)
class Findings:
    """What the cross-check found, by file.

    ``served_when_new``: files refused only because something they point at is
    missing (a tree's self-help page). Such a file keeps its last good version like
    any other; but when it has none (at start-up), its current version, which
    passed its own checks, is served anyway and still reported as refused, so that
    a missing page never takes a whole triage offline.
    """

    problems: Mapping[Path, Iterable[Problem]]
    served_when_new: frozenset[Path] = frozenset()


#: The cross-check: what the snapshot's files show when looked at together.
Check = Callable[[Snapshot], Findings]

_EMPTY = Snapshot({}, {}, {})


class LiveFiles:
    """The last good version of each file of the given kinds (see the module docstring)."""

    def __init__(
        self,
        kinds: Sequence[Kind[Any]] = (),
        check: Check | None = None,
        check_seconds: float = 0,
        *,
        share_loads: bool = False,
    ) -> None:
        self.kinds: list[Kind[Any]] = list(kinds)
        self.check = check
        self.check_seconds = check_seconds
        #: Share what loading a file gave with the other LiveFiles of this process (``SharedLoads``).
        self.share_loads = share_loads
        self.current = _EMPTY
        #: Texts read instead of files (see the module docstring); set by the portal.
        self.sources: Mapping[Path, Source] = {}
        self._lock = threading.Lock()
        self._checked = -math.inf

    def add(self, *kinds: Kind[Any]) -> None:
        """More kinds, loaded after the ones already added (they may depend on them)."""
        self.kinds.extend(kinds)

    def refresh(self, today: date, *, force: bool = False) -> bool:
        """Load what changed and check again; True when something did (or ``force``)."""
        with self._lock:
            return self._refresh(today, force)

    def refresh_if_due(self, today: date, now: float) -> bool:
        """``refresh`` at most every ``check_seconds`` (``now`` from a monotonic clock).
        A request that finds another thread refreshing does not wait: it reads the
        versions that are live."""
        if now - self._checked < self.check_seconds or not self._lock.acquire(blocking=False):
            return False
        try:
            self._checked = now
            return self._refresh(today, False)
        finally:
            self._lock.release()

    def refused(self) -> dict[Path, list[Problem]]:
        return self.current.refused(*self.kinds)

    def trial(self, today: date, sources: Mapping[Path, Source]) -> Snapshot:
        """What the content would be with these ``sources`` added (an editor's draft):
        loaded and checked like a refresh, but not swapped in. Only the paths whose source
        differs from the live one are loaded again."""
        with self._lock:
            pending, _changed = self._scan(today, {**self.sources, **sources})
            findings = self.check(pending) if self.check else Findings({})
            return _settle(pending, findings)

    def _refresh(self, today: date, force: bool) -> bool:
        pending, changed = self._scan(today, self.sources)
        if not (changed or force):
            return False
        findings = self.check(pending) if self.check else Findings({})
        self.current = _settle(pending, findings)
        return True

    def _scan(self, today: date, sources: Mapping[Path, Source]) -> tuple[Snapshot, bool]:
        """Load every file that changed since the last refresh; forget the ones that are gone."""
        old = self.current
        versions = dict(old.versions)
        changed = False
        held: dict[Kind[Any], list[Path]] = {}  # the files each kind had: looked at once, not once per kind
        for path, kept in versions.items():
            held.setdefault(kept.kind, []).append(path)
        for kind in self.kinds:
            so_far = Snapshot(versions, old.good, old.problems, sources)
            context = kind.context(so_far)
            paths = list(kind.files(so_far))
            for path in paths:
                source = sources.get(path)
                started = time.time_ns()  # before the stat: see SharedLoads.settled
                found = None if source is not None else _stat(path)
                stamp = f"source:{source.token}" if source is not None else _stamp_of(found)
                version = versions.get(path)
                if version is None or version.stamp != stamp or version.context is not context:
                    if self.share_loads:
                        loaded = SHARED_LOADS.load(kind, path, today, context, source, found, started)
                    else:
                        loaded = _load(kind, path, today, context, source)
                    versions[path] = Version(kind, stamp, context, loaded)
                    changed = True
            present = set(paths)
            for gone in [path for path in held.get(kind, ()) if path not in present]:
                left = versions.get(gone)
                if left is not None and left.kind is kind:
                    del versions[gone]
                    changed = True
        return Snapshot(versions, old.good, old.problems, sources), changed


def _load(kind: Kind[T], path: Path, today: date, context: object, source: Source | None) -> Loaded[T]:
    """Load ``path`` with ``kind``'s loader, from ``source``'s text when there is one."""
    if source is None:
        return kind.load(path, today, context)
    with reading_instead({path: source.text.encode("utf-8")}):
        return kind.load(path, today, context)


def _settle(pending: Snapshot, findings: Findings) -> Snapshot:
    """Accept each current version that passes every check; keep the last good one of the others."""
    good = {path: value for path, value in pending.good.items() if path in pending.versions}
    problems: dict[Path, list[Problem]] = {}
    for path, version in pending.versions.items():
        found = [*version.loaded.problems, *findings.problems.get(path, ())]
        problems[path] = found
        first = path not in good and path in findings.served_when_new
        if version.loaded.value is not None and (not errors(found) or first):
            good[path] = version.loaded.value
    return Snapshot(dict(pending.versions), good, problems, pending.sources)


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def _stamp_of(stat: os.stat_result | None) -> tuple[int, int] | None:
    """When the file last changed, and its size (two saves within one clock tick rarely have the same size)."""
    return None if stat is None else (stat.st_mtime_ns, stat.st_size)


class SharedLoads:
    """What loading a file gave, shared by every ``LiveFiles`` of the process made with
    ``share_loads``: each app a test builds, a worker's app, the linter.

    Loading one file (reading it, parsing, building, checking) is a function of the loader,
    the path, the file's bytes, today and the context (the prelude, for a tree); nothing else
    is read (the schemas are the package's). Every app loads the same ~160 files, and doing
    that again for each one was a third of building an app. A load is shared only when its
    input is known to be the same:

    * a text read instead of the file (``Source``: a published version, a draft) is keyed by
      the text itself, so it is exactly the same input;
    * a file is keyed by its full ``stat`` (device, inode, size, modification and change
      time in nanoseconds), and remembered only when its change time (``st_ctime``) was more
      than ``SETTLED_NS`` before the ``stat``. The kernel sets the change time to the current
      time on every write, rename or ``utime`` (a program cannot set it back), so any change
      after the ``stat`` gives the file a change time later than the remembered one: another
      key, loaded from the file. A file changed within the last ``SETTLED_NS`` (timestamps
      are coarse: a jiffy, up to 2 s on some file systems) is loaded from the file every time,
      as without sharing; so is everything while ``reading_instead`` is in force, and a file
      that cannot be ``stat``-ed. The one thing this trusts beyond what ``LiveFiles`` already
      trusts (the modification time and size) is that the clock is not set back by more than
      ``SETTLED_NS`` while the process runs — the same assumption ``git`` makes of its index.

    A shared load hands out the same ``Loaded`` (the same tree, page, … objects): they are
    immutable, and values derived from them (``portal.triage.memo``) depend on them alone.
    """

    SETTLED_NS = 2_000_000_000

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[object, Loaded[Any]]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def load(
        self,
        kind: Kind[T],
        path: Path,
        today: date,
        context: object,
        source: Source | None,
        stat: os.stat_result | None,
        started: int,
    ) -> Loaded[T]:
        """What ``kind`` loads from ``path`` (or ``source``): shared when the input is the same."""
        key = self._key(kind, path, today, source, stat, started)
        if key is None:
            return _load(kind, path, today, context, source)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] is context:
                self._entries.move_to_end(key)
                self.hits += 1
                return cast(Loaded[T], entry[1])
            self.misses += 1
        loaded = _load(kind, path, today, context, source)
        with self._lock:
            self._entries[key] = (context, loaded)  # holds the context: its id is not reused meanwhile
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return loaded

    def _key(
        self,
        kind: Kind[Any],
        path: Path,
        today: date,
        source: Source | None,
        stat: os.stat_result | None,
        started: int,
    ) -> Hashable | None:
        """The input of a load, or None when it cannot be told from the key (then nothing is shared)."""
        if _INSTEAD.get():
            return None
        if source is not None:
            return (kind.load, kind.name, path, today, "text", source.text)
        if stat is None or not self.settled(stat, started):
            return None
        signature = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
        return (kind.load, kind.name, path, today, "file", signature)

    def settled(self, stat: os.stat_result, started: int) -> bool:
        """The file last changed well before ``started`` (taken before the ``stat``)."""
        return stat.st_ctime_ns < started - self.SETTLED_NS

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0


#: Entries kept: the demo content is ~160 files; room for its published versions and drafts too.
SHARED_LOADS = SharedLoads(512)


class Listings:
    """The files a directory holds, listed again only when the directory changed.

    Every refresh asks which tree, page and map files there are (the portal refreshes on
    every request once ``RULES_CHECK_SECONDS`` have passed, the tests on every request),
    and listing three directories into new ``Path`` objects was half of a refresh that
    found nothing new. Adding, removing or renaming an entry changes the directory's own
    modification and change time; a file changed in place changes only its own ``stat``,
    which ``LiveFiles`` still checks on every refresh. So a listing is kept with the
    directory's ``stat`` (device, inode, modification and change time in nanoseconds) and
    handed out again, as the very same ``Path`` objects, while that ``stat`` is unchanged.
    As in ``SharedLoads``, it is kept only when the directory last changed more than
    ``SharedLoads.SETTLED_NS`` before the ``stat`` (a change within the same clock tick
    could leave its times as they were; a later one cannot); a directory changed more
    recently is listed every time.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[tuple[str, str, str], tuple[tuple[int, int, int, int], list[Path]]] = OrderedDict()
        self._lock = threading.Lock()

    def files(self, directory: Path, suffix: str, skip_prefix: str = "") -> list[Path]:
        """The entries of ``directory`` whose name ends in ``suffix`` (and does not start with
        ``skip_prefix``, when given), sorted by name: what ``sorted(directory.glob("*" + suffix))``
        gives, none when it is not a readable directory."""
        key = (str(directory), suffix, skip_prefix)
        started = time.time_ns()  # before the stat: see SharedLoads.settled
        try:
            stat = os.stat(key[0])
        except OSError:
            return []
        signature = (stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept[0] == signature:
                self._kept.move_to_end(key)
                return list(kept[1])
        try:
            with os.scandir(key[0]) as entries:
                names = [e.name for e in entries if e.name.endswith(suffix)]
        except OSError:
            return []
        if skip_prefix:
            names = [name for name in names if not name.startswith(skip_prefix)]
        found = [directory / name for name in sorted(names)]
        with self._lock:
            if SHARED_LOADS.settled(stat, started):
                self._kept[key] = (signature, found)
                self._kept.move_to_end(key)
                while len(self._kept) > self.size:
                    self._kept.popitem(last=False)
            else:
                self._kept.pop(key, None)
        return list(found)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


#: Listings kept: a content has three directories; room for the tests' and the linter's copies.
LISTINGS = Listings(64)
