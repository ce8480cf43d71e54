"""`python -m generator import`: a clerk's raw roster in, one anonymized notice file in data/ out.

read → check → pseudonymize → keep the allow-list and mask → self-check → write.
Any error: every problem is reported and nothing is written. The raw file is
only read; only its masked form is written, and only after a search of that
output for every raw name, ID number, phone number and address has come back empty.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import ahocorasick
import yaml

from . import sources
from .load import NOTICE_ID, load
from .mask import format_money, mask_name
from .detect import find_personal_data, mask_excerpt
from .model import Dataset, NoticeKind
from .programs import ProgramSpec, all_programs
from .pseudonym import KeyProblem, is_inside, load_secret, person_key
from .report import BuildFailed, Problem, Severity, errors
from .roster_checks import CheckedRow, check_against_data, check_roster
from .roster_read import read_roster

OPTIONS = "命令参数"
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when present: much faster
# What YAML cannot carry literally inside quotes (rejected, or folded as a line break: NEL, LS, PS):
# escaped as \uXXXX.
_NOT_YAML_PRINTABLE = re.compile("[^\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029]")
KIND_SUFFIX = {NoticeKind.PUBLICITY: "gs", NoticeKind.RESULT: "gb", NoticeKind.TERMINATION: "zz"}

Progress = Callable[[Iterable, int, str], Iterable]


@dataclass(frozen=True)
class ImportRequest:
    roster: Path
    program: str
    division: str
    kind: NoticeKind
    start: dt.date  # 公示开始日期 (publicity, termination) or 公布日期 (result)
    document_number: str
    data: Path
    issuer: str | None = None
    notice_id: str | None = None
    sheet: str | None = None
    publicity_id: str | None = None
    approved_on: dt.date | None = None
    effective_on: dt.date | None = None
    post_hoc_reason: str | None = None
    key_file: Path | None = None
    replace: bool = False
    # The day of the import (the CLI reads the clock): the build's rules are applied as a build that day
    # would; None: as the day before the notice (not due yet).
    today: dt.date | None = None


@dataclass
class ImportResult:
    notice_id: str
    path: Path
    rows: int
    warnings: list[Problem] = field(default_factory=list)


def _option(slug: str, message: str, column: str | None = None) -> Problem:
    return Problem(slug, message, OPTIONS, None, column)


def _check_request(req: ImportRequest, spec: ProgramSpec | None, dataset: Dataset) -> list[Problem]:
    problems = []
    project = req.data.resolve().parent
    if is_inside(req.roster, project):
        # Raw rosters hold personal data: inside the project they are one `git add` away from public.
        problems.append(_option("raw-file-in-project", f"原始名册在项目目录（{project}）中，可能被误提交公开。"
                                "请把它移到项目目录以外（例如本机的“文档”文件夹）再导入。", "roster"))
    if spec is not None and spec.never_posted is not None:
        # Refused before the roster is opened: these are children's records.
        return [_option("never-posted", f"“{spec.title}”不得公示或公布，也不导入：{spec.never_posted.gist}"
                        f"依据：{spec.never_posted.cite()}、{sources.MINORS_SENSITIVE.cite()}。", "--program")]
    if spec is not None and spec.aggregate is not None:
        # A roster of children is never written to data/, not even keyed: clerks enter the counts.
        return [_option("aggregate-only", f"“{spec.title}”只公开各村（社区）人数汇总，不导入个人名册。请在 data/notices/ "
                        f"中按村填写人数（见 README）。依据：{spec.aggregate.source.cite()}。", "--program")]
    if spec is None:
        known = all_programs()
        return problems + [_option("unknown-program", f"没有“{req.program}”这个项目。可用的项目："
                                   f"{'、'.join(f'{code}（{known[code].title}）' for code in sorted(known))}。", "--program")]
    if not spec.importable:
        return problems + [_option("not-importable", f"“{spec.title}”不是人员名册，不用导入：请按 README 中的格式直接编写 "
                                   "data/notices/ 中的文件。", "--program")]
    if req.kind.value not in spec.kinds:
        problems.append(_option("kind-not-allowed", f"“{spec.title}”不发布“{req.kind.label}”。", "--kind"))
    if dataset.divisions is not None:
        county = dataset.divisions.county_code
        if spec.level == "county" and req.division != county:
            problems.append(_option("unknown-division", f"“{spec.title}”是全县事项，区划代码应为 {county}。", "--division"))
        elif spec.level == "village" and dataset.divisions.village(req.division) is None:
            problems.append(_option("unknown-division", "区划代码不在 data/divisions.yaml 的村（社区）中。", "--division"))
    if req.notice_id is not None and not NOTICE_ID.match(req.notice_id):
        problems.append(_option("bad-notice-id", "公告编号只能用小写字母、数字和“-”。", "--id"))
    if req.kind is NoticeKind.RESULT:
        if req.approved_on is None:
            problems.append(_option("missing-option", "公布要写审批（决定）日期 --approved-on。", "--approved-on"))
        elif req.approved_on > req.start:
            problems.append(_option("dates-out-of-order", "公布日期早于审批日期：应先审批，再公布。", "--start"))
        needs_publicity = spec.publicity is not None and req.post_hoc_reason is None
        if needs_publicity and not req.publicity_id:
            problems.append(_option("missing-option", "公布要写所依据的公示编号 --publicity（事后公示写 --post-hoc-reason）。",
                                    "--publicity"))
        elif needs_publicity and not any(
                n.id == req.publicity_id and n.kind is NoticeKind.PUBLICITY for n in dataset.notices):
            problems.append(_option("publicity-not-found", f"data/notices/ 中没有公示“{req.publicity_id}”。", "--publicity"))
    if req.kind is NoticeKind.TERMINATION and req.effective_on is None:
        problems.append(_option("missing-option", "终止公示要写终止生效日期 --effective-on。", "--effective-on"))
    return problems


def _issuer(req: ImportRequest, spec: ProgramSpec, dataset: Dataset) -> str:
    if req.issuer:
        return req.issuer
    village = dataset.divisions.village(req.division)
    # Where approval is delegated to townships (临时救助 within their limit), the township approves by
    # default, so its limit is checked; the county gives --issuer for what it approves itself.
    delegated = spec.amount_rule is not None and spec.amount_rule.issued_by == "town"
    if req.kind is NoticeKind.RESULT and not req.post_hoc_reason and not delegated or village is None:
        return dataset.site.issuer  # the county approves
    return dataset.divisions.town(village.town_code).issuer  # the township reviews and posts


def notice_body(req: ImportRequest, spec: ProgramSpec, issuer: str, keyed: list[tuple[CheckedRow, str]]) -> dict:
    """The notice as data/ holds it: allow-listed fields only, names masked, persons as keys."""
    body: dict = {"program": spec.code, "kind": req.kind.value, "division": req.division, "issuer": issuer,
                  "document_number": req.document_number}
    if req.kind is NoticeKind.RESULT:
        if req.publicity_id:
            body["publicity"] = req.publicity_id
        if req.post_hoc_reason:
            body["post_hoc_reason"] = req.post_hoc_reason
        body["approved_on"] = req.approved_on
        body["published_on"] = req.start
    else:
        body["publicity_start"] = req.start
        if req.effective_on:
            body["effective_on"] = req.effective_on
    roster = []
    for row, key in keyed:
        out = {"person_key": key} if spec.keyed else {}
        for f in spec.fields:
            if f.type == "name":
                out[f.name] = mask_name(row.name)
            elif f.mask == "name" and f.mask_when and row.fields.get(f.mask_when[0]) == f.mask_when[1]:
                out[f.name] = mask_name(str(row.fields[f.name]))  # a 双公示 party who is a natural person
            elif f.type == "money":
                out[f.name] = float(format_money(row.fields[f.name]))
            else:
                out[f.name] = row.fields[f.name]
        roster.append(out)
    body["roster"] = roster
    return body


def _scalar(value) -> str:
    """One YAML scalar: strings double-quoted JSON-style (valid YAML), numbers plain."""
    if isinstance(value, bool) or value is None:
        raise TypeError(f"unexpected roster value type {type(value).__name__}")
    if isinstance(value, (int, float)):
        return repr(value)
    return _NOT_YAML_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(str(value), ensure_ascii=False))


def dump_notice(body: dict) -> str:
    """The notice file: the header through PyYAML, the roster one row per line.

    A county roster has 100,000 rows; PyYAML's emitter takes a minute for them, this a second,
    and a row per line keeps a clerk's diff readable. `load` reads both styles."""
    header = {k: v for k, v in body.items() if k != "roster"}
    lines = ["# Imported with `python -m generator import`: anonymized (masked names, keyed persons).",
             yaml.dump(header, Dumper=_DUMPER, allow_unicode=True, sort_keys=False, width=200).rstrip("\n"),
             "roster:"]
    lines += ["- {" + ", ".join(f"{k}: {_scalar(v)}" for k, v in row.items()) + "}" for row in body["roster"]]
    return "\n".join(lines) + "\n"


def _normalized(text: str) -> str:
    return re.sub(r"[\s\-_.·]", "", unicodedata.normalize("NFKC", text)).upper()


_HEX_KEY = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])")


def self_check(text: str, rows: list[CheckedRow]) -> list[str]:
    """Masked forms of every raw value found in `text`, in any of its forms (an Aho-Corasick search).

    ID numbers, phones and addresses are searched everywhere; names only in the roster, since a
    two-character name can also be a piece of the issuer's name (东湖 in 东湖镇人民政府)."""
    automaton = ahocorasick.Automaton()
    for row in rows:
        for kind, value in (("id", row.id_number), ("phone", row.phone), ("address", row.address), ("name", row.name)):
            if value and len(_normalized(value)) >= 2:
                # Its own masking, not mask_name: the self-check exists to catch a broken mask_name.
                shown = value[0] + "*" * (len(value) - 1) if kind == "name" else mask_excerpt(_normalized(value))
                automaton.add_word(_normalized(value), (kind, shown))
    if not len(automaton):
        return sorted({m.masked for m in find_personal_data(text)})
    automaton.make_automaton()
    # Person keys are HMAC output, never raw data; 100,000 random 64-hex keys hold some 11-digit run of a
    # raw phone by chance every few imports. Blank them (same length: positions stay) before searching.
    text = _HEX_KEY.sub(lambda m: "#" * len(m.group()), text)
    roster_at = text.find("\nroster:")
    found = {m.masked for m in find_personal_data(text)}  # any ID, phone or card number at all
    for haystack, offset_of_roster in ((text, roster_at), (_normalized(text), _normalized(text[:roster_at]).__len__())):
        for end, (kind, masked) in automaton.iter(haystack):
            if kind != "name" or end >= offset_of_roster:
                found.add(masked)
    return sorted(found)


def _raw_values_in_fields(rows: list[CheckedRow], spec: ProgramSpec, table) -> list[Problem]:
    """A raw name, ID number, phone or address of anyone on the roster inside a published cell ("组":
    王小明家), reported at its row and column with the clerk's fix; the self-check would only refuse the
    whole file. The same search as the self-check: names of two characters or more, normalized."""
    published = [f for f in spec.fields if f.type != "name" and f.mask is None]
    automaton = ahocorasick.Automaton()
    for row in rows:
        for kind, value in (("姓名", row.name), ("身份证号", row.id_number), ("电话", row.phone), ("住址", row.address)):
            if value and len(_normalized(value)) >= 2:
                automaton.add_word(_normalized(value), kind)
    if not len(automaton) or not published:
        return []
    automaton.make_automaton()
    where = f"{table.file}（工作表“{table.sheet}”）" if table.sheet else table.file
    problems = []
    for row in rows:
        for f in published:
            value = row.fields.get(f.name)
            if isinstance(value, str) and value:
                kinds = sorted({kind for _, kind in automaton.iter(_normalized(value))})
                if kinds:
                    problems.append(Problem(
                        "raw-value-in-field", f"“{f.label}”中含有名册上的{'、'.join(kinds)}，这一列会公开，不能写个人信息。"
                        f"请删除后重新导入。依据：{sources.PERSONAL_INFO.cite()}。", where, row.number, table.header_of(f.name)))
    return problems


# The checks of `validate` on one notice that import does not make itself (its roster checks are stricter).
_BUILD_ONLY = frozenset({"post-hoc-not-allowed", "bad-post-hoc-reason", "post-hoc-not-emergency", "publicity-mismatch"})
# Where a problem about a notice field goes back to: the command option that gave it.
_OPTION_OF = {"approved_on": "--approved-on", "published_on": "--start", "publicity_start": "--start",
              "publicity": "--publicity", "post_hoc_reason": "--post-hoc-reason", "effective_on": "--effective-on",
              "issuer": "--issuer", "document_number": "--document-number"}


def _what_build_would_say(req: ImportRequest, spec: ProgramSpec, dataset: Dataset, programs: dict[str, ProgramSpec],
                          notice_id: str, keyed: list[tuple[CheckedRow, str]], table) -> list[Problem]:
    """The publicity rules `build` applies to this notice (公示 not ended on the approval date, a person in
    no 公示, an open objection, a 事后公示 row that is not 急难型 …), said now, at the Excel row or the
    option, instead of stopping the county's next build. Rows with problems of their own are left out."""
    from .load import _load_notice
    from .publicity import decide
    from .validate import check_notice
    from .workdays import WorkCalendar

    names = [f.name for f in spec.fields if f.type != "name"]
    complete = [(row, key) for row, key in keyed if all(row.fields.get(n) is not None for n in names)]
    if not complete:
        return []
    with tempfile.TemporaryDirectory() as tmp:  # the notice as it would be written, read back as build reads it
        data = Path(tmp) / "data"
        notice_path = data / "notices" / f"{notice_id}.yaml"
        notice_path.parent.mkdir(parents=True)
        notice_path.write_text(dump_notice(notice_body(req, spec, _issuer(req, spec, dataset), complete)), encoding="utf-8")
        notice = _load_notice(data, notice_path, [])
    if notice is None:
        return []
    others = [n for n in dataset.notices if n.id != notice_id]
    found = [p for p in check_notice(notice, dataset, programs, {n.id: n for n in others + [notice]}) if p.slug in _BUILD_ONLY]
    # As a build would decide it on the day of the import: a notice not due yet needs no holiday data for
    # its year then (a warning), one due today does (an error). A 公布's own checks do not depend on the day.
    as_of = max(req.today, req.start - dt.timedelta(days=1)) if req.today else req.start - dt.timedelta(days=1)
    _, decided = decide(others + [notice], programs, as_of, WorkCalendar(dataset.holidays))
    found += [p for p in decided if p.file == notice.where.file]
    excel_row = {row.where.line: checked.number for row, (checked, _) in zip(notice.roster, complete)}
    where = f"{table.file}（工作表“{table.sheet}”）" if table.sheet else table.file
    out = []
    for p in found:
        if p.line in excel_row and p.line != notice.where.line:
            column = table.header_of("id_number" if p.column == "person_key" else p.column) if p.column else None
            out.append(Problem(p.slug, p.message, where, excel_row[p.line], column, p.severity))
        else:
            option = "--start" if p.slug == "calendar-year-missing" else _OPTION_OF.get(p.column or "")
            out.append(Problem(p.slug, p.message, OPTIONS, None, option, p.severity))
    return out


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_import(req: ImportRequest, environ: dict[str, str] = os.environ,
               progress: Progress = lambda items, total, what: items) -> ImportResult:
    programs = all_programs()
    spec = programs.get(req.program)
    dataset, _ = load(req.data)  # data/'s own problems are `build`'s business
    problems = _check_request(req, spec, dataset)
    if any(p.slug in ("never-posted", "aggregate-only") for p in problems):
        raise BuildFailed("import", problems)
    if dataset.site is None or dataset.divisions is None:
        problems.append(_option("data-unreadable", f"无法读取 {req.data} 中的区划和网站设置，请先运行 build 查看问题。"))
        raise BuildFailed("import", problems)
    if spec is None:
        raise BuildFailed("import", problems)

    secret = None
    try:
        secret = load_secret(req.key_file, req.data.resolve().parent, environ)
    except KeyProblem as exc:
        problems.append(_option("key-missing", str(exc), "--key-file"))

    table, found = read_roster(req.roster, spec, req.sheet)
    problems += found
    rows: list[CheckedRow] = []
    if table is not None:
        township_approved = (req.kind is NoticeKind.RESULT and dataset.site is not None and dataset.divisions is not None
                             and _issuer(req, spec, dataset) != dataset.site.issuer)
        rows, found = check_roster(table, spec, dataset.policy, req.start, progress, township_approved)
        problems += found
    keyed = [(row, person_key(secret, row.id_number)) for row in progress(rows, len(rows), "生成化名键")] \
        if secret is not None else []
    notice_id = req.notice_id or f"{req.start.isoformat()}-{req.division}-{KIND_SUFFIX[req.kind]}"
    path = req.data / "notices" / f"{notice_id}.yaml"
    if table is not None:
        problems += check_against_data(keyed, spec, req.kind, req.start, dataset, table,
                                       replacing=notice_id if req.replace else None, notice_id=notice_id)

    if table is not None:
        problems += _raw_values_in_fields(rows, spec, table)
    if table is not None and keyed and not any(p.file == OPTIONS for p in errors(problems)):
        problems += _what_build_would_say(req, spec, dataset, programs, notice_id, keyed, table)

    if path.exists() and not req.replace:
        problems.append(_option("notice-exists", f"data/notices/{notice_id}.yaml 已经存在。要替换它请加 --replace"
                                "（公示期内的公示不能替换），或用 --id 换一个编号。", "--id"))
    if errors(problems):
        raise BuildFailed("import", problems)

    body = notice_body(req, spec, _issuer(req, spec, dataset), keyed)
    text = dump_notice(body)
    leaked = self_check(text, rows)
    if leaked:
        raise BuildFailed("import", [_option("self-check-failed", f"自检发现将要写入的文件中含有原始个人信息（{'、'.join(leaked)}），"
                                             "已停止，什么也没有写入。请把这条信息报告给维护人员。")])
    _write_atomically(path, text)
    return ImportResult(notice_id, path, len(keyed), [p for p in problems if p.severity is Severity.WARNING])
