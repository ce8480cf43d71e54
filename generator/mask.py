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


@dataclass(frozen=True)
class MaskRecord:
    program: str
    field: str
    operator: str  # "keep", "mask_name", "format_money", "format_date", "drop"
    count: int


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
            counts[(spec.code, "person_key", "drop")] += 1
            rows.append(out)
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
                summary=summary,
            )
        )
    record = [MaskRecord(p, f, op, n) for (p, f, op), n in sorted(counts.items())]
    return public, record
