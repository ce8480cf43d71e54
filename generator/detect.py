"""Detectors: find personal data in text. They find; they never transform (see `mask`).

Used by `validate` (data/ must hold none) and by `audit` (the site must hold none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

# GB 11643: 17 digits and an ISO 7064 MOD 11-2 check character.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])")
# Mainland mobile numbers: 11 digits starting 13-19.
_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
_PERSON_KEY = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")


def id_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def is_valid_id_checksum(value: str) -> bool:
    return len(value) == 18 and value[:17].isdigit() and id_check_char(value[:17]) == value[17].upper()


@dataclass(frozen=True)
class Match:
    kind: str  # "id-number", "mobile", "person-key"
    start: int
    end: int
    value: str  # raw: never print it; use `masked`

    @property
    def masked(self) -> str:
        return mask_excerpt(self.value)

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


KIND_LABELS = {
    "id-number": "身份证号",
    "mobile": "手机号",
    "person-key": "化名键",
    "data-file": "数据文件",
}


def mask_excerpt(value: str) -> str:
    """What a report may show of a found value: its first two characters and its length."""
    return value[:2] + "*" * (len(value) - 2) if len(value) > 2 else "*" * len(value)


def find_personal_data(
    text: str, allowed: frozenset[str] = frozenset(), person_keys: frozenset[str] = frozenset()
) -> Iterator[Match]:
    """Checksum-valid resident ID numbers, mobile numbers not in `allowed`, and known person keys."""
    for m in _ID.finditer(text):
        if is_valid_id_checksum(m.group()):
            yield Match("id-number", m.start(), m.end(), m.group())
    for m in _MOBILE.finditer(text):
        if m.group() not in allowed:
            yield Match("mobile", m.start(), m.end(), m.group())
    if person_keys:
        for m in _PERSON_KEY.finditer(text):
            if m.group() in person_keys:
                yield Match("person-key", m.start(), m.end(), m.group())
