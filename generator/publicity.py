"""Stage 4, publicity: decide, for `today`, every notice's status and why.

A pure function of its inputs. Rules and their sources:
- 公示 runs 7 days; the posting day is not counted (民法典 第二百零一条;
  《最低生活保障审核确认办法》第十九条).
- 公布 may follow only a 公示 that completed its period before the approval date,
  and only for persons who appeared in that 公示.
"""

from __future__ import annotations

import datetime as dt

from .mask import mask_name
from .model import Decision, Notice, NoticeKind, PublicityPeriod, PublicityStatus
from .programs import ProgramSpec, PublicityRule
from .report import Problem


def cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def publicity_period(start: dt.date, rule: PublicityRule) -> PublicityPeriod:
    if rule.unit != "calendar":
        raise ValueError(f"publicity unit {rule.unit!r} is not supported yet")
    # 民法典 第二百零一条: the day of posting is not counted; day 1 is the next day.
    return PublicityPeriod(start=start, last_day=start + dt.timedelta(days=rule.days))


def _decide_publicity(notice: Notice, spec: ProgramSpec, today: dt.date) -> Decision:
    period = publicity_period(notice.start, spec.publicity)
    cite = spec.publicity.source.cite()
    if today < notice.start:
        return Decision(notice.id, PublicityStatus.SCHEDULED, f"{cn_date(notice.start)}开始公示", period)
    if today <= period.last_day:
        return Decision(notice.id, PublicityStatus.IN_PUBLICITY,
                        f"公示期{spec.publicity.days}天，至{cn_date(period.last_day)}24时止（{cite}）", period)
    return Decision(notice.id, PublicityStatus.ENDED, f"公示期已于{cn_date(period.last_day)}24时届满", period)


def _decide_result(notice: Notice, spec: ProgramSpec, publicity: Notice, today: dt.date
                   ) -> tuple[Decision, list[Problem]]:
    period = publicity_period(publicity.start, spec.publicity)
    cite = spec.publicity.source.cite()
    where = notice.where
    problems = []
    if notice.approved_on is not None and notice.approved_on <= period.last_day:
        problems.append(Problem(
            "publicity-not-completed",
            f"公示“{publicity.id}”的公示期到{cn_date(period.last_day)}24时才届满，"
            f"审批日期{cn_date(notice.approved_on)}早于期满，不得据此公布。"
            f"最早可在{cn_date(period.first_free_day)}审批。依据：{cite}。",
            where.file, where.line, "approved_on"))
    posted = {row.person_key for row in publicity.roster}
    for row in notice.roster:
        if row.person_key and row.person_key not in posted:
            name = mask_name(str(row.fields.get("name", "")))
            problems.append(Problem(
                "person-not-in-publicity",
                f"“{name}”没有出现在公示“{publicity.id}”的名单中：未经公示的人员不得公布。依据：{cite}。",
                row.where.file, row.where.line, "person_key"))
    if problems:
        return Decision(notice.id, PublicityStatus.BLOCKED, problems[0].message, period), problems
    if today < notice.start:
        return Decision(notice.id, PublicityStatus.SCHEDULED, f"{cn_date(notice.start)}公布", period), []
    return Decision(notice.id, PublicityStatus.PUBLISHED,
                    f"公示期满无异议，{cn_date(notice.approved_on)}审批（{spec.result_source.cite()}）", period), []


def decide(notices: list[Notice], programs: dict[str, ProgramSpec], today: dt.date
           ) -> tuple[dict[str, Decision], list[Problem]]:
    """Every notice's decision on `today`, and the problems that forbid publishing any of them."""
    by_id = {n.id: n for n in notices}
    decisions: dict[str, Decision] = {}
    problems: list[Problem] = []
    for notice in notices:
        spec = programs.get(notice.program)
        if spec is None:
            continue  # `validate` reports it; deciding the rest lets one run report every problem
        if notice.kind is NoticeKind.PUBLICITY:
            decisions[notice.id] = _decide_publicity(notice, spec, today)
            continue
        publicity = by_id.get(notice.publicity_id or "")
        if publicity is None or publicity.kind is not NoticeKind.PUBLICITY:
            continue  # reported by `validate` (publicity-not-found)
        decision, found = _decide_result(notice, spec, publicity, today)
        decisions[notice.id] = decision
        problems += found
    return decisions, problems

