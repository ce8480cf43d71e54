"""Detectors: find personal data in text. They find; they never transform (see `mask`).

Used by `validate` (data/ must hold none), by `audit` (the site must hold none) and
by `redact` (no message may show any). Numbers are found in the forms people and
software write them: full-width digits, spaces or dashes inside, a lower-case x,
a +86 prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date as _date
from typing import Iterator

# GB 11643: 17 digits and an ISO 7064 MOD 11-2 check character.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# What may stand between the digits of a number: spaces (also no-break and jieba's zero-width joiner)
# and dashes of every kind.
_SEP = "[ \t\\-\u200b\u00a0\u2010-\u2014\u2212]"
# Not inside a longer run of digits, with or without separators.
_BEFORE = "(?<![0-9])(?<![0-9][ \t\\-\u200b\u00a0\u2010-\u2014\u2212])"
_AFTER = rf"(?!{_SEP}?[0-9])"
_ID = re.compile(rf"{_BEFORE}([1-9](?:{_SEP}?[0-9]){{16}}{_SEP}?[0-9Xx]){_AFTER}")
# Mainland mobile numbers: 11 digits starting 13-19, optionally after +86 / 0086 / 86.
_MOBILE = re.compile(rf"{_BEFORE}(?:(?:\+|00)?86{_SEP}?)?(1[3-9][0-9](?:{_SEP}?[0-9]){{8}}){_AFTER}")
_PERSON_KEY = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])")
# Bank cards: 16-19 digits passing the Luhn check (UnionPay 62…, Visa 4…, Mastercard 5…, Amex 3…).
_BANK_CARD = re.compile(rf"{_BEFORE}([3-6](?:{_SEP}?[0-9]){{15,18}}){_AFTER}")
# Disability certificates (第二代残疾人证): the holder's ID number, then category 1-7 and grade 1-4.
_DISABILITY_CERT = re.compile(rf"{_BEFORE}([1-9](?:{_SEP}?[0-9]){{16}}{_SEP}?[0-9Xx]{_SEP}?[1-7]{_SEP}?[1-4]){_AFTER}")
# Landline candidates (area code 0xx/0xxx, 7-8 digits), confirmed by phonenumbers for region CN.
_LANDLINE = re.compile(rf"{_BEFORE}(\(?0[1-9][0-9]{{1,2}}\)?{_SEP}?[2-9][0-9]{{2,3}}{_SEP}?[0-9]{{4}}){_AFTER}")
_DIGITS = re.compile(r"[^0-9Xx]")

# Full-width ASCII (U+FF01-FF5E) and the ideographic space, folded one character for one,
# so positions found in the folded text are positions in the original.
_FOLD = {0xFF01 + i: 0x21 + i for i in range(0x5E)} | {0x3000: 0x20}


def fold(text: str) -> str:
    return text.translate(_FOLD)


def id_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def is_valid_id_checksum(value: str) -> bool:
    """18 characters with a valid check character and a real birth date (1890-2099): a 统一社会信用代码
    or other 18-digit code passes the checksum by chance 1 time in 11, but rarely holds a date."""
    if not (len(value) == 18 and value[:17].isdigit() and id_check_char(value[:17]) == value[17].upper()):
        return False
    year, month, day = int(value[6:10]), int(value[10:12]), int(value[12:14])
    if not 1890 <= year <= 2099:
        return False
    try:
        _date(year, month, day)
    except ValueError:
        return False
    return True


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
    "landline": "固定电话",
    "bank-card": "银行卡号",
    "disability-cert": "残疾人证号",
    "person-key": "化名键",
    "data-file": "数据文件",
    "unmasked-name": "未脱敏的姓名",
    "raw-name": "原始名册中的姓名",
    "raw-address": "原始名册中的住址",
    "raw-phone": "原始名册中的电话",
    "raw-id": "原始名册中的身份证号",
}


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _is_landline(candidate: str) -> bool:
    import phonenumbers  # imported on first candidate: most texts have none

    try:
        number = phonenumbers.parse(candidate, "CN")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def mask_excerpt(value: str) -> str:
    """What a report may show of a found value: its first two characters and its length."""
    return value[:2] + "*" * (len(value) - 2) if len(value) > 2 else "*" * len(value)


_HEX = frozenset("0123456789abcdefABCDEF")


def _inside_hash(text: str, start: int, end: int) -> bool:
    """True where [start, end) lies inside a long hex token (a person key or a SHA-256 digest):
    a run of digits there is part of a hash, not a number someone wrote."""
    left, right = start, end
    while left > 0 and text[left - 1] in _HEX:
        left -= 1
    while right < len(text) and text[right] in _HEX:
        right += 1
    token = text[left:right]
    return len(token) >= 32 and any(c in "abcdefABCDEF" for c in token)


_MIN_DIGITS = 7
# Maximal runs of digits with what may stand inside numbers (full-width forms included): the detailed
# patterns only run on runs holding 7 digits or more. Most of a page has none, so this is what keeps an
# audit of a county-size site close to grep's speed. A run that holds 7 digits is 7 characters long at
# least, so shorter ones (a QR code's SVG path is thousands of them) are never handed to Python.
_RUN = re.compile("[+(0-9\uff10-\uff19\uff0b\uff08][0-9\uff10-\uff19 \t\\-\u200b\u3000\uff0d()\uff08\uff09"
                  "\u00a0\u2010-\u2014\u2212]{5,}"
                  "[0-9\uff10-\uff19Xx\uff38\uff58]")
_DIGIT_COUNT = re.compile("[0-9\uff10-\uff19]")


def find_personal_data(
    text: str, allowed: frozenset[str] = frozenset(), person_keys: frozenset[str] = frozenset()
) -> Iterator[Match]:
    """Checksum-valid resident ID numbers and disability certificate numbers, mobile and landline numbers
    not in `allowed` (the published hotlines, digits only), Luhn-valid bank card numbers, and known person keys."""
    for run in _RUN.finditer(text):
        found = run.group()
        # Most runs are dates and amounts, shorter than 7 characters: skip them before counting digits.
        if len(found) >= _MIN_DIGITS and len(_DIGIT_COUNT.findall(found)) >= _MIN_DIGITS:
            yield from _numbers_in(fold(found), run.start(), text, allowed)
    if person_keys:
        for m in _PERSON_KEY.finditer(text):
            if m.group().lower() in person_keys:
                yield Match("person-key", m.start(), m.end(), m.group().lower())


def _numbers_in(run: str, base: int, text: str, allowed: frozenset[str]) -> Iterator[Match]:
    """The numbers in one run of digits; positions are `base` + offset in the whole `text`."""
    def hashed(m: re.Match) -> bool:
        return _inside_hash(text, base + m.start(1), base + m.end(1))

    for m in _ID.finditer(run):
        value = _DIGITS.sub("", m.group(1)).upper()
        if is_valid_id_checksum(value) and not hashed(m):
            yield Match("id-number", base + m.start(1), base + m.end(1), value)
    for m in _MOBILE.finditer(run):
        value = _DIGITS.sub("", m.group(1))
        if value not in allowed and not hashed(m):
            yield Match("mobile", base + m.start(), base + m.end(), value)
    for m in _DISABILITY_CERT.finditer(run):
        value = _DIGITS.sub("", m.group(1)).upper()
        if is_valid_id_checksum(value[:18]) and not hashed(m):
            yield Match("disability-cert", base + m.start(1), base + m.end(1), value)
    for m in _BANK_CARD.finditer(run):
        value = _DIGITS.sub("", m.group(1))
        if luhn_valid(value) and not is_valid_id_checksum(value) and not hashed(m):
            yield Match("bank-card", base + m.start(1), base + m.end(1), value)
    for m in _LANDLINE.finditer(run):
        value = re.sub(r"[^0-9]", "", m.group(1))
        if value not in allowed and not hashed(m) and _is_landline(value):
            yield Match("landline", base + m.start(1), base + m.end(1), value)


def redact(text: str, person_keys: frozenset[str] = frozenset()) -> str:
    """`text` with every ID number, mobile number and person key it holds masked, for messages."""
    matches = sorted(find_personal_data(text, person_keys=person_keys), key=lambda m: m.start, reverse=True)
    for m in matches:
        text = text[: m.start] + m.masked + text[m.end:]
    if not person_keys:
        text = _PERSON_KEY.sub(lambda m: mask_excerpt(m.group()), text)  # any 64-hex run may be a key
    return text
