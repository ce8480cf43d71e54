"""Detectors: find personal data in text. They find; they never transform (see `mask`).

Used by `validate` (data/ must hold none), by `audit` (the site must hold none) and
by `redact` (no message may show any). Numbers are found in the forms people and
software write them: full-width digits, spaces or dashes inside, a lower-case x,
a +86 prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

# GB 11643: 17 digits and an ISO 7064 MOD 11-2 check character.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_SEP = r"[ \t\-\u200b]"  # what may stand between the digits of a number (\u200b: jieba's word joiner)
# Not inside a longer run of digits, with or without separators.
_BEFORE = r"(?<![0-9])(?<![0-9][ \t\-\u200b])"
_AFTER = rf"(?!{_SEP}?[0-9])"
_ID = re.compile(rf"{_BEFORE}([1-9](?:{_SEP}?[0-9]){{16}}{_SEP}?[0-9Xx]){_AFTER}")
# Mainland mobile numbers: 11 digits starting 13-19, optionally after +86 / 0086 / 86.
_MOBILE = re.compile(rf"{_BEFORE}(?:(?:\+|00)?86{_SEP}?)?(1[3-9][0-9](?:{_SEP}?[0-9]){{8}}){_AFTER}")
_PERSON_KEY = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])")
_DIGITS = re.compile(r"[^0-9Xx]")

# Full-width ASCII (U+FF01-FF5E) and the ideographic space, folded one character for one,
# so positions found in the folded text are positions in the original.
_FOLD = {0xFF01 + i: 0x21 + i for i in range(0x5E)} | {0x3000: 0x20}


def fold(text: str) -> str:
    return text.translate(_FOLD)


def id_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def is_valid_id_checksum(value: str) -> bool:
    return len(value) == 18 and value[:17].isdigit() and id_check_char(value[:17]) == value[17].upper()


@dataclass(frozen=True)
class Match:
    kind: str  # "id-number", "mobile", "person-key"
    start: int
    end: int
    value: str  # normalized (digits only, upper-case X): never print it; use `masked`

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
    folded = fold(text)
    for m in _ID.finditer(folded):
        value = _DIGITS.sub("", m.group(1)).upper()
        if is_valid_id_checksum(value):
            yield Match("id-number", m.start(1), m.end(1), value)
    for m in _MOBILE.finditer(folded):
        value = _DIGITS.sub("", m.group(1))
        if value not in allowed:
            yield Match("mobile", m.start(), m.end(), value)
    if person_keys:
        for m in _PERSON_KEY.finditer(folded):
            if m.group().lower() in person_keys:
                yield Match("person-key", m.start(), m.end(), m.group().lower())


def redact(text: str, person_keys: frozenset[str] = frozenset()) -> str:
    """`text` with every ID number, mobile number and person key it holds masked, for messages."""
    matches = sorted(find_personal_data(text, person_keys=person_keys), key=lambda m: m.start, reverse=True)
    for m in matches:
        text = text[: m.start] + m.masked + text[m.end:]
    if not person_keys:
        text = _PERSON_KEY.sub(lambda m: mask_excerpt(m.group()), text)  # any 64-hex run may be a key
    return text
