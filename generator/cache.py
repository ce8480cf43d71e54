"""The build cache: results remembered by content digest, kept beside the site (never inside it).

Every stage that remembers something uses it: load (read notice files), validate (their checks), mask,
render (notice page fragments, QR codes, lists), site (search entries, PDFs) and the audit. Entries are
saved only after a build succeeded (`prune`), so a failed build leaves the cache as it found it.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import sqlite3
from pathlib import Path
from typing import Callable, TypeVar

T = TypeVar("T")
CACHE_DB = "cache.sqlite"  # the small entries of the cache (Cache.lookup)


class Cache:
    """Content-addressed files under `root` (kept outside the published site). Writes are atomic."""

    FILE_KINDS = ("pdf",)
    OBSOLETE_KINDS = ("search",)  # kinds earlier versions kept (notice titles' search text, by title)

    def __init__(self, root: Path | None):
        self.root = root
        self.keep: dict[str, set[str]] = {}  # kind -> file keys this build used (prune drops the rest)
        # (kind, key, path in the site) made by this build: copied into the cache only after the new site
        # passed the audit and is in place, so a failed build leaves nothing it made in the cache.
        self.staged: list[tuple[str, str, str]] = []
        self._used: dict[str, dict[str, str]] = {}  # kind -> this build's entries
        self._replace: set[tuple[str, str]] = set()  # (kind, key) of stored entries found damaged
        self._stored: dict[str, set[str]] = {}  # kind -> the keys `entries` found stored (saves a query at the end)
        self._conn: sqlite3.Connection | None = None
        self._conn_pid = 0

    def path(self, kind: str, key: str) -> Path | None:
        if self.root is None:
            return None
        return self.root / kind / key[:2] / key

    def get(self, kind: str, key: str) -> bytes | None:
        path = self.path(kind, key)
        if path is None:
            return None
        try:
            data = path.read_bytes()
        except OSError:
            return None
        return data

    def put(self, kind: str, key: str, data: bytes) -> None:
        path = self.path(kind, key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def read_json(self, name: str) -> dict:
        if self.root is None:
            return {}
        try:
            value = json.loads((self.root / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}

    def write_json(self, name: str, value: dict) -> None:
        if self.root is None:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{name}.{os.getpid()}"
        tmp.write_text(json.dumps(value, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, self.root / name)

    # Small values (page fragments, QR codes, lists …) live in one SQLite table: 15,000 little files cost
    # seconds to write and read, and one JSON map per kind had to be read whole and written whole (130 MB
    # for a county) when one notice changed. Big ones (PDFs) are files.
    def _reader(self) -> sqlite3.Connection | None:
        """A read-only connection of this process (forked workers open their own); None without a cache."""
        if self.root is None:
            return None
        if self._conn is None or self._conn_pid != os.getpid():
            path = self.root / CACHE_DB
            if not path.is_file():
                return None  # a first build reads nothing and creates nothing before it succeeded
            try:
                self._conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
            except sqlite3.Error:
                return None
            self._conn_pid = os.getpid()
        return self._conn

    def close(self) -> None:
        """Close this process's connection (before forking workers: they open their own)."""
        if self._conn is not None and self._conn_pid == os.getpid():
            self._conn.close()
        self._conn = None

    def lookup(self, kind: str, key: str) -> str | None:
        conn = self._reader()
        if conn is None:
            return None
        try:
            row = conn.execute("SELECT value FROM entries WHERE kind = ? AND key = ?", (kind, key)).fetchone()
        except sqlite3.Error:  # damaged or from another version: built anew, and replaced at the end
            return None
        return row[0] if row else None

    def _rows(self, kind: str, columns: str) -> list[tuple]:
        """`SELECT key<columns>` of a kind's entries, in one query ([] without a cache or where it cannot be
        read); the keys found are noted as stored, for the save."""
        conn = self._reader()
        if conn is None:
            return []
        try:
            rows = conn.execute(f"SELECT key{columns} FROM entries WHERE kind = ?", (kind,)).fetchall()
        except sqlite3.Error:
            return []
        self._stored[kind] = {row[0] for row in rows}
        return rows

    def entries(self, kind: str) -> dict[str, str | bytes]:
        """Every entry of a kind, in one query (for a kind looked up thousands of times a build)."""
        return dict(self._rows(kind, ", value"))

    def keys(self, kind: str) -> set[str]:
        """The keys of a kind's entries, without their values (looked up one by one where needed)."""
        return {key for (key,) in self._rows(kind, "")}

    def text_keys(self, kind: str) -> set[str]:
        """The keys of a kind's entries whose value is text, without the values. The others are damaged:
        the entry remembered for such a key replaces it when the build is saved."""
        found = set()
        for key, text in self._rows(kind, ", typeof(value) = 'text'"):
            if text:
                found.add(key)
            else:
                self._replace.add((kind, key))
        return found

    def remember(self, kind: str, key: str, value: str | bytes) -> None:
        self._used.setdefault(kind, {})[key] = value

    def keep_stored(self, kind: str, key: str) -> None:
        """Keep an entry `keys` found stored, without reading it (none is written for a key not stored)."""
        if key in self._stored.get(kind, ()):
            self._used.setdefault(kind, {}).setdefault(key, None)

    def remembered(self, kind: str, key: str, known: dict, compute: Callable[[], T], fits: Callable[[object], bool]) -> T:
        """`compute()`, or the value a good build remembered under `key` (a pickle among `known`, the
        kind's `entries`) when it still `fits` the expected shape; remembered for the next build either way.
        Pickles: the cache lives beside the site and only this tool writes it."""
        value = self.stored(kind, key, known, fits)
        if value is None:
            if known.get(key) is not None:  # damaged: replaced at the end of the build
                self._replace.add((kind, key))
            value = compute()
            self.remember(kind, key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        return value  # type: ignore[return-value]

    def stored(self, kind: str, key: str, known: dict, fits: Callable[[object], bool]) -> object | None:
        """The value a good build remembered under `key` (see `remembered`), remembered again for the next
        build; None where there is none, or it does not `fit` (`remembered` then says it is damaged)."""
        blob = known.get(key)
        if not isinstance(blob, bytes):
            return None
        try:
            value = pickle.loads(blob)  # noqa: S301
        except Exception:  # noqa: BLE001 - damaged
            return None
        if not fits(value) or value is None:
            return None
        self.remember(kind, key, blob)
        return value

    def mark(self) -> tuple:
        """What this build has remembered so far: `changes_since` says what was added or replaced after."""
        return {kind: dict(used) for kind, used in self._used.items()}, set(self._replace), set(self._stored)

    def changes_since(self, mark: tuple) -> tuple:
        """The entries remembered (new, or made anew for a damaged one), the damaged ones found and the kinds
        read since `mark` (in a forked process, for `take` in the one that forked it: beside.run_beside)."""
        used, replace, stored = mark
        missing = object()
        return ({kind: {k: v for k, v in entries.items() if used.get(kind, {}).get(k, missing) is not v}
                 for kind, entries in self._used.items()},
                self._replace - replace, {kind: keys for kind, keys in self._stored.items() if kind not in stored})

    def take(self, changes: tuple) -> None:
        used, replace, stored = changes
        for kind, entries in used.items():
            self._used.setdefault(kind, {}).update(entries)
        self._replace |= replace
        for kind, keys in stored.items():
            self._stored.setdefault(kind, keys)

    def blobs(self, kind: str) -> "Blobs":
        return Blobs(self, kind)

    def replace(self, kind: str, key: str) -> None:
        """The entry found under `key` was damaged: the one remembered now replaces it when the build is saved."""
        self._replace.add((kind, key))

    def stage(self, kind: str, key: str, site_path: str) -> None:
        self.staged.append((kind, key, site_path))

    def prune(self, site: Path | None = None) -> None:
        """Take in what this build made (from the published `site`), keep what it used, drop the rest
        (yesterday's pages): the cache stays one build big. Called after the new site is in place, so a
        failed build changes no entry a good one made and adds none of its own. Raises OSError."""
        if self.root is None:
            return
        for kind, key, site_path in self.staged if site is not None else ():
            with contextlib.suppress(OSError):
                self.put(kind, key, (site / site_path).read_bytes())
        self.close()
        try:
            self._save_entries()
        except sqlite3.Error as exc:
            raise OSError(f"{self.root / CACHE_DB}: {exc}") from exc
        for kind in sorted(set(self.keep) | set(self.FILE_KINDS)):
            keep = self.keep.get(kind, set())  # a build that made no PDFs keeps none
            for path in (self.root / kind).glob("*/*"):
                if path.name not in keep:
                    with contextlib.suppress(OSError):
                        path.unlink()

    def _save_entries(self) -> None:
        """Write the entries this build made and delete those it did not use, kind by kind; kinds this
        build did not use at all stay as they are."""
        self.root.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.root / CACHE_DB)
        try:
            with conn:
                conn.execute("CREATE TABLE IF NOT EXISTS entries (kind TEXT NOT NULL, key TEXT NOT NULL, "
                             "value TEXT NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID")
                # The keys of a kind without its values (`keys`): the table holds each value beside its key,
                # so listing a kind's keys read all its pages (15,000 QR codes, 36 MB: 0.06 s); this index
                # holds (kind, key) alone. Made once in a cache an earlier version wrote (0.36 s, 486 MB).
                conn.execute("CREATE INDEX IF NOT EXISTS entry_keys ON entries (kind)")
                conn.executemany("DELETE FROM entries WHERE kind = ?", [(kind,) for kind in self.OBSOLETE_KINDS])
                for kind, used in sorted(self._used.items()):
                    # The keys stored when this build read them. Another build that saved meanwhile may have
                    # added entries (they stay until a build that does not use them saves) or deleted some
                    # this one uses (they are missed and made again by the next build): never a wrong value,
                    # entries being keyed by everything they are made from.
                    old = self._stored.get(kind)
                    if old is None:
                        old = {key for (key,) in conn.execute("SELECT key FROM entries WHERE kind = ?", (kind,))}
                    # In key order: the table is a B-tree on (kind, key) and the keys are hashes; a first
                    # build's 118,000 entries (213 MB) inserted in the order they were made took 1.97 s in
                    # the build, 1.16-1.29 s so. Only the keys to write are sorted: an approval writes a few
                    # hundred of the 118,000 it uses (sorting all of them took 0.16 s of its 0.23 s here).
                    damaged = {key for k, key in self._replace if k == kind}
                    new = sorted((used.keys() - old) | (damaged & used.keys()))
                    conn.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)",
                                     [(kind, key, used[key]) for key in new if used[key] is not None])
                    conn.executemany("DELETE FROM entries WHERE kind = ? AND key = ?",
                                     [(kind, key) for key in sorted(old - used.keys())])
        finally:
            conn.close()
        for legacy in self.root.glob("*.json"):  # the maps of earlier versions
            if legacy.stem in self._used:
                with contextlib.suppress(OSError):
                    legacy.unlink()


class Blobs:
    """One kind of a cache's entries as bytes by key (`load`, `save`): what `audit_scan.CompiledStore` asks."""

    def __init__(self, cache: Cache, kind: str):
        self.cache, self.kind = cache, kind

    def load(self, key: str) -> bytes | None:
        value = self.cache.entries(self.kind).get(key)  # one query: a kind of an entry or two
        if not isinstance(value, bytes):
            return None
        self.cache.remember(self.kind, key, value)  # kept for the next build
        return value

    def save(self, key: str, blob: bytes) -> None:
        """Remembered, replacing a stored one (the caller found it damaged, or found none)."""
        self.cache.remember(self.kind, key, blob)
        self.cache.replace(self.kind, key)
