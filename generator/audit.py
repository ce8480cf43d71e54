"""Stage 7, audit: look in every file under a folder for personal data; a finding fails the build.

Every file is read in several forms, because a value can hide in any of them: as
written, with JSON \\u escapes and HTML entities decoded, with tags removed (a
number split by <span>), URL-decoded, and for PDFs their extracted text. File and
folder names are checked too, data files (csv, xlsx, yaml, archives …) are
findings by themselves, and roster name cells must be masked.

With `raw` rosters (on a clerk's machine), every raw name, ID number, phone and
address is searched for with one Aho-Corasick automaton. A finding carries a
masked excerpt only: the audit never prints a raw value.
"""

from __future__ import annotations

import gzip
import html
import json
import re
import urllib.parse
import zlib
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from pathlib import Path

import ahocorasick

from .detect import KIND_LABELS, find_personal_data, fold, mask_excerpt, redact
from .mask import MASK_CHAR, mask_name

# Data files never belong in a site; archives and office documents cannot be audited inside, so they
# count as data files too (.et/.wps: WPS Office, common in county offices).
DATA_FILE_SUFFIXES = frozenset({
    ".csv", ".tsv", ".xlsx", ".xlsm", ".xls", ".ods", ".et", ".ett", ".yaml", ".yml", ".sqlite", ".db",
    ".doc", ".docx", ".wps", ".zip", ".rar", ".7z", ".tar", ".bz2", ".xz",
})
NAME_HEADERS = ("姓名", "户主姓名")
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_TAG = re.compile(r"<[^>]*>")
_SEPARATORS_IN_NUMBERS = re.compile(r"(?<=[0-9])[ \-](?=[0-9])")


@dataclass(frozen=True)
class Finding:
    file: str  # relative to the audited folder, personal data in it masked
    line: int | None
    kind: str
    excerpt: str  # masked
    severity: str = "error"  # "error" fails the audit; "warning" is reported with its reason
    note: str = ""

    def format(self) -> str:
        where = self.file if self.line is None else f"{self.file} 第{self.line}行"
        label = "警告" if self.severity == "warning" else "发现"
        text = f"{where}：{label}{KIND_LABELS[self.kind]}（{self.excerpt}）"
        return text + (f"：{self.note}" if self.note else "")


@dataclass(frozen=True)
class RawValues:
    """What raw rosters hold, for `--raw`: never printed, only searched for."""

    names: frozenset[str]
    ids: frozenset[str]
    phones: frozenset[str]
    addresses: frozenset[str]

    def automaton(self) -> ahocorasick.Automaton | None:
        automaton = ahocorasick.Automaton()
        for kind, values in (("raw-name", self.names), ("raw-id", self.ids), ("raw-phone", self.phones),
                             ("raw-address", self.addresses)):
            for value in values:
                if len(value) >= 2:
                    automaton.add_word(value, (kind, value))
                    if kind == "raw-id" and value.endswith("X"):
                        automaton.add_word(value[:-1] + "x", (kind, value))
        if not len(automaton):
            return None
        automaton.make_automaton()
        return automaton


def _pdf_text(data: bytes) -> str:
    from io import BytesIO

    from pypdf import PdfReader

    try:
        return "\n".join(page.extract_text() or "" for page in PdfReader(BytesIO(data)).pages)
    except Exception:  # noqa: BLE001 - an unreadable PDF is reported, not a crash
        return "\x00unreadable-pdf"


def read_text(path: Path) -> str:
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            pass  # not really gzip: scan the bytes as they are
    if suffix == ".pdf":
        return _pdf_text(data)
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(data) > 16 and data.count(b"\x00") > len(data) // 4):
        return data.decode("utf-16", errors="replace")  # Excel's "Unicode text" export, among others
    return data.decode("utf-8", errors="replace")


def variants(text: str, markup: bool) -> list[str]:
    """The forms a value can hide in. The first keeps line numbers of the original."""
    # JSON and JS write Chinese as \\uXXXX: in "\\u8bc1990100…" the escape's last hex digit would glue
    # onto an ID number and hide it, so read the characters, not their escapes.
    plain = _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    forms = [plain]
    if markup:
        forms.append(html.unescape(plain))  # &#49;&#51;… and &amp;-style entities
        forms.append(html.unescape(_TAG.sub("", plain)))  # a number or name split by tags
    if "%" in plain:
        forms.append(urllib.parse.unquote(plain))  # URL-encoded links
    return list(dict.fromkeys(forms))


class _RosterCells(HTMLParser):
    """The name cells of roster tables (<table class="roster-table">), with their line numbers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[tuple[int, str]] = []
        self._in_table = self._in_cell = False
        self._header: list[str] = []
        self._column = -1
        self._name_column: int | None = None
        self._text = ""
        self._line = 0

    def handle_starttag(self, tag, attrs):
        if tag == "table" and "roster-table" in (dict(attrs).get("class") or ""):
            self._in_table, self._header, self._name_column = True, [], None
        elif self._in_table and tag == "tr":
            self._column = -1
        elif self._in_table and tag in ("td", "th"):
            self._column += 1
            self._in_cell, self._text, self._line = True, "", self.getpos()[0]

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_table = False
        elif self._in_table and tag in ("td", "th") and self._in_cell:
            self._in_cell = False
            text = self._text.strip()
            if tag == "th":
                self._header.append(text)
                if text in NAME_HEADERS:
                    self._name_column = self._column
            elif self._column == self._name_column:
                self.cells.append((self._line, text))

    def handle_data(self, data):
        if self._in_cell:
            self._text += data


def _roster_name_findings(text: str, shown: str) -> list[Finding]:
    parser = _RosterCells()
    parser.feed(text)
    return [Finding(shown, line, "unmasked-name", mask_name(cell) if cell else "（空）",
                    note="名单中的姓名必须只保留姓氏")
            for line, cell in parser.cells if MASK_CHAR not in cell]


def _is_person_context(text: str, start: int, end: int) -> bool:
    """A two-character match counts as a name where it is a whole cell, attribute or word of its own."""
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return before in '>"\'\n\t ：:，,（(' and after in '<"\'\n\t ，,。）)*'


def _raw_findings(text: str, shown: str, automaton: ahocorasick.Automaton) -> list[Finding]:
    found = {}
    for form in (text, _SEPARATORS_IN_NUMBERS.sub("", fold(text))):
        for end, (kind, value) in automaton.iter(form):
            start = end - len(value) + 1
            line = text.count("\n", 0, start) + 1 if form is text else None
            key = (kind, value)
            if kind == "raw-name" and len(value) == 2 and not _is_person_context(form, start, end + 1):
                found.setdefault(key, Finding(shown, line, kind, mask_name(value), "warning",
                                              "两个字的姓名也可能是普通词语，此处不在名单或人名位置，请人工确认"))
                continue
            excerpt = mask_name(value) if kind == "raw-name" else mask_excerpt(value)
            if key not in found or found[key].severity == "warning":
                found[key] = Finding(shown, line, kind, excerpt)
    return list(found.values())


def audit_file(path: Path, rel: str, allowed: frozenset[str], person_keys: frozenset[str],
               automaton: ahocorasick.Automaton | None = None, data_mode: bool = False) -> list[Finding]:
    findings = []
    shown = redact(rel, person_keys)
    suffix = path.suffix.lower()
    if suffix in DATA_FILE_SUFFIXES and not (data_mode and suffix in (".yaml", ".yml")):
        findings.append(Finding(shown, None, "data-file", shown))
    for m in find_personal_data(path.name, allowed, person_keys):  # names can leak too
        findings.append(Finding(shown, None, m.kind, m.masked))
    text = read_text(path)
    if text == "\x00unreadable-pdf":
        return findings + [Finding(shown, None, "data-file", shown, note="PDF 无法读取文字，无法审计")]
    markup = suffix in (".html", ".htm", ".xml", ".svg", ".json", ".js")
    seen: set[tuple[str, str]] = set()
    for i, form in enumerate(variants(text, markup)):
        for m in find_personal_data(form, allowed, person_keys):
            if (m.kind, m.value) not in seen:
                seen.add((m.kind, m.value))
                line = form.count("\n", 0, m.start) + 1 if i == 0 else None
                findings.append(Finding(shown, line, m.kind, m.masked))
        if automaton is not None:
            findings += [f for f in _raw_findings(form, shown, automaton) if (f.kind, f.excerpt) not in seen]
            seen.update((f.kind, f.excerpt) for f in findings)
    if suffix in (".html", ".htm"):
        findings += _roster_name_findings(text, shown)
    return findings


def audit(root: Path, allowed: frozenset[str] = frozenset(), person_keys: frozenset[str] = frozenset(),
          raw: RawValues | None = None, data_mode: bool = False) -> list[Finding]:
    """Every finding under `root`, in a stable order. `allowed`: published numbers (the hotlines).
    `data_mode`: auditing data/ itself, where YAML files and person keys belong."""
    automaton = raw.automaton() if raw else None
    findings = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_dir():
            findings += [Finding(redact(rel, person_keys), None, m.kind, m.masked)
                         for m in find_personal_data(path.name, allowed, person_keys)]
        elif path.is_file():
            findings += audit_file(path, rel, allowed, person_keys, automaton, data_mode)
    return findings


def failed(findings: list[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


def summary(findings: list[Finding], root: str) -> str:
    errors = [f for f in findings if f.severity == "error"]
    warnings = [f for f in findings if f.severity == "warning"]
    if not errors:
        head = f"审计通过：{root} 中没有发现身份证号、电话、银行卡号、残疾人证号、化名键、未脱敏姓名或数据文件。"
        if warnings:
            head += f"另有 {len(warnings)} 条警告需要人工确认："
        return "\n".join([head] + ["  " + f.format() for f in warnings])
    lines = [f"审计未通过：{root} 中发现 {len(errors)} 处个人信息或数据文件，不得发布。"]
    lines += ["  " + f.format() for f in errors + warnings]
    lines.append("请删除这些内容后重新生成。报告中只显示脱敏后的片段。")
    return "\n".join(lines)


def as_json(findings: list[Finding], root: str) -> str:
    return json.dumps({"root": root, "passed": not failed(findings),
                       "findings": [asdict(f) for f in findings]}, ensure_ascii=False, indent=1)
