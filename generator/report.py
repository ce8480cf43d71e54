"""Problems as data: a stable slug, where it is, and a Chinese message saying what to do.

Tests compare slugs; people read messages. A message never carries a raw
personal value: callers pass masked forms only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

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


def not_utf8(path: Path, name: str) -> Problem | None:
    """A problem where the file at `path` (`name`: as a clerk names it) is not UTF-8, with or without a
    byte-order mark: staff edit pages and templates in Notepad or WPS, which may save in the system's
    code page (GBK). At the line of the first byte that is not UTF-8. None where it is, or cannot be read
    (its reader says so)."""
    try:
        data = path.read_bytes()
        data.decode("utf-8")
    except OSError:
        return None
    except UnicodeDecodeError as exc:
        return Problem("not-utf8", "文件不是 UTF-8 编码（可能是用记事本或 WPS 存成了 ANSI/GBK 编码）。"
                       "请用“另存为”，编码选 UTF-8，重新保存后再生成。", name, data.count(b"\n", 0, exc.start) + 1)
    return None


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
