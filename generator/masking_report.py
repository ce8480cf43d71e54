"""The masking report for reviewers (a CI job summary): per program, what is published and how it is
masked, how many notices and rows, and the audit's findings. Masked excerpts only."""

from __future__ import annotations

from .audit import Finding, failed
from .detect import KIND_LABELS
from .model import Dataset
from .programs import ProgramSpec

OPERATORS = {"name": "只保留姓氏，名字用 * 代替", "money": "保留两位小数", "int": "原样", "choice": "固定选项",
             "text": "原样（检查不含身份证号、电话）", "date": "年月日", "month": "年月", "village": "村（社区）名称",
             "count": "人数；少于 {threshold} 的显示“<{threshold}”，可由合计推算的另行隐去"}


def _operator(spec: ProgramSpec, f) -> str:
    if f.mask_when:
        return f"{f.mask_when[1]}：{OPERATORS['name']}；其他：原样"
    text = OPERATORS["name"] if f.mask == "name" else OPERATORS[f.type]
    return text.format(threshold=spec.aggregate.threshold) if spec.aggregate else text


def masking_report(findings: list[Finding], root: str, programs: dict[str, ProgramSpec],
                   dataset: Dataset | None) -> str:
    errors = [f for f in findings if f.severity == "error"]
    lines = ["# 脱敏审计报告", "",
             f"- 审计目录：`{root}`",
             f"- 结论：**{'未通过' if failed(findings) else '通过'}**（{len(errors)} 处问题，"
             f"{len(findings) - len(errors)} 条警告）", "",
             "## 各项目公开的字段和脱敏方式", "",
             "| 项目 | 公开字段（脱敏方式） | 不公开 | 公告数 | 名单行数 |", "|---|---|---|---:|---:|"]
    for code, spec in sorted(programs.items()):
        notices = [n for n in dataset.notices if n.program == code] if dataset else []
        if spec.never_posted:
            lines.append(f"| {spec.title} | 不公开任何内容 | 全部 | {len(notices)} | 0 |")
            continue
        shown = "；".join(f"{f.label}（{_operator(spec, f)}）" for f in (*spec.fields, *spec.summary_fields))
        hidden = ("个人名单（只公开汇总人数）" if spec.aggregate else "身份证号（变为化名键，不公开）") + "".join(
            f"、{f.label}（仅导入时核对）" for f in spec.import_only_fields)
        lines.append(f"| {spec.title} | {shown} | {hidden} | {len(notices)} | {sum(len(n.roster) for n in notices)} |")
    lines += ["", "## 发现的问题", ""]
    if not findings:
        lines.append("没有发现身份证号、电话、银行卡号、残疾人证号、化名键、未脱敏姓名或数据文件。")
    else:
        lines += ["| 文件 | 行 | 类型 | 片段（已脱敏） | 说明 |", "|---|---:|---|---|---|"]
        for f in findings:
            kind = KIND_LABELS[f.kind] + ("（警告）" if f.severity == "warning" else "")
            lines.append(f"| `{f.file}` | {f.line or ''} | {kind} | `{f.excerpt}` | {f.note} |")
    return "\n".join(lines) + "\n"
