"""Problems as data: a stable slug, where it is, and a Chinese message saying what to do.

Tests compare slugs; people read messages. A message never carries a raw
personal value: callers pass masked forms only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .detect import redact


class Severity(enum.Enum):
    ERROR = "错误"
    WARNING = "警告"


@dataclass(frozen=True)
class Problem:
    slug: str
    message: str
    file: str
    line: int | None = None
    column: str | None = None  # the field or column header as written
    severity: Severity = Severity.ERROR

    def format(self) -> str:
        """The one way a problem reaches a screen or a log: anything that looks like an ID number,
        a mobile number or a person key is masked, whatever a message was built from."""
        where = self.file
        if self.line is not None:
            where += f" 第{self.line}行"
        if self.column:
            where += f" “{self.column}”"
        return redact(f"{self.severity.value} [{self.slug}] {where}：{self.message}")


class BuildFailed(Exception):
    """Raised by a stage whose problems stop the build; carries every problem found."""

    def __init__(self, stage: str, problems: list[Problem]):
        super().__init__(f"{stage}: {len(problems)} problem(s)")
        self.stage = stage
        self.problems = problems


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity is Severity.ERROR]


def sort_key(p: Problem) -> tuple:
    return (p.file, p.line or 0, p.column or "", p.slug)
