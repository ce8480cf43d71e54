"""Stage 2, validate: every problem in data/ at once, each with file, line, field and what to do.

Never stops at the first problem and never echoes a raw value: where a value
is wrong, the message shows its masked or expected form.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from . import sources
from .detect import clean_texts_recorded, find_personal_data, possible_names, use_clean_texts
from .digests import code_digest, digest
from .mask import is_masked_name, mask_name
from .model import Dataset, Notice, NoticeKind, Policy, Provenance, RosterRow, Standard
from .programs import AmountRule, FieldSpec, ProgramSpec
from .records import check_date_field, record_problems
from .report import Problem, Severity
from .stored import roster_facts

if TYPE_CHECKING:
    from .cache import Cache

PERSON_KEY = re.compile(r"^[0-9a-f]{64}$")
ENDED = "终止"  # the `change` of a 公布 row whose support ends (特困)
MONEY_LIMIT = Decimal("100000000")  # no monthly amount reaches 100 million yuan; beyond is a typo or NaN


def _row_problem(row: RosterRow, slug: str, message: str, column: str | None) -> Problem:
    return Problem(slug, message, row.where.file, row.line_of(column), column)


def _names_in(text: str, not_names: frozenset[str]) -> tuple[str, ...]:
    """possible_names, with the words checked and written in site.yaml `not_names` taken out first
    (each occurrence, longest first): only those places are dismissed, a name elsewhere in the text
    is still found."""
    for word in sorted((w for w in not_names if w in text), key=lambda w: (-len(w), w)):
        text = text.replace(word, "、")
    return possible_names(text)


def _check_field(row: RosterRow, f: FieldSpec, notice: Notice, not_names: frozenset[str] = frozenset()) -> list[Problem]:
    value = row.fields.get(f.name)
    if (value is None or value == "") and not f.required:
        return []
    if value is None or value == "":
        return [_row_problem(row, "missing-field", f"缺少“{f.label}”，请补上。", f.name)]
    if f.type == "name" or (f.mask == "name" and f.mask_when and row.fields.get(f.mask_when[0]) == f.mask_when[1]):
        if not isinstance(value, str) or not is_masked_name(value):
            # data/ is public: an unmasked name here is already a leak, so show only the expected form.
            expected = mask_name(str(value))
            return [_row_problem(
                row, "name-not-masked",
                f"姓名没有脱敏。data/ 中只能保存脱敏后的姓名，应写成“{expected}”（保留姓氏，名字用“*”代替）。"
                f"依据：{sources.PERSONAL_INFO.cite()}。", f.name)]
    if f.type == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return [_row_problem(row, "not-a-whole-number", f"“{f.label}”应为整数。", f.name)]
        if (f.min is not None and value < f.min) or (f.max is not None and value > f.max):
            return [_row_problem(row, "out-of-range", f"“{f.label}”应在 {f.min} 到 {f.max} 之间。", f.name)]
    if f.type == "count" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        return [_row_problem(row, "not-a-count", f"“{f.label}”应为 0 或正整数（人数）。", f.name)]
    if f.type == "choice" and value not in f.choices:
        return [_row_problem(row, "not-a-choice", f"“{f.label}”只能填写：{'、'.join(f.choices)}。", f.name)]
    if f.type == "money":
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            amount = None
        if isinstance(value, bool) or amount is None or not amount.is_finite() or abs(amount) >= MONEY_LIMIT:
            return [_row_problem(row, "not-a-number", f"“{f.label}”应为数字（元）。", f.name)]
        if f.min is not None and amount < f.min:  # a balance may be 0
            return [_row_problem(row, "out-of-range", f"“{f.label}”应不小于 {f.min}。", f.name)]
        if f.min is None and amount <= 0:
            return [_row_problem(row, "not-positive", f"“{f.label}”应大于 0。", f.name)]
        if amount != amount.quantize(Decimal("0.01")):
            return [_row_problem(row, "too-many-decimals", f"“{f.label}”最多保留两位小数（分）。", f.name)]
    if f.type in ("date", "month") and (message := check_date_field(row, f)):
        return [_row_problem(row, "bad-date", message, f.name)]
    if f.type == "text" and any(find_personal_data(str(value))):
        return [_row_problem(row, "personal-data-in-field",
                             f"“{f.label}”中含有身份证号或手机号，不得公开，请删除后重新导入。", f.name)]
    if f.type == "text" and f.mask is None and isinstance(value, str) and (names := _names_in(value, not_names)):
        return [_possible_names_problem(names, f.label, row.where.file, row.line_of(f.name), f.name)]
    return []


def _possible_names_problem(names: tuple[str, ...], label: str, file: str, line: int | None, column: str) -> Problem:
    # A warning, not an error: jieba also takes some goods and place names for names (see detect.possible_names).
    shown = "”“".join(dict.fromkeys(mask_name(n) for n in names))
    return Problem("possible-name-in-text",
                   f"“{label}”中可能写了个人的全名（“{shown}”，这里只显示姓氏）。公开的文字中不写个人全名，"
                   f"请改写成“{shown}”或只写职务、户数。如果核实这不是人名（例如商品、活动的名称），可以不改，"
                   f"并把这个词写进 data/site.yaml 的 not_names 列表，以后不再提示。依据：{sources.PERSONAL_INFO.cite()}。",
                   file, line, column, severity=Severity.WARNING)


def _check_amount(row: RosterRow, spec: ProgramSpec, notice: Notice, dataset: Dataset) -> list[Problem]:
    rule = spec.amount_rule
    if rule is None:
        return []
    try:
        amount = Decimal(str(row.fields.get(rule.field)))
        size = 1 if rule.per_person else int(row.fields.get("household_size"))
    except (InvalidOperation, TypeError, ValueError):
        return []  # already reported by the field checks
    if not amount.is_finite() or amount <= 0 or amount >= MONEY_LIMIT:
        return []  # reported by the field checks (not-a-number, not-positive)
    # Approval is the act a township's limit bounds: a 公布 the township itself issued.
    township_approved = notice.kind is NoticeKind.RESULT and (dataset.site is None or notice.issuer != dataset.site.issuer)
    problem = row_amount_problem(rule, row.fields, amount, size, dataset.policy, notice.start, township_approved)
    return [_row_problem(row, "amount-above-standard", problem, rule.field)] if problem else []


def row_amount_problem(rule: AmountRule, fields: dict, amount: Decimal, size: int, policy: Policy, on,
                       township_approved: bool) -> str | None:
    """The message when a row's amount exceeds its standard on day `on`, else None (shared with import).
    A township's approval limit (`issued_by: town`) binds only what a township approved: a 公示 it posts
    for the county to approve, or a 公布 by the county itself, may be above it."""
    if rule.issued_by == "town" and not township_approved:
        return None
    program = rule.standard_for(fields)
    standard = policy.standard_on(program, on) if program else None
    if standard is None:
        return None  # an unknown choice is reported by the field checks, a missing standard once per notice
    return amount_problem(amount, size, standard, rule)


def amount_problem(amount: Decimal, size: int, standard: Standard, rule: AmountRule) -> str | None:
    """The message when an amount exceeds what the standard allows, else None."""
    if standard.unit == "元/人·次":
        ceiling = standard.amount * size
        if amount <= ceiling:
            return None
        if rule.issued_by == "town":
            return (f"金额 {amount} 元超过乡镇（街道）审批权限 {standard.amount} 元/人·次。超过的应报县民政局审批，"
                    f"并以县民政局名义发布。依据：{rule.source.cite()}。")
        return f"金额 {amount} 元超过标准 {standard.amount} 元/人·次。请核对金额。依据：{rule.source.cite()}。"
    ceiling = standard.monthly_per_person * size
    if amount <= ceiling:
        return None
    basis = f"标准 {standard.monthly_per_person} 元/人·月" + ("" if rule.per_person else f" × {size} 人")
    return f"每月金额 {amount} 元超过上限 {ceiling} 元（{basis}）。请核对金额或人数。依据：{rule.source.cite()}。"


def privacy_problems(rows: list[RosterRow] | tuple[RosterRow, ...], spec: ProgramSpec | None = None) -> list[Problem]:
    """What must be reported about any roster, even one whose notice is otherwise unusable:
    an unmasked name (in `spec`'s name columns, or in `name` without a spec), or an ID or mobile number
    in any value."""
    names = {"name": None} if spec is None else {f.name: f.mask_when for f in spec.fields
                                                 if f.type == "name" or f.mask == "name"}
    problems = []
    for row in rows:
        for key, value in row.fields.items():
            when = names.get(key) if key in names else False
            if when is not False and (when is None or row.fields.get(when[0]) == when[1]) \
                    and isinstance(value, str) and value and not is_masked_name(value):
                problems.append(_row_problem(row, "name-not-masked", f"姓名没有脱敏，应写成“{mask_name(value)}”。", str(key)))
            elif isinstance(value, str) and any(find_personal_data(value)):
                problems.append(_row_problem(row, "personal-data-in-field", "含有身份证号或手机号，不得公开，请删除。",
                                             str(key)))
    return problems


def check_notice(notice: Notice, dataset: Dataset, programs: dict[str, ProgramSpec],
                  by_id: dict[str, Notice]) -> list[Problem]:
    where = notice.where
    spec = programs.get(notice.program)
    if spec is None:
        return [Problem("unknown-program", f"没有“{notice.program}”这个项目。可用的项目：{'、'.join(sorted(programs))}。",
                        where.file, notice.line_of("program"), "program")] + privacy_problems(notice.roster)
    if spec.never_posted is not None:
        # Nothing about these persons may be published, not even a redacted roster: stop here.
        return [Problem("never-posted", f"“{spec.title}”不得公示或公布：{spec.never_posted.gist}"
                        f"依据：{spec.never_posted.cite()}、{sources.MINORS_SENSITIVE.cite()}。请删除这个文件，"
                        "并确认原始名册没有保存在项目目录中。", where.file, notice.line_of("program"), "program")]
    problems = []
    if dataset.divisions is None:
        pass  # divisions.yaml is unreadable: load reported it
    elif spec.level == "county" and notice.division_code != dataset.divisions.county_code:
        problems.append(Problem("unknown-division", f"“{spec.title}”是全县公开的事项，区划代码应为县代码 "
                                f"{dataset.divisions.county_code}。", where.file, notice.line_of("division"), "division"))
    elif spec.level == "village" and dataset.divisions.village(notice.division_code) is None:
        problems.append(Problem("unknown-division", "区划代码不在 data/divisions.yaml 的村（社区）中，请核对或先补充区划。",
                                where.file, notice.line_of("division"), "division"))
    if not notice.roster:
        problems.append(Problem("empty-roster", "名册为空：没有名单的公告不能发布。", where.file, notice.line_of("roster"), "roster"))
    if spec.amount_rule and any(dataset.policy.standard_on(p, notice.start) is None
                                for p in spec.amount_rule.all_standards()):
        problems.append(Problem("no-standard", f"data/policy/ 中没有 {notice.start} 当天有效的“{spec.title}”标准，请补充。",
                                where.file, notice.line_of("program"), "program"))
    if spec.document_number_required and not notice.document_number:
        problems.append(Problem("missing-field", "缺少“document_number”（文号），请补上。", where.file, where.line,
                                "document_number"))
    for column, value in (("issuer", notice.issuer), ("document_number", notice.document_number),
                          ("post_hoc_reason", notice.post_hoc_reason)):
        if value and any(find_personal_data(value)):
            problems.append(Problem("personal-data-in-field", "含有身份证号或手机号，不得公开，请删除。",
                                    where.file, notice.line_of(column), column))
        elif value and column != "document_number" and (names := _names_in(value, dataset.not_names)):
            problems.append(_possible_names_problem(names, "发布单位" if column == "issuer" else "事后公示原因",
                                                    where.file, notice.line_of(column), column))
    if notice.kind.value not in spec.kinds:
        kinds = "、".join(NoticeKind(k).label for k in spec.kinds)
        problems.append(Problem("kind-not-allowed", f"“{spec.title}”只发布：{kinds}。", where.file, notice.line_of("kind"), "kind"))
    if notice.kind is NoticeKind.RESULT:
        problems += _check_result_links(notice, spec, by_id)
    problems += _check_objections(notice)

    allowed = set(spec.field_names)
    keyed = spec.keyed  # person keys link a 公示 to its 公布, or find a grant made twice; other programs need none

    def identity(row: RosterRow) -> tuple:
        """Who a row is about, and (殡葬救助) which item: one person may have one row per item."""
        if spec.once is None:
            return (row.person_key, *spec.month_slot(row.fields))  # 两项补贴: one row per kind of payment
        grant = spec.once.grant(spec, row.fields)
        return (row.person_key, *grant) if grant is not None else (row.person_key, id(row))

    seen = Counter(identity(row) for row in notice.roster)
    for row in notice.roster:
        if keyed and not row.person_key and spec.once and spec.once.keys_from and notice.start < spec.once.keys_from:
            # Rows imported before the once-only rule carry no key; they cannot be checked against other
            # notices, but they were lawful when imported: say so, do not stop the build.
            problems.append(Problem(
                "no-person-key", "这一行没有化名键，无法核对同一人是否重复领取。请用 import 命令从原始名册重新导入这份公布"
                "（加 --replace）；没有原始名册的，请人工核对后保留。", row.where.file, row.where.line, "person_key",
                severity=Severity.WARNING))
        elif keyed and not PERSON_KEY.match(row.person_key):
            problems.append(_row_problem(row, "bad-person-key", "化名键应为64位十六进制字符（由导入命令生成），请重新导入。",
                                         "person_key"))
        elif keyed and seen[identity(row)] > 1:
            problems.append(_row_problem(row, "duplicate-person", "同一人在本公告名册中出现了不止一次，请删除重复行。",
                                         "person_key"))
        for name in sorted(set(row.fields) - allowed, key=str):
            # Allow-list: data/ is public, so a field the program may not publish must not be stored either.
            problems.append(_row_problem(
                row, "field-not-allowed",
                f"“{name}”不在“{spec.title}”可公开的字段中，不得保存在 data/。可公开字段：{'、'.join(f.label for f in spec.fields)}。"
                f"依据：{sources.PERSONAL_INFO.cite()}。", str(name)))
        for f in spec.fields:
            problems += _check_field(row, f, notice, dataset.not_names)
            if f.type == "village" and dataset.divisions and dataset.divisions.village(str(row.fields.get(f.name))) is None \
                    and row.fields.get(f.name) not in (None, ""):
                problems.append(_row_problem(row, "unknown-division", f"“{f.label}”应为 data/divisions.yaml 中某个村（社区）"
                                             "的区划代码。", f.name))
        if spec.aggregate and row.person_key:
            problems.append(_row_problem(row, "person-in-aggregate",
                                         f"“{spec.title}”只公开各村（社区）的汇总人数，不得保存个人名单或化名键，请删除。"
                                         f"依据：{spec.aggregate.source.cite()}。", "person_key"))
        problems += _check_amount(row, spec, notice, dataset)
    if spec.aggregate:
        codes = Counter(str(row.fields.get(f.name)) for row in notice.roster for f in spec.fields if f.type == "village")
        for row in notice.roster:
            for f in spec.fields:
                if f.type == "village" and codes[str(row.fields.get(f.name))] > 1:
                    problems.append(_row_problem(row, "duplicate-village", "同一个村（社区）在汇总表中出现了不止一次，请合并。",
                                                 f.name))
    problems += record_problems(notice, spec, lambda row, f: _check_field(row, f, notice, dataset.not_names))
    return problems


def _check_result_links(notice: Notice, spec: ProgramSpec, by_id: dict[str, Notice]) -> list[Problem]:
    where = notice.where
    problems = []
    if notice.approved_on and notice.approved_on > notice.start:
        problems.append(Problem("dates-out-of-order", "公布日期早于审批（决定）日期：应先审批，再公布。",
                                where.file, notice.line_of("published_on"), "published_on"))
    if notice.post_hoc_reason is not None:
        rule = spec.post_hoc
        if rule is None:
            return problems + [Problem("post-hoc-not-allowed", f"“{spec.title}”不能不经公示直接公布（事后公示）。",
                                       where.file, notice.line_of("post_hoc_reason"), "post_hoc_reason")]
        if notice.post_hoc_reason not in rule.reasons:
            problems.append(Problem("bad-post-hoc-reason", f"事后公示的原因只能是：{'、'.join(rule.reasons)}。",
                                    where.file, notice.line_of("post_hoc_reason"), "post_hoc_reason"))
        for row in notice.roster:
            if row.fields.get(rule.field) != rule.value:
                problems.append(_row_problem(
                    row, "post-hoc-not-emergency",
                    f"只有“{rule.value}”可以先行救助、事后公示；其他救助应先公示7天。依据：{rule.source.cite()}。", rule.field))
        return problems
    if spec.publicity is None:
        return problems
    publicity = by_id.get(notice.publicity_id or "")
    if publicity is None or publicity.kind is not NoticeKind.PUBLICITY:
        problems.append(Problem("publicity-not-found", f"找不到公布所依据的公示“{notice.publicity_id or ''}”"
                                "（写 data/notices/ 中公示文件的文件名，不含 .yaml）。", where.file, notice.line_of("publicity"), "publicity"))
    elif (publicity.program, publicity.division_code) != (notice.program, notice.division_code):
        problems.append(Problem("publicity-mismatch", "所依据的公示与本公布的项目或村（社区）不一致。",
                                where.file, notice.line_of("publicity"), "publicity"))
    return problems


def _check_objections(notice: Notice) -> list[Problem]:
    if notice.objections and notice.kind is NoticeKind.RESULT:
        return [Problem("objection-on-result", "异议应记录在对应的公示文件中，而不是公布文件中。",
                        notice.where.file, notice.line_of("objections"), "objections")]
    return [Problem("objection-before-publicity", "异议提出日期早于公示开始日期，请核对。", o.where.file, o.where.line,
                    "raised_on") for o in notice.objections if o.raised_on < notice.start]


def _granted_twice(notices: list[Notice], programs: dict[str, ProgramSpec]) -> list[Problem]:
    """A once-only grant (spec `once_per_person`) to the same person key in two notices: the later one
    (by publication date, then id) is reported at its row, naming the earlier file and line."""
    first: dict[tuple, tuple[Notice, int]] = {}  # the notice and its row's index
    problems = []
    for notice in sorted(notices, key=lambda n: (n.start, n.id)):
        spec = programs.get(notice.program)
        if spec is None or spec.once is None or notice.kind is not NoticeKind.RESULT:
            continue
        for i, (key, fields) in enumerate(roster_facts(notice)):
            grant = spec.once.grant(spec, fields)
            if grant is None or not PERSON_KEY.match(key):
                continue  # reported as not-a-choice, no-person-key or bad-person-key
            earlier, at = first.setdefault((spec.code, key, *grant), (notice, i))
            if earlier is not notice and earlier.where.file != notice.where.file:  # a row's file is its notice's
                problems.append(_row_problem(notice.roster[i], "granted-twice",
                                             granted_twice_message(spec, grant, earlier.roster[at].where), "person_key"))
    return problems


def listed_twice_message(spec: ProgramSpec, earlier: Provenance) -> str:
    """A person in two 公布 of one program in one month: one text for import and build."""
    return (f"此人本月已在 {earlier.file} 第{earlier.line}行的公布名单中，同一项目每人每月只能列入一次，"
            f"请删去重复的一行。依据：{sources.MONTHLY_ONCE.cite()}。")


def _listed_twice(notices: list[Notice], programs: dict[str, ProgramSpec]) -> list[Problem]:
    """One listing per person, program and month (ProgramSpec.monthly_once), as import checks it: a person
    in a second 公布 of the month is reported at that row (the later by date, then id), naming the first."""
    first: dict[tuple, tuple[Notice, int]] = {}  # the notice and its row's index
    problems = []
    for notice in sorted(notices, key=lambda n: (n.start, n.id)):
        spec = programs.get(notice.program)
        if spec is None or not spec.monthly_once or notice.kind is not NoticeKind.RESULT:
            continue
        for i, (key, fields) in enumerate(roster_facts(notice)):
            if not PERSON_KEY.match(key) or fields.get("change") == ENDED:
                continue  # bad-person-key; or support ending (终止), which is no payment
            slot = (spec.code, key, notice.start.year, notice.start.month, *spec.month_slot(fields))
            earlier, at = first.setdefault(slot, (notice, i))
            # In one file (a row's file is its notice's): duplicate-person.
            if earlier is not notice and earlier.where.file != notice.where.file:
                problems.append(_row_problem(notice.roster[i], "already-listed-this-month",
                                             listed_twice_message(spec, earlier.roster[at].where), "person_key"))
    return problems


class Listings:
    """Who is listed in the 公布 of the programs other programs exclude (spec `excludes`), and when their
    support ended: by a 终止 notice (from its effective date) or a 公布 row "终止". Import and build ask
    the same question of it: is this person still listed, before this notice?"""

    def __init__(self, notices: list[Notice], programs: dict[str, ProgramSpec]):
        wanted = {rule.program for spec in programs.values() for rule in spec.excludes}
        # (start, id) of each listing, with its notice and the row's index there
        self.listed: dict[tuple[str, str], list[tuple[tuple, Notice, int]]] = {}
        self.ended: dict[tuple[str, str], list] = {}
        for notice in notices:
            if notice.program not in wanted:
                continue
            for i, (key, fields) in enumerate(roster_facts(notice)):
                if notice.kind is NoticeKind.RESULT and fields.get("change") != ENDED:
                    self.listed.setdefault((notice.program, key), []).append(((notice.start, notice.id), notice, i))
                elif notice.kind is NoticeKind.RESULT:
                    self.ended.setdefault((notice.program, key), []).append(notice.start)
                elif notice.kind is NoticeKind.TERMINATION:
                    self.ended.setdefault((notice.program, key), []).append(notice.effective_on or notice.start)

    def still_listed(self, program: str, key: str, at: tuple) -> RosterRow | None:
        """The person's latest listing in `program` before `at` (a notice's start and id), unless their
        support there ended between that listing and `at`."""
        before = [listing for listing in self.listed.get((program, key), ()) if listing[0] < at]
        if not before:
            return None
        when, notice, i = max(before, key=lambda listing: listing[0])
        return None if any(when[0] <= end <= at[0] for end in self.ended.get((program, key), ())) else notice.roster[i]


def ends_recorded(spec: ProgramSpec | None) -> bool:
    """Whether the data can say that a person's support in this program ended (a 终止 notice or a
    "终止" row). Where it cannot (两项补贴), an earlier listing may be long over: a warning, not an error."""
    return spec is not None and ("termination" in spec.kinds or "change" in spec.field_names)


def exclusion_problem(spec: ProgramSpec, rule, earlier: RosterRow, programs: dict[str, ProgramSpec]) -> tuple[str, Severity]:
    """The message and severity for a person listed in a program `spec` excludes: one text for import
    and build."""
    other = programs.get(rule.program)
    title = other.title if other else rule.program
    where = f"{earlier.where.file} 第{earlier.where.line}行"
    if ends_recorded(other):
        return (f"此人已在“{title}”名单中（{where}），没有终止，按规定不能同时享受“{spec.title}”。"
                f"请先终止那一项，或核实后删去这一行。依据：{rule.source.cite()}。", Severity.ERROR)
    return (f"此人此前在“{title}”名单中（{where}），按规定不能同时享受“{spec.title}”。本站的数据无法说明那一项是否已经停发："
            f"请核实已停发后再公布。依据：{rule.source.cite()}。", Severity.WARNING)


def exclusion_conflicts(notices: list[Notice], programs: dict[str, ProgramSpec]):
    """(notice, row, rule, earlier row): a person in a 公示 or 公布 of a program while still listed in a
    公布 of a program it excludes (spec `excludes`: 特困 and 两项补贴). Import and build both use it."""
    listings = Listings(notices, programs)
    for notice in notices:
        spec = programs.get(notice.program)
        if spec is None or not spec.excludes or notice.kind is NoticeKind.TERMINATION:
            continue
        for i, (key, fields) in enumerate(roster_facts(notice)):
            if not PERSON_KEY.match(key) or fields.get("change") == ENDED:
                continue
            for rule in spec.excludes:
                earlier = listings.still_listed(rule.program, key, (notice.start, notice.id))
                if earlier is not None:
                    yield notice, notice.roster[i], rule, earlier
                    break


def _excluded(notices: list[Notice], programs: dict[str, ProgramSpec]) -> list[Problem]:
    """Each exclusion conflict, at the later row, naming the earlier one."""
    problems = []
    for notice, row, rule, earlier in exclusion_conflicts(notices, programs):
        message, severity = exclusion_problem(programs[notice.program], rule, earlier, programs)
        problems.append(Problem("excluded-by-other-program", message, row.where.file, row.line_of("person_key"),
                                "person_key", severity))
    return problems


def granted_twice_message(spec: ProgramSpec, grant: tuple[str, ...], earlier: Provenance) -> str:
    """Said at build and at import alike. `grant` holds only a listed choice (OnceRule.grant)."""
    what = f"“{grant[0]}”" if grant else f"“{spec.title}”"
    return (f"此人的{what}已在 {earlier.file} 第{earlier.line}行发放过，每人只能领取一次。"
            f"如是更正，请改动原来的公布，不要另发一份。依据：{spec.once.source.cite()}。")


# What `check_notice` finds in a notice depends on the notice (its file), the 公示 a 公布 names (its kind,
# program and village), and of all the rest on the site's issuer, the divisions, the policy standards,
# site.yaml's not_names and this program's code alone: a rebuild takes the problems of an unchanged notice
# from the build cache (a county's 15,000 notices take ~5 s to check).
CHECKED_CACHE_KIND = "checked"


def _context_key(dataset: Dataset) -> str:
    return digest(code_digest(), dataset.site and dataset.site.issuer, dataset.divisions, dataset.policy,
                  sorted(dataset.not_names))


def _check_notice_cached(notice: Notice, dataset: Dataset, programs: dict[str, ProgramSpec],
                         by_id: dict[str, Notice], cache: Cache, known: dict, context: str) -> list[Problem]:
    source = dataset.file_keys.get(notice.id)
    if source is None:
        return check_notice(notice, dataset, programs, by_id)
    named = by_id.get(notice.publicity_id or "")
    key = digest(context, source, named and (named.kind, named.program, named.division_code))

    def check() -> tuple[list[Problem], list[str]]:
        with clean_texts_recorded() as clean:
            return check_notice(notice, dataset, programs, by_id), sorted(clean)

    found, clean = cache.remembered(CHECKED_CACHE_KIND, key, known, check,
                                    lambda v: isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], list))
    use_clean_texts(clean)  # the name check's memo keeps this notice's texts
    return found


def validate(dataset: Dataset, programs: dict[str, ProgramSpec], cache: Cache | None = None) -> list[Problem]:
    """All problems in the dataset; an empty list means it may go on to `mask`. With a build `cache` (and a
    dataset loaded with it), unchanged notices are not checked again (`_check_notice_cached`)."""
    by_id = {n.id: n for n in dataset.notices}
    problems = []
    if cache is None:
        for notice in dataset.notices:
            problems += check_notice(notice, dataset, programs, by_id)
    else:
        known, context = cache.entries(CHECKED_CACHE_KIND), _context_key(dataset)
        for notice in dataset.notices:
            problems += _check_notice_cached(notice, dataset, programs, by_id, cache, known, context)
    problems += _granted_twice(dataset.notices, programs)
    problems += _listed_twice(dataset.notices, programs)
    problems += _excluded(dataset.notices, programs)
    for hotline in dataset.site.hotlines if dataset.site else ():
        if not re.fullmatch(r"[0-9\-（）() ]{5,20}", hotline.number):
            problems.append(Problem("bad-hotline", "监督电话只能包含数字、“-”和括号。", "data/site.yaml", None, "hotlines"))
    return problems
