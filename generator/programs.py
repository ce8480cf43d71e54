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


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    type: str
    mask: str | None = None
    choices: tuple[str, ...] = ()
    min: int | None = None
    max: int | None = None


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


@dataclass(frozen=True)
class ProgramSpec:
    code: str
    title: str
    short: str
    explainer: str
    publicity: PublicityRule
    result_source: Source
    amount_rule: AmountRule | None
    fields: tuple[FieldSpec, ...]

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def sources(self) -> list[Source]:
        found = [self.publicity.source, self.result_source]
        if self.amount_rule:
            found.append(self.amount_rule.source)
        return found


def _source(name: str) -> Source:
    value = getattr(sources, name, None)
    if not isinstance(value, Source):
        raise ValueError(f"unknown source {name!r}")
    return value


def _parse(raw: dict) -> ProgramSpec:
    fields = tuple(
        FieldSpec(
            name=f["name"],
            label=f["label"],
            type=f["type"],
            mask=f.get("mask"),
            choices=tuple(f.get("choices", ())),
            min=f.get("min"),
            max=f.get("max"),
        )
        for f in raw["fields"]
    )
    for f in fields:
        if f.type not in FIELD_TYPES:
            raise ValueError(f"{raw['code']}: field {f.name} has unknown type {f.type!r}")
    amount = raw.get("amount_rule")
    return ProgramSpec(
        code=raw["code"],
        title=raw["title"],
        short=raw["short"],
        explainer=raw["explainer"],
        publicity=PublicityRule(
            days=int(raw["publicity"]["days"]),
            unit=raw["publicity"]["unit"],
            source=_source(raw["publicity"]["source"]),
        ),
        result_source=_source(raw["result_source"]),
        amount_rule=AmountRule(amount["field"], amount["standard"], _source(amount["source"])) if amount else None,
        fields=fields,
    )


@cache
def all_programs() -> dict[str, ProgramSpec]:
    specs = {}
    for path in sorted(SPEC_DIR.glob("*.yaml")):
        spec = _parse(yaml.safe_load(path.read_text(encoding="utf-8")))
        if spec.code != path.stem:
            raise ValueError(f"{path.name}: code {spec.code!r} must match the file name")
        specs[spec.code] = spec
    return specs
