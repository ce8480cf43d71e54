"""Stage 4, publicity: decide, for `today`, every notice's status and why, citing the rule.

A pure function of its inputs (notices, program specs, a working-day calendar,
today, and the manifest of what the previous build published). The rules:

- A period of N days: the posting day is not counted (民法典 第二百零一条); if the
  last day is a 法定休假日 the period ends at the end of the first working day
  after it (第二百零三条). Programs may count working days instead.
- A 公布 lists only persons who appeared, in the same program and village, in a
  公示 that ended before the approval date, with no objection about them still
  open on that date; where an objection changed the opinion and the program says
  so, only a new 公示 after the resolution counts.
- A 终止公示 must end before the termination takes effect.
- 事后公示 (急难型临时救助) may skip the prior 公示 when flagged with its reason.
- 双公示 decisions are due online within N working days; a late one is published
  and reported as overdue.
- A 公示 may not vanish or change while its period runs (checked against the
  previous build's manifest).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Callable

from . import sources
from .digests import digest
from .mask import mask_name
from .model import Decision, Notice, NoticeKind, ObjectionOutcome, PublicityPeriod, PublicityStatus
from .programs import ProgramSpec, PublicityRule
from .records import cadence_problems, carry_over_problems
from .report import Problem, Severity
from .stored import roster_facts
from .workdays import CalendarGap, WorkCalendar

MANIFEST_VERSION = 1


def cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def publicity_period(start: dt.date, rule: PublicityRule, calendar: WorkCalendar) -> PublicityPeriod:
    """The period of a notice posted on `start`. Raises CalendarGap for a year no calendar covers."""
    if rule.unit == "working":
        # Working days: only working days after the posting day count, so the last day is one.
        return PublicityPeriod(start, calendar.add_workdays(start, rule.days), rule.days, "working")
    # 民法典 第二百零一条: the day of posting is not counted; day 1 is the next day.
    counted = start + dt.timedelta(days=rule.days)
    # 民法典 第二百零三条: a last day that is a 法定休假日 (a holiday, or a weekend day that is not a
    # make-up working day) moves to the end of the first working day after it.
    last = calendar.next_workday(counted)
    return PublicityPeriod(start, last, rule.days, "calendar", counted if last != counted else None)


def period_text(period: PublicityPeriod) -> str:
    unit = "个工作日" if period.unit == "working" else "天"
    text = f"{cn_date(period.start)}至{cn_date(period.last_day)}（{period.days}{unit}，张贴当日不计入"
    if period.extended_from:
        text += f"；第{period.days}天{cn_date(period.extended_from)}是法定休假日，顺延至其后第一个工作日"
    return text + "）"


def period_cite(rule: PublicityRule, period: PublicityPeriod) -> str:
    cites = [rule.source.cite(), sources.PERIOD_COUNTING.cite()]
    if period.extended_from:
        cites.append(sources.PERIOD_END.cite())
    return "、".join(cites)


@dataclass(frozen=True)
class _Context:
    programs: dict[str, ProgramSpec]
    calendar: WorkCalendar
    today: dt.date
    by_id: dict[str, Notice]
    # (program, division) -> its 公示. A county has 15,000 notices, so a 公布's people are looked up, not
    # searched for: a group's index by person key is made when first asked for, and a rebuild whose
    # 公布 the memo knows asks for few.
    groups: dict[tuple[str, str], list[Notice]] = field(default_factory=dict)
    memo: PersonChecks | None = None
    by_person: dict[tuple[str, str], dict[str, list[Notice]]] = field(default_factory=dict)

    # (start, the rule's id) -> (the rule, held so that its id is not reused, and its period)
    periods: dict[tuple[dt.date, int], tuple[PublicityRule, PublicityPeriod]] = field(default_factory=dict)

    def period(self, start: dt.date, rule: PublicityRule) -> PublicityPeriod:
        """publicity_period, remembered: every person of a 公布 asks about the same few 公示. Keyed by the
        rule's identity: hashing a rule (its legal source too) 78,000 times took 0.1 s of a county."""
        key = (start, id(rule))
        found = self.periods.get(key)
        if found is None:
            found = self.periods[key] = (rule, publicity_period(start, rule, self.calendar))
        return found[1]

    def publicity_of(self, program: str, division: str, person_key: str) -> list[Notice]:
        """The 公示 of this program and village listing the person, by (start, id)."""
        index = self.by_person.get((program, division))
        if index is None:
            index = self.by_person[(program, division)] = _index_publicity(self.groups.get((program, division), []))
        return index.get(person_key, [])


def _group_publicity(notices: list[Notice]) -> dict[tuple[str, str], list[Notice]]:
    groups: dict[tuple[str, str], list[Notice]] = {}
    for s in notices:
        if s.kind is NoticeKind.PUBLICITY:
            groups.setdefault((s.program, s.division_code), []).append(s)
    return groups


def _index_publicity(group: list[Notice]) -> dict[str, list[Notice]]:
    """One program's and village's 公示 by the person keys they list."""
    index: dict[str, list[Notice]] = {}
    for s in group:
        for key in dict.fromkeys(key for key, _ in roster_facts(s)):
            index.setdefault(key, []).append(s)
    for found in index.values():
        found.sort(key=lambda s: (s.start, s.id))
    return index


class PersonChecks:
    """Which 公布 passed the checks of their people (`_person_problem`), remembered across builds under
    everything those checks read: the 公布's file and every 公示 file of its program and village (their
    file keys digest path, bytes and this program's code, the program specs included), the holiday
    arrangements and the calendar library's version, and whether the notice-level check failed. Not
    `today`: the checks compare dates in the files with each other. A county rebuilt after one approval
    checks the people of that 公布 and of those whose village's 公示 changed, not of its 7,000 others.
    Only a pass is remembered: a 公布 with a problem is checked again, and its problems reported whole."""

    def __init__(self, passed: set[str], file_keys: dict[str, str], calendar: WorkCalendar):
        self.passed, self.file_keys = passed, file_keys
        self.calendar = digest(version("chinesecalendar"), sorted(
            (year, sorted(h.days_off), sorted(h.workdays)) for year, h in calendar.years.items()))
        self.groups: dict[tuple[str, str], str | None] = {}
        self.found: list[str] = []  # this build's passes: remembered ones and new ones

    def key(self, notice: Notice, groups: dict[tuple[str, str], list[Notice]], notice_level_failed: bool) -> str | None:
        """None where a file key is missing (read without a build cache): checked, never remembered."""
        where = (notice.program, notice.division_code)
        if where not in self.groups:
            keys = [self.file_keys.get(s.id) for s in groups.get(where, [])]
            self.groups[where] = None if None in keys else digest(sorted(keys))
        own = self.file_keys.get(notice.id)
        if own is None or self.groups[where] is None:
            return None
        return digest(own, self.groups[where], self.calendar, notice_level_failed)


def _status_by_period(notice: Notice, period: PublicityPeriod, today: dt.date, what: str) -> tuple[PublicityStatus, str]:
    if today < notice.start:
        return PublicityStatus.SCHEDULED, f"{cn_date(notice.start)}开始{what}"
    if today <= period.last_day:
        return PublicityStatus.IN_PUBLICITY, f"{what}期至{cn_date(period.last_day)}24时止"
    return PublicityStatus.ENDED, f"{what}期已于{cn_date(period.last_day)}24时届满"


def _decide_publicity(notice: Notice, spec: ProgramSpec, ctx: _Context) -> tuple[Decision, list[Problem]]:
    period = publicity_period(notice.start, spec.publicity, ctx.calendar)
    status, reason = _status_by_period(notice, period, ctx.today, "公示")
    return Decision(notice.id, status, f"{reason}（{period_cite(spec.publicity, period)}）", period), []


def _decide_termination(notice: Notice, spec: ProgramSpec, ctx: _Context) -> tuple[Decision, list[Problem]]:
    period = publicity_period(notice.start, spec.publicity, ctx.calendar)
    if notice.effective_on <= period.last_day:
        problem = Problem(
            "termination-before-period-ends",
            f"终止生效日期{cn_date(notice.effective_on)}早于终止公示期满（{cn_date(period.last_day)}24时）："
            f"公示期满后才能终止，最早{cn_date(period.first_free_day)}生效。依据：{spec.termination.cite()}。",
            notice.where.file, notice.line_of("effective_on"), "effective_on")
        return Decision(notice.id, PublicityStatus.BLOCKED, problem.message, period), [problem]
    status, reason = _status_by_period(notice, period, ctx.today, "终止公示")
    return Decision(notice.id, status, f"{reason}，{cn_date(notice.effective_on)}起终止（{spec.termination.cite()}）",
                    period), []


def _decide_deadline(notice: Notice, spec: ProgramSpec, ctx: _Context) -> tuple[Decision, list[Problem]]:
    """双公示: no prior 公示; due online within N working days of the decision."""
    rule = spec.deadline
    due = ctx.calendar.add_workdays(notice.approved_on, rule.working_days)
    problems = []
    late_on = notice.start if notice.start > due else (ctx.today if ctx.today > due and notice.start > ctx.today else None)
    if late_on is not None:
        problems.append(Problem(
            "disclosure-overdue",
            f"决定于{cn_date(notice.approved_on)}作出，应在{cn_date(due)}前上网公开（{rule.working_days}个工作日内），"
            f"公开日期{cn_date(notice.start)}已逾期。仍予发布，请在工作报告中说明。依据：{rule.source.cite()}。",
            notice.where.file, notice.line_of("published_on"), "published_on", Severity.WARNING))
    if ctx.today < notice.start:
        return Decision(notice.id, PublicityStatus.SCHEDULED, f"{cn_date(notice.start)}公开"), problems
    return Decision(notice.id, PublicityStatus.PUBLISHED,
                    f"决定日期{cn_date(notice.approved_on)}，应于{cn_date(due)}前公开（{rule.source.cite()}）"), problems


def _decide_post_hoc(notice: Notice, spec: ProgramSpec, ctx: _Context) -> tuple[Decision, list[Problem]]:
    if ctx.today < notice.start:
        return Decision(notice.id, PublicityStatus.SCHEDULED, f"{cn_date(notice.start)}公布"), []
    return Decision(notice.id, PublicityStatus.PUBLISHED,
                    f"事后公示：{notice.post_hoc_reason}，先行救助后公布（{spec.post_hoc.source.cite()}）"), []


def _person_problem(notice: Notice, index: int, person_key: str, spec: ProgramSpec, ctx: _Context,
                    notice_level_failed: bool) -> Problem | None:
    """Why the person of this 公布's row `index` may not be in it, or None if they may (the row itself
    is read only to say why)."""
    approved = notice.approved_on
    cite = spec.publicity.source.cite()
    candidates = ctx.publicity_of(notice.program, notice.division_code, person_key)

    def at(slug: str, text: str) -> Problem:
        row = notice.roster[index]
        name = mask_name(str(row.fields.get("name", "")))
        return Problem(slug, f"“{name}”{text}", row.where.file, row.where.line, "person_key")

    if not candidates:
        return at("person-not-in-publicity", f"没有出现在本村（社区）“{spec.title}”的任何公示中：未经公示的人员不得公布。依据：{cite}。")
    # Fail closed: every 公示 of this program and village that lists the person and began by the
    # approval date counts, not just one that would let them through.
    relevant = [s for s in candidates if s.start <= approved]
    if not relevant:
        return at("person-not-in-publicity", f"只出现在审批日期{cn_date(approved)}以后开始的公示中：公示期满后才能审批公布。依据：{cite}。")
    for s in relevant:
        for o in s.objections:
            if o.person_key == person_key and o.raised_on <= approved and o.unresolved_on(approved):
                return at("objection-unresolved",
                          f"在公示“{s.id}”中被提出的异议（{cn_date(o.raised_on)}提出）在审批日{cn_date(approved)}前尚未处理完毕，"
                          f"不得公布。请核实处理后再审批。依据：{cite}。")
    for s in relevant:
        period = ctx.period(s.start, spec.publicity)
        if period.last_day >= approved:
            if notice_level_failed and s.id == notice.publicity_id:
                return None  # the notice-level message already says this 公示 had not ended
            return at("publicity-not-completed",
                      f"所在的公示“{s.id}”到{cn_date(period.last_day)}24时才届满，审批日期{cn_date(approved)}早于期满。依据：{cite}。")
    changed = [o.resolved_on for s in relevant for o in s.objections
               if spec.renotice and o.person_key == person_key
               and (spec.renotice_any or o.outcome is ObjectionOutcome.CHANGED)
               and o.resolved_on is not None and o.resolved_on <= approved]
    renotice_after = max(changed) if changed else None
    if renotice_after is not None and not any(s.start >= renotice_after for s in relevant):
        why = "公示中有异议、于" if spec.renotice_any else "的审核意见因异议于"
        return at("renotice-required",
                  f"{why}{cn_date(renotice_after)}{'重新核实完毕' if spec.renotice_any else '改变'}，"
                  f"须重新公示{spec.publicity.days}天、期满后才能审批公布。依据：{spec.renotice.cite()}。")
    return None


def _people_problems(notice: Notice, spec: ProgramSpec, ctx: _Context, notice_level_failed: bool) -> list[Problem]:
    """`_person_problem` of every person of a 公布, or none where the memo knows it passed (PersonChecks)."""
    key = ctx.memo.key(notice, ctx.groups, notice_level_failed) if ctx.memo is not None else None
    if key is not None and key in ctx.memo.passed:
        ctx.memo.found.append(key)
        return []
    problems = []
    for i, (person_key, _) in enumerate(roster_facts(notice)):
        if person_key:
            found = _person_problem(notice, i, person_key, spec, ctx, notice_level_failed)
            if found is not None:
                problems.append(found)
    if key is not None and not problems:
        ctx.memo.found.append(key)
    return problems


def _decide_disclosure(notice: Notice, spec: ProgramSpec, ctx: _Context) -> tuple[Decision, list[Problem]]:
    """Records disclosed without a 公示 and without a deadline (村务公开): public from their date."""
    if ctx.today < notice.start:
        return Decision(notice.id, PublicityStatus.SCHEDULED, f"{cn_date(notice.start)}公开"), []
    return Decision(notice.id, PublicityStatus.PUBLISHED,
                    f"{cn_date(notice.start)}公开（{spec.result_source.cite()}）"), []


def _decide_result(notice: Notice, spec: ProgramSpec, ctx: _Context) -> tuple[Decision, list[Problem]]:
    if spec.deadline is not None and spec.publicity is None:
        return _decide_deadline(notice, spec, ctx)
    if spec.publicity is None and spec.post_hoc is None:
        return _decide_disclosure(notice, spec, ctx)
    if notice.post_hoc_reason is not None:
        return _decide_post_hoc(notice, spec, ctx)
    problems = []
    linked = ctx.by_id.get(notice.publicity_id or "")
    period = None
    if spec.publicity is not None and linked is not None and linked.kind is NoticeKind.PUBLICITY:
        period = ctx.period(linked.start, spec.publicity)
        if notice.approved_on <= period.last_day:
            problems.append(Problem(
                "publicity-not-completed",
                f"公示“{linked.id}”的公示期到{cn_date(period.last_day)}24时才届满，"
                f"审批日期{cn_date(notice.approved_on)}早于期满，不得据此公布。"
                f"最早可在{cn_date(period.first_free_day)}审批。依据：{period_cite(spec.publicity, period)}。",
                notice.where.file, notice.line_of("approved_on"), "approved_on"))
    if spec.publicity is not None:
        problems += _people_problems(notice, spec, ctx, notice_level_failed=bool(problems))
    if problems:
        return Decision(notice.id, PublicityStatus.BLOCKED, problems[0].message, period), problems
    if ctx.today < notice.start:
        return Decision(notice.id, PublicityStatus.SCHEDULED, f"{cn_date(notice.start)}公布", period), []
    if spec.publicity is None:  # published after approval, with no prior 公示 (e.g. 殡葬救助, 年检结论)
        return Decision(notice.id, PublicityStatus.PUBLISHED,
                        f"{cn_date(notice.approved_on)}审批（{spec.result_source.cite()}）", None), []
    return Decision(notice.id, PublicityStatus.PUBLISHED,
                    f"公示期满，{cn_date(notice.approved_on)}审批（{spec.result_source.cite()}）", period), []


_DECIDERS = {
    NoticeKind.PUBLICITY: _decide_publicity,
    NoticeKind.TERMINATION: _decide_termination,
    NoticeKind.RESULT: _decide_result,
}


def decide(notices: list[Notice], programs: dict[str, ProgramSpec], today: dt.date,
           calendar: WorkCalendar | None = None, previous_manifest: dict | None = None,
           unreadable: frozenset[str] = frozenset(), digest_of: Callable[[Notice], str] | None = None,
           memo: PersonChecks | None = None) -> tuple[dict[str, Decision], list[Problem]]:
    """Every notice's decision on `today`, and the problems (errors forbid publishing; warnings are reported).
    `unreadable`: ids of notice files that are there but could not be read (load reported why).
    `digest_of`: `notice_digest`, or the same remembered (as for `manifest`). `memo`: the 公布 whose people
    passed their checks in an earlier build, from the same files (PersonChecks); this build's go into it."""
    calendar = calendar or WorkCalendar()
    by_id = {n.id: n for n in notices}
    ctx = _Context(programs, calendar, today, by_id, _group_publicity(list(by_id.values())), memo)
    decisions: dict[str, Decision] = {}
    problems: list[Problem] = []
    gaps: dict[int, Problem] = {}
    for notice in notices:
        spec = programs.get(notice.program)
        if spec is None or notice.kind.value not in spec.kinds:
            continue  # `validate` reports it; deciding the rest lets one run report every problem
        if notice.kind is NoticeKind.RESULT and notice.post_hoc_reason is None and spec.publicity is not None:
            linked = ctx.by_id.get(notice.publicity_id or "")
            if linked is None or linked.kind is not NoticeKind.PUBLICITY:
                continue  # reported by `validate` (publicity-not-found)
        try:
            decision, found = _DECIDERS[notice.kind](notice, spec, ctx)
        except CalendarGap as gap:
            # Never a silent guess: no period is computed without the year's holiday arrangement. A notice
            # not due yet needs none today: it stays off the site, and the clerk is warned in time.
            if ctx.today < notice.start:
                decisions[notice.id] = Decision(notice.id, PublicityStatus.SCHEDULED, f"{cn_date(notice.start)}发布")
                gaps.setdefault(gap.year, Problem(
                    "calendar-year-missing", f"{gap.message()}在补上以前，{cn_date(notice.start)}起的这份公告不会发布。",
                    notice.where.file, notice.where.line, None, Severity.WARNING))
                continue
            gaps[gap.year] = Problem("calendar-year-missing", gap.message(), notice.where.file, notice.where.line, None)
            continue
        decisions[notice.id] = decision
        problems += found
    problems += gaps.values()
    problems += cadence_problems(notices, decisions, programs, today)
    problems += carry_over_problems(notices, decisions, programs)
    if previous_manifest:
        problems += check_manifest(previous_manifest, notices, today, unreadable, programs, digest_of)
    return decisions, problems


# -- the manifest: what a build published, so the next build can tell a 公示 vanished or changed --

def notice_digest(notice: Notice) -> str:
    """A fingerprint of a notice's content, person keys included (it reveals none of them)."""
    body = {
        "program": notice.program, "kind": notice.kind.value, "division": notice.division_code,
        "issuer": notice.issuer, "document_number": notice.document_number, "start": notice.start.isoformat(),
        "rows": [[r.person_key, sorted((k, str(v)) for k, v in r.fields.items())] for r in notice.roster],
    }
    if notice.summary:  # only where present, so earlier manifests' digests stay valid
        body["summary"] = sorted((k, str(v)) for k, v in notice.summary.items())
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def manifest(notices: list[Notice], decisions: dict[str, Decision], today: dt.date,
             digest_of: Callable[[Notice], str] = notice_digest) -> dict:
    """`digest_of`: `notice_digest`, or the same remembered (the build takes it from its cache)."""
    entries = {}
    for notice in sorted(notices, key=lambda n: n.id):
        decision = decisions.get(notice.id)
        if decision is None or not decision.status.visible:
            continue
        entries[notice.id] = {
            "kind": notice.kind.value,
            "start": notice.start.isoformat(),
            "last_day": decision.period.last_day.isoformat() if decision.period and notice.kind.has_period else None,
            "digest": digest_of(notice),
            "program": notice.program,  # which rule a 公示 withdrawn later breaks (check_manifest)
        }
    return {"version": MANIFEST_VERSION, "today": today.isoformat(), "notices": entries}


def check_manifest(previous: dict, notices: list[Notice], today: dt.date,
                   unreadable: frozenset[str] = frozenset(), programs: dict[str, ProgramSpec] | None = None,
                   digest_of: Callable[[Notice], str] | None = None) -> list[Problem]:
    """A notice published with a running period must still be there, unchanged, until it ends. A file
    still there that could not be read is not reported as deleted: load has said what is wrong with it,
    and the build stops on that."""
    by_id = {n.id: n for n in notices}
    problems = []
    entries = previous.get("notices") if isinstance(previous, dict) else None
    if not isinstance(entries, dict):
        return [_manifest_unreadable()]
    for notice_id, entry in sorted(entries.items()):
        try:
            last_day = dt.date.fromisoformat(entry["last_day"]) if entry["last_day"] else None
        except (TypeError, KeyError, ValueError):
            return [_manifest_unreadable()]
        if last_day is None or last_day < today:
            continue  # no period, or it has ended: a correction is a new notice's business now
        file = f"data/notices/{notice_id}.yaml"
        current = by_id.get(notice_id)
        until = cn_date(last_day)
        spec = (programs or {}).get(current.program if current else entry.get("program"))
        # Taken down or changed early, a 公示 no longer runs its full period: the period's own source.
        cite = (f"依据：{spec.publicity.source.cite()}（公示期{spec.publicity.days}天）。"
                if spec is not None and spec.publicity is not None else "")
        if current is None and notice_id in unreadable:
            continue
        if current is None:
            problems.append(Problem(
                "withdrawn-during-publicity",
                f"已发布的公示在公示期内（至{until}24时）被删除。公示期内不得撤下公示：请恢复此文件；"
                f"如名单确有错误，请另行发布更正后的公示。{cite}", file, None, None))
        elif (digest_of or notice_digest)(current) != entry.get("digest"):
            problems.append(Problem(
                "changed-during-publicity",
                f"已发布的公示在公示期内（至{until}24时）被修改。公示期内不得改动名单或文号：请改回原样；"
                f"如名单确有错误，请另行发布更正后的公示。{cite}", file, None, None))
    return problems


def _manifest_unreadable() -> Problem:
    return Problem("manifest-unreadable", "已发布网站中的 manifest.json 已损坏，无法核对公示期内的公示是否被改动。"
                   "请从线上网站重新下载 manifest.json 放回 site/ 后再生成。", "site/manifest.json")
