"""Tuples as the build cache holds them: unpickled when first read.

A rebuild takes 15,000 notices and their public forms from the cache and needs the rows of a few:
unpickling a county's 150,000 roster rows took ~0.5 s, and its 150,000 public rows ~0.5 s more.
Each stands for its tuple: equal to it, the same `repr` (digests key the cache by repr), the same items.
`remake` gives the items anew where the stored ones cannot be read (a damaged entry).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any


class Stored(Sequence):
    __slots__ = ("_blob", "_items", "remake")

    def __init__(self, items: Sequence = (), blob: bytes | None = None):
        self._items: tuple | None = tuple(items) if blob is None else None
        self._blob = blob
        self.remake: Callable[[], tuple] | None = None

    def _stored_blob(self) -> bytes:
        """The items pickled; not kept (a first build pickles 150,000 rows once, into the cache entry)."""
        if self._blob is None:
            return pickle.dumps(self._items, protocol=pickle.HIGHEST_PROTOCOL)
        return self._blob

    def __reduce__(self):
        return type(self), ((), self._stored_blob())

    def _fits(self, items: object) -> bool:
        return isinstance(items, tuple)

    def _all(self) -> tuple:
        if self._items is None:
            items = None
            try:
                items = pickle.loads(self._blob)  # noqa: S301 - the build cache: only this tool writes it
            except Exception:  # noqa: BLE001 - damaged: made anew below
                pass
            if not self._fits(items):
                if self.remake is None:
                    raise ValueError("stored items unreadable")
                items = self.remake()
            self._items = items
        return self._items

    @property
    def pending(self) -> bool:
        """Not read yet."""
        return self._items is None

    def __len__(self) -> int:
        return len(self._all())

    def __getitem__(self, index):
        return self._all()[index]

    def __iter__(self) -> Iterator:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Stored):
            other = other._all()
        return self._all() == other if isinstance(other, tuple) else NotImplemented

    __hash__ = None  # as a tuple of dicts or of rows holding dicts

    def __repr__(self) -> str:
        return repr(self._all())


# What the rules across notices read of a roster row (validate._listed_twice, _granted_twice, Listings;
# publicity._decide_result): its person key and a few fields (ProgramSpec.cross_fields).
Facts = tuple[tuple[str, Mapping[str, Any]], ...]


class StoredRoster(Stored):
    """A notice's roster (RosterRow tuple) from the build cache, with its `facts` beside it, read at once:
    an approval's rules across 15,000 notices read the facts, and the rows only of a row they report."""

    __slots__ = ("facts",)

    def __init__(self, items: Sequence = (), blob: bytes | None = None, facts: Facts = ()):
        super().__init__(items, blob)
        self.facts = facts

    def __reduce__(self):
        return StoredRoster, ((), self._stored_blob(), self.facts)

    def __len__(self) -> int:
        return len(self.facts)


def facts_of(rows: Sequence, names: Sequence[str]) -> Facts:
    """Each row's person key and those of its fields named (that it has). Rows with the same such fields
    share one mapping (pickled once a notice): a roster's "change" column holds a few values."""
    shared: dict[tuple, dict[str, Any]] = {}
    facts = []
    for row in rows:
        values = tuple([(n, row.fields[n]) for n in names if n in row.fields])
        try:
            fields = shared.get(values)
            if fields is None:
                fields = shared[values] = dict(values)
        except TypeError:  # a value that cannot be hashed (a list written in a cell): its own mapping
            fields = dict(values)
        facts.append((row.person_key, fields))
    return tuple(facts)


def roster_facts(notice) -> Sequence[tuple[str, Mapping[str, Any]]]:
    """A notice's rows as the rules across notices read them (person key, fields), without reading a
    stored roster. A roster read anew gives every field: the facts stored hold those the rules read."""
    roster = notice.roster
    if isinstance(roster, StoredRoster):
        return roster.facts
    return [(row.person_key, row.fields) for row in roster]
