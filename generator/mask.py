"""Stage 3, mask: keep only a program's allow-listed fields and mask each as its spec says.

Operators transform; detectors (in `detect`) find. The stage returns what it did
as data (`MaskRecord`), for the masking report.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import pickle
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from .digests import code_digest
from .model import Notice, PublicNotice
from .programs import ProgramSpec
from .records import display
from .stored import Stored

MASK_CHAR = "*"
NAME_SEPARATORS = "·•"

# 复姓: kept whole, so 欧阳修 becomes 欧阳* and not 欧**.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 令狐 长孙 宇文 司徒 司空 夏侯 轩辕 西门 南宫 端木 独孤 "
    "呼延 澹台 公冶 宗政 濮阳 淳于 单于 太叔 申屠 钟离 闾丘 东郭 百里 万俟 第五 拓跋 仲孙 左丘 公羊 "
    "赫连 鲜于 闻人 诸葛 亓官 司寇 子车 颛孙 壤驷 公良 漆雕 乐正 宰父 谷梁 段干 梁丘 东门 公西".split()
)


def mask_name(name: str) -> str:
    """Keep the surname, replace every other character of the name by '*'.

    Idempotent: a masked name masks to itself. Separators in transliterated
    names (阿卜杜拉·艾力) are kept so the shape stays readable.
    """
    name = "".join(name.split())  # "张 三" is 张三 typed with a space
    if not name:
        return name
    keep = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    if len(name) == 1:
        keep = 0
    head, tail = name[:keep], name[keep:]
    return head + "".join(c if c in NAME_SEPARATORS or c == MASK_CHAR else MASK_CHAR for c in tail)


def is_masked_name(name: str) -> bool:
    return bool(name) and MASK_CHAR in name and mask_name(name) == name


def format_money(value) -> str:
    return f"{Decimal(str(value)).quantize(Decimal('0.01'))}"


SMALL = "<{threshold}"  # a count under the threshold
HIDDEN = "*"  # a count hidden because a total would give a small count away (secondary suppression): at least 3
WITHHELD = "—"  # a total not published at all, where hiding further counts cannot protect a small one


def suppress_small_counts(counts: list[list[int]], threshold: int) -> tuple[list[list[str]], list[str], str]:
    """Hide small counts in a table of counts per village, with column totals and (with several columns)
    a grand total, so that none can be worked out. Villages get no total of their own: a village's total
    beside a "<3" would give it away at once, and hiding it costs a cell per village.

    Returns the cells, the column totals and the grand total, as text. A count with 0 < count < threshold
    shows as "<3" (zero is shown: it points at no one). A reader knows that a "<3" is 1 or 2, that a "*"
    is at least 3 (the only counts ever hidden as "*"), that counts are whole and never negative, and
    every total shown. While some "<3" is pinned to a single value by all of that together (`_pinned`,
    exact: see there), one more count of at least 3 in its column is hidden ("*"), the smallest first, or
    else a column total; where there is none, a total is withheld ("—", any value). Deterministic.
    """
    n = len(counts)
    m = len(counts[0]) if counts else 0
    grid = [list(r) for r in counts]
    grid.append([sum(counts[i][j] for i in range(n)) for j in range(m)] + [sum(sum(r) for r in counts)])
    # The equations: each column sums to its total (row n); with several columns, the totals to the grand total.
    lines = [[(i, j) for i in range(n + 1)] for j in range(m)]
    if m > 1:
        lines.append([(n, j) for j in range(m + 1)])
    positions = [(i, j) for i in range(n) for j in range(m)] + [(n, j) for j in range(m + (m > 1))]
    value = {p: grid[p[0]][p[1]] for p in positions}
    hidden: dict[tuple[int, int], str] = {p: SMALL.format(threshold=threshold)
                                          for p in positions if 0 < value[p] < threshold}
    # Hiding more only widens what a reader can believe, so a "<3" found free stays free: each is
    # checked until it is, and only the one just pinned is checked again after each step.
    free: set[tuple[int, int]] = set()
    while (pinned := _pinned(value, lines, hidden, threshold, free)) is not None:
        own = [p for line in lines if pinned in line for p in line]
        candidates = [p for p in own if p not in hidden and value[p] >= threshold]
        if candidates:
            hidden[min(candidates, key=lambda p: (p[0] == n, value[p], p))] = HIDDEN
            continue
        # Only zeros and hidden counts left on its lines (1 + 1 = "<3"): withhold a total instead.
        totals = [p for p in own + positions if p[0] == n and hidden.get(p) != WITHHELD]
        if not totals:
            break  # unreachable: without totals there is no equation, so nothing is pinned
        hidden[totals[0]] = WITHHELD

    def text(p: tuple[int, int]) -> str:
        return hidden.get(p, str(value[p]))

    cells = [[text((i, j)) for j in range(m)] for i in range(n)]
    column_totals = [text((n, j)) for j in range(m)]
    return cells, column_totals, text((n, m)) if m > 1 else column_totals[0]


def _pinned(value: dict[tuple[int, int], int], lines: list[list[tuple[int, int]]], hidden: dict[tuple[int, int], str],
            threshold: int, free: set[tuple[int, int]]) -> tuple[int, int] | None:
    """The first "<3" not in `free` whose value the shown numbers determine, or None; those found to take
    two values or more are added to `free`.

    Each hidden count is a variable: a "<3" in [1, threshold-1], a "*" at least `threshold`, a "—" any
    whole number. Each line (its counts and its total, the last position) is an equation. The least and
    the greatest value a "<3" can take are two linear programs; each count is in one column equation and
    each column total also in the totals row's, so the matrix is the incidence matrix of a bipartite
    graph, totally unimodular: the optima are whole numbers and the programs are exact for whole counts."""
    from scipy.optimize import linprog

    unknown = sorted(hidden)
    if not unknown or all(hidden[p] in (HIDDEN, WITHHELD) or p in free for p in unknown):
        return None
    index = {p: k for k, p in enumerate(unknown)}
    rows, rhs = [], []
    for line in lines:
        coeffs = [0.0] * len(unknown)
        constant = 0
        for p, sign in [(q, 1) for q in line[:-1]] + [(line[-1], -1)]:
            if p in index:
                coeffs[index[p]] += sign
            else:
                constant += sign * value[p]
        if any(coeffs):
            rows.append(coeffs)
            rhs.append(-constant)
    bounds = [(0, None) if hidden[p] == WITHHELD else (threshold, None) if hidden[p] == HIDDEN else (1, threshold - 1)
              for p in unknown]
    for k, p in enumerate(unknown):
        if hidden[p] in (HIDDEN, WITHHELD) or p in free:
            continue
        objective = [0.0] * len(unknown)
        objective[k] = 1.0
        low = linprog(objective, A_eq=rows or None, b_eq=rhs or None, bounds=bounds, method="highs")
        high = linprog([-c for c in objective], A_eq=rows or None, b_eq=rhs or None, bounds=bounds, method="highs")
        if low.status != 0 or high.status != 0 or round(-high.fun) - round(low.fun) < 1:
            return p
        free.add(p)
    return None


@dataclass(frozen=True)
class MaskRecord:
    program: str
    field: str
    operator: str  # "keep", "mask_name", "format_money", "format_date", "drop"
    count: int


GRAND_TOTAL = "grand_total"  # the key of the grand total in an aggregate notice's totals (several columns)


def _aggregate(rows: list[dict], spec: ProgramSpec, counts: Counter, cache=None) -> tuple[list[dict], dict]:
    """An aggregate notice's counts with small ones suppressed; the totals row as a dict. `cache`
    (notice_pages.Cache) remembers a table's suppression across builds (keyed by this program's code, the
    table and the threshold): its linear programs take ~0.5 s a county table."""
    fields = [f.name for f in spec.count_fields]
    grid = [[int(row[f]) for f in fields] for row in rows]
    key = hashlib.sha256(json.dumps([code_digest(), grid, spec.aggregate.threshold]).encode()).hexdigest()
    found = cache.lookup("suppress", key) if cache is not None else None
    if found is not None:
        cells, column_totals, grand = json.loads(found)
    else:
        cells, column_totals, grand = suppress_small_counts(grid, spec.aggregate.threshold)
    if cache is not None:
        cache.remember("suppress", key, json.dumps([cells, column_totals, grand], ensure_ascii=False))
    out = [{**row, **dict(zip(fields, texts))} for row, texts in zip(rows, cells)]
    several = len(fields) > 1
    for value in [t for r in cells for t in r] + column_totals + ([grand] if several else []):
        if value in (HIDDEN, WITHHELD):
            counts[(spec.code, "count", "suppress_secondary")] += 1
        elif value.startswith("<"):
            counts[(spec.code, "count", "suppress_small")] += 1
    return out, {**dict(zip(fields, column_totals)), **({GRAND_TOTAL: grand} if several else {})}


class StoredRows(Stored):
    """A public notice's rows (a tuple of dicts) as the build cache holds them (stored.Stored): only a
    notice page made now reads its rows (templates/_roster.html.j2 and the others)."""

    __slots__ = ()

    def _fits(self, items: object) -> bool:
        return isinstance(items, tuple) and all(isinstance(row, dict) for row in items)


# A notice's public form (and its count of each masking operator) depends on the notice and its program's
# spec alone: with the notices' file keys (load._load_notice_cached, which hold this program's code and so
# the specs), a rebuild takes those of unchanged notices from the build cache, their rows unread
# (StoredRows) until a page made now reads them. The cache holds only what masking made (`_Masked`): the
# fields a public notice copies from its notice are copied again from the notice loaded now (the same file
# key, so the same values), and the operator counts are a tuple of numbers beside their (program, field,
# operator) keys pickled once. A county's 15,000 entries unpickled whole, with their 90,000 keys, took
# ~0.4 s of every rebuild.
MASKED_CACHE_KIND = "masked"


@dataclass(frozen=True)
class _Masked:
    """What masking made of one notice, as the build cache holds it."""

    rows: StoredRows
    totals: dict | None
    summary: dict
    count_keys: bytes  # pickle of the tuple of (program, field, operator) keys, shared by alike notices
    counts: tuple[int, ...]

    def fits(self) -> bool:
        return (isinstance(self.rows, StoredRows) and isinstance(self.totals, (dict, type(None)))
                and isinstance(self.summary, dict) and isinstance(self.count_keys, bytes)
                and isinstance(self.counts, tuple) and all(type(n) is int for n in self.counts))


def _public(notice: Notice, rows, totals: dict | None, summary: dict) -> PublicNotice:
    """The public form of `notice` with these masked parts (masked now, or taken from the build cache):
    the other fields copied from the notice. Made as unpickling makes a dataclass (its __init__ sets each
    field of a frozen one through object.__setattr__, three times slower; 15,000 of them a rebuild); a
    field PublicNotice gains must be set here (tests/test_mask.py checks them all)."""
    public = object.__new__(PublicNotice)
    public.__dict__.update(
        id=notice.id, program=notice.program, kind=notice.kind, division_code=notice.division_code,
        issuer=notice.issuer, document_number=notice.document_number, start=notice.start,
        publicity_id=notice.publicity_id, approved_on=notice.approved_on, rows=rows,
        post_hoc_reason=notice.post_hoc_reason, effective_on=notice.effective_on,
        objection_count=len(notice.objections),
        objections_resolved=sum(1 for o in notice.objections if o.resolved_on is not None),
        totals=totals, summary=summary)
    return public


def mask(notices: list[Notice], programs: dict[str, ProgramSpec], cache=None,
         file_keys: dict[str, str] | None = None) -> tuple[list[PublicNotice], list[MaskRecord]]:
    """Project every roster row onto its program's allow-list and mask it. `cache`: see `_aggregate`, and
    with `file_keys` the remembered results above."""
    counts: Counter[tuple[str, str, str]] = Counter()
    counted: dict[bytes, list[tuple[int, ...]]] = {}  # count keys -> the counts of each notice with them
    vocabulary: dict[bytes, tuple | None] = {}  # count keys, read once each

    def fits(value: object) -> bool:
        if not (isinstance(value, _Masked) and value.fits()):
            return False
        if value.count_keys not in vocabulary:
            keys = None
            with contextlib.suppress(Exception):  # damaged: masked anew, and replaced at the end of the build
                keys = pickle.loads(value.count_keys)  # noqa: S301 - the build cache: only this tool writes it
            ok = isinstance(keys, tuple) and all(isinstance(k, tuple) and len(k) == 3 for k in keys)
            vocabulary[value.count_keys] = keys if ok else None
        keys = vocabulary[value.count_keys]
        return keys is not None and len(keys) == len(value.counts)

    public = []
    known = cache.entries(MASKED_CACHE_KIND) if cache is not None and file_keys else {}
    for notice in notices:
        spec = programs[notice.program]
        key = file_keys.get(notice.id) if cache is not None and file_keys else None
        if key is None:
            found = Counter()
            public.append(_mask_notice(notice, spec, found, cache))
            counts.update(found)
            continue

        def masked(notice: Notice = notice, spec: ProgramSpec = spec) -> _Masked:
            found: Counter[tuple[str, str, str]] = Counter()
            one = _mask_notice(notice, spec, found, cache)
            keys = tuple(sorted(found))
            return _Masked(StoredRows(one.rows), one.totals, one.summary,
                           pickle.dumps(keys, protocol=pickle.HIGHEST_PROTOCOL), tuple(found[k] for k in keys))

        made = cache.remembered(MASKED_CACHE_KIND, key, known, masked, fits)
        if made.rows.pending:
            made.rows.remake = functools.partial(_remake, cache, key, masked)
        public.append(_public(notice, made.rows, made.totals, made.summary))
        counted.setdefault(made.count_keys, []).append(made.counts)
    for count_keys, each in counted.items():
        keys = vocabulary.get(count_keys)
        if keys is None:  # made by this build
            keys = pickle.loads(count_keys)  # noqa: S301
        counts.update(dict(zip(keys, map(sum, zip(*each)))))
    record = [MaskRecord(p, f, op, n) for (p, f, op), n in sorted(counts.items())]
    return public, record


def _remake(cache, key: str, masked: Callable[[], _Masked]) -> tuple:
    """The rows of a notice whose stored rows cannot be read: masked anew, and the cache entry replaced
    when the build is saved (the rows of the pages made now are read before the render workers fork:
    notice_pages.render_notice_pages)."""
    value = masked()
    cache.replace(MASKED_CACHE_KIND, key)
    cache.remember(MASKED_CACHE_KIND, key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    return tuple(value.rows)


def _mask_notice(notice: Notice, spec: ProgramSpec, counts: Counter, cache) -> PublicNotice:
    """One notice's public form; `counts` gets its masking operators."""
    rows = []
    for row in notice.roster:
        out = {}
        for f in spec.fields:
            value = row.fields.get(f.name)
            if value in (None, "") and not f.required:
                out[f.name] = "—"
            elif f.mask == "name" and f.mask_when and row.fields.get(f.mask_when[0]) != f.mask_when[1]:
                out[f.name] = value  # e.g. an organization's name: public
                counts[(spec.code, f.name, "keep")] += 1
            elif f.mask == "name":
                out[f.name] = mask_name(str(value))
                counts[(spec.code, f.name, "mask_name")] += 1
            elif f.type == "money":
                out[f.name] = format_money(value)
                counts[(spec.code, f.name, "format_money")] += 1
            elif f.type in ("date", "month"):
                out[f.name] = display(f, value)
                counts[(spec.code, f.name, "format_date")] += 1
            else:
                out[f.name] = value
                counts[(spec.code, f.name, "keep")] += 1
        for name in sorted(set(row.fields) - set(spec.field_names)):
            counts[(spec.code, name, "drop")] += 1
        if row.person_key:
            counts[(spec.code, "person_key", "drop")] += 1
        rows.append(out)
    totals = None
    if spec.aggregate:
        rows, totals = _aggregate(rows, spec, counts, cache)
    summary = {}
    for f in spec.summary_fields:  # notice-level fields: the same allow-list, the same operators
        if f.name in notice.summary:
            summary[f.name] = mask_name(str(notice.summary[f.name])) if f.mask == "name" else display(f, notice.summary[f.name])
            operator = "mask_name" if f.mask == "name" else {"money": "format_money", "date": "format_date",
                                                             "month": "format_date"}.get(f.type, "keep")
            counts[(spec.code, f"summary.{f.name}", operator)] += 1
    return _public(notice, tuple(rows), totals, summary)
