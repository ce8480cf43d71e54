"""Import, step 2: check every row of a raw roster and report every problem at once.

Each problem names the file and sheet, the row number Excel shows, the column
header as the clerk wrote it, a stable slug and what to do. No message carries
a raw value: an ID number or name is shown masked, if at all.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import warnings
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
import pandera.pandas as pa
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from . import sources
from .detect import find_personal_data, mask_excerpt
from .model import Dataset, Notice, NoticeKind, Policy, Provenance, RosterRow
from .programs import FieldSpec, ProgramSpec, all_programs
from .report import Problem, Severity
from .roster_read import RawTable
from .validate import (ENDED, MONEY_LIMIT, exclusion_conflicts, exclusion_problem, granted_twice_message, listed_twice_message,
                       row_amount_problem)

_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_NAME = re.compile(r"^[\u3400-\u9fff\u00b7\u2022·A-Za-z]{1,30}$")
EXCEL_TEXT_FIX = "请在 Excel 中把该列设为“文本”格式，重新录入或从系统重新导出后再导入。"


@dataclass(frozen=True)
class CheckedRow:
    number: int  # Excel row
    id_number: str  # normalized; never printed
    name: str  # raw; only its masked form is ever written or printed
    phone: str | None  # kept for the self-check only
    address: str | None  # kept for the self-check only
    fields: dict[str, Any]  # published fields other than the name, typed
    import_only: dict[str, Any]


class _Report:
    def __init__(self, table: RawTable):
        self.table = table
        self.where = f"{table.file}（工作表“{table.sheet}”）" if table.sheet else table.file
        self.problems: list[Problem] = []

    def add(self, row: int | None, field: str | None, slug: str, message: str,
            severity: Severity = Severity.ERROR) -> None:
        column = self.table.header_of(field) if field else None
        self.problems.append(Problem(slug, message, self.where, row, column, severity))


@functools.lru_cache(maxsize=None)
def _known_region(prefix: str) -> bool:
    try:
        ric.get_birth_place(f"{prefix}{dt.date(1970, 1, 1):%Y%m%d}000X")  # any valid date: only the region counts
        return True
    except ValidationError:
        return False


_ID_CITE = sources.ID_NUMBER_STANDARD.cite()


def check_id_number(value: Any, on: dt.date | None = None) -> tuple[str | None, list[tuple[str, str, Severity]]]:
    """The normalized ID, or None, with (slug, message, severity) findings. GB 11643 via python-stdnum."""
    if value is None:
        return None, [("missing-field", "缺少身份证号。", Severity.ERROR)]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # Excel keeps 15 significant digits of a number: the last digits of an ID stored as one are lost.
        return None, [("excel-float-id", f"身份证号被 Excel 存成了数字，后几位已经丢失。{EXCEL_TEXT_FIX}", Severity.ERROR)]
    text = re.sub(r"[\s\-]", "", str(value)).upper()
    if _SCIENTIFIC.match(text):
        return None, [("excel-float-id", f"身份证号变成了科学计数法（如 4.31E+17），后几位已经丢失。{EXCEL_TEXT_FIX}",
                       Severity.ERROR)]
    if re.fullmatch(r"\d{15}", text):
        return None, [("id-15-digit", "这是15位的旧身份证号，请换成18位号码。", Severity.ERROR)]
    if not _ID_SHAPE.match(text):
        return None, [("id-format", f"身份证号应为18位：17位数字加1位数字或 X。请核对。依据：{_ID_CITE}。", Severity.ERROR)]
    try:
        born = ric.get_birth_date(text)
    except ValidationError:
        born = None
    if born is None or born.year < 1890 or (on is not None and born > on):
        return None, [("id-birth-date", f"身份证号（{mask_excerpt(text)}）中的出生日期不存在或不合理，请核对。依据：{_ID_CITE}。",
                       Severity.ERROR)]
    if ric.calc_check_digit(text) != text[-1]:
        if text.endswith("000"):
            return None, [("excel-mangled-id", "身份证号末尾是000且校验位不对，像是被 Excel 当作数字截断了。"
                           + EXCEL_TEXT_FIX, Severity.ERROR)]
        return None, [("id-checksum", f"身份证号（{mask_excerpt(text)}）校验位不对，可能录错了一位，请核对。依据：{_ID_CITE}。",
                       Severity.ERROR)]
    if not _known_region(text[:6]):
        # Older IDs carry region codes retired since: a warning, not an error (DESIGN §5).
        return text, [("id-unknown-region", f"身份证号（{mask_excerpt(text)}）的地区码不在现行区划中，"
                       "可能是已撤销的旧区划，请确认。", Severity.WARNING)]
    return text, []


def _parse(value: Any, f: FieldSpec) -> tuple[Any, str | None]:
    """Turn a cell into the field's type; (value, None) or (None, slug)."""
    if value is None or value == "":
        return None, "missing-field"
    if f.type == "int":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = int(value) if math.isfinite(value) and float(value).is_integer() else None
        else:
            text = re.sub(r"[人口户\s]", "", str(value))
            number = int(text) if text.isdigit() and len(text) < 10 else None
        if number is None:
            return None, "not-a-whole-number"
        return max(min(number, 10**9), -10**9), None  # far out of any range, and never an overflow later
    if f.type == "money":
        if isinstance(value, (dt.date, bool)):
            return None, "not-a-number"
        try:
            text = str(value).replace("元", "").strip()
            if "," in text and not _THOUSANDS.fullmatch(text):
                return None, "not-a-number"  # 1,00: a decimal comma or a typo, never read as 100
            amount = Decimal(text.replace(",", ""))
        except InvalidOperation:
            return None, "not-a-number"
        if not amount.is_finite() or abs(amount) >= MONEY_LIMIT:
            return None, "not-a-number"
        if amount != amount.quantize(Decimal("0.01")):
            return None, "too-many-decimals"
        return amount.quantize(Decimal("0.01")), None
    if f.type == "choice":
        return _as_choice(str(value).strip(), f.choices), None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a group typed as the number 3
    return str(value).strip(), None


_PARSE_MESSAGES = {
    "missing-field": "缺少“{label}”，请补上。",
    "not-a-whole-number": "“{label}”应为整数。",
    "not-a-number": "“{label}”应为数字（元）。",
    "too-many-decimals": "“{label}”最多保留两位小数（分）。",
}


def _schema(fields: list[FieldSpec]) -> pa.DataFrameSchema:
    """Value rules as a pandera schema: lazy validation finds every failing cell at once."""
    columns = {}
    for f in fields:
        if f.type == "int":
            columns[f.name] = pa.Column("Int64", pa.Check.in_range(f.min, f.max), nullable=True)
        elif f.type == "money":
            columns[f.name] = pa.Column(float, pa.Check.gt(0), nullable=True)
        elif f.type == "choice":
            columns[f.name] = pa.Column(object, pa.Check.isin(list(f.choices)), nullable=True)
    return pa.DataFrameSchema(columns)


def _schema_problem(f: FieldSpec, check: str) -> tuple[str, str]:
    if check.startswith("in_range"):
        return "out-of-range", f"“{f.label}”应在 {f.min} 到 {f.max} 之间。"
    if check.startswith("greater_than"):
        return "not-positive", f"“{f.label}”应大于 0。"
    return "not-a-choice", f"“{f.label}”只能填写：{'、'.join(f.choices)}。"


def check_roster(table: RawTable, spec: ProgramSpec, policy: Policy, on: dt.date,
                 progress=lambda items, total, what: items, township_approved: bool = False
                 ) -> tuple[list[CheckedRow], list[Problem]]:
    """Every row checked against the program spec and the policy standard in force `on` that day.
    `township_approved`: a township issues this 公布 (its approval limit applies)."""
    report = _Report(table)
    value_fields = [f for f in (*spec.fields, *spec.import_only_fields) if f.type != "name"]
    parsed: list[dict[str, Any]] = []
    ids: dict[tuple, int] = {}
    # One person may have one row per item (殡葬救助) or per kind of payment (两项补贴: 生活补贴 and 护理补贴).
    per = spec.once.per if spec.once else spec.monthly.per if spec.monthly else None
    rows = []
    for raw in progress(table.rows, len(table.rows), "校验"):
        values = raw.values
        id_number, findings = check_id_number(values.get("id_number"), on)
        for slug, message, severity in findings:
            if "id_number" not in table.missing:
                report.add(raw.number, "id_number", slug, message, severity)
        name = str(values.get("name") or "")
        if not name:
            report.add(raw.number, "name", "missing-field", "缺少姓名，请补上。")
        elif not _NAME.match(name.replace(" ", "")):
            report.add(raw.number, "name", "name-format", "姓名中有数字或符号，请核对（只保留汉字，少数民族姓名可用“·”）。")
        if id_number is not None:
            item = values.get(per) if per else None
            # Per item, where the cell is text; a cell that is not is reported on its own and matches nothing.
            same = (id_number, item if isinstance(item, str) else id(raw)) if per else (id_number,)
            if same in ids:
                label = "".join(f"、同一“{f.label}”" for f in spec.fields if f.name == per)
                report.add(raw.number, "id_number", "duplicate-person",
                           f"与第{ids[same]}行是同一人（身份证号相同{label}），请删除重复的一行。")
            ids.setdefault(same, raw.number)
        typed = {}
        rule = spec.age_rule
        band = _age_problem(report, raw.number, rule, spec, id_number, on, values.get(rule.band_field)
                            if rule and rule.band_field and rule.band_field not in table.missing else None) \
            if rule and id_number is not None else None
        for f in value_fields:
            if rule and f.name == rule.band_field and f.name not in {c.field for c in table.columns}:
                typed[f.name] = band  # no such column: the band comes from the ID's birth date
                continue
            value, slug = _parse(values.get(f.name, f.default), f)
            typed[f.name] = value
            if slug and f.name in table.missing:
                continue  # reported once for the whole column
            if slug:
                report.add(raw.number, f.name, slug, _PARSE_MESSAGES[slug].format(label=f.label.split("（")[0]))
            elif f.type == "text" and any(find_personal_data(str(value))):
                report.add(raw.number, f.name, "personal-data-in-field",
                           f"“{f.label}”中含有身份证号、电话或银行卡号，不得公开，请删除后重新导入。")
        parsed.append(typed)
        phone = values.get("phone")
        if isinstance(phone, float) and phone.is_integer():
            phone = int(phone)  # a phone typed as a number: keep its digits, drop the ".0"
        rows.append(CheckedRow(raw.number, id_number or "", name.replace(" ", ""),
                               str(phone) if phone is not None else None,
                               str(values["address"]) if values.get("address") is not None else None,
                               {f.name: typed[f.name] for f in spec.fields if f.type != "name"},
                               {f.name: typed[f.name] for f in spec.import_only_fields}))

    _check_values(report, value_fields, parsed, table)
    _check_amounts(report, spec, policy, on, rows, township_approved)
    _check_conditions(report, spec, rows)
    failed = {p.line for p in report.problems if p.severity is Severity.ERROR}
    problems = sorted(report.problems, key=lambda p: (p.line or 0, p.column or "", p.slug))
    return [r for r in rows if r.number not in failed], problems


def _check_values(report: _Report, fields: list[FieldSpec], parsed: list[dict[str, Any]], table: RawTable) -> None:
    if not parsed:
        return
    frame = pd.DataFrame(
        {f.name: pd.Series([None if p[f.name] is None else (float(p[f.name]) if f.type == "money" else p[f.name])
                            for p in parsed], dtype="Int64" if f.type == "int" else ("float" if f.type == "money"
                                                                                     else object))
         for f in fields if f.type in ("int", "money", "choice")})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _schema(fields).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        by_name = {f.name: f for f in fields}
        for case in errors.failure_cases.itertuples():
            f = by_name.get(case.column)
            if f is None or case.index is None or pd.isna(case.index):
                continue
            slug, message = _schema_problem(f, str(case.check))
            report.add(table.rows[int(case.index)].number, f.name, slug, message)


_THOUSANDS = re.compile(r"-?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_RANGE_DASH = re.compile(r"\s*(?:[-－~～–—]+|至|到)\s*")


def _as_choice(text: str, choices: tuple[str, ...]) -> str:
    """A choice as typed, read the way a clerk means it: "A" for "A类"; "80-89岁", "80~89周岁" or
    "80至89" for "80—89周岁" (the dash is hard to type). Anything else is left as it is (and reported)."""
    if text in choices:
        return text
    if text + "类" in choices:
        return text + "类"
    ranged = _RANGE_DASH.sub("—", re.sub(r"\s+", "", text))
    for candidate in (ranged, ranged.removesuffix("岁") + "周岁" if not ranged.endswith("周岁") else ranged):
        if candidate in choices:
            return candidate
    return text


def _age_on(id_number: str, on: dt.date) -> int | None:
    try:
        born = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None  # reported by the ID checks
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _age_problem(report: _Report, number: int, rule, spec: ProgramSpec, id_number: str, on: dt.date,
                 given: Any) -> str | None:
    """The age band a person's ID gives on day `on` (None if out of range, reported here). The age itself
    is never printed: the clerk learns which range was expected, not how old the person is."""
    age = _age_on(id_number, on)
    if age is None:
        return None
    if age < rule.min or (rule.max is not None and age > rule.max):
        report.add(number, "id_number", "age-out-of-range",
                   f"按身份证号的出生日期，此人截至{on.year}年{on.month}月{on.day}日不在“{spec.title}”的年龄范围"
                   f"（{rule.span}）内，请核对。依据：{rule.source.cite()}。")
        return None
    band = rule.band_of(age) if rule.bands else None
    if given not in (None, "") and band is not None and str(given).strip() != band:
        report.add(number, rule.band_field, "age-band-mismatch",
                   f"年龄段与身份证号的出生日期不符，截至{on.year}年{on.month}月{on.day}日应为“{band}”。请改正，"
                   "或删除这一列由程序按身份证号计算。")
    return band


def _check_amounts(report: _Report, spec: ProgramSpec, policy: Policy, on: dt.date, rows: list[CheckedRow],
                   township_approved: bool) -> None:
    rule = spec.amount_rule
    if rule is None:
        return
    if any(policy.standard_on(p, on) is None for p in rule.all_standards()):
        report.add(None, None, "no-standard", f"data/policy/ 中没有 {on} 当天有效的“{spec.title}”标准，请先补充。")
        return
    for row in rows:
        amount, size = row.fields.get(rule.field), 1 if rule.per_person else row.fields.get("household_size")
        if isinstance(amount, Decimal) and amount > 0 and isinstance(size, int) and size > 0:
            message = row_amount_problem(rule, row.fields, amount, size, policy, on, township_approved)
            if message:
                report.add(row.number, rule.field, "amount-above-standard", message)


def _check_conditions(report: _Report, spec: ProgramSpec, rows: list[CheckedRow]) -> None:
    for check in spec.checks:
        for row in rows:
            values = {**row.fields, **row.import_only}
            if values.get(check.when_field) == check.when_value and values.get(check.field) not in check.allowed:
                # The value (a disability grade) is sensitive: say what is required, not what was found.
                report.add(row.number, check.field, "condition-not-met",
                           f"“{check.when_value}”只适用于{'、'.join(check.allowed)}的人员，本行不符合，请核对。"
                           f"依据：{check.source.cite()}。")


def check_against_data(keyed: list[tuple[CheckedRow, str]], spec: ProgramSpec, kind: NoticeKind, start: dt.date,
                       dataset: Dataset | None, table: RawTable, replacing: str | None = None,
                       notice_id: str | None = None) -> list[Problem]:
    """Rules that need what data/ already holds, matched by person key: exclusions between programs,
    and one listing per person, program and month. `replacing`: the notice this import replaces."""
    if dataset is None:
        return []
    report = _Report(table)
    results = [n for n in dataset.notices if n.kind is NoticeKind.RESULT and n.id != replacing]
    if kind is not NoticeKind.TERMINATION and any(spec.excludes or spec.code in {r.program for r in other.excludes}
                                                  for other in all_programs().values()):
        # Both ways, as build: this notice's persons still listed in an excluded program before it, and
        # notices already in data/ (dated after it) that would then list a person this notice lists.
        programs = all_programs()
        where = f"{table.file}（工作表“{table.sheet}”）" if table.sheet else table.file
        new = Notice(notice_id or "", spec.code, kind, "", "", "", start, None,
                     start if kind is NoticeKind.RESULT else None,
                     tuple(RosterRow(key, row.fields, Provenance(where, row.number)) for row, key in keyed),
                     Provenance(where, 0))
        number = {id(r): checked.number for r, (checked, _) in zip(new.roster, keyed)}
        others = [n for n in dataset.notices if n.id != replacing and n.id != new.id]
        for notice, row, rule, earlier in exclusion_conflicts(others + [new], programs):
            if id(row) in number:
                message, severity = exclusion_problem(spec, rule, earlier, programs)
                report.add(number[id(row)], "id_number", "excluded-by-other-program", message, severity)
            elif id(earlier) in number:
                message, severity = exclusion_problem(programs[notice.program], rule, earlier, programs)
                later = programs[notice.program]
                report.add(number[id(earlier)], "id_number", "excluded-by-other-program",
                           f"此人在 {row.where.file} 第{row.where.line}行的“{later.title}”名单中，按规定不能同时享受"
                           f"“{spec.title}”和“{later.title}”。请核实后删去一边的这一行。依据：{rule.source.cite()}。",
                           severity)
    if kind is NoticeKind.RESULT and spec.once:
        # The earliest grant, as the build names it (validate._granted_twice). Replaces the one-listing-a-
        # month rule below: one person may have one item this month and the other next month.
        granted: dict[tuple, Provenance] = {}
        unchecked = 0
        for n in sorted(results, key=lambda n: (n.start, n.id)):
            for r in n.roster if n.program == spec.code else ():
                grant = spec.once.grant(spec, r.fields)
                if grant is not None and r.person_key:
                    granted.setdefault((r.person_key, *grant), r.where)
                unchecked += not r.person_key
        if unchecked:
            report.add(None, None, "not-all-checked",
                       f"data/ 中有 {unchecked} 行“{spec.title}”没有化名键（以前导入的），无法核对本名册中的人是否已在其中"
                       f"领取过，请人工核对。依据：{spec.once.source.cite()}。", Severity.WARNING)
        for row, key in keyed:
            grant = spec.once.grant(spec, row.fields)
            earlier = granted.get((key, *grant)) if grant is not None else None
            if earlier:
                report.add(row.number, "id_number", "granted-twice", granted_twice_message(spec, grant, earlier))
    elif kind is NoticeKind.RESULT and spec.monthly_once:
        month = (start.year, start.month)
        listed = {(r.person_key, *spec.month_slot(r.fields)): r.where for n in results if n.program == spec.code
                  and (n.start.year, n.start.month) == month for r in n.roster if r.fields.get("change") != ENDED}
        for row, key in keyed:
            earlier = listed.get((key, *spec.month_slot(row.fields))) if row.fields.get("change") != ENDED else None
            if earlier:
                report.add(row.number, "id_number", "already-listed-this-month", listed_twice_message(spec, earlier))
    return report.problems

