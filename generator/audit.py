"""Stage 7, audit: look in every file under a folder for personal data; a finding fails the build.

Looks at file contents (gzip is opened), file and folder names, and for data
files (csv, xlsx, yaml …) that should never be copied into a site. A finding
carries a masked excerpt only: the audit never prints a raw value.
"""

from __future__ import annotations

import gzip
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from .detect import KIND_LABELS, find_personal_data, redact

# Data files never belong in a site; archives and office documents cannot be audited inside, so they
# count as data files too (.et/.wps: WPS Office, common in county offices).
DATA_FILE_SUFFIXES = frozenset({
    ".csv", ".tsv", ".xlsx", ".xlsm", ".xls", ".ods", ".et", ".ett", ".yaml", ".yml", ".sqlite", ".db",
    ".doc", ".docx", ".wps", ".zip", ".rar", ".7z", ".tar", ".bz2", ".xz",
})


@dataclass(frozen=True)
class Finding:
    file: str  # relative to the audited folder
    line: int | None
    kind: str
    excerpt: str  # masked

    def format(self) -> str:
        where = self.file if self.line is None else f"{self.file} 第{self.line}行"
        return f"{where}：发现{KIND_LABELS[self.kind]}（{self.excerpt}）"


_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            pass  # not really gzip: scan the bytes as they are
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(data) > 16 and data.count(b"\x00") > len(data) // 4):
        text = data.decode("utf-16", errors="replace")  # Excel's "Unicode text" export, among others
    else:
        text = data.decode("utf-8", errors="replace")
    # JSON and JS write Chinese as \uXXXX: in "\u8bc1990100…" the escape's last hex digit would
    # glue onto an ID number and hide it, so read the characters, not their escapes.
    return _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _masked_path(rel: str, person_keys: frozenset[str]) -> str:
    """A path as a report may show it: personal data in a file or folder name is masked too."""
    return redact(rel, person_keys)


def audit_file(path: Path, rel: str, allowed: frozenset[str], person_keys: frozenset[str]) -> list[Finding]:
    findings = []
    shown = _masked_path(rel, person_keys)
    if path.suffix.lower() in DATA_FILE_SUFFIXES:
        findings.append(Finding(shown, None, "data-file", shown))
    for m in find_personal_data(path.name, allowed, person_keys):  # names can leak too
        findings.append(Finding(shown, None, m.kind, m.masked))
    text = _read_text(path)
    for m in find_personal_data(text, allowed, person_keys):
        findings.append(Finding(shown, text.count("\n", 0, m.start) + 1, m.kind, m.masked))
    return findings


def audit(root: Path, allowed: frozenset[str] = frozenset(), person_keys: frozenset[str] = frozenset()
          ) -> list[Finding]:
    """Every finding under `root`, in a stable order. `allowed`: published numbers (the hotlines)."""
    findings = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_dir():
            findings += [Finding(_masked_path(rel, person_keys), None, m.kind, m.masked)
                         for m in find_personal_data(path.name, allowed, person_keys)]
        elif path.is_file():
            findings += audit_file(path, rel, allowed, person_keys)
    return findings


def summary(findings: list[Finding], root: str) -> str:
    if not findings:
        return f"审计通过：{root} 中没有发现身份证号、手机号、化名键或数据文件。"
    lines = [f"审计未通过：{root} 中发现 {len(findings)} 处个人信息或数据文件，不得发布。"]
    lines += ["  " + f.format() for f in findings]
    lines.append("请删除这些内容后重新生成。报告中只显示脱敏后的片段。")
    return "\n".join(lines)

