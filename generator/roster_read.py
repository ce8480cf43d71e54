"""Import, step 1: read a clerk's raw roster (xlsx or csv) into rows with the row numbers Excel shows.

Real sheets have title rows above the header, a two-row header under a merged
group cell, blank rows, and a totals row and signatures at the bottom; CSV
exports come in UTF-8, UTF-8 with BOM or GBK/GB18030. Values keep their cell
type (an ID stored as a number must be caught, never "repaired").
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

from .programs import ProgramSpec
from .report import Problem, Severity

# Columns read for identity and the self-check, never written.
IDENTITY_HEADERS = {
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "身份证", "证件号码", "身份证件号码"),
    "phone": ("联系电话", "手机号", "手机号码", "电话", "联系方式", "电话号码"),
    "address": ("住址", "家庭住址", "地址", "居住地址", "家庭地址"),
}
TOTAL_MARKERS = ("合计", "总计", "小计", "共计")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
HEADER_SEARCH_ROWS = 15
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff\u00a0\u3000"), " ")


@dataclass(frozen=True)
class Column:
    index: int
    header: str  # as written (both rows of a two-row header, joined by "/")
    field: str | None  # the program field or identity column it maps to; None: dropped


@dataclass(frozen=True)
class RawRow:
    number: int  # the row number Excel shows (1-based)
    values: dict[str, Any]  # field -> cell value: str (normalized), float, int, date, or None


@dataclass
class RawTable:
    file: str
    sheet: str | None
    columns: list[Column]
    rows: list[RawRow] = field(default_factory=list)
    missing: frozenset[str] = frozenset()  # required fields with no column (reported once, not per row)

    def header_of(self, field_name: str) -> str:
        return next((c.header for c in self.columns if c.field == field_name), field_name)


def clean_text(value: str) -> str:
    """Full-width digits and letters to half-width, invisible spaces out, Excel's text apostrophe off."""
    text = unicodedata.normalize("NFKC", value.translate(_INVISIBLE))
    if not text.isprintable():  # a printable text holds no control or format character (Cc, Cf)
        text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf") or c in "\t\n")
    text = text.strip()
    return text[1:].strip() if text.startswith("'") else text


def header_key(text: str) -> str:
    """How headers are compared: no spaces, no unit in brackets (保障金额（元） is 保障金额)."""
    text = re.sub(r"\s+", "", clean_text(str(text)))
    return re.sub(r"\([^)]*\)$", "", text)


def header_lookup(spec: ProgramSpec) -> dict[str, str]:
    lookup = {}
    for f in (*spec.fields, *spec.import_only_fields):
        for header in f.headers:
            lookup.setdefault(header_key(header), f.name)
    for name, headers in IDENTITY_HEADERS.items():
        for header in headers:
            lookup.setdefault(header_key(header), name)
    return lookup


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        text = clean_text(value)
        return text or None
    return value


def _problem(file: str, slug: str, message: str, line: int | None = None, column: str | None = None,
             severity: Severity = Severity.ERROR) -> Problem:
    return Problem(slug, message, file, line, column, severity)


def _read_grid(path: Path, sheet: str | None, shown: str) -> tuple[str | None, list[list[Any]], list[Problem]]:
    if path.suffix.lower() in EXCEL_SUFFIXES:
        try:
            workbook = CalamineWorkbook.from_path(str(path))
            names = workbook.sheet_names
            if sheet is not None and sheet not in names:
                return None, [], [_problem(shown, "sheet-not-found",
                                           f"找不到工作表“{sheet}”。这个文件中的工作表有：{'、'.join(names)}。")]
            visible = [m.name for m in workbook.sheets_metadata if str(m.visible).endswith("Visible")] or names
            name = sheet or visible[0]  # a hidden sheet (often last year's roster) is never taken by default
            return name, workbook.get_sheet_by_name(name).to_python(skip_empty_area=False), []
        except (CalamineError, OSError, ValueError):
            return None, [], [_problem(shown, "unreadable-file",
                                       "无法读取这个 Excel 文件：可能已损坏、加了密码，或不是 Excel 格式。请另存为 .xlsx 后再试。")]
    if path.suffix.lower() in (".csv", ".txt"):
        data = path.read_bytes()
        # Excel's "Unicode 文本" is UTF-16 with a byte-order mark; else UTF-8, then GB18030 (a superset of GBK).
        encodings = ("utf-16",) if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig", "gb18030")
        for encoding in encodings:
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            return None, [], [_problem(shown, "unknown-encoding",
                                       "无法识别文件编码。请在 Excel 中“另存为”CSV UTF-8（逗号分隔）后再导入。")]
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
        except csv.Error:
            dialect = csv.excel
        return None, list(csv.reader(io.StringIO(text), dialect)), []
    return None, [], [_problem(shown, "unsupported-file", "只能导入 .xlsx、.xls 或 .csv 文件。")]


def _sheets(path: Path) -> list[str]:
    """The visible sheets of a workbook, in order (none for CSV or an unreadable file)."""
    if path.suffix.lower() not in EXCEL_SUFFIXES:
        return []
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        return [m.name for m in workbook.sheets_metadata if str(m.visible).endswith("Visible")]
    except (CalamineError, OSError, ValueError):
        return []


_HIDDEN_ROW = re.compile(rb'<(?:\w+:)?row\b[^>]*?\bhidden="(?:1|true)"[^>]*>')
_ROW_NUMBER = re.compile(rb'\br="([0-9]+)"')


def _hidden_rows(path: Path, sheet: str | None) -> set[int]:
    """Excel row numbers hidden in an .xlsx/.xlsm sheet (read from its XML: the reader library does not
    say). Other formats, or anything unexpected in the file: none found."""
    import zipfile
    from xml.etree import ElementTree

    if path.suffix.lower() not in (".xlsx", ".xlsm") or sheet is None:
        return set()
    try:
        with zipfile.ZipFile(path) as z:
            ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                  "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
            book = ElementTree.fromstring(z.read("xl/workbook.xml"))
            rid = next((e.get(f"{{{ns['r']}}}id") for e in book.iterfind("m:sheets/m:sheet", ns) if e.get("name") == sheet), None)
            rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
            target = next((e.get("Target") for e in rels if e.get("Id") == rid), None)
            if target is None:
                return set()
            name = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            xml = z.read(name)
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return set()
    return {int(m.group(1)) for tag in _HIDDEN_ROW.finditer(xml) if (m := _ROW_NUMBER.search(tag.group()))}


def _find_header(grid: list[list[Any]], lookup: dict[str, str]) -> tuple[int, int | None] | None:
    """The header row (and a second header row under merged group cells), by known column names."""
    def hits(row: list[Any]) -> dict[int, str]:
        return {i: lookup[header_key(v)] for i, v in enumerate(row) if isinstance(v, str) and header_key(v) in lookup}

    def blank(row: list[Any], i: int) -> bool:
        return i >= len(row) or row[i] in (None, "")

    for h, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        first = hits(row)
        if len(first) < 2:
            continue
        # Two-row headers: under a merged group cell (户主信息 over 姓名/身份证号) the names are in the
        # lower row; a column merged vertically keeps its name in the upper row only.
        if h > 0 and any(blank(row, i) for i in hits(grid[h - 1])):
            return h - 1, h
        # A lower header row holds nothing but known column names. A first data row never does: it has
        # a name and an ID, even when one cell (与户主关系: 户主) happens to match a header.
        if h + 1 < len(grid) and any(i not in first for i in hits(grid[h + 1])) and all(
                i in hits(grid[h + 1]) for i, v in enumerate(grid[h + 1]) if v not in (None, "")):
            return h, h + 1
        return h, None
    return None


def read_roster(path: Path, spec: ProgramSpec, sheet: str | None = None) -> tuple[RawTable | None, list[Problem]]:
    shown = path.name
    if not path.is_file():
        return None, [_problem(shown, "file-not-found", f"找不到文件 {path}，请检查路径。")]
    sheet_name, grid, problems = _read_grid(path, sheet, shown)
    if problems:
        return None, problems
    where = f"{shown}（工作表“{sheet_name}”）" if sheet_name else shown
    lookup = header_lookup(spec)
    found = _find_header(grid, lookup)
    others = [name for name in _sheets(path) if name != sheet_name] if sheet is None else []
    if found is None:
        hint = f"这个文件还有工作表：{'、'.join(others)}；名单在其中的，请加 --sheet 工作表名。" if others else ""
        return None, [_problem(where, "header-not-found",
                               f"在前{HEADER_SEARCH_ROWS}行中找不到表头。表头应包含“姓名”“身份证号”等列名，"
                               f"“{spec.title}”可用的列名：{'、'.join(f.label for f in spec.fields)}。{hint}")]
    if others:
        problems.append(_problem(where, "other-sheets", f"只导入了第一个工作表“{sheet_name}”；这个文件还有工作表："
                                 f"{'、'.join(others)}，其中的名单没有导入。需要的话，请用 --sheet 工作表名 分别导入。",
                                 None, None, Severity.WARNING))
    top, second = found
    width = max(len(r) for r in grid)
    columns = []
    for i in range(width):
        upper = grid[top][i] if i < len(grid[top]) else ""
        lower = grid[second][i] if second is not None and i < len(grid[second]) else ""
        upper, lower = str(upper or "").strip(), str(lower or "").strip()
        mapped = lookup.get(header_key(lower)) if lower else None
        mapped = mapped or (lookup.get(header_key(upper)) if upper else None)
        written = "/".join(t for t in (upper, lower) if t)  # as the clerk wrote it
        columns.append(Column(i, written or f"第{i + 1}列", mapped))
    table = RawTable(shown, sheet_name, columns)

    seen: dict[str, Column] = {}
    for column in columns:
        if column.field is None:
            continue
        if column.field in seen:
            problems.append(_problem(where, "duplicate-column", f"“{seen[column.field].header}”和“{column.header}”"
                                     "是同一项内容，请删掉其中一列。", top + 1, column.header))
        seen.setdefault(column.field, column)
    missing = []
    derived = spec.age_rule.band_field if spec.age_rule else None  # filled in from the ID's birth date
    for f in (*spec.fields, *spec.import_only_fields):
        if f.name not in seen and f.default is None and f.name != derived:
            missing.append(f.name)
            problems.append(_problem(where, "missing-column", f"表格中没有“{f.label}”这一列。"
                                     f"可用的列名：{'、'.join(f.headers)}。请补上这一列后再导入。", top + 1, f.label))
    if "id_number" not in seen:
        missing.append("id_number")
        problems.append(_problem(where, "missing-column", "表格中没有身份证号这一列（用来核对公示和公布是否同一人，不会公开）。"
                                 f"可用的列名：{'、'.join(IDENTITY_HEADERS['id_number'])}。", top + 1, "身份证号"))
    table.missing = frozenset(missing)
    # Tell the clerk what does not go past this point: identity columns (the ID only becomes a
    # person key), import-only columns (checked, then dropped) and columns the program does not know.
    kept = {f.name for f in spec.fields}
    dropped = [c.header for c in columns if c.field not in kept and c.header != f"第{c.index + 1}列"
               and header_key(c.header) not in ("序号", "编号")]
    if dropped:
        problems.append(_problem(where, "column-dropped", f"以下列不会公开，也不会保存：{'、'.join(dropped)}"
                                 "（身份证号只用来生成化名键）。", top + 1, None, Severity.WARNING))

    first_data = (second if second is not None else top) + 1
    rows = []
    after_total = False
    for index in range(first_data, len(grid)):
        cells = grid[index]
        values = {c.field: _cell(cells[c.index]) if c.index < len(cells) else None for c in columns if c.field}
        texts = [clean_text(str(v)) for v in cells if v not in (None, "")]
        if not texts:
            continue  # blank row
        if any(texts[0].replace(" ", "").startswith(m) for m in TOTAL_MARKERS):
            after_total = True
            continue  # a 小计 or 合计 row is not a person; rows after it still may be
        if after_total and values.get("id_number") is None:
            continue  # after a totals row, a row without an ID is a footer (制表人、审核人、日期 …)
        rows.append(RawRow(index + 1, values))
    # Trailing rows with neither a name nor an ID are footers (signatures, notes), not people.
    while rows and rows[-1].values.get("name") is None and rows[-1].values.get("id_number") is None:
        rows.pop()
    table.rows = rows
    hidden_in_sheet = _hidden_rows(path, sheet_name) if rows else set()
    hidden = sorted(row.number for row in rows if row.number in hidden_in_sheet)
    if hidden:
        # A clerk hides a row to leave a person out; the reader would publish them anyway.
        shown_rows = "、".join(str(n) for n in hidden[:20]) + ("等" if len(hidden) > 20 else "")
        problems.append(_problem(where, "hidden-rows", f"第{shown_rows}行在 Excel 中被隐藏了，但隐藏的行也会导入并公开。"
                                 "不应列入的人请删除这些行；应当列入的请取消隐藏，再重新导入。", hidden[0]))
    if not rows:
        problems.append(_problem(where, "no-rows", "表头下面没有名单行。"))
    return table, problems


def read_identities(path: Path, name_headers: tuple[str, ...], sheet: str | None = None
                    ) -> tuple[list[dict[str, str]], list[Problem]]:
    """Names, ID numbers, phones and addresses of a raw roster of any program (for `audit --raw`)."""
    shown = path.name
    if not path.is_file():
        return [], [_problem(shown, "file-not-found", f"找不到文件 {path}，请检查路径。")]
    _, grid, problems = _read_grid(path, sheet, shown)
    if problems:
        return [], problems
    lookup = {header_key(h): "name" for h in name_headers}
    lookup.update({header_key(h): field for field, headers in IDENTITY_HEADERS.items() for h in headers})
    found = _find_header(grid, lookup)
    if found is None:
        return [], [_problem(shown, "header-not-found", "找不到表头（姓名、身份证号等列）。")]
    top, second = found
    columns = {}
    for i in range(max(len(r) for r in grid)):
        for row in (second, top):
            if row is not None and i < len(grid[row]) and isinstance(grid[row][i], str):
                field_name = lookup.get(header_key(grid[row][i]))
                if field_name:
                    columns.setdefault(i, field_name)
                    break
    people = []
    for cells in grid[(second if second is not None else top) + 1:]:
        person = {}
        for i, field_name in columns.items():
            value = cells[i] if i < len(cells) else None
            if isinstance(value, float) and value.is_integer():
                value = str(int(value))
            if value not in (None, ""):
                person[field_name] = clean_text(str(value))
        if person:
            people.append(person)
    return people, []
