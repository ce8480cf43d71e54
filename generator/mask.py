"""Stage 3, mask: keep only a program's allow-listed fields and mask each as its spec says.

Operators transform; detectors (in `detect`) find. The stage returns what it did
as data (`MaskRecord`), for the masking report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from .model import Notice, PublicNotice
from .programs import ProgramSpec
from .records import display

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
HIDDEN = "*"  # a count hidden because a total would give a small count away (secondary suppression)


def suppress_small_counts(counts: list[list[int]], threshold: int) -> tuple[list[list[str]], list[str], list[str], str]:
    """Hide small counts in a table with row totals and column totals.

    Returns the cells, the row totals, the column totals and the grand total, as text. A count with
    0 < count < threshold shows as "<3" (zero is shown: it points at no one). Then, while some row or
    column (its cells and its total) has exactly one hidden value, which the others would give away by
    subtraction, the smallest other value in that line is hidden too ("*"), preferring non-zero cells
    over totals. Deterministic: ties go to the first position.
    """
    n = len(counts)
    m = len(counts[0]) if counts else 0
    # The full grid: cells, then the row total in column m, the column totals in row n, the grand total at (n, m).
    grid = [list(r) + [sum(r)] for r in counts]
    grid.append([sum(counts[i][j] for i in range(n)) for j in range(m)] + [sum(sum(r) for r in counts)])
    hidden: dict[tuple[int, int], str] = {}
    for i in range(n + 1):
        for j in range(m + 1):
            if 0 < grid[i][j] < threshold:
                hidden[(i, j)] = SMALL.format(threshold=threshold)
    # Each equation: a line of cells and its total. With one column the row total repeats the cell and
    # is not shown, so rows are equations only when there are several columns.
    lines = [[(i, j) for j in range(m + 1)] for i in range(n + 1)] if m > 1 else []
    lines += [[(i, j) for i in range(n + 1)] for j in range(m + 1 if m > 1 else m)]
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(1 for c in line if c in hidden) != 1:
                continue
            candidates = [c for c in line if c not in hidden]
            if not candidates:
                continue
            def cost(c: tuple[int, int]) -> tuple:
                is_total = c[0] == n or c[1] == m
                return (is_total, grid[c[0]][c[1]] == 0, grid[c[0]][c[1]], c)
            hidden[min(candidates, key=cost)] = HIDDEN
            changed = True

    def text(i: int, j: int) -> str:
        return hidden.get((i, j), str(grid[i][j]))

    cells = [[text(i, j) for j in range(m)] for i in range(n)]
    return cells, [text(i, m) for i in range(n)], [text(n, j) for j in range(m)], text(n, m)


@dataclass(frozen=True)
class MaskRecord:
    program: str
    field: str
    operator: str  # "keep", "mask_name", "format_money", "format_date", "drop"
    count: int


ROW_TOTAL = "row_total"  # the key of a row's total in an aggregate notice's rows


def _aggregate(rows: list[dict], spec: ProgramSpec, counts: Counter) -> tuple[list[dict], dict]:
    """An aggregate notice's counts with small ones suppressed; the totals row as a dict."""
    fields = [f.name for f in spec.count_fields]
    grid = [[int(row[f]) for f in fields] for row in rows]
    cells, row_totals, column_totals, grand = suppress_small_counts(grid, spec.aggregate.threshold)
    several = len(fields) > 1  # with one count column a row's total repeats its cell: not shown
    if not several:
        row_totals, grand = [], column_totals[0]
    out = []
    for i, (row, texts) in enumerate(zip(rows, cells)):
        out.append({**row, **dict(zip(fields, texts)), **({ROW_TOTAL: row_totals[i]} if several else {})})
    for value in [t for r in cells for t in r] + row_totals + column_totals + ([grand] if several else []):
        if value == HIDDEN:
            counts[(spec.code, "count", "suppress_secondary")] += 1
        elif value.startswith("<"):
            counts[(spec.code, "count", "suppress_small")] += 1
    return out, {**dict(zip(fields, column_totals)), **({ROW_TOTAL: grand} if several else {})}


def mask(notices: list[Notice], programs: dict[str, ProgramSpec]) -> tuple[list[PublicNotice], list[MaskRecord]]:
    """Project every roster row onto its program's allow-list and mask it."""
    counts: Counter[tuple[str, str, str]] = Counter()
    public = []
    for notice in notices:
        spec = programs[notice.program]
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
            rows, totals = _aggregate(rows, spec, counts)
        summary = {}
        for f in spec.summary_fields:  # notice-level fields: the same allow-list, the same operators
            if f.name in notice.summary:
                summary[f.name] = mask_name(str(notice.summary[f.name])) if f.mask == "name" else display(f, notice.summary[f.name])
                operator = "mask_name" if f.mask == "name" else {"money": "format_money", "date": "format_date",
                                                                 "month": "format_date"}.get(f.type, "keep")
                counts[(spec.code, f"summary.{f.name}", operator)] += 1
        public.append(
            PublicNotice(
                id=notice.id,
                program=notice.program,
                kind=notice.kind,
                division_code=notice.division_code,
                issuer=notice.issuer,
                document_number=notice.document_number,
                start=notice.start,
                publicity_id=notice.publicity_id,
                approved_on=notice.approved_on,
                rows=tuple(rows),
                post_hoc_reason=notice.post_hoc_reason,
                effective_on=notice.effective_on,
                objection_count=len(notice.objections),
                objections_resolved=sum(1 for o in notice.objections if o.resolved_on is not None),
                totals=totals,
                summary=summary,
            )
        )
    record = [MaskRecord(p, f, op, n) for (p, f, op), n in sorted(counts.items())]
    return public, record
