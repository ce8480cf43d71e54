"""Stage 1, load: read data/ into plain data, remembering file and line of everything.

Structural problems (unparseable YAML, a missing key, a date that is not a date)
are collected, never raised one at a time; semantic checks belong to `validate`.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from .model import (
    Dataset,
    Divisions,
    HolidayYear,
    Hotline,
    Notice,
    NoticeKind,
    Objection,
    ObjectionOutcome,
    Policy,
    Provenance,
    RosterRow,
    Site,
    Standard,
    Town,
    Village,
)
from .report import Problem

NOTICE_ID = re.compile(r"^[0-9a-z][0-9a-z-]{0,63}$")
STANDARD_UNITS = ("元/人·月", "元/人·年")


class LineDict(dict):
    """A mapping that knows the line it and each of its keys started on."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser when present
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Reader:
    """Collects problems while turning one file's YAML into typed values."""

    def __init__(self, data_dir: Path, path: Path):
        self.rel = path.relative_to(data_dir.parent).as_posix() if data_dir.parent in path.parents else str(path)
        self.path = path
        self.problems: list[Problem] = []

    def parse(self) -> Any:
        try:
            text = self.path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            self.problem("not-utf8", "文件不是 UTF-8 编码。请用“另存为 UTF-8”重新保存。", None)
            return None
        except OSError:
            self.problem("unreadable-file", "文件无法读取，请检查文件是否存在、是否有读取权限。", None)
            return None
        try:
            return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark else None
            self.problem("yaml-syntax", "文件格式有误（YAML 语法错误），请检查这一行的缩进、冒号和引号。", line)
            return None

    def problem(self, slug: str, message: str, line: int | None, column: str | None = None) -> None:
        self.problems.append(Problem(slug, message, self.rel, line, column))

    def require(self, mapping: Any, key: str, what: str) -> Any:
        if not isinstance(mapping, dict) or mapping.get(key) in (None, ""):
            line = mapping.line if isinstance(mapping, LineDict) else None
            self.problem("missing-field", f"缺少“{key}”（{what}），请补上。", line, key)
            return None
        return mapping[key]

    def text(self, mapping: Any, key: str, what: str) -> str | None:
        value = self.require(mapping, key, what)
        return None if value is None else str(value).strip()

    def code(self, mapping: Any, key: str, what: str) -> str | None:
        value = self.require(mapping, key, what)
        if value is None:
            return None
        code = str(value).strip()
        if not re.fullmatch(r"\d{12}", code):
            self.problem("bad-division-code", f"{what}应为12位数字的区划代码，请核对。", mapping.line_of(key), key)
            return None
        return code

    def date(self, mapping: Any, key: str, what: str, required: bool = True) -> dt.date | None:
        if not required and (not isinstance(mapping, dict) or mapping.get(key) in (None, "")):
            return None
        value = self.require(mapping, key, what)
        if value is None:
            return None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        self.problem("bad-date", f"{what}应写成“年-月-日”，例如 2026-11-25。", mapping.line_of(key), key)
        return None


def _load_site(data_dir: Path, problems: list[Problem]) -> Site | None:
    r = _Reader(data_dir, data_dir / "site.yaml")
    raw = r.parse()
    site = None
    if raw is not None:
        hotlines = []
        for item in r.require(raw, "hotlines", "监督电话") or []:
            label, number = r.text(item, "label", "电话名称"), r.text(item, "number", "电话号码")
            if label and number:
                hotlines.append(Hotline(label, number))
        values = {k: r.text(raw, k, w) for k, w in
                  [("title", "网站名称"), ("county", "县名"), ("issuer", "县民政部门"), ("address", "受理地址"),
                   ("base_url", "网站地址")]}
        if all(values.values()) and hotlines:
            site = Site(hotlines=tuple(hotlines), **values)
    problems += r.problems
    return site


def _load_divisions(data_dir: Path, problems: list[Problem]) -> Divisions | None:
    r = _Reader(data_dir, data_dir / "divisions.yaml")
    raw = r.parse()
    divisions = None
    if raw is not None:
        towns = []
        for t in r.require(raw, "towns", "乡镇（街道）列表") or []:
            town_code = r.code(t, "code", "乡镇区划代码")
            villages = []
            for v in r.require(t, "villages", "村（社区）列表") or []:
                code, name = r.code(v, "code", "村（社区）区划代码"), r.text(v, "name", "村（社区）名称")
                if code and name and town_code:
                    villages.append(Village(code, name, town_code))
            name, issuer = r.text(t, "name", "乡镇名称"), r.text(t, "issuer", "乡镇发布单位")
            if town_code and name and issuer:
                towns.append(Town(town_code, name, issuer, tuple(villages)))
        county_code, county_name = r.code(raw, "county_code", "县区划代码"), r.text(raw, "county", "县名")
        if county_code and county_name:
            divisions = Divisions(county_code, county_name, tuple(towns))
    problems += r.problems
    return divisions


def _load_policy(data_dir: Path, problems: list[Problem]) -> Policy:
    standards = []
    for path in sorted((data_dir / "policy").glob("*.yaml")):
        r = _Reader(data_dir, path)
        raw = r.parse()
        for item in (r.require(raw, "standards", "标准列表") or []) if raw is not None else []:
            program = r.text(item, "program", "项目")
            unit = r.text(item, "unit", "单位")
            effective = r.date(item, "effective_from", "执行日期")
            source = r.text(item, "source", "依据文件")
            amount = None
            try:
                amount = Decimal(str(r.require(item, "amount", "标准金额")))
            except InvalidOperation:
                r.problem("bad-amount", "标准金额应为数字。", item.line_of("amount"), "amount")
            if unit and unit not in STANDARD_UNITS:
                r.problem("bad-unit", f"单位只能是 {' 或 '.join(STANDARD_UNITS)}。", item.line_of("unit"), "unit")
                unit = None
            if program and unit and effective and source and amount is not None:
                standards.append(Standard(program, amount, unit, effective, source, r.rel))
        problems += r.problems
    return Policy(tuple(standards))


def _load_notice(data_dir: Path, path: Path, problems: list[Problem]) -> Notice | None:
    r = _Reader(data_dir, path)
    notice_id = path.stem
    if not NOTICE_ID.match(notice_id):
        # The id becomes a URL path: only a safe, plain name may steer it.
        r.problem("bad-notice-id", "公告文件名只能用小写字母、数字和“-”，例如 2026-11-taoyuan-gs。", None)
        problems += r.problems
        return None
    raw = r.parse()
    if raw is None:
        problems += r.problems
        return None
    kind_value = r.text(raw, "kind", "公告类型 publicity、result 或 termination")
    kind = None
    if kind_value:
        try:
            kind = NoticeKind(kind_value)
        except ValueError:
            r.problem("unknown-kind", "公告类型只能是 publicity（公示）、result（公布）或 termination（终止公示）。",
                      raw.line_of("kind"), "kind")
    is_result = kind is NoticeKind.RESULT
    program = r.text(raw, "program", "项目")
    division = r.code(raw, "division", "村（社区）区划代码")
    issuer = r.text(raw, "issuer", "发布单位")
    document_number = r.text(raw, "document_number", "文号")
    start = r.date(raw, "published_on" if is_result else "publicity_start",
                   "公布日期" if is_result else "公示开始日期")
    approved_on = r.date(raw, "approved_on", "审批（决定）日期") if is_result else None
    publicity_id = str(raw["publicity"]).strip() if is_result and raw.get("publicity") not in (None, "") else None
    post_hoc_reason = str(raw["post_hoc_reason"]).strip() if raw.get("post_hoc_reason") else None
    effective_on = r.date(raw, "effective_on", "终止生效日期") if kind is NoticeKind.TERMINATION else None
    rows = []
    roster = r.require(raw, "roster", "名册")
    if roster is not None and not isinstance(roster, list):
        r.problem("bad-roster", "“roster”应是名册行的列表。", raw.line_of("roster"), "roster")
        roster = None
    for row in roster or []:
        if not isinstance(row, LineDict):
            r.problem("bad-roster", "名册的每一行应是“字段: 值”的形式。", raw.line_of("roster"), "roster")
            continue
        key = str(row.get("person_key") or "").strip()
        fields = {k: v for k, v in row.items() if k != "person_key"}
        rows.append(RosterRow(key, fields, Provenance(r.rel, row.line)))
    objections = _objections(r, raw, rows)
    problems += r.problems
    required = (kind, program, division, issuer, document_number, start)
    if any(v is None for v in required) or (is_result and approved_on is None) or (
            kind is NoticeKind.TERMINATION and effective_on is None):
        return None
    return Notice(
        id=notice_id,
        program=program,
        kind=kind,
        division_code=division,
        issuer=issuer,
        document_number=document_number,
        start=start,
        publicity_id=publicity_id,
        approved_on=approved_on,
        roster=tuple(rows),
        where=Provenance(r.rel, raw.line),
        post_hoc_reason=post_hoc_reason,
        effective_on=effective_on,
        objections=objections,
    )


def _objections(r: _Reader, raw: LineDict, rows: list[RosterRow]) -> tuple[Objection, ...]:
    """异议 are recorded by the row number the villager saw on the page (序号, from 1)."""
    found = []
    items = raw.get("objections") or []
    if not isinstance(items, list):
        r.problem("bad-objections", "“objections”应是异议记录的列表。", raw.line_of("objections"), "objections")
        return ()
    for item in items:
        if not isinstance(item, LineDict):
            r.problem("bad-objections", "每条异议应写明 row、raised_on 等字段。", raw.line_of("objections"), "objections")
            continue
        row = item.get("row")
        if isinstance(row, bool) or not isinstance(row, int) or not 1 <= row <= len(rows):
            r.problem("bad-objection-row", f"异议的“row”应是名单中的序号（1 到 {len(rows)}）。", item.line_of("row"), "row")
            continue
        raised_on = r.date(item, "raised_on", "异议提出日期")
        resolved_on = r.date(item, "resolved_on", "异议处理完毕日期", required=False)
        outcome = None
        if item.get("outcome") not in (None, ""):
            try:
                outcome = ObjectionOutcome(item["outcome"])
            except ValueError:
                r.problem("bad-objection-outcome", "“outcome”只能是 dismissed（异议不成立）或 changed（审核意见改变）。",
                          item.line_of("outcome"), "outcome")
                continue
        if resolved_on is not None and outcome is None:
            r.problem("missing-field", "已处理的异议要写明处理结果“outcome”：dismissed 或 changed。", item.line, "outcome")
            continue
        if raised_on is None:
            continue
        if resolved_on is not None and resolved_on < raised_on:
            r.problem("dates-out-of-order", "异议处理完毕日期早于提出日期，请核对。", item.line_of("resolved_on"), "resolved_on")
            continue
        found.append(Objection(row, rows[row - 1].person_key, raised_on, resolved_on, outcome,
                               Provenance(r.rel, item.line)))
    return tuple(found)


def _load_holidays(data_dir: Path, problems: list[Problem]) -> dict[int, HolidayYear]:
    """data/holidays/<year>.yaml: a year's arrangement the calendar library does not carry yet."""
    years = {}
    for path in sorted((data_dir / "holidays").glob("*.yaml")):
        r = _Reader(data_dir, path)
        raw = r.parse()
        if raw is None:
            problems += r.problems
            continue
        year = raw.get("year")
        if not isinstance(year, int) or str(year) != path.stem:
            r.problem("bad-holiday-year", f"“year”应与文件名一致（{path.stem}）。", raw.line_of("year"), "year")
        source = r.text(raw, "source", "国务院办公厅节假日安排通知的名称和文号")
        days_off: set[dt.date] = set()
        for item in r.require(raw, "holidays", "放假日期") or []:
            first, last = r.date(item, "start", "放假开始日期"), r.date(item, "end", "放假结束日期")
            if first and last:
                if last < first or first.year != year or last.year != year:
                    r.problem("bad-holiday-range", f"放假日期应在{year}年内，且结束不早于开始。", item.line, "end")
                    continue
                days_off.update(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
        workdays: set[dt.date] = set()
        for day in raw.get("workdays") or []:
            if not isinstance(day, dt.date) or day.year != year:
                r.problem("bad-workday", f"调休上班日应是{year}年内的日期，例如 {year}-02-06。", raw.line_of("workdays"),
                          "workdays")
            else:
                workdays.add(day)
        if isinstance(year, int) and source and not r.problems:
            years[year] = HolidayYear(year, source, r.rel, frozenset(days_off), frozenset(workdays))
        problems += r.problems
    return years


def load(data_dir: Path) -> tuple[Dataset | None, list[Problem]]:
    """Read data/; return the dataset (None if its skeleton is unreadable) and every problem found."""
    problems: list[Problem] = []
    site = _load_site(data_dir, problems)
    divisions = _load_divisions(data_dir, problems)
    policy = _load_policy(data_dir, problems)
    notices = [
        n
        for path in sorted((data_dir / "notices").glob("**/*.yaml"))
        if (n := _load_notice(data_dir, path, problems)) is not None
    ]
    holidays = _load_holidays(data_dir, problems)
    if site is None or divisions is None:
        return None, problems
    return Dataset(site, divisions, policy, notices, holidays), problems
