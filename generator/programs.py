"""Program specs: which roster fields a program may publish, how each is masked,
its publicity rule and the sources it cites. Specs live in generator/programs/*.yaml."""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path

import yaml

from . import sources
from .sources import Source

SPEC_DIR = Path(__file__).with_name("programs")
_SPEC_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FIELD_TYPES = {"text", "name", "int", "money", "choice", "count", "village", "date", "month"}  # month: "2026-10"
PERIOD_UNITS = ("calendar", "working")
RATIO_OPS = ("more_than", "at_least", "at_most")
TITLE_PLACES = {"village", "year", "month"}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    type: str
    mask: str | None = None
    choices: tuple[str, ...] = ()
    min: int | None = None
    max: int | None = None
    aliases: tuple[str, ...] = ()  # other headers clerks' sheets use for this column
    default: str | None = None  # on import, the value when the sheet has no such column
    # Masked (as `mask` says) only in rows where field `mask_when[0]` equals `mask_when[1]`: a 双公示
    # party is masked like a name when it is a natural person, and public when it is an organization.
    mask_when: tuple[str, str] | None = None
    required: bool = True  # False: may be left out (shown as “—”), e.g. a contract amount before the contract

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.label, *self.aliases)


@dataclass(frozen=True)
class ExclusionRule:
    """Persons in this program may not be in `program`'s roster at the same time."""

    program: str
    source: Source


@dataclass(frozen=True)
class ConditionalCheck:
    """On import: where `when_field` == `when_value`, `field` must be one of `allowed`."""

    when_field: str
    when_value: str
    field: str
    allowed: tuple[str, ...]
    source: Source


@dataclass(frozen=True)
class PublicityRule:
    days: int
    unit: str  # "calendar" or "working"
    source: Source


@dataclass(frozen=True)
class AmountRule:
    field: str
    standard: str  # the policy program whose standard bounds the amount
    source: Source
    per_person: bool = False  # True: the bound is the standard itself, not standard x household size
    # The standard depends on a row's choice (高龄补贴 by age band): {choice value: policy program}.
    standards_by: tuple[str, tuple[tuple[str, str], ...]] | None = None
    # "town": the bound is a township's approval limit; it applies only to notices a township issued
    # (临时救助 above the limit is approved by the county).
    issued_by: str | None = None

    def standard_for(self, row_fields: dict) -> str | None:
        if self.standards_by is None:
            return self.standard
        field, mapping = self.standards_by
        return dict(mapping).get(row_fields.get(field))

    def all_standards(self) -> tuple[str, ...]:
        return tuple(p for _, p in self.standards_by[1]) if self.standards_by else (self.standard,)


@dataclass(frozen=True)
class AgeRule:
    """On import: the person's age on the notice date, from the ID number's birth date, must lie in
    [min, max]; `band_field`, where set, is the published age band (filled in from the ID when the sheet
    has no such column, checked against it when it has). Never written: only the band is published."""

    min: int
    max: int | None
    source: Source
    band_field: str | None = None
    bands: tuple[tuple[str, int, int], ...] = ()  # (label, lowest age, highest age)

    def band_of(self, age: int) -> str | None:
        return next((label for label, lo, hi in self.bands if lo <= age <= hi), None)

    @property
    def span(self) -> str:
        return f"{self.min}周岁以上" if self.max is None else f"{self.min}—{self.max}周岁"


@dataclass(frozen=True)
class AggregateRule:
    """Children's programs publish counts per village only; counts under `threshold` show as "<3",
    and further cells are hidden where a total would give a hidden count away."""

    threshold: int
    source: Source


@dataclass(frozen=True)
class PostHocRule:
    """A result may be published without a prior 公示 when flagged with one of these reasons (事后公示)."""

    reasons: tuple[str, ...]
    source: Source
    field: str  # every row must have `field` == `value` (e.g. aid_type 急难型)
    value: str


@dataclass(frozen=True)
class DeadlineRule:
    """A result is due online within `working_days` of its decision (双公示)."""

    working_days: int
    source: Source


@dataclass(frozen=True)
class Condition:
    """Rows (or a notice) where `field` == `equals`."""

    field: str
    equals: str


@dataclass(frozen=True)
class TotalRule:
    """A declared total (a summary field) must equal either the sum of a row field over the rows
    matching `rows_where`, or the sum of other summary fields (`plus` minus `minus`): 财务收支."""

    total: str
    source: Source
    sum: str | None = None  # a row field
    rows_where: Condition | None = None
    plus: tuple[str, ...] = ()  # summary fields
    minus: tuple[str, ...] = ()


@dataclass(frozen=True)
class RatioRule:
    """In each row (where `when` holds): `field` compared with `fraction` x `of`, e.g. agreed
    more_than 1/2 of present (到会人员的过半数通过)."""

    field: str
    op: str  # "more_than", "at_least" or "at_most"
    fraction: Fraction
    of: str
    source: Source
    when: Condition | None = None


@dataclass(frozen=True)
class CatalogEntry:
    """The program's place in each village's 公开目录 (村务公开): its category and how often it is due."""

    category: str
    order: int
    frequency: str  # for villagers: 每月、每季度 …
    source: Source


@dataclass(frozen=True)
class CadenceRule:
    """A village that publishes this program must publish again within `months` months (a warning)."""

    months: int
    source: Source


@dataclass(frozen=True)
class DateOrderRule:
    """`later` may not be before `earlier`: each the notice's `approved_on` or a date summary field
    (村规民约: filed with the township after the 村民会议 adopted it)."""

    earlier: str
    later: str
    source: Source


@dataclass(frozen=True)
class MonthlyRule:
    per: str | None = None


@dataclass(frozen=True)
class OnceRule:
    """A person (by person key) is granted each value of field `per` (or the program, if None) only
    once, across all of the program's notices: 殡葬救助 is paid once per deceased person and item."""

    per: str | None
    source: Source
    # Notices published before this day may have rows without a person key (imported before the rule
    # existed): a warning. From this day on a row without one is an error.
    keys_from: dt.date | None = None

    def grant(self, spec: "ProgramSpec", fields: dict) -> tuple[str, ...] | None:
        """What a row is granted, as compared: () for the program, (item,) for a `per` value that is one
        of the field's choices; None where the value is not (reported as not-a-choice elsewhere, and
        never printed: only a listed choice may appear in a message)."""
        if self.per is None:
            return ()
        value = fields.get(self.per)
        choices = next((f.choices for f in spec.fields if f.name == self.per), ())
        return (value,) if isinstance(value, str) and value in choices else None


@dataclass(frozen=True)
class CarryOverRule:
    """Statements run on from period to period: one statement per village and `period` (a month
    summary field), and its `opening` balance is the `closing` balance of the month before, where the
    village published that month (财务收支: 上月结余 = 上月公开的本月结余)."""

    period: str
    opening: str
    closing: str
    source: Source


@dataclass(frozen=True)
class ProgramSpec:
    code: str
    title: str
    short: str
    explainer: str
    kinds: tuple[str, ...]  # NoticeKind values this program publishes
    level: str  # "village": posted where the household lives; "county": county-wide decisions
    publicity: PublicityRule | None  # None: results need no prior 公示 (双公示)
    result_source: Source
    amount_rule: AmountRule | None
    fields: tuple[FieldSpec, ...]  # the allow-list: published, in column order
    renotice: Source | None = None  # an objection that changed the opinion needs a new 公示
    # renotice_on: any_objection — every objection means re-investigation and a new 公示, whatever its
    # outcome (特困: 《特困人员认定办法》第十五条 "有异议的，重新组织调查核实，并重新公示").
    renotice_any: bool = False
    termination: Source | None = None  # 终止公示 runs a period before support ends
    post_hoc: PostHocRule | None = None
    deadline: DeadlineRule | None = None
    # Read from a raw roster to check it, never written to data/ (e.g. a disability grade).
    import_only_fields: tuple[FieldSpec, ...] = ()
    excludes: tuple[ExclusionRule, ...] = ()
    checks: tuple[ConditionalCheck, ...] = ()
    never_posted: Source | None = None  # the law says this program's people must not be posted at all
    # The notice page's body (HTML, no Markdown): the roster table by default; a program whose records
    # are not a list of people (a finance statement, aggregates) names its own template.
    body_template: str = "_roster.html.j2"
    aggregate: AggregateRule | None = None
    age_rule: AgeRule | None = None
    # Notice-level allow-listed fields (the file's `summary:` mapping), e.g. a statement's totals.
    summary_fields: tuple[FieldSpec, ...] = ()
    totals: tuple[TotalRule, ...] = ()
    ratios: tuple[RatioRule, ...] = ()
    document_number_required: bool = True  # a 村民委员会 issues no 文号
    title_format: str | None = None  # e.g. "{village}{period}财务收支公开"; summary fields by name
    approval_label: str | None = None  # what `approved_on` means on the page, where not 审批日期
    catalog: CatalogEntry | None = None
    cadence: CadenceRule | None = None
    carry_over: CarryOverRule | None = None
    date_order: tuple[DateOrderRule, ...] = ()
    importable: bool = True  # False: written by hand in data/, not imported from a roster
    once: OnceRule | None = None
    # once_a_month: paid monthly, so a person is in at most one 公布 a month (sources.MONTHLY_ONCE);
    # `per` a choice field whose values are separate payments. Not for one-off aid (临时救助, 殡葬).
    monthly: MonthlyRule | None = None

    @property
    def keyed(self) -> bool:
        """Rows carry person keys: they link a 公示 to its 公布, or find a grant made twice."""
        return self.publicity is not None or self.once is not None

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def count_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.type == "count")

    def sources(self) -> list[Source]:
        """Every source this program's rules cite, once each, for its explainer page."""
        found = [self.never_posted, self.aggregate.source if self.aggregate else None,
                 self.age_rule.source if self.age_rule else None, self.publicity.source if self.publicity else None, self.renotice, self.result_source,
                 self.amount_rule.source if self.amount_rule else None, self.termination,
                 self.post_hoc.source if self.post_hoc else None, self.deadline.source if self.deadline else None,
                 *(e.source for e in self.excludes), *(c.source for c in self.checks),
                 self.catalog.source if self.catalog else None, self.cadence.source if self.cadence else None,
                 *(t.source for t in self.totals), *(r.source for r in self.ratios),
                 self.carry_over.source if self.carry_over else None, *(d.source for d in self.date_order),
                 self.once.source if self.once else None,
                 sources.MONTHLY_ONCE if self.monthly_once else None,
                 sources.ID_NUMBER_STANDARD if self.keyed and not self.aggregate else None]
        return list(dict.fromkeys(s for s in found if s is not None))

    @property
    def monthly_once(self) -> bool:
        return self.monthly is not None

    @property
    def cross_fields(self) -> tuple[str, ...]:
        """The fields the rules across notices read of a row (a 公布 row's "change", `month_slot`,
        `once.grant`): a roster from the build cache keeps them beside its unread rows (stored.StoredRoster)."""
        return tuple(dict.fromkeys(n for n in ("change", self.monthly and self.monthly.per, self.once and self.once.per)
                                   if n))

    def month_slot(self, fields: dict) -> tuple:
        """What one person may be listed once for in a month: the program, or one of its kinds of
        payment (两项补贴: 生活补贴 and 护理补贴 are two payments, and one person may have both)."""
        if not (self.monthly and self.monthly.per):
            return ()
        value = fields.get(self.monthly.per)
        return (value if isinstance(value, str) else "?",)  # anything else is not-a-choice, and must not crash


def _source(name: str) -> Source:
    value = getattr(sources, name, None)
    if not isinstance(value, Source):
        raise ValueError(f"unknown source {name!r}")
    return value


def _field(f: dict) -> FieldSpec:
    spec = FieldSpec(name=f["name"], label=f["label"], type=f["type"], mask=f.get("mask"),
                     choices=tuple(f.get("choices", ())), min=f.get("min"), max=f.get("max"),
                     aliases=tuple(f.get("aliases", ())), default=f.get("default"),
                     mask_when=(f["mask_when"]["field"], f["mask_when"]["equals"]) if f.get("mask_when") else None,
                     required=bool(f.get("required", True)))
    if spec.type not in FIELD_TYPES:
        raise ValueError(f"field {spec.name} has unknown type {spec.type!r}")
    return spec


def _amount_rule(raw: dict) -> AmountRule:
    by = raw.get("standards_by")
    return AmountRule(raw["field"], raw.get("standard", ""), _source(raw["source"]), bool(raw.get("per_person")),
                      (by["field"], tuple(sorted(by["map"].items()))) if by else None, raw.get("issued_by"))


def _age_rule(raw: dict) -> AgeRule:
    bands = tuple((label, int(lo), int(hi)) for label, (lo, hi) in raw.get("bands", {}).items())
    return AgeRule(int(raw["min"]), int(raw["max"]) if raw.get("max") is not None else None, _source(raw["source"]),
                   raw.get("band_field"), bands)


def _condition(raw: dict | None) -> Condition | None:
    return Condition(raw["field"], raw["equals"]) if raw else None


def _total(t: dict) -> TotalRule:
    return TotalRule(t["total"], _source(t["source"]), t.get("sum"), _condition(t.get("rows_where")),
                     tuple(t.get("plus", ())), tuple(t.get("minus", ())))


def _ratio(r: dict) -> RatioRule:
    ops = [op for op in RATIO_OPS if op in r]
    if len(ops) != 1:
        raise ValueError(f"ratio on {r.get('field')} needs exactly one of {RATIO_OPS}")
    return RatioRule(r["field"], ops[0], Fraction(str(r[ops[0]])), r["of"], _source(r["source"]), _condition(r.get("when")))


def _check_records(spec: ProgramSpec) -> None:
    """The rules of a spec name only fields it declares: a typo fails at start-up, not on a clerk's data."""
    rows, summary = set(spec.field_names), {f.name for f in spec.summary_fields}
    for t in spec.totals:
        named_rows = {t.sum} | ({t.rows_where.field} if t.rows_where else set())
        if t.total not in summary or not set(t.plus + t.minus) <= summary or (t.sum and not named_rows <= rows):
            raise ValueError(f"{spec.code}: total {t.total} names an undeclared field")
        if bool(t.sum) == bool(t.plus or t.minus):
            raise ValueError(f"{spec.code}: total {t.total} needs either `sum` or `plus`/`minus`")
    for r in spec.ratios:
        if not {r.field, r.of} | ({r.when.field} if r.when else set()) <= rows:
            raise ValueError(f"{spec.code}: ratio on {r.field} names an undeclared field")
    if spec.carry_over:
        c = spec.carry_over
        types = {f.name: f.type for f in spec.summary_fields}
        if types.get(c.period) != "month" or types.get(c.opening) != "money" or types.get(c.closing) != "money":
            raise ValueError(f"{spec.code}: carry_over needs a month summary field and two money summary fields")
    dates = {f.name for f in spec.summary_fields if f.type == "date"} | {"approved_on"}
    for d in spec.date_order:
        if not {d.earlier, d.later} <= dates:
            raise ValueError(f"{spec.code}: date_order names {d.earlier}/{d.later}: approved_on or a date summary field")
    if spec.once and spec.once.per is not None and not any(f.name == spec.once.per and f.type == "choice"
                                                           for f in spec.fields):
        raise ValueError(f"{spec.code}: once_per_person must name a choice field, not {spec.once.per}")
    if spec.once and spec.aggregate:
        raise ValueError(f"{spec.code}: an aggregate program has no person keys to count grants by")
    if spec.title_format:
        names = {name for _, name, _, _ in string.Formatter().parse(spec.title_format) if name}
        if not names <= TITLE_PLACES | summary:
            raise ValueError(f"{spec.code}: title_format may name {sorted(TITLE_PLACES)} and summary fields only")


def _monthly(raw) -> MonthlyRule | None:
    if raw in (None, False):
        return None
    if raw is True:
        return MonthlyRule()
    if isinstance(raw, dict) and set(raw) <= {"per"}:
        return MonthlyRule(raw.get("per"))
    raise ValueError(f"once_a_month must be true or {{per: field}}, not {raw!r}")


RENOTICE_ON = ("changed_opinion", "any_objection")


def _renotice_on(raw: dict) -> bool:
    value = raw.get("renotice_on", "changed_opinion")
    if value not in RENOTICE_ON or (value == "any_objection" and not raw.get("renotice")):
        raise ValueError(f"{raw['code']}: renotice_on must be one of {RENOTICE_ON}, with a renotice source")
    return value == "any_objection"


def _parse(raw: dict) -> ProgramSpec:
    fields = tuple(_field(f) for f in raw["fields"])
    amount, publicity = raw.get("amount_rule"), raw.get("publicity")
    post_hoc, deadline = raw.get("post_hoc"), raw.get("deadline")
    if publicity and publicity["unit"] not in PERIOD_UNITS:
        raise ValueError(f"{raw['code']}: publicity unit must be one of {PERIOD_UNITS}")
    kinds = tuple(raw.get("kinds", ["publicity", "result"]))
    spec = ProgramSpec(
        code=raw["code"],
        title=raw["title"],
        short=raw["short"],
        explainer=raw["explainer"],
        kinds=kinds,
        level=raw.get("level", "village"),
        publicity=PublicityRule(int(publicity["days"]), publicity["unit"], _source(publicity["source"]))
        if publicity else None,
        result_source=_source(raw["result_source"]),
        amount_rule=_amount_rule(amount) if amount else None,
        fields=fields,
        renotice=_source(raw["renotice"]) if raw.get("renotice") else None,
        renotice_any=_renotice_on(raw),
        termination=_source(raw["termination"]) if raw.get("termination") else None,
        post_hoc=PostHocRule(tuple(post_hoc["reasons"]), _source(post_hoc["source"]), post_hoc["field"],
                             post_hoc["value"]) if post_hoc else None,
        deadline=DeadlineRule(int(deadline["working_days"]), _source(deadline["source"])) if deadline else None,
        import_only_fields=tuple(_field(f) for f in raw.get("import_only_fields", ())),
        excludes=tuple(ExclusionRule(e["program"], _source(e["source"])) for e in raw.get("excludes", ())),
        checks=tuple(ConditionalCheck(c["when"]["field"], c["when"]["equals"], c["require"]["field"],
                                      tuple(c["require"]["in"]), _source(c["source"])) for c in raw.get("checks", ())),
        never_posted=_source(raw["never_posted"]) if raw.get("never_posted") else None,
        body_template=raw.get("body_template", "_roster.html.j2"),
        aggregate=AggregateRule(int(raw["aggregate"]["threshold"]), _source(raw["aggregate"]["source"]))
        if raw.get("aggregate") else None,
        age_rule=_age_rule(raw["age_rule"]) if raw.get("age_rule") else None,
        summary_fields=tuple(_field(f) for f in raw.get("summary_fields", ())),
        totals=tuple(_total(t) for t in raw.get("totals", ())),
        ratios=tuple(_ratio(r) for r in raw.get("ratios", ())),
        document_number_required=bool(raw.get("document_number_required", True)),
        title_format=raw.get("title_format"),
        approval_label=raw.get("approval_label"),
        catalog=CatalogEntry(raw["catalog"]["category"], int(raw["catalog"]["order"]), raw["catalog"]["frequency"],
                             _source(raw["catalog"]["source"])) if raw.get("catalog") else None,
        cadence=CadenceRule(int(raw["cadence"]["months"]), _source(raw["cadence"]["source"]))
        if raw.get("cadence") else None,
        importable=bool(raw.get("importable", True)),
        carry_over=CarryOverRule(raw["carry_over"]["period"], raw["carry_over"]["opening"], raw["carry_over"]["closing"],
                                 _source(raw["carry_over"]["source"])) if raw.get("carry_over") else None,
        date_order=tuple(DateOrderRule(d["earlier"], d["later"], _source(d["source"])) for d in raw.get("date_order", ())),
        once=OnceRule(raw["once_per_person"].get("per"), _source(raw["once_per_person"]["source"]),
                      raw["once_per_person"].get("keys_from")) if raw.get("once_per_person") else None,
        monthly=_monthly(raw.get("once_a_month")),
    )
    if spec.monthly and (spec.once or spec.aggregate or not spec.keyed or "result" not in spec.kinds or (
            spec.monthly.per and not any(f.name == spec.monthly.per and f.type == "choice" for f in spec.fields))):
        raise ValueError(f"{spec.code}: once_a_month is for keyed programs of persons with a 公布, per a choice field")
    if spec.aggregate and (any(f.type in ("name", "money") for f in spec.fields) or not spec.count_fields
                           or spec.publicity):
        raise ValueError(f"{spec.code}: an aggregate program publishes counts only, with no 公示")
    _check_records(spec)
    if spec.never_posted and (spec.kinds or spec.fields):
        raise ValueError(f"{spec.code}: a program that is never posted has no kinds and no fields")
    if spec.level not in ("village", "county"):
        raise ValueError(f"{spec.code}: level must be village or county")
    if ("publicity" in kinds or "termination" in kinds) and spec.publicity is None:
        raise ValueError(f"{spec.code}: a program with 公示 needs a publicity rule")
    if "termination" in kinds and spec.termination is None:
        raise ValueError(f"{spec.code}: termination notices need a termination source")
    return spec


@cache
def all_programs() -> dict[str, ProgramSpec]:
    specs = {}
    for path in sorted(SPEC_DIR.glob("*.yaml")):
        # libyaml's parser where present (as load.py reads notices): the same values, a sixth of the time
        # (17 specs: 0.05 s of every command's start).
        spec = _parse(yaml.load(path.read_text(encoding="utf-8"), Loader=_SPEC_LOADER))  # noqa: S506 - a SafeLoader
        if spec.code != path.stem:
            raise ValueError(f"{path.name}: code {spec.code!r} must match the file name")
        specs[spec.code] = spec
    return specs
