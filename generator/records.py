"""Records that are not lists of people (村(居)务公开: finance statements, projects, decisions, rules):
their notice-level summary fields, the totals that must reconcile, the counts that must add up, and
how often a village must publish them. Generic: each rule is declared in a program spec.

`validate` calls `record_problems` for every notice; `publicity.decide` calls `cadence_problems` and
`carry_over_problems`, which need to know what is public.
Messages are Chinese, name the file and line, say what to do and cite the rule's source.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from .model import Decision, Notice, Provenance, RosterRow
from .programs import DateOrderRule, FieldSpec, ProgramSpec, RatioRule, TotalRule
from .report import Problem, Severity

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_OP_TEXT = {"more_than": "超过", "at_least": "不少于", "at_most": "不超过"}


def cn_month(value: str) -> str:
    year, month = MONTH.match(value).groups()
    return f"{int(year)}年{int(month)}月"


def display(f: FieldSpec, value) -> object:
    """A checked value as a page shows it: one way for every program."""
    if f.type == "money":
        return f"{Decimal(str(value)).quantize(Decimal('0.01'))}"
    if f.type == "date":
        return f"{value.year}年{value.month}月{value.day}日"
    if f.type == "month":
        return cn_month(value)
    return value


def summary_rows(notice: Notice) -> dict[str, RosterRow]:
    """Each summary value as a one-field row at its own line, so row checks can report it in place."""
    return {k: RosterRow("", {k: v}, Provenance(notice.where.file, notice.summary_lines.get(k, notice.where.line)))
            for k, v in notice.summary.items()}


def _money(value) -> Decimal | None:
    if isinstance(value, bool) or value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _yuan(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01'))} 元"


def _total_problem(notice: Notice, spec: ProgramSpec, rule: TotalRule) -> Problem | None:
    labels = {f.name: f.label.replace("（元）", "") for f in (*spec.fields, *spec.summary_fields)}
    declared = _money(notice.summary.get(rule.total))
    if declared is None:
        return None  # missing or not a number: reported by the field checks
    if rule.sum:
        rows = [r for r in notice.roster
                if rule.rows_where is None or r.fields.get(rule.rows_where.field) == rule.rows_where.equals]
        amounts = [_money(r.fields.get(rule.sum)) for r in rows]
        if any(a is None for a in amounts):
            return None  # a bad item is reported on its own line
        computed = sum(amounts, Decimal(0))
        what = (f"“{rule.rows_where.equals}”各项" if rule.rows_where else "各项") + f"{labels[rule.sum]}相加（共 {len(rows)} 项）"
        fix = f"请逐项核对“{rule.rows_where.equals if rule.rows_where else labels[rule.sum]}”各项金额和“{labels[rule.total]}”"
    else:
        terms = [(name, 1) for name in rule.plus] + [(name, -1) for name in rule.minus]
        values = [(_money(notice.summary.get(name)), sign) for name, sign in terms]
        if any(v is None for v, _ in values):
            return None
        computed = sum((v * sign for v, sign in values), Decimal(0))
        what = "".join(("" if i == 0 and sign > 0 else ("＋" if sign > 0 else "－")) + labels[name]
                       for i, (name, sign) in enumerate(terms))
        fix = f"请核对{'、'.join(labels[name] for name, _ in terms)}和“{labels[rule.total]}”"
    if computed == declared:
        return None
    return Problem(
        "total-mismatch",
        f"“{labels[rule.total]}”写的是 {_yuan(declared)}，但{what}为 {_yuan(computed)}，相差 {_yuan(abs(declared - computed))}。"
        f"{fix}，改正后重新生成；账目对不上的不能公开。依据：{rule.source.cite()}。",
        notice.where.file, notice.summary_lines.get(rule.total, notice.where.line), rule.total)


def _ratio_problem(row: RosterRow, spec: ProgramSpec, rule: RatioRule) -> Problem | None:
    if rule.when and row.fields.get(rule.when.field) != rule.when.equals:
        return None
    value, base = row.fields.get(rule.field), row.fields.get(rule.of)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (value, base)):
        return None  # reported by the field checks
    bound = rule.fraction * base
    ok = {"more_than": value > bound, "at_least": value >= bound, "at_most": value <= bound}[rule.op]
    if ok:
        return None
    labels = {f.name: f.label for f in spec.fields}
    share = "" if rule.fraction == 1 else _fraction_text(rule.fraction)
    where = f"{rule.when.equals}：" if rule.when else ""
    return Problem(
        "count-out-of-range",
        f"{where}“{labels[rule.field]}”{value} 应{_OP_TEXT[rule.op]}“{labels[rule.of]}”{base}{'的' + share if share else ''}。"
        f"请核对会议记录中的人数；不符合法定人数或表决比例的决定不能作为有效决定公开。依据：{rule.source.cite()}。",
        row.where.file, row.where.line, rule.field)


def _date_order_problem(notice: Notice, spec: ProgramSpec, rule: DateOrderRule) -> Problem | None:
    labels = {f.name: f.label for f in spec.summary_fields} | {"approved_on": spec.approval_label or "审批日期"}

    def value(name: str):
        found = notice.approved_on if name == "approved_on" else notice.summary.get(name)
        return found if isinstance(found, dt.date) and not isinstance(found, dt.datetime) else None

    earlier, later = value(rule.earlier), value(rule.later)
    if earlier is None or later is None or later >= earlier:
        return None  # a missing or bad date is reported by the field checks
    line = notice.summary_lines.get(rule.later, notice.where.line) if rule.later != "approved_on" else notice.line_of("approved_on")
    return Problem(
        "dates-out-of-order",
        f"“{labels[rule.later]}”{_cn(later)}早于“{labels[rule.earlier]}”{_cn(earlier)}，顺序不对。请核对这两个日期，"
        f"改正后重新生成。依据：{rule.source.cite()}。", notice.where.file, line, rule.later)


def _fraction_text(fraction: Fraction) -> str:
    return "半数" if fraction == Fraction(1, 2) else f"{_CN_DIGITS[fraction.denominator]}分之{_CN_DIGITS[fraction.numerator]}"


_CN_DIGITS = "零一二三四五六七八九十"


def record_problems(notice: Notice, spec: ProgramSpec, check_field) -> list[Problem]:
    """The summary fields (allow-list and types, via `check_field(row, field)` from validate), the
    totals and the ratios of one notice."""
    problems = []
    rows = summary_rows(notice)
    allowed = {f.name for f in spec.summary_fields}
    for name in sorted(set(notice.summary) - allowed):
        labels = "、".join(f.label for f in spec.summary_fields) or "（无）"
        problems.append(Problem("field-not-allowed", f"“summary”中的“{name}”不在“{spec.title}”可公开的汇总项中，"
                                f"请删除。可写的汇总项：{labels}。", rows[name].where.file, rows[name].where.line, name))
    for f in spec.summary_fields:
        row = rows.get(f.name, RosterRow("", {}, Provenance(notice.where.file, notice.where.line)))
        problems += [Problem(p.slug, p.message.replace("请补上", "请在“summary”中补上"), p.file, p.line, p.column,
                             severity=p.severity) for p in check_field(row, f)]
    for rule in spec.totals:
        found = _total_problem(notice, spec, rule)
        if found:
            problems.append(found)
    for rule in spec.date_order:
        found = _date_order_problem(notice, spec, rule)
        if found:
            problems.append(found)
    for row in notice.roster:
        for ratio in spec.ratios:
            found = _ratio_problem(row, spec, ratio)
            if found:
                problems.append(found)
    return problems


def _previous_month(period: str) -> str:
    year, month = (int(x) for x in MONTH.match(period).groups())
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


def carry_over_problems(notices: list[Notice], decisions: dict[str, Decision],
                        programs: dict[str, ProgramSpec]) -> list[Problem]:
    """Across a village's statements (spec `carry_over`): one statement a month, and each month's
    opening balance is the closing balance the village published for the month before (a statement
    not yet public is no reference: `decisions` say which are)."""
    groups: dict[tuple[str, str, str], list[Notice]] = {}
    for notice in notices:
        spec = programs.get(notice.program)
        period = notice.summary.get(spec.carry_over.period) if spec and spec.carry_over else None
        if isinstance(period, str) and MONTH.match(period):  # a bad month is reported by the field checks
            groups.setdefault((notice.program, notice.division_code, period), []).append(notice)
    problems = []
    for (program, division, period), group in sorted(groups.items()):
        spec = programs[program]
        rule = spec.carry_over
        labels = {f.name: f.label.replace("（元）", "") for f in spec.summary_fields}
        first, *others = sorted(group, key=lambda n: (n.where.file, n.id))
        for other in others:
            problems.append(Problem(
                "period-duplicate",
                f"{cn_month(period)}的{spec.short}已经在 {first.where.file} 中公开，同一村（社区）每个月只能有一份。"
                f"请把两份合并成一份，或改正“所属月份”。依据：{rule.source.cite()}。", other.where.file,
                other.summary_lines.get(rule.period, other.where.line), rule.period))
        previous = _previous_month(period)
        published = sorted((n for n in groups.get((program, division, previous), ())
                            if n.id in decisions and decisions[n.id].status.visible),
                           key=lambda n: (n.where.file, n.id))
        if not published:
            continue
        before = published[0]
        opening, closing = _money(first.summary.get(rule.opening)), _money(before.summary.get(rule.closing))
        if opening is None or closing is None or opening == closing:
            continue
        problems.append(Problem(
            "balance-not-carried",
            f"“{labels[rule.opening]}”写的是 {_yuan(opening)}，但 {before.where.file} 公开的"
            f"{cn_month(previous)}“{labels[rule.closing]}”为 {_yuan(closing)}，相差 {_yuan(abs(opening - closing))}。"
            f"请核对两个月的账目，改正后重新生成；账目前后接不上的不能公开。依据：{rule.source.cite()}。",
            first.where.file, first.summary_lines.get(rule.opening, first.where.line), rule.opening))
    return problems


def check_date_field(row: RosterRow, f: FieldSpec) -> str | None:
    """The message for a bad `date` or `month` value, else None."""
    value = row.fields.get(f.name)
    if f.type == "date" and not (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return f"“{f.label}”应写成“年-月-日”的实际日期，例如 2026-11-25。"
    if f.type == "month" and not (isinstance(value, str) and MONTH.match(value)):
        return f"“{f.label}”应写成“年-月”，例如 2026-10（加引号也可以）。"
    return None


def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; the month's last day where it is shorter (1月31日 + 1 = 2月28日)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    return dt.date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def cadence_problems(notices: list[Notice], decisions: dict[str, Decision], programs: dict[str, ProgramSpec],
                     today: dt.date) -> list[Problem]:
    """A warning for each village whose latest notice of a program with a cadence (财务收支: monthly)
    is older than the rule allows. Villages that never published the program are not warned: the
    rule applies where 集体财务往来较多, which the county knows and the tool does not."""
    latest: dict[tuple[str, str], Notice] = {}
    for notice in notices:
        spec = programs.get(notice.program)
        decision = decisions.get(notice.id)
        if spec is None or spec.cadence is None or decision is None or not decision.status.visible:
            continue
        key = (notice.program, notice.division_code)
        if key not in latest or (notice.start, notice.id) > (latest[key].start, latest[key].id):
            latest[key] = notice
    problems = []
    for (program, _), notice in sorted(latest.items()):
        rule = programs[program].cadence
        due = _add_months(notice.start, rule.months)
        if today > due:
            problems.append(Problem(
                "disclosure-stale",
                f"本村（社区）最近一次“{programs[program].title}”于{_cn(notice.start)}公开，按规定应每{_every(rule.months)}"
                f"至少公开一次，{_cn(due)}后已逾期。请尽快公开最新一期；本次照常生成。依据：{rule.source.cite()}。",
                notice.where.file, notice.line_of("published_on"), "published_on", Severity.WARNING))
    return problems


def _cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _every(months: int) -> str:
    return {1: "月", 3: "季度", 12: "年"}.get(months, f"{months}个月")


def catalog(programs: dict[str, ProgramSpec]) -> list[ProgramSpec]:
    """The programs in each village's 公开目录, in their catalog order."""
    return sorted((s for s in programs.values() if s.catalog), key=lambda s: (s.catalog.order, s.code))

