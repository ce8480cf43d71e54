"""Plain data passed between the pipeline stages.

Nothing here reads files, the clock or the environment.
"""

from __future__ import annotations

import datetime as dt
import enum
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
        for town in self.towns:
            for village in town.villages:
                if village.code == code:
                    return village
        return None

    def town(self, code: str) -> Town | None:
        return next((t for t in self.towns if t.code == code), None)


@dataclass(frozen=True)
class Standard:
    """One effective-dated standard from data/policy/<year>.yaml."""

    program: str
    amount: Decimal
    unit: str  # "元/人·月" or "元/人·年"
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
    PUBLICITY = "publicity"  # 公示
    RESULT = "result"  # 公布

    @property
    def label(self) -> str:
        return {"publicity": "公示", "result": "公布"}[self.value]


@dataclass(frozen=True)
class Provenance:
    """Where a value came from, for messages: file and line (1-based)."""

    file: str
    line: int | None = None


@dataclass(frozen=True)
class RosterRow:
    person_key: str  # never rendered; links a 公示 to its 公布
    fields: dict[str, Any]  # every other field as written in data/
    where: Provenance


@dataclass(frozen=True)
class Notice:
    id: str
    program: str
    kind: NoticeKind
    division_code: str
    issuer: str
    document_number: str
    # 公示: the day of posting. 公布: the day the result goes public.
    start: dt.date
    # 公布 only: the 公示 it follows and the approval date.
    publicity_id: str | None
    approved_on: dt.date | None
    roster: tuple[RosterRow, ...]
    where: Provenance


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
    rows: tuple[dict[str, Any], ...]


@dataclass
class Dataset:
    """Everything `load` read from data/."""

    site: Site
    divisions: Divisions
    policy: Policy
    notices: list[Notice] = field(default_factory=list)
