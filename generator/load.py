"""Stage 1, load: read data/ into plain data, remembering file and line of everything.

Structural problems (unparseable YAML, a missing key, a list where a mapping
belongs, a date that does not exist) are collected, never raised; one bad file
never hides the problems of another. Semantic checks belong to `validate`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import hashlib
import json
import os
import pickle
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import yaml

from . import sources
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
from .detect import hex64_runs
from .digests import code_digest
from .fileio import IDENTITY_MEMO, RECORD_NS, SETTLED_NS, read_bytes, read_bytes_and_stat
from .programs import ProgramSpec, all_programs
from .report import BuildFailed, Problem
from .stored import StoredRoster, facts_of

if TYPE_CHECKING:
    from .cache import Cache

# A notice id becomes a URL: plain characters only, and short enough never to be a 64-hex person key.
NOTICE_ID = re.compile(r"^[0-9a-z][0-9a-z-]{0,47}$")
NOTICE_SUFFIXES = (".yaml", ".yml")
_MARKUP = re.compile(r"[<>&\"'\[\]{}`\\|]")
STANDARD_UNITS = ("元/人·月", "元/人·年", "元/人·次")


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


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
    # 2026-11-31 looks like a date to YAML but is none: keep the text, so `date()` reports it with its line.
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


class _Reader:
    """Collects problems while turning one file's YAML into typed values."""

    def __init__(self, data_dir: Path, path: Path, data: bytes | None = None):
        self.rel = _rel(data_dir, path)
        self.path = path
        self.data = data  # the file's bytes when the caller read them already
        self.problems: list[Problem] = []

    def parse(self, what: str) -> LineDict | None:
        """The file's top-level mapping, or None with the problem recorded."""
        try:
            data = self.path.read_bytes() if self.data is None else self.data
            # As open(…, encoding="utf-8") reads it: universal newlines.
            text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
            fast = _fast_roster(text)
            if fast is not None:
                header_text, rows = fast
                raw = _fast_header(header_text)
                if raw is None:
                    raw = self._parse_text(header_text, what)
                if raw is not None:
                    raw["roster"] = rows
                return raw
        except UnicodeDecodeError:
            self.problem("not-utf8", "文件不是 UTF-8 编码。请用“另存为 UTF-8”重新保存。", None)
            return None
        except OSError:
            self.problem("unreadable-file", "文件无法读取，请检查文件是否存在、是否有读取权限。", None)
            return None
        return self._parse_text(text, what)

    def _parse_text(self, text: str, what: str) -> LineDict | None:
        try:
            raw = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            self.problem("yaml-syntax", "文件格式有误（YAML 语法错误），请检查这一行的缩进、冒号和引号。",
                         mark.line + 1 if mark else None)
            return None
        if raw is None:
            self.problem("empty-file", f"文件是空的。这里应写{what}。", None)
            return None
        if not isinstance(raw, LineDict):
            self.problem("bad-shape", f"文件内容应是“字段: 值”的形式（{what}），而不是列表或单个值。", 1)
            return None
        return raw

    def problem(self, slug: str, message: str, line: int | None, column: str | None = None) -> None:
        self.problems.append(Problem(slug, message, self.rel, line, column))

    def require(self, mapping: LineDict, key: str, what: str) -> Any:
        if mapping.get(key) in (None, ""):
            self.problem("missing-field", f"缺少“{key}”（{what}），请补上。", mapping.line, key)
            return None
        return mapping[key]

    def items(self, mapping: LineDict, key: str, what: str, required: bool = True) -> list[LineDict]:
        """A list of mappings under `key`; anything else is a problem, not a crash."""
        value = self.require(mapping, key, what) if required else mapping.get(key)
        if value in (None, ""):
            return []
        if not isinstance(value, list):
            self.problem("bad-shape", f"“{key}”应是{what}的列表（每项以“- ”开头）。", mapping.line_of(key), key)
            return []
        good = [item for item in value if isinstance(item, LineDict)]
        if len(good) != len(value):
            self.problem("bad-shape", f"“{key}”的每一项应是“字段: 值”的形式（{what}）。", mapping.line_of(key), key)
        return good

    def text(self, mapping: LineDict, key: str, what: str) -> str | None:
        value = self.require(mapping, key, what)
        if value is None:
            return None
        if isinstance(value, (dict, list)):
            self.problem("bad-shape", f"“{key}”应是一段文字（{what}）。", mapping.line_of(key), key)
            return None
        return str(value).strip()

    def name(self, mapping: LineDict, key: str, what: str) -> str | None:
        """A name the theme prints as it is (site title, divisions): no markup characters allowed."""
        value = self.text(mapping, key, what)
        if value is not None and _MARKUP.search(value):
            self.problem("markup-in-name", f"{what}中不能有这些符号：< > & \" ' [ ] {{ }} ` \\ |，请改用中文标点。",
                         mapping.line_of(key), key)
            return None
        return value

    def code(self, mapping: LineDict, key: str, what: str) -> str | None:
        code = self.text(mapping, key, what)
        if code is not None and not re.fullmatch(r"\d{12}", code):
            self.problem("bad-division-code", f"{what}应为12位数字的区划代码，请核对。", mapping.line_of(key), key)
            return None
        return code

    def date(self, mapping: LineDict, key: str, what: str, required: bool = True) -> dt.date | None:
        if not required and mapping.get(key) in (None, ""):
            return None
        value = self.require(mapping, key, what)
        if value is None:
            return None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        self.problem("bad-date", f"{what}应写成“年-月-日”的实际日期，例如 2026-11-25。", mapping.line_of(key), key)
        return None


# Rosters written by `import`: one flow mapping per line, keys plain, strings JSON-quoted, numbers plain
# (importer.dump_notice). PyYAML builds every scalar in Python (12 s for 100,000 rows); these lines are
# JSON once the keys are quoted, so they are read with json. Anything else is read as YAML.
# Numbers only as PyYAML reads them too (an int, or a float with a point and a signed exponent), so a
# roster means the same whichever reader takes it: "1e3" is text to PyYAML, so it goes to PyYAML.
_FAST_NUMBER = r'-?(?:0|[1-9][0-9]*)(?:\.[0-9]+(?:e[+-][0-9]+)?)?'
_FAST_ROW = re.compile(r'^- \{((?:[a-z_]+: (?:"(?:[^"\\]|\\.)*"|' + _FAST_NUMBER + r'))'
                       r'(?:, [a-z_]+: (?:"(?:[^"\\]|\\.)*"|' + _FAST_NUMBER + r'))*)\}$')
_FAST_KEY = re.compile(r'(^|, )([a-z_]+): (?=["0-9-])')
_FAST_ROSTER_MIN = 1


def _quote_key(m: re.Match) -> str:  # a function: re's template expansion costs half again as much
    return f'{m.group(1)}"{m.group(2)}": '


def _fast_roster(text: str) -> tuple[str, list[LineDict]] | None:
    lines = text.split("\n")
    try:
        start = lines.index("roster:")
    except ValueError:
        return None
    end = start + 1
    while end < len(lines) and lines[end].startswith("- "):
        end += 1
    if end - start - 1 < _FAST_ROSTER_MIN:
        return None  # hand-written (block style): YAML reads it as it is
    rows = []
    for number, line in enumerate(lines[start + 1:end], start + 2):
        m = _FAST_ROW.match(line)
        if m is None:
            return None
        try:
            row = LineDict(json.loads("{" + _FAST_KEY.sub(_quote_key, m.group(1)) + "}"))
        except ValueError:
            return None
        row.line, row.key_lines = number, {}
        rows.append(row)
    # The header keeps its line numbers: the roster lines become blank, the key an empty list.
    header = lines[:start] + ["roster: []"] + [""] * (end - start - 1) + lines[end:]
    return "\n".join(header), rows


# The header of a notice file written by a program (`import`, `demo`): `key: "json string"` or
# `key: YYYY-MM-DD` lines. PyYAML takes ~0.5 ms per header, 15,000 headers take 7 s; these are read
# directly. Any other line (plain scalars, flows, nesting) sends the whole header to YAML.
_FAST_HEADER_LINE = re.compile(r'^([a-z_]+): (?:("(?:[^"\\]|\\.)*")|([0-9]{4})-([0-9]{2})-([0-9]{2}))$')


def _fast_header(text: str) -> LineDict | None:
    mapping = LineDict()
    mapping.key_lines = {}
    for number, line in enumerate(text.split("\n"), 1):
        if not line or line.startswith("#"):
            continue
        if line == "roster: []":
            value: Any = []
            key = "roster"
        else:
            m = _FAST_HEADER_LINE.match(line)
            if m is None:
                return None
            key = m.group(1)
            try:
                value = json.loads(m.group(2)) if m.group(2) else dt.date(*map(int, m.group(3, 4, 5)))
            except ValueError:
                return None  # not a real date: YAML keeps the text, and `date()` reports it with its line
        if key in mapping:
            return None
        if not mapping:
            mapping.line = number
        mapping[key] = value
        mapping.key_lines[key] = number
    return mapping or None


_NOT_A_NAME = re.compile(r"[\u4e00-\u9fff]{2,6}")


def _not_names(r: _Reader, raw: LineDict) -> frozenset[str]:
    """site.yaml `not_names`: Han words of 2 to 6 characters (what the name check reports, and a
    little more, so a whole word such as 金龙鱼油 may be written)."""
    value = raw.get("not_names")
    if value in (None, "", []):
        return frozenset()
    words = value if isinstance(value, list) else None
    if words is None or not all(isinstance(w, str) and _NOT_A_NAME.fullmatch(w.strip()) for w in words):
        r.problem("bad-not-names", "“not_names”应是词语的列表（每项以“- ”开头），每项是 2 到 6 个汉字，"
                  "例如“- 龙舟赛”。", raw.line_of("not_names"), "not_names")
        return frozenset()
    return frozenset(w.strip() for w in words)


def _load_site(data_dir: Path, problems: list[Problem], not_names: set[str] | None = None) -> Site | None:
    """`not_names`, where given, receives site.yaml's `not_names` (see Dataset.not_names)."""
    r = _Reader(data_dir, data_dir / "site.yaml")
    raw = r.parse("网站名称、发布单位、监督电话等")
    site = None
    if raw is not None:
        if not_names is not None:
            not_names.update(_not_names(r, raw))
        hotlines = []
        for item in r.items(raw, "hotlines", "监督电话"):
            label, number = r.name(item, "label", "电话名称"), r.text(item, "number", "电话号码")
            if label and number:
                hotlines.append(Hotline(label, number))
        values = {k: r.name(raw, k, w) for k, w in
                  [("title", "网站名称"), ("county", "县名"), ("issuer", "县民政部门"), ("address", "受理地址")]}
        values["base_url"] = r.text(raw, "base_url", "网站地址")
        if not hotlines and not any(p.column == "hotlines" for p in r.problems):
            r.problem("missing-field", f"至少要写一个监督电话（{sources.DIBAO_HOTLINE.cite()}）。",
                      raw.line_of("hotlines"), "hotlines")
        if all(values.values()) and hotlines:
            site = Site(hotlines=tuple(hotlines), **values)
    problems += r.problems
    return site


def _load_divisions(data_dir: Path, problems: list[Problem]) -> Divisions | None:
    r = _Reader(data_dir, data_dir / "divisions.yaml")
    raw = r.parse("乡镇和村（社区）区划")
    divisions = None
    if raw is not None:
        towns = []
        for t in r.items(raw, "towns", "乡镇（街道）"):
            town_code = r.code(t, "code", "乡镇区划代码")
            villages = []
            for v in r.items(t, "villages", "村（社区）"):
                code, name = r.code(v, "code", "村（社区）区划代码"), r.name(v, "name", "村（社区）名称")
                if code and name and town_code:
                    villages.append(Village(code, name, town_code))
            name, issuer = r.name(t, "name", "乡镇名称"), r.name(t, "issuer", "乡镇发布单位")
            if town_code and name and issuer:
                towns.append(Town(town_code, name, issuer, tuple(villages)))
        county_code, county_name = r.code(raw, "county_code", "县区划代码"), r.name(raw, "county", "县名")
        if county_code and county_name:
            divisions = Divisions(county_code, county_name, tuple(towns))
    problems += r.problems
    return divisions


def _load_policy(data_dir: Path, problems: list[Problem]) -> Policy:
    standards = []
    for path in sorted((data_dir / "policy").glob("*.yaml")):
        r = _Reader(data_dir, path)
        raw = r.parse("保障标准")
        for item in r.items(raw, "standards", "标准") if raw is not None else []:
            program = r.text(item, "program", "项目")
            unit = r.text(item, "unit", "单位")
            effective = r.date(item, "effective_from", "执行日期")
            source = r.text(item, "source", "依据文件")
            amount = None
            try:
                amount = Decimal(str(r.require(item, "amount", "标准金额")))
            except InvalidOperation:
                pass
            if amount is not None and (not amount.is_finite() or amount <= 0):
                amount = None
            if amount is None and item.get("amount") not in (None, ""):
                r.problem("bad-amount", "标准金额应为大于0的数字。", item.line_of("amount"), "amount")
            if unit and unit not in STANDARD_UNITS:
                r.problem("bad-unit", f"单位只能是 {' 或 '.join(STANDARD_UNITS)}。", item.line_of("unit"), "unit")
                unit = None
            if program and unit and effective and source and amount is not None:
                standards.append(Standard(program, amount, unit, effective, source, r.rel))
        problems += r.problems
    return Policy(tuple(standards))


def _rel(data_dir: Path, path: Path | str) -> str:
    base, text = str(data_dir.parent) + os.sep, str(path)
    if os.sep == "/" and text.startswith(base) and base != "/":  # fast: 15,000 notice files
        return text[len(base):]
    path = Path(path)
    return path.relative_to(data_dir.parent).as_posix() if data_dir.parent in path.parents else str(path)


def _load_notice(data_dir: Path, path: Path, problems: list[Problem], data: bytes | None = None) -> Notice | None:
    r = _Reader(data_dir, path, data)
    notice_id = path.stem
    if not NOTICE_ID.match(notice_id):
        # The id becomes a URL path: only a safe, plain name may steer it. The file is still read below,
        # so that its roster's problems are reported in this run too.
        r.problem("bad-notice-id", "公告文件名只能用小写字母、数字和“-”（不超过48个字符），例如 2026-11-taoyuan-gs。", None)
    raw = r.parse("一条公告")
    if raw is None:
        problems += r.problems
        return None
    _unknown_keys(r, raw, NOTICE_KEYS)
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
    division = r.code(raw, "division", "区划代码")
    issuer = r.text(raw, "issuer", "发布单位")
    # Required or not by the program's spec (a 村民委员会 issues none): `validate` says which.
    document_number = r.text(raw, "document_number", "文号") if raw.get("document_number") not in (None, "") else None
    start = r.date(raw, "published_on" if is_result else "publicity_start",
                   "公布日期" if is_result else "公示开始日期")
    approved_on = r.date(raw, "approved_on", "审批（决定）日期") if is_result else None
    publicity_id = str(raw["publicity"]).strip() if is_result and raw.get("publicity") not in (None, "") else None
    post_hoc_reason = str(raw["post_hoc_reason"]).strip() if raw.get("post_hoc_reason") else None
    effective_on = r.date(raw, "effective_on", "终止生效日期") if kind is NoticeKind.TERMINATION else None
    rows = []
    if raw.get("roster") in (None, ""):
        r.require(raw, "roster", "名册")
    for row in r.items(raw, "roster", "名册行", required=False):
        key = row.get("person_key")
        fields = {k: v for k, v in row.items() if k != "person_key"}
        lines = {str(k): row.line_of(k) for k in row} if isinstance(row, LineDict) else {}
        # Absent: "" (some programs need no key); present but not text: "?", which no check takes for a key.
        person_key = "" if key is None else key.strip() if isinstance(key, str) else "?"
        rows.append(RosterRow(person_key, fields, Provenance(r.rel, row.line),
                              {k: v for k, v in lines.items() if v != row.line}))
    objections = _objections(r, raw, rows)
    summary = raw.get("summary")
    if summary not in (None, "") and not isinstance(summary, LineDict):
        r.problem("bad-shape", "“summary”应是“字段: 值”的形式（公告的汇总信息，例如各项合计）。", raw.line_of("summary"),
                  "summary")
    summary = summary if isinstance(summary, LineDict) else LineDict()
    summary_lines = {str(k): summary.line_of(str(k)) for k in summary} if summary else {}
    problems += r.problems
    complete = all(v is not None for v in (kind, program, start)) and not (is_result and approved_on is None) and not (
        kind is NoticeKind.TERMINATION and effective_on is None) and NOTICE_ID.match(notice_id)
    if not complete:
        # The header is unusable, but the roster still must not hold raw personal data: say so now.
        from .validate import privacy_problems

        problems += privacy_problems(rows)
        if summary:
            problems += privacy_problems([RosterRow("", {str(k): v for k, v in summary.items()}, Provenance(r.rel, summary.line))])
        return None
    return Notice(
        id=notice_id,
        program=program,
        kind=kind,
        division_code=division or "",
        issuer=issuer or "",
        document_number=document_number or "",
        start=start,
        publicity_id=publicity_id,
        approved_on=approved_on,
        roster=tuple(rows),
        where=Provenance(r.rel, raw.line),
        post_hoc_reason=post_hoc_reason,
        effective_on=effective_on,
        objections=objections,
        summary={str(k): v for k, v in summary.items()},
        summary_lines=summary_lines,
        header_lines=dict(getattr(raw, "key_lines", {})),
    )


# What a notice file may hold at its top level, and what each is (for the message about a key it may
# not hold). A key the tool does not know would be ignored, so a misspelt one would silently drop what
# it says: "objection:" for "objections:" would publish a 公布 over an unresolved 异议.
NOTICE_KEYS = {
    "program": "项目", "kind": "公告类型", "division": "区划代码", "issuer": "发布单位", "document_number": "文号",
    "publicity_start": "公示开始日期", "published_on": "公布日期", "approved_on": "审批（决定）日期",
    "publicity": "对应的公示", "post_hoc_reason": "事后公示原因", "effective_on": "终止生效日期",
    "roster": "名册", "objections": "异议记录", "summary": "汇总信息",
}
OBJECTION_KEYS = {"row": "名单序号", "raised_on": "异议提出日期", "resolved_on": "异议处理完毕日期", "outcome": "处理结果"}


def _unknown_keys(r: _Reader, mapping: LineDict, known: dict[str, str]) -> None:
    import difflib

    for key in mapping:
        if key in known:
            continue
        # Only a plain field name is repeated in the message: a key could be anything, even a name.
        plain = isinstance(key, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,40}", key)
        close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6) if plain else []
        hint = f"是不是“{close[0]}”（{known[close[0]]}）？" if close else f"可以写的字段：{'、'.join(known)}。"
        what = f"字段“{key}”" if plain else "这一行的字段名"
        r.problem("unknown-field", f"程序不认识{what}，它写的内容会被忽略。{hint}请改正后重新生成。",
                  mapping.line_of(str(key)), key if plain else None)


def _objections(r: _Reader, raw: LineDict, rows: list[RosterRow]) -> tuple[Objection, ...]:
    """异议 are recorded by the row number the villager saw on the page (序号, from 1)."""
    found = []
    for item in r.items(raw, "objections", "异议记录", required=False):
        _unknown_keys(r, item, OBJECTION_KEYS)
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
            except (ValueError, TypeError):
                r.problem("bad-objection-outcome", "“outcome”只能是 dismissed（异议不成立）或 changed（审核意见改变）。",
                          item.line_of("outcome"), "outcome")
                continue
        if resolved_on is not None and outcome is None:
            r.problem("missing-field", "已处理的异议要写明处理结果“outcome”：dismissed 或 changed。", item.line, "outcome")
            continue
        if outcome is not None and resolved_on is None and item.get("resolved_on") in (None, ""):
            r.problem("missing-field", "写了处理结果的异议要写明处理完毕日期“resolved_on”。", item.line, "resolved_on")
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
    """data/holidays/<year>.yaml: a year's arrangement the calendar library does not carry yet.

    A year's arrangement may move days at the end of the previous December (the 2019 one made
    2018-12-29 a working day), so those dates are accepted too."""
    years = {}
    for path in sorted((data_dir / "holidays").glob("*.yaml")):
        r = _Reader(data_dir, path)
        raw = r.parse("一年的节假日安排")
        if raw is None:
            problems += r.problems
            continue
        year = raw.get("year")
        if isinstance(year, bool) or not isinstance(year, int) or str(year) != path.stem:
            r.problem("bad-holiday-year", f"“year”应与文件名一致（{path.stem}）。", raw.line_of("year"), "year")
            problems += r.problems
            continue
        first_allowed, last_allowed = dt.date(year - 1, 12, 1), dt.date(year, 12, 31)
        source = r.text(raw, "source", "国务院办公厅节假日安排通知的名称和文号")
        days_off: set[dt.date] = set()
        for item in r.items(raw, "holidays", "放假安排"):
            first, last = r.date(item, "start", "放假开始日期"), r.date(item, "end", "放假结束日期")
            if first and last:
                if last < first or first < first_allowed or last > last_allowed:
                    r.problem("bad-holiday-range", f"放假日期应在{year - 1}年12月至{year}年12月之间，且结束不早于开始。",
                              item.line, "end")
                    continue
                days_off.update(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
        workdays: set[dt.date] = set()
        listed = raw.get("workdays") or []
        if not isinstance(listed, list):
            listed = [listed]
        for day in listed:
            if not isinstance(day, dt.date) or not first_allowed <= day <= last_allowed:
                r.problem("bad-workday", f"调休上班日应写成列表，日期在{year - 1}年12月至{year}年12月之间，"
                          f"例如 [{year}-02-06]。", raw.line_of("workdays"), "workdays")
            else:
                workdays.add(day)
        if source and not r.problems:
            years[year] = HolidayYear(year, source, r.rel, frozenset(days_off), frozenset(workdays))
        problems += r.problems
    return years


def _files_under(root: Path) -> list[str]:
    """The files `sorted(root.glob("**/*"), key=lambda p: p.parts)` finds (links to files too; folders
    behind links are not entered; an unreadable folder is passed over), walked with os.scandir, whose
    entries know their type: a county's 15,000 notice files cost 0.2 s to glob and stat one by one."""
    found: list[tuple[list[str], str]] = []
    folders = [str(root)]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                for entry in listing:
                    try:
                        if entry.is_dir() and not entry.is_symlink():
                            folders.append(entry.path)
                        elif entry.is_file():
                            found.append((entry.path[len(str(root)):].split(os.sep), entry.path))
                    except OSError:
                        continue
        except OSError:
            continue
    found.sort()
    return [path for _, path in found]


class NoticeFile(NamedTuple):
    """A notice file found under data/notices/."""

    path: str  # as found: under `data_dir` as the caller wrote it
    rel: str  # from the project folder (data/notices/…), as problems name it
    stem: str  # the notice id its name gives


def _notice_files(data_dir: Path, problems: list[Problem]) -> list[NoticeFile]:
    """The notice files, in path order; strings, not Paths (15,000 Paths cost a fifth of a second)."""
    files = []
    base = str(data_dir.parent) + os.sep
    fast = os.sep == "/" and base != "/"
    for path in _files_under(data_dir / "notices"):
        name = os.path.basename(path)
        if name.startswith("."):
            continue
        rel = path[len(base):] if fast and path.startswith(base) else _rel(data_dir, path)
        # As Path.suffix and Path.stem, on strings.
        stem, dot, suffix = name.rpartition(".")
        if not dot or not suffix or (dot + suffix) not in NOTICE_SUFFIXES:
            # A roster spreadsheet here is one `git add` away from public.
            problems.append(Problem("unexpected-file", "data/notices/ 中只能放公告文件（.yaml）。如果这是原始名册，"
                                    "请立即移出项目目录，用 import 命令导入。", rel))
            continue
        files.append(NoticeFile(path, rel, stem))
    counts = Counter(f.stem for f in files)
    for f in files:
        if counts[f.stem] > 1:
            problems.append(Problem("duplicate-notice-id", f"公告编号“{f.stem}”在 data/notices/ 中出现了不止一次"
                                    "（不同文件夹中的同名文件）。编号决定网址，请改名。", f.rel))
    return [f for f in files if counts[f.stem] == 1]


def _load_notice_safely(data_dir: Path, path: Path, problems: list[Problem], data: bytes | None = None) -> Notice | None:
    try:
        return _load_notice(data_dir, path, problems, data)
    except Exception:  # noqa: BLE001 - one strange file must not hide every other file's problems
        problems.append(Problem("unreadable-structure", "文件结构无法识别，请对照 README 中的格式检查。",
                                _rel(data_dir, path)))
        return None


@contextlib.contextmanager
def _collection_paused():
    """Without the cycle collector while ~1,000,000 long-lived objects are made: it would walk them all
    again and again (a third of the time of reading a county). Parsing makes no reference cycles."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


# A notice file's reading (its Notice, or None, and the problems found) depends on its bytes and its
# path alone, so it is remembered under a digest of those and of this program's code: a rebuild parses
# only the files that changed (a county's 15,000 files take ~10 s to parse, ~1.5 s to take from the cache).
NOTICE_CACHE_KIND = "notices"


class _Identities:
    """Notice files that are the very files an earlier build read and hashed (fileio.IDENTITY_MEMO: the
    same device, inode, size, modification and change times), with the file key their bytes gave: not
    read again while the notice their key names is in the cache. A county's 15,000 files take ~0.4 s to
    read and hash, ~0.1 s to stat. A record (`KIND`, by the file's path from the project) holds the stat
    of the file as it was opened and read, this program's code digest (the key holds it) and when it
    was made; one older than RECORD_NS, or made by another version, is read past."""

    KIND = "file-identity"

    def __init__(self, cache: Cache, started: int):
        self.cache, self.started = cache, started  # `started`: time.time_ns() before any file was looked at
        self.code = code_digest()[:16]
        self.known = cache.entries(self.KIND) if IDENTITY_MEMO else {}

    def key(self, file: NoticeFile) -> str | None:
        record = self.known.get(file.rel)
        if not isinstance(record, str):
            return None
        try:
            st = os.stat(file.path)  # through a link, as the read goes
        except OSError:
            return None
        # "dev ino size mtime ctime code made key": the first six as this stat and code write them.
        stated = f"{st.st_dev} {st.st_ino} {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {self.code} "
        if not record.startswith(stated):
            return None
        parts = record[len(stated):].split(" ")
        if len(parts) != 2:
            return None
        try:
            made = int(parts[0])
        except ValueError:
            return None
        if not 0 <= self.started - made < RECORD_NS:
            return None
        self.cache.keep_stored(self.KIND, file.rel)
        return parts[1]

    def record(self, file: NoticeFile, st: os.stat_result, size_read: int, key: str) -> None:
        """Remember the file read whole (`size_read` bytes) at the stat of the open file `st`, if its
        change time had settled before this build looked at any file."""
        if not IDENTITY_MEMO or st.st_size != size_read or st.st_ctime_ns >= self.started - SETTLED_NS:
            return
        record = " ".join(map(str, (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, self.code,
                                    self.started, key)))
        if file.rel in self.known:
            self.cache.replace(self.KIND, file.rel)  # an expired or outdated record: written over
        self.cache.remember(self.KIND, file.rel, record)


def _load_notice_cached(data_dir: Path, file: NoticeFile, problems: list[Problem], cache: Cache | None,
                        known: dict[str, str | bytes], file_keys: dict[str, str],
                        programs: dict[str, ProgramSpec], identities: _Identities | None = None) -> Notice | None:
    if cache is None:
        return _load_notice_safely(data_dir, Path(file.path), problems)
    # The very file an earlier build read: its notice as that build remembered it, unread.
    trusted = identities.key(file) if identities is not None else None
    if trusted is not None:
        value = cache.stored(NOTICE_CACHE_KIND, trusted, known, _fits_notice)
        if value is not None:
            def read_now() -> tuple[Notice | None, list[Problem]]:  # its rows, where the stored ones are damaged
                data = read_bytes(file.path)
                if _file_key(file, data) != trusted:  # written since its stat: not this build's notice
                    raise BuildFailed("load", [Problem("notice-changed-during-build", "生成过程中这个公告文件被改动了，"
                                                       "请等改动完成后重新生成。", file.rel)])
                return _read_notice(data_dir, file, data, programs)

            return _taken(value, trusted, problems, file_keys, read_now, cache)
    try:
        data, st = read_bytes_and_stat(file.path)
    except OSError:
        return _load_notice_safely(data_dir, Path(file.path), problems)  # which says so
    key = _file_key(file, data)
    if identities is not None:
        identities.record(file, st, len(data), key)

    def read() -> tuple[Notice | None, list[Problem]]:
        return _read_notice(data_dir, file, data, programs)

    return _taken(cache.remembered(NOTICE_CACHE_KIND, key, known, read, _fits_notice), key, problems, file_keys,
                  read, cache)


def _file_key(file: NoticeFile, data: bytes) -> str:
    return hashlib.sha256(b"\x00".join((code_digest().encode(), file.rel.encode(), data))).hexdigest()


def _taken(value: tuple, key: str, problems: list[Problem], file_keys: dict[str, str],
           read: Callable[[], tuple[Notice | None, list[Problem]]], cache: Cache) -> Notice | None:
    """The notice of a file (parsed now or taken from the cache) under its file key; its problems
    added to `problems`. `read`: its parse anew, for stored rows that cannot be read."""
    notice, found = value
    problems += found
    if notice is not None:
        file_keys[notice.id] = key
        if notice.roster.pending:
            notice.roster.remake = functools.partial(_roster_anew, cache, key, read)
    return notice


def _read_notice(data_dir: Path, file: NoticeFile, data: bytes | None,
                 programs: dict[str, ProgramSpec]) -> tuple[Notice | None, list[Problem]]:
    """A notice file parsed (from `data`, its bytes, or read now), its roster stored with its facts, so
    that a rebuild reads the rows only where needed; and the problems found."""
    found: list[Problem] = []
    notice = _load_notice_safely(data_dir, Path(file.path), found, data)
    if notice is not None:
        spec = programs.get(notice.program)
        facts = facts_of(notice.roster, spec.cross_fields if spec else ("change",))
        notice = replace(notice, roster=StoredRoster(notice.roster, facts=facts))
    return notice, found


def _fits_notice(value: object) -> bool:
    return (isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], list)
            and (value[0] is None or (isinstance(value[0], Notice) and isinstance(value[0].roster, StoredRoster)
                                      and isinstance(value[0].roster.facts, tuple))))


def _roster_anew(cache: Cache, key: str, read: Callable[[], tuple[Notice | None, list[Problem]]]) -> tuple:
    """The rows of a notice whose stored rows cannot be read: its file's bytes (those its key was made
    from) read anew, and the cache entry replaced when the build is saved."""
    value = read()
    cache.replace(NOTICE_CACHE_KIND, key)
    cache.remember(NOTICE_CACHE_KIND, key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    return tuple(value[0].roster) if value[0] is not None else ()


def load(data_dir: Path, cache: Cache | None = None) -> tuple[Dataset, list[Problem]]:
    """Read data/ and return it with every problem found. `site` or `divisions` is None when unreadable
    (there are problems then); notices are read regardless, so their problems are reported in the same run.
    With a build `cache`, unchanged notice files are taken from it (`_load_notice_cached`)."""
    problems: list[Problem] = []
    not_names: set[str] = set()
    site = _load_site(data_dir, problems, not_names)
    divisions = _load_divisions(data_dir, problems)
    policy = _load_policy(data_dir, problems)
    notices, unreadable = [], set()
    started = time.time_ns()  # before any notice file is looked at (_Identities)
    known = cache.entries(NOTICE_CACHE_KIND) if cache is not None else {}
    identities = _Identities(cache, started) if cache is not None else None
    programs = all_programs() if cache is not None else {}
    file_keys: dict[str, str] = {}
    with _collection_paused():
        read = [(file, _load_notice_cached(data_dir, file, problems, cache, known, file_keys, programs, identities))
                for file in _notice_files(data_dir, problems)]
    for file, notice in read:
        if notice is not None:
            notices.append(notice)
        else:
            unreadable.add(file.stem)
    holidays = _load_holidays(data_dir, problems)
    return Dataset(site, divisions, policy, notices, holidays, frozenset(not_names), frozenset(unreadable),
                   file_keys), problems


def load_for_audit(data_dir: Path) -> tuple[Site | None, frozenset[str]]:
    """What an audit of a built site needs from data/, without parsing every notice (a county's
    15,000 files take 5 s to parse): the site settings (its hotlines) and every 64-hex run in the
    notice files, a superset of the person keys however a file writes them."""
    problems: list[Problem] = []
    site = _load_site(data_dir, problems)
    keys: set[str] = set()
    for folder, _, files in os.walk(data_dir / "notices"):  # every notice file, in any order: a set
        for name in files:
            if name.endswith(NOTICE_SUFFIXES):
                try:
                    keys.update(m.decode("ascii") for m in hex64_runs(read_bytes(os.path.join(folder, name))))
                except OSError:
                    continue  # unreadable: `build` reports it; the audit checks the keys it can read
    return site, frozenset(keys)

