"""Program specs: which roster fields a program may publish, how each is masked,
its publicity rule and the sources it cites. Specs live in generator/programs/*.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from . import sources
from .sources import Source

SPEC_DIR = Path(__file__).with_name("programs")
FIELD_TYPES = {"text", "name", "int", "money", "choice"}
PERIOD_UNITS = ("calendar", "working")


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

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def sources(self) -> list[Source]:
        """Every source this program's rules cite, once each, for its explainer page."""
        found = [self.never_posted, self.publicity.source if self.publicity else None, self.renotice, self.result_source,
                 self.amount_rule.source if self.amount_rule else None, self.termination,
                 self.post_hoc.source if self.post_hoc else None, self.deadline.source if self.deadline else None,
                 *(e.source for e in self.excludes), *(c.source for c in self.checks)]
        return list(dict.fromkeys(s for s in found if s is not None))


def _source(name: str) -> Source:
    value = getattr(sources, name, None)
    if not isinstance(value, Source):
        raise ValueError(f"unknown source {name!r}")
    return value


def _field(f: dict) -> FieldSpec:
    spec = FieldSpec(name=f["name"], label=f["label"], type=f["type"], mask=f.get("mask"),
                     choices=tuple(f.get("choices", ())), min=f.get("min"), max=f.get("max"),
                     aliases=tuple(f.get("aliases", ())), default=f.get("default"))
    if spec.type not in FIELD_TYPES:
        raise ValueError(f"field {spec.name} has unknown type {spec.type!r}")
    return spec


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
        amount_rule=AmountRule(amount["field"], amount["standard"], _source(amount["source"]),
                               bool(amount.get("per_person"))) if amount else None,
        fields=fields,
        renotice=_source(raw["renotice"]) if raw.get("renotice") else None,
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
    )
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
        spec = _parse(yaml.safe_load(path.read_text(encoding="utf-8")))
        if spec.code != path.stem:
            raise ValueError(f"{path.name}: code {spec.code!r} must match the file name")
        specs[spec.code] = spec
    return specs
