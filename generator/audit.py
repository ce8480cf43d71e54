"""Stage 7, audit: look in every file under a folder for personal data; a finding fails the build.

Every file is read in several forms, because a value can hide in any of them: as
written, with JSON \\u escapes and HTML entities decoded, with tags removed (a
number split by <span>), URL-decoded, and for PDFs (under any name) all a reader
sees or copies: pages, notes, form fields, bookmarks, properties (audit_pdf). File and
folder names are checked too, data files (csv, xlsx, yaml, archives …) are
findings by themselves, and roster name cells must be masked.

With `raw` rosters (on a clerk's machine), every raw name, ID number, phone and
address is searched for with one Aho-Corasick automaton. A finding carries a
masked excerpt only: the audit never prints a raw value.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import os
import re
import stat
import time
import urllib.parse
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import ahocorasick

from .audit_pdf import PDF_MAGIC, is_pdf, read_pdf
from .audit_scan import PNG_MAGIC, CompiledStore, Prefilter
from .detect import HEX_MAP, HEX_RUN, KIND_LABELS, find_personal_data, mask_excerpt, redact
from .digests import code_digest
from .fileio import IDENTITY_MEMO, RECORD_NS, SETTLED_NS, read_bytes, read_bytes_and_stat
from .folders import Entry, walk
from .mask import COMPOUND_SURNAMES, MASK_CHAR, NAME_SEPARATORS, is_masked_name, mask_name

# Data files never belong in a site; archives and office documents cannot be audited inside, so they
# count as data files too (.et/.wps: WPS Office, common in county offices).
DATA_FILE_SUFFIXES = frozenset({
    ".csv", ".tsv", ".xlsx", ".xlsm", ".xls", ".ods", ".et", ".ett", ".yaml", ".yml", ".sqlite", ".db",
    ".doc", ".docx", ".wps", ".zip", ".rar", ".7z", ".tar", ".tgz", ".bz2", ".xz", ".xlsb", ".numbers", ".dbf",
    ".mdb", ".accdb", ".sav", ".dta",
    # Presentations, other office and e-document formats (.dps/.dpt: WPS; .ofd: China's e-document format).
    ".ppt", ".pptx", ".pptm", ".pps", ".ppsx", ".dps", ".dpt", ".odt", ".odp", ".odg", ".ofd", ".rtf", ".docm",
    ".dot", ".dotx", ".xlt", ".xltx", ".wpt", ".pages", ".key", ".epub", ".cab", ".iso", ".zst", ".lz", ".lzma",
})
# Containers whatever a file is called (a roster.xlsx renamed to .pdf or .png): zip, and the office,
# OpenDocument, WPS and e-book formats built on it; OLE (old Office, WPS); rar; 7z. And gzip, under
# any name but the sitemap's (ALLOWED_GZ).
CONTAINER_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"Rar!", b"7z\xbc\xaf")
GZIP_MAGIC = b"\x1f\x8b"
# The one compressed file a site legitimately holds (MkDocs writes it); any other .gz is an archive.
ALLOWED_GZ = ("sitemap.xml.gz",)
def _name_headers() -> tuple[frozenset[str], dict[str, tuple[str, str]]]:
    """Roster columns that hold names, by header, from the program specs: always masked, or masked
    where another column of the row has a value (a 双公示 party that is a natural person)."""
    from .programs import all_programs

    always, conditional = {"姓名", "户主姓名"}, {}
    for spec in all_programs().values():
        labels = {f.name: f.label for f in spec.fields}
        for f in spec.fields:
            if f.type == "name" or (f.mask == "name" and not f.mask_when):
                always.add(f.label)
            elif f.mask == "name":
                conditional[f.label] = (labels[f.mask_when[0]], f.mask_when[1])
    return frozenset(always), conditional


NAME_HEADERS, CONDITIONAL_NAME_HEADERS = _name_headers()
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_TAG = re.compile(r"<[^>]*>")
# The raw search's second form: every space, dash and zero-width space deleted (one regex with a plain
# character class, no lookaround: fast), and full-width digits and letters folded to ASCII where there
# are any, so that a number written with separators ("1101 0519…", "138-0013-…") and a name typed with
# spaces ("测 试") match as in the roster. Deleting them everywhere, not only between digits or between
# Chinese characters, can join neighbours; a raw value appearing that way by chance is still worth a look.
_SQUEEZE = re.compile("[ \t\r\n\u00a0\u3000\u200b\\-\u2010-\u2014\u2212\uff0d]+")
_FULL_WIDTH_ALNUM = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
_FOLD_ALNUM = {**{0xFF10 + i: 0x30 + i for i in range(10)}, **{0xFF21 + i: 0x41 + i for i in range(26)},
               **{0xFF41 + i: 0x61 + i for i in range(26)}}


def squeezed(text: str) -> str:
    text = _SQUEEZE.sub("", text)
    return text.translate(_FOLD_ALNUM) if _FULL_WIDTH_ALNUM.search(text) else text


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

    def words(self) -> list[tuple[str, str, str]]:
        """(word, kind, value): every string searched for; an ID number ending in X also with x."""
        found = []
        for kind, values in (("raw-name", self.names), ("raw-id", self.ids), ("raw-phone", self.phones),
                             ("raw-address", self.addresses)):
            for value in sorted(values):
                if len(value) >= 2:
                    found.append((value, kind, value))
                    if kind == "raw-id" and value.endswith("X"):
                        found.append((value[:-1] + "x", kind, value))
        return found

    def automaton(self) -> ahocorasick.Automaton | None:
        automaton = ahocorasick.Automaton()
        for word, kind, value in self.words():
            automaton.add_word(word, (kind, value))
        if not len(automaton):
            return None
        automaton.make_automaton()
        return automaton


def decode(data: bytes, suffix: str) -> str:
    if suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            pass  # not really gzip: scan the bytes as they are
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")  # Excel's "Unicode text" export, among others
    text = data.decode("utf-8", errors="replace")
    if len(data) > 16 and data.count(b"\x00") > len(data) // 4:
        # NUL-heavy: BOM-less UTF-16, or padding (a tar): read it both ways, never just the guess.
        text += "\n" + data.decode("utf-16-le", errors="replace") + "\n" + data.decode("utf-16-be", errors="replace")
    if data.startswith(PNG_MAGIC):
        text += "".join("\n" + t for t in png_compressed_texts(data))
    return text


# A picture's own text (a PNG's tEXt and eXIf chunks, a JPEG's EXIF, XMP and comments) is in its bytes as
# written, and read as they are; a PNG may also hold text deflated (zTXt, and iTXt with its flag set).
PNG_TEXT_MAX = 1 << 20  # read of all chunks at most: deflated text can unpack to far more (a "zip bomb")


def png_compressed_texts(data: bytes) -> list[str]:
    """The deflated text chunks of a PNG, inflated (PNG_TEXT_MAX bytes in all at most); a chunk that does
    not inflate is left out."""
    found, at, budget = [], len(PNG_MAGIC), PNG_TEXT_MAX
    while at + 8 <= len(data) and budget > 0:
        size, kind = int.from_bytes(data[at:at + 4], "big"), data[at + 4:at + 8]
        start, at = at + 8, at + 12 + size
        if kind not in (b"zTXt", b"iTXt"):
            continue
        keyword, _, rest = data[start:start + size].partition(b"\x00")
        if kind == b"zTXt":
            deflated = rest[1:]  # after the compression method
        elif kind == b"iTXt" and rest[:1] == b"\x01":
            _, _, rest = rest[2:].partition(b"\x00")  # the language tag
            _, _, deflated = rest.partition(b"\x00")  # the translated keyword
        else:
            continue
        try:
            inflated = zlib.decompressobj().decompress(deflated, budget)
        except zlib.error:
            continue
        budget -= len(inflated)
        found.append(keyword.decode("latin-1") + " " + inflated.decode("utf-8", "replace"))
    return found


def variants(text: str, markup: bool) -> list[str]:
    """The forms a value can hide in. The first keeps line numbers of the original."""
    # JSON and JS write Chinese as \\uXXXX: in "\\u8bc1990100…" the escape's last hex digit would glue
    # onto an ID number and hide it, so read the characters, not their escapes.
    plain = _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "\\u" in text else text
    forms = [plain]
    if markup:
        if "&" in plain:
            forms.append(html.unescape(plain))  # &#49;&#51;… and &amp;-style entities
        forms.append(html.unescape(_TAG.sub("", plain)))  # a number or name split by tags
    if "%" in plain:
        forms.append(urllib.parse.unquote(plain))  # URL-encoded links
    return list(dict.fromkeys(forms))


_ROSTER_TABLE = re.compile(r'<table class="roster-table">(.*?)</table>', re.S)
_HEADER_CELL = re.compile(r"<th\b[^>]*>(.*?)</th>", re.S)
_ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
_DATA_CELL = re.compile(r"<td\b[^>]*>(.*?)</td>", re.S)


def _roster_name_findings(text: str, shown: str) -> list[Finding]:
    """Every cell of a roster table's name column must be a masked name (a surname and mask characters,
    as `mask.mask_name` writes it: is_masked_name). The tables are ours
    (templates/_roster.html.j2), so their markup is known and regexes read it fast."""
    findings = []
    for table in _ROSTER_TABLE.finditer(text):
        headers = [html.unescape(_TAG.sub("", h)).strip() for h in _HEADER_CELL.findall(table.group(1))]
        # (name column, condition column or None, condition value)
        checks = [(i, None, None) for i, h in enumerate(headers) if h in NAME_HEADERS]
        checks += [(i, headers.index(CONDITIONAL_NAME_HEADERS[h][0]), CONDITIONAL_NAME_HEADERS[h][1])
                   for i, h in enumerate(headers) if h in CONDITIONAL_NAME_HEADERS
                   and CONDITIONAL_NAME_HEADERS[h][0] in headers]
        if not checks:
            continue
        for row in _ROW.finditer(table.group(1)):
            cells = [html.unescape(_TAG.sub("", c)).strip() for c in _DATA_CELL.findall(row.group(1))]
            for column, when, value in checks:
                if len(cells) <= column or (when is not None and (len(cells) <= when or cells[when] != value)):
                    continue
                cell = cells[column]
                if not is_masked_name(cell):  # "*李四" holds a mask character and shows the whole name
                    line = text.count("\n", 0, table.start(1) + row.start()) + 1
                    findings.append(Finding(shown, line, "unmasked-name", mask_name(cell) if cell else "（空）",
                                            note="名单中的姓名必须只保留姓氏"))
    return findings


def _is_person_context(text: str, start: int, end: int) -> bool:
    """A two-character match counts as a name where it is a whole cell, attribute or word of its own."""
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return before in '>"\'\n\t ：:，,（(' and after in '<"\'\n\t ，,。）)*'


def _mask_raw(text: str, automaton: ahocorasick.Automaton | None) -> str:
    """`text` (a path) with every raw value in it masked, for reports."""
    if automaton is None:
        return text
    spans = sorted(((end - len(value) + 1, end + 1, kind, value) for end, (kind, value) in automaton.iter(text)),
                   key=lambda s: (s[0], -s[1]))
    out, at = [], 0
    for start, end, kind, value in spans:
        if start >= at:
            out += [text[at:start], mask_name(value) if kind == "raw-name" else mask_excerpt(value)]
            at = end
    return "".join(out) + text[at:]


def _raw_findings(text: str, shown: str, automaton: ahocorasick.Automaton, first: bool) -> list[Finding]:
    found = {}
    forms = (text, squeezed(text)) if first else (text,)
    for form in forms:
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


# The same table, header and row patterns in bytes: the page need not be decoded. `<td\b` reads the
# same in bytes and in text wherever the next byte is ASCII; a table where it is not is left to
# _roster_name_findings.
_TABLE_START, _TABLE_END = b'<table class="roster-table">', b"</table>"
_HEADER_CELL_BYTES = re.compile(rb"<th\b[^>]*>(.*?)</th>", re.S)
_CELL_TAG_THEN_NON_ASCII = re.compile(rb"<t[dh][\x80-\xff]")
_MASKED_ROWS: dict[int, re.Pattern] = {}
_NAME_COLUMNS: dict[tuple[bytes, ...], list[int]] = {}


# A masked name in bytes: a CJK surname (one character, or a compound surname) or none, then mask
# characters and name separators only, with at least one mask character. Every such cell is a masked
# name to `is_masked_name` (the surname kept, everything after it masked or a separator); any other
# masked name (an ASCII initial, a space, an entity) is left to the full check.
_CJK_CHAR = rb"(?:\xe4[\xb8-\xbf][\x80-\xbf]|[\xe5-\xe9][\x80-\xbf]{2})"
_MASKED_NAME_BYTES = (rb"(?=[^<]*%s)(?:%s|%s)?(?:%s)*" % (
    re.escape(MASK_CHAR.encode("utf-8")),
    b"|".join(re.escape(c.encode("utf-8")) for c in sorted(COMPOUND_SURNAMES)), _CJK_CHAR,
    b"|".join(re.escape(c.encode("utf-8")) for c in MASK_CHAR + NAME_SEPARATORS)))


def _masked_row(column: int) -> re.Pattern:
    """What stands before a "</tr>": anything up to the first "<tr>" (there the row `_ROW` reads
    begins), then cells up to `column` that are plain text, and in cell `column` a masked name
    (_MASKED_NAME_BYTES). `_DATA_CELL.findall` then finds exactly these cells first, so
    `_roster_name_findings` finds nothing in that column of that row."""
    if column not in _MASKED_ROWS:
        _MASKED_ROWS[column] = re.compile(rb"[^<]*(?:<(?!tr>)[^<]*)*<tr>(?:<td\b[^>]*>[^<]*</td>){%d}"
                                          rb"<td\b[^>]*>%s</td>" % (column, _MASKED_NAME_BYTES))
    return _MASKED_ROWS[column]


def _name_columns(headers: tuple[bytes, ...]) -> list[int]:
    """The columns `_roster_name_findings` checks, for these header cells."""
    if headers not in _NAME_COLUMNS:
        texts = [html.unescape(_TAG.sub("", h.decode("utf-8", "replace"))).strip() for h in headers]
        _NAME_COLUMNS[headers] = [i for i, h in enumerate(texts) if h in NAME_HEADERS or (
            h in CONDITIONAL_NAME_HEADERS and CONDITIONAL_NAME_HEADERS[h][0] in texts)]
    return _NAME_COLUMNS[headers]


def _rosters_clean(data: bytes) -> bool:
    """True only if `_roster_name_findings` finds nothing in this UTF-8 page: every row's name cell is
    plain text with a mask character, as the templates write it (checked row by row in C)."""
    at = data.find(_TABLE_START)  # _ROSTER_TABLE.finditer, with bytes.find (memmem) for its .*?
    while at >= 0:
        start = at + len(_TABLE_START)
        end = data.find(_TABLE_END, start)
        if end < 0:
            break
        body = data[start:end]
        at = data.find(_TABLE_START, end + len(_TABLE_END))
        if _CELL_TAG_THEN_NON_ASCII.search(body):
            return False
        columns = _name_columns(tuple(_HEADER_CELL_BYTES.findall(body)))
        if columns:
            # `_ROW.findall(body)`: in each piece before a "</tr>", what follows its first "<tr>".
            # Rows without data cells (the header row) are skipped there too.
            rows = [piece for piece in body.split(b"</tr>")[:-1] if b"<td" in piece]
            if not all(all(map(_masked_row(column).match, rows)) for column in columns):
                return False
    return True


def make_prefilter(allowed: frozenset[str], person_keys: frozenset[str], raw: RawValues | None,
                   store: CompiledStore | None = None) -> Prefilter | None:
    """The compiled prefilter for these inputs, or None where it cannot be had (no wheel for this
    machine, a raw value made of separators only): then every file gets the full check. `store`: where
    its compiled scanner may be kept between runs."""
    if not Prefilter.available():
        return None
    try:
        return Prefilter([word for word, _, _ in raw.words()] if raw else None, allowed, person_keys, store)
    except ValueError:
        return None


class _LazyAutomaton:
    """The raw values' automaton, built on first use: with the prefilter most workers never need it."""

    def __init__(self, raw: RawValues):
        self.raw, self.built = raw, None

    def iter(self, text: str):
        if self.built is None:
            self.built = self.raw.automaton()
        return self.built.iter(text)


def audit_file(path: Path, rel: str, allowed: frozenset[str], person_keys: frozenset[str],
               automaton: ahocorasick.Automaton | None = None, data_mode: bool = False, *,
               data: bytes | None = None, prefilter: Prefilter | None = None,
               name_clean: bool | None = None) -> list[Finding]:
    """The findings in one file: its name, whether it is a data file, and its content in every form.
    `prefilter` (built for the same allowed numbers, person keys and raw values) skips the checks it
    proves empty; `data`: the file's bytes, if already read; `name_clean`: the prefilter already
    passed `_name_to_check`."""
    data = read_bytes(path) if data is None else data
    suffix = path.suffix.lower()
    markup = suffix in (".html", ".htm", ".xml", ".svg", ".json", ".js")
    is_archive = (suffix == ".gz" or data.startswith(GZIP_MAGIC)) and path.name not in ALLOWED_GZ
    data_file = ((suffix in DATA_FILE_SUFFIXES or is_archive or data.startswith(CONTAINER_MAGIC))
                 and not (data_mode and suffix in (".yaml", ".yml")))
    if name_clean is None:
        name_clean = prefilter is not None and prefilter.clean_name(_name_to_check(path.name, rel, automaton))
    content_clean = prefilter is not None and prefilter.clean(data, suffix, markup)
    # Where the prefilter passed the bytes, they are what `decode` reads as UTF-8.
    rosters = content_clean and suffix in (".html", ".htm") and b"roster-table" in data and not _rosters_clean(data)
    if name_clean and content_clean and not rosters and not data_file:
        return []
    findings = []
    shown = _mask_raw(redact(rel, person_keys), automaton)
    if data_file:
        findings.append(Finding(shown, None, "data-file", shown))
    if not name_clean:
        for m in find_personal_data(path.name, allowed, person_keys):  # names can leak too
            findings.append(Finding(shown, None, m.kind, m.masked))
        if automaton is not None:
            findings += [Finding(shown, None, f.kind, f.excerpt, f.severity, f.note)
                         for f in _raw_findings(urllib.parse.unquote(rel), "", automaton, True)]
    if content_clean:
        return findings + (_roster_name_findings(data.decode("utf-8", "replace"), shown) if rosters else [])
    if suffix == ".pdf" or is_pdf(data):  # a PDF under any name (a scan saved as .png) is read as one
        read = read_pdf(data)
        if read is None and (suffix == ".pdf" or data.startswith(PDF_MAGIC)):
            return findings + [Finding(shown, None, "data-file", shown, note="PDF 无法读取文字（可能设了密码），无法审计")]
        if read is not None and read.embedded:
            findings.append(Finding(shown, None, "data-file", shown,
                                    note="PDF 里嵌入了文件、音视频或 XFA 表单，审计读不到其中内容"))
        text = read.text if suffix == ".pdf" else decode(data, suffix) + ("\n" + read.text if read else "")
    else:
        text = decode(data, suffix)
    seen: set[tuple[str, str]] = set()
    for i, form in enumerate(variants(text, markup)):
        for m in find_personal_data(form, allowed, person_keys):
            if (m.kind, m.value) not in seen:
                seen.add((m.kind, m.value))
                line = form.count("\n", 0, m.start) + 1 if i == 0 else None
                findings.append(Finding(shown, line, m.kind, m.masked))
        if automaton is not None:
            findings += [f for f in _raw_findings(form, shown, automaton, i == 0) if (f.kind, f.excerpt) not in seen]
            seen.update((f.kind, f.excerpt) for f in findings)
    if suffix in (".html", ".htm") and "roster-table" in text:
        findings += _roster_name_findings(text, shown)
    return findings


def _name_to_check(name: str, rel: str, automaton) -> str:
    """What of a file's path its name checks read: the name, and the URL-decoded path for raw values."""
    return name + ("\n" + urllib.parse.unquote(rel) if automaton is not None else "")


def _chunks(entries: list[Entry]) -> list[list[Entry]]:
    """Entries in file order, cut every CHUNK entries or CHUNK_BYTES bytes."""
    chunks, chunk, size = [], [], 0
    for entry in entries:
        chunk.append(entry)
        size += entry[2]
        if len(chunk) >= CHUNK or size >= CHUNK_BYTES:
            chunks.append(chunk)
            chunk, size = [], 0
    return chunks + [chunk] if chunk else chunks


def _in_pool(work, chunks: list[list[Entry]], job: tuple) -> list:
    """`[work(c) for c in chunks]`, on every core: the biggest chunks first, so that a big file (a
    search index) is not the last thing one core does while the other waits."""
    order = sorted(range(len(chunks)), key=lambda i: -sum(e[2] for e in chunks[i]))
    results: list = [None] * len(chunks)
    with ProcessPoolExecutor(max_workers=os.cpu_count(), initializer=_init, initargs=job) as pool:
        for i, result in zip(order, pool.map(work, [chunks[i] for i in order])):
            results[i] = result
    return results


def audit(root: Path, allowed: frozenset[str] = frozenset(), person_keys: frozenset[str] = frozenset(),
          raw: RawValues | None = None, data_mode: bool = False, entries: list[Entry] | None = None) -> list[Finding]:
    """Every finding under `root`, in a stable order. `allowed`: published numbers (the hotlines).
    `data_mode`: auditing data/ itself, where YAML files and person keys belong. `entries`: what
    `walk(root)` gave, where the caller walked it already (beside its own work: cli._audit)."""
    chunks = _chunks(walk(root) if entries is None else entries)
    job = (str(root), allowed, person_keys, raw, data_mode)
    prepare(allowed, person_keys, raw)
    if len(chunks) < 2 or (os.cpu_count() or 1) < 2:
        _init(*job)
        return [f for chunk in chunks for f in _audit_chunk(chunk)]
    # County-size sites: the files are independent, so both cores share them; results keep file order.
    return [f for found in _in_pool(_audit_chunk, chunks, job) for f in found]


CHUNK, CHUNK_BYTES = 200, 4 << 20
# Below this many bytes to read, audit_memo reads them in its own process: forking workers from a build's
# process (a gigabyte for a county) cost more than they saved for an approval's 31 MB (the ~300 pages
# MkDocs writes anew each build): 0.39-0.42 s with two workers, 0.27-0.35 s without.
POOL_MIN_BYTES = 64 << 20
_job: dict = {}
# Built in the parent before the workers fork, so that each worker need not compile it again.
_inherited: dict = {}


def prepare(allowed: frozenset[str], person_keys: frozenset[str], raw: RawValues | None,
            store: CompiledStore | None = None) -> None:
    """Build the prefilter for these inputs ahead of the audit (while a walk runs beside: build.py), for
    the audit and the worker processes it forks; kept where it was built for the same inputs already.
    `store`: where its compiled scanner may be kept between runs."""
    inputs, _ = _inherited.get("prefilter", (None, None))
    if inputs is None or not all(a is b or a == b for a, b in zip(inputs, (allowed, person_keys, raw))):
        _inherited["prefilter"] = ((allowed, person_keys, raw), make_prefilter(allowed, person_keys, raw, store))


def _init(root: str, allowed: frozenset[str], person_keys: frozenset[str], raw: RawValues | None,
          data_mode: bool, memo: tuple | None = None) -> None:
    """`memo`: for `audit_memo`, the memo, the files known to be the ones read before, and when the walk
    began (None: no file is remembered as itself)."""
    inputs, prefilter = _inherited.get("prefilter", (None, None))
    if inputs != (allowed, person_keys, raw):
        prefilter = make_prefilter(allowed, person_keys, raw)
    _job.update(root=Path(root), allowed=allowed, person_keys=person_keys, data_mode=data_mode,
                automaton=_LazyAutomaton(raw) if raw else None, memo=memo, prefilter=prefilter)


def _audit_chunk(chunk: list[Entry]) -> list[Finding]:
    root, allowed, keys, prefilter = _job["root"], _job["allowed"], _job["person_keys"], _job["prefilter"]
    automaton = _job["automaton"]
    entries = [(root / rel, rel, kind) for rel, kind, *_ in chunk]
    # Every name of the chunk at once (one scan instead of 400); where one may hold something, each alone.
    names_clean = prefilter is not None and prefilter.clean_name("\n".join(
        path.name if kind == "dir" else _name_to_check(path.name, rel, automaton) for path, rel, kind in entries))
    findings = []
    for path, rel, kind in entries:
        if kind == "dir":
            if names_clean or (prefilter is not None and prefilter.clean_name(path.name)):
                continue
            shown = _mask_raw(redact(rel, keys), automaton)
            findings += [Finding(shown, None, m.kind, m.masked) for m in find_personal_data(path.name, allowed, keys)]
            if automaton is not None:
                findings += [Finding(shown, None, f.kind, f.excerpt, f.severity, f.note)
                             for f in _raw_findings(path.name, "", automaton, True)]
        elif kind == "file":
            findings += audit_file(path, rel, allowed, keys, automaton, _job["data_mode"], prefilter=prefilter,
                                   name_clean=True if names_clean else None)
    return findings


# -- a memo for repeated builds: a file audited before, byte for byte, has the same findings ---------
# The key holds the program's code digest too (notice_pages.code_digest): a changed detector audits anew.
AUDIT_VERSION = 1
# A file is also remembered as the very file that was read (`_IDENTITY` + its path: device, inode,
# modification and change times, size), so that the next build need not read it again: the rule and
# its limits (IDENTITY_MEMO, SETTLED_NS, RECORD_NS) are fileio's, which load's notice files share.
# A record holds the identity and size of the file as it was opened and read (its fstat, which must be
# what the walk saw), so it never pairs one file's identity with another's bytes.
_IDENTITY = "file "


def _memo_prefix(allowed: frozenset[str]) -> bytes:
    return f"{AUDIT_VERSION}\x00{code_digest()}\x00{sorted(allowed)}\x00".encode()


def _prefix_digest(allowed: frozenset[str]) -> str:
    """What an `_IDENTITY` record holds of the key's prefix (a changed detector or hotline reads anew)."""
    return hashlib.sha256(_memo_prefix(allowed)).hexdigest()[:16]


def audit_memo(root: Path, allowed: frozenset[str], person_keys: frozenset[str], memo: dict[str, list],
               entries: list[Entry] | None = None, walked: int | None = None) -> tuple[list[Finding], dict[str, list]]:
    """`audit`, remembering by content: returns the findings and the memo entries of this run's files.

    The key is the file's path and bytes with the allowed numbers; a file holding any 64-hex run (a
    possible person key, whose set changes with the data) is always audited afresh. A file that is the
    very file read before (its device, inode, size, modification and change times: `_IDENTITY`) is not
    read again. Only for the build: raw rosters and data/ mode never use it. `entries`: what `walk(root)`
    gave, where the caller walked it already, and `walked`: `time.time_ns()` before that walk began."""
    if entries is None:
        walked = time.time_ns()
        entries = walk(root)
    elif walked is None:
        raise ValueError("entries walked without the time the walk began")
    prefix = _prefix_digest(allowed)
    same = {}  # path -> content key, of the files that are the very files read before
    if IDENTITY_MEMO:
        for rel, kind, size, ident in entries:
            record = memo.get(_IDENTITY + rel) if ident is not None else None
            if (isinstance(record, list) and len(record) == 8 and record[:5] == [*ident, size]
                    and record[5] == prefix and isinstance(record[6], str) and record[6] in memo
                    and isinstance(record[7], int) and 0 <= walked - record[7] < RECORD_NS):
                same[rel] = record[6]
    # Chunks as big as what must be read in them.
    chunks = _chunks([(rel, kind, 0 if rel in same else size, ident) for rel, kind, size, ident in entries])
    job = (str(root), allowed, person_keys, None, False)
    prepare(allowed, person_keys, None)
    remembered = (memo, same, walked if IDENTITY_MEMO else None)
    to_read = sum(size for rel, kind, size, _ in entries if kind == "file" and rel not in same)
    if len(chunks) < 2 or (os.cpu_count() or 1) < 2 or to_read < POOL_MIN_BYTES:
        _init(*job, remembered)
        results = [_audit_chunk_memo(chunk) for chunk in chunks]
    else:
        results = _in_pool(_audit_chunk_memo, chunks, (*job, remembered))
    findings = [f for found, _ in results for f in found]
    return findings, {k: v for _, used in results for k, v in used.items()}


def prescan(root: Path, rels: list[str], allowed: frozenset[str], person_keys: frozenset[str],
            memo: dict[str, list]) -> dict[str, list]:
    """`memo` with these files of `root` audited into it by content, as `audit_memo` remembers a file:
    a build scans its search index (4 MB, rewritten by every approval) while its new site is walked in
    another process (build.py), and `audit_memo` then reads it, hashes it and finds its findings here. A
    file that is not there or holding a 64-hex run is left to `audit_memo`, as is one changed since."""
    chunk = []
    for rel in rels:
        try:
            st = os.stat(os.path.join(root, rel))
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            chunk.append((rel, "file", st.st_size, None))
    _init(str(root), allowed, person_keys, None, False, (memo, {}, None))
    try:
        _, found = _audit_chunk_memo(chunk)
    except OSError:  # gone since: audit_memo says so
        return memo
    return {**memo, **found}


def _audit_chunk_memo(chunk: list[Entry]) -> tuple[list[Finding], dict[str, list]]:
    root, allowed, keys, prefilter = _job["root"], _job["allowed"], _job["person_keys"], _job["prefilter"]
    memo, same, walked = _job["memo"]
    findings, used = [], {}
    prefix = _memo_prefix(allowed)
    prefix_digest = _prefix_digest(allowed)
    # Every folder name of the chunk in one scan, as _audit_chunk does; where one may hold something, each alone.
    folders_clean = prefilter is not None and prefilter.clean_name(
        "\n".join(rel.rpartition("/")[2] for rel, kind, *_ in chunk if kind == "dir"))
    top = str(root)
    for entry in chunk:
        rel, kind, size, ident = entry
        if kind != "file":
            if not (kind == "dir" and folders_clean):
                findings += _audit_chunk([entry])
            continue
        key = same.get(rel)
        if key is not None:  # the very file read before: its findings are the memo's
            used[key] = memo[key]
            used[_IDENTITY + rel] = memo[_IDENTITY + rel]
            findings += [Finding(**f) for f in memo[key]]
            continue
        data, st = read_bytes_and_stat(os.path.join(top, rel))
        digest = hashlib.sha256(prefix + rel.encode("utf-8") + b"\x00")
        digest.update(data)
        key = digest.hexdigest()
        if key in memo:  # only files without a 64-hex run are remembered (below): these bytes have none
            used[key] = memo[key]
            findings += [Finding(**f) for f in memo[key]]
        elif HEX_RUN in data.translate(HEX_MAP):
            findings += audit_file(root / rel, rel, allowed, keys, data=data, prefilter=prefilter)
            continue
        else:
            found = audit_file(root / rel, rel, allowed, keys, data=data, prefilter=prefilter)
            used[key] = [asdict(f) for f in found]
            findings += found
        # The file read is the file walked, its change time had settled before the walk, and it was read
        # whole at the size its stat gave: unchanged while it was read, or its times say otherwise now.
        read = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)
        if (walked is not None and read == ident and st.st_size == size == len(data)
                and st.st_ctime_ns < walked - SETTLED_NS):
            used[_IDENTITY + rel] = [*read, size, prefix_digest, key, walked]
    return findings, used


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
