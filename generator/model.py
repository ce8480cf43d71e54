"""Plain data passed between the pipeline stages.

Nothing here reads files, the clock or the environment.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Hotline:
    label: str
    number: str


@dataclass(frozen=True)
class Site:
    title: str
    county: str
    issuer: str  # the county civil-affairs bureau
    hotlines: tuple[Hotline, ...]
    address: str
    base_url: str


@dataclass(frozen=True)
class Village:
    code: str
    name: str
    town_code: str


@dataclass(frozen=True)
class Town:
    code: str
    name: str
    issuer: str
    villages: tuple[Village, ...]


@dataclass(frozen=True)
class Divisions:
    county_code: str
    county_name: str
    towns: tuple[Town, ...]

    def village(self, code: str) -> Village | None:
        return self._by_code[0].get(code)

    def town(self, code: str) -> Town | None:
        return self._by_code[1].get(code)

    @functools.cached_property
    def _by_code(self) -> tuple[dict[str, Village], dict[str, Town]]:
        """Villages and towns by code (the first of a code, as a search in order finds it): asked once per
        notice, 15,000 times a build, where a search through 200 villages took 0.06 s."""
        villages: dict[str, Village] = {}
        for town in self.towns:
            for village in town.villages:
                villages.setdefault(village.code, village)
        towns: dict[str, Town] = {}
        for town in self.towns:
            towns.setdefault(town.code, town)
        return villages, towns


@dataclass(frozen=True)
class Standard:
    """One effective-dated standard from data/policy/<year>.yaml."""

    program: str
    amount: Decimal
    unit: str  # "元/人·月", "元/人·年", or "元/人·次" (a one-off amount or a per-case limit)
    effective_from: dt.date
    source: str
    file: str

    @property
    def monthly_per_person(self) -> Decimal:
        if self.unit == "元/人·年":
            return (self.amount / 12).quantize(Decimal("0.01"))
        return self.amount


@dataclass(frozen=True)
class Policy:
    standards: tuple[Standard, ...]

    def standard_on(self, program: str, day: dt.date) -> Standard | None:
        """The standard in force on `day`: the latest one that took effect by then."""
        candidates = [s for s in self.standards if s.program == program and s.effective_from <= day]
        return max(candidates, key=lambda s: s.effective_from, default=None)

    def history(self, program: str) -> list[Standard]:
        return sorted((s for s in self.standards if s.program == program), key=lambda s: s.effective_from)


class NoticeKind(enum.Enum):
    PUBLICITY = "publicity"  # 公示: runs a publicity period before a decision
    RESULT = "result"  # 公布: approved recipients (or a 双公示 decision)
    TERMINATION = "termination"  # 终止公示: runs a period before support ends

    @property
    def label(self) -> str:
        return {"publicity": "公示", "result": "公布", "termination": "终止公示"}[self.value]

    @property
    def has_period(self) -> bool:
        return self is not NoticeKind.RESULT


@dataclass(frozen=True)
class Provenance:
    """Where a value came from, for messages: file and line (1-based)."""

    file: str
    line: int | None = None


@dataclass(frozen=True)
class RosterRow:
    person_key: str  # never rendered; links a 公示 to its 公布
    fields: dict[str, Any]  # every other field as written in data/
    where: Provenance  # the row's first line
    field_lines: dict[str, int] = field(default_factory=dict)  # a row written over several lines: each field's

    def line_of(self, name: str | None) -> int | None:
        return self.field_lines.get(name, self.where.line) if name else self.where.line


class ObjectionOutcome(enum.Enum):
    DISMISSED = "dismissed"  # 异议不成立：维持原审核意见
    CHANGED = "changed"  # 异议成立：审核意见改变

    @property
    def label(self) -> str:
        return {"dismissed": "异议不成立，维持原审核意见", "changed": "异议成立，审核意见已改变"}[self.value]


@dataclass(frozen=True)
class Objection:
    """A villager's challenge (异议) to one row of a 公示, and how it was resolved."""

    row: int  # 1-based, as numbered on the page
    person_key: str
    raised_on: dt.date
    resolved_on: dt.date | None
    outcome: ObjectionOutcome | None
    where: Provenance

    def unresolved_on(self, day: dt.date) -> bool:
        return self.resolved_on is None or self.resolved_on > day


@dataclass(frozen=True)
class Notice:
    id: str
    program: str
    kind: NoticeKind
    division_code: str
    issuer: str
    document_number: str
    # 公示 and 终止公示: the day of posting. 公布: the day the result goes public.
    start: dt.date
    # 公布 only: the 公示 it follows (by id), the approval (or decision) date, and for
    # 事后公示 (急难型临时救助) the reason it had no prior 公示.
    publicity_id: str | None
    approved_on: dt.date | None
    # A tuple, or from the build cache stored.StoredRoster: the same rows, read when first used, and
    # beside them what the rules across notices read (stored.roster_facts).
    roster: Sequence[RosterRow]
    where: Provenance
    post_hoc_reason: str | None = None
    effective_on: dt.date | None = None  # 终止公示 only: the day support ends
    objections: tuple[Objection, ...] = ()
    # The file's `summary:` mapping (notice-level fields a spec allows, e.g. a statement's totals),
    # and the line each key is on.
    summary: dict[str, Any] = field(default_factory=dict)
    summary_lines: dict[str, int] = field(default_factory=dict)
    header_lines: dict[str, int] = field(default_factory=dict)  # the line of each top-level key

    def line_of(self, key: str) -> int:
        """The line a top-level field (published_on, issuer …) is written on; the file's first otherwise."""
        return self.header_lines.get(key, self.where.line)


class PublicityStatus(enum.Enum):
    """Whether a notice is on the site on `today`: a closed set, each with a reason."""

    SCHEDULED = "scheduled"  # 未到发布日期: not on the site yet
    IN_PUBLICITY = "in_publicity"  # 公示中
    ENDED = "ended"  # 公示期满
    PUBLISHED = "published"  # 已公布 (a result)
    BLOCKED = "blocked"  # may not be published: fails the build

    @property
    def label(self) -> str:
        return {
            "scheduled": "未开始",
            "in_publicity": "公示中",
            "ended": "公示期满",
            "published": "已公布",
            "blocked": "不得发布",
        }[self.value]

    @property
    def visible(self) -> bool:
        return self in (PublicityStatus.IN_PUBLICITY, PublicityStatus.ENDED, PublicityStatus.PUBLISHED)


@dataclass(frozen=True)
class PublicityPeriod:
    start: dt.date  # the day of posting (not counted)
    last_day: dt.date  # the period ends at the end of this day
    days: int = 7
    unit: str = "calendar"  # "calendar" or "working"
    # Where the counted last day fell on a 法定休假日 and the period was extended: that day.
    extended_from: dt.date | None = None

    @property
    def first_free_day(self) -> dt.date:
        """The first day on which a result may be approved or published."""
        return self.last_day + dt.timedelta(days=1)


@dataclass(frozen=True)
class Decision:
    notice_id: str
    status: PublicityStatus
    reason: str
    period: PublicityPeriod | None = None


@dataclass(frozen=True)
class PublicNotice:
    """A notice as it may appear on the site: allow-listed, masked fields only."""

    id: str
    program: str
    kind: NoticeKind
    division_code: str
    issuer: str
    document_number: str
    start: dt.date
    publicity_id: str | None
    approved_on: dt.date | None
    # A tuple, or from the build cache mask.StoredRows (stored.Stored): the same rows, read when first used.
    rows: Sequence[dict[str, Any]]
    post_hoc_reason: str | None = None
    effective_on: dt.date | None = None
    objection_count: int = 0
    objections_resolved: int = 0
    totals: dict[str, Any] | None = None  # aggregate programs: the totals row (counts as text, some suppressed)
    summary: dict[str, Any] = field(default_factory=dict)  # allow-listed, formatted for display


@dataclass(frozen=True)
class HolidayYear:
    """One year's State Council holiday arrangement, from data/holidays/<year>.yaml."""

    year: int
    source: str
    file: str
    days_off: frozenset[dt.date]  # 放假: holidays and the weekend days joined to them
    workdays: frozenset[dt.date]  # 调休上班: weekend days that are working days


@dataclass
class Dataset:
    """Everything `load` read from data/."""

    site: Site | None  # None when site.yaml is unreadable (load reports why)
    divisions: Divisions | None  # None when divisions.yaml is unreadable
    policy: Policy
    notices: list[Notice] = field(default_factory=list)
    holidays: dict[int, HolidayYear] = field(default_factory=dict)
    # site.yaml `not_names`: words the name check reported that were checked and are no person's name
    # (龙舟赛, 金龙鱼). Kept out of Site: the pages do not depend on them, so editing them re-renders nothing.
    not_names: frozenset[str] = frozenset()
    # Notice files that are there but could not be read (load says why): not "deleted" to later stages.
    unreadable: frozenset[str] = frozenset()
    # Read with a build cache: notice id -> digest of its file's path and bytes (and of this program's code),
    # which later stages key their own cached results with.
    file_keys: dict[str, str] = field(default_factory=dict)
