"""The audit's prefilter: compiled scanners that prove most files clean without decoding them.

The full check (`audit.audit_file`) decodes a file and searches five forms of it in Python: the text
with JSON \\u escapes decoded (F1), F1 with HTML entities decoded (F2), F1 with tags removed and then
entities decoded (F3), F1 URL-decoded (F4), and F1 "squeezed" (separators deleted, full-width letters
and digits folded: F0, raw values only). That costs about 1.5 ms for a 30 KB page. This module scans
the bytes once or twice with compiled code (Hyperscan for numbers and encodings, Aho-Corasick for
raw values) and says "clean" only where the full check provably finds nothing in the content; every
other file still gets the full check. So the prefilter can only save time, never lose a finding.

Why "clean" is safe. Bytes are scanned after JSON-decoding (P, the bytes of F1: the escapes are
ASCII, so decoding them in bytes or in text gives the same characters) and, for markup, with tags
removed (S = the bytes of F3 before its entities are decoded). Call a character *relevant* if it can
be part of a finding: digits, X/x, the separators, brackets and plus signs numbers may contain, hex
letters when person keys are searched, and every character of every raw value.

1. Encodings. A file goes to the full check if P or S holds `&#` (any numeric entity, which may also
   decode to nothing), a named entity whose value holds a relevant character or whose name, written
   without ";", ends in a digit or hex letter (it could shift where a number starts: "&sup2 138…"),
   `%XX` (F4 differs from F1 only where one is), or a full-width digit or letter (which F0 folds).
   Without those, F2 differs from F1, and F3 from S, only in entities that decode to characters
   that are not relevant, never to nothing, and that do not end next to a number in a relevant
   way. A finding in F2 is made of relevant characters, so they stood side by side in F1 too, in
   the same run of digits, and the same holds for F3 and S. F4 is F1.
2. Numbers. Every detector (ID number, disability certificate, mobile, landline, bank card) matches
   a run of digits with at most one separator between two digits, not preceded by a digit or a
   digit and a separator, not followed by a separator and a digit. The patterns below are the same
   shapes with those conditions weakened (an ID number's birth date only by its digit ranges; no
   check character, Luhn sum or phone-number validation). Where one matches, the run around it is
   checked with `detect.find_personal_data` itself, on a window large enough to hold the whole
   candidate; only if that finds nothing is the match dismissed (the published hotlines). A window
   can cut a run only far from the candidate, which can only make more candidates, never fewer.
   Separators outside ASCII are rewritten to "-" (one character for one; the detectors treat all
   separators alike) before those patterns run, wherever one stands next to a digit; full-width
   brackets and plus signs are in the patterns.
3. Person keys: any 64-hex run, checked against the keys.
4. Raw values are searched in squeezed P and squeezed S, with the values squeezed the same way:
   a value in F1 or F0 is, squeezed, in squeezed P; a value in F3 is in squeezed S (1. again for F2
   and F4). Matching a value that was not there before squeezing only sends a file to the full check.

P and S are scanned as one buffer, joined by a NUL byte that no pattern or value holds and that the
detectors read as neither digit, separator nor hex. A gzip file is scanned decompressed, as the full
check reads it; files that are not plain bytes (a PDF under any name, a PNG with deflated text, UTF-16,
NUL-padded) always get the full check.
No raw value is written anywhere: the scanners live in memory only (the build keeps its compiled
number and encoding patterns in its cache, made without raw values: `_database`). File and folder names get the same treatment (without the forms they never get).

5. Pages repeat themselves: the theme's head, header, navigation and footer are the same bytes on
   every page at one folder depth, three quarters of a county site. So markup is cut just before
   each "<div" into segments and compared, segment by segment, with the last clean file cut into as
   many: only the segments that differ, and the seams around them, are scanned. That gives the
   verdict a scan of the whole file gives:
   - A cut stands before a "<", which no raw value holds (else nothing is cut), nor any number,
     key, entity, escape or "%XX", and which the detectors read like the end of the text. So in P
     no finding spans a cut, and one inside an unchanged segment would be in the clean file too.
   - A cut is kept only where the segment before it holds no "<" after its last ">" (else the file
     is scanned whole): no tag runs over it, so the file's S is its segments' S one after another.
   - In S a finding can span cuts. A *stopper* is a character that is not squeezed, not relevant,
     and not "&", "#", "%", a letter or a digit: no number, key, value, entity or escape runs through
     it. A finding lies between the last stopper before it and the first one after it. Where every
     segment that stretch touches is unchanged, the clean file holds the same stretch; else it
     touches a changed segment, and for each of those the whole S is scanned with its neighbours'
     back to the last stopper before it and on to the first one after it (a neighbour without a
     stopper is taken whole, and the next one looked at).
"""

from __future__ import annotations

import gzip
import hashlib
import re
import zlib
from dataclasses import dataclass, field
from html.entities import html5
from typing import Protocol

from .audit_pdf import is_pdf
from .detect import find_personal_data

try:  # x86-64 wheels only; elsewhere every file gets the full check
    import hyperscan
except ImportError:  # pragma: no cover - platform without a wheel
    hyperscan = None
try:
    import ahocorasick_rs
except ImportError:  # pragma: no cover
    ahocorasick_rs = None

# -- what the full check knows about numbers, in bytes --------------------------------------------
# Separators the detectors allow inside a number (detect._SEP, and what fold() makes of \u3000 and
# \uff0d), and the characters a run of digits may also hold (detect._RUN): brackets and plus signs.
MULTIBYTE_SEPARATORS = ("\u00a0", "\u200b", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212", "\u3000",
                        "\uff0d")
_SEPARATORS_TO_ASCII = [(c.encode("utf-8"), b"-") for c in MULTIBYTE_SEPARATORS]
RELEVANT_TO_NUMBERS = frozenset("0123456789Xx \t-()+\uff08\uff09\uff0b\uff38\uff58" + "".join(MULTIBYTE_SEPARATORS)) \
    | frozenset(chr(0xFF10 + i) for i in range(10))
HEX = frozenset("0123456789abcdefABCDEF")


def _alternatives(chars) -> bytes:
    return b"|".join(re.escape(c.encode("utf-8")) for c in sorted(chars))


_MB_SEPARATOR = b"(?:" + _alternatives(MULTIBYTE_SEPARATORS) + b")"
_OPEN, _CLOSE, _PLUS = rb"(?:\(|\xef\xbc\x88)", rb"(?:\)|\xef\xbc\x89)", rb"(?:\+|\xef\xbc\x8b)"

# The number shapes, with separators " \t-" (the others are rewritten to "-" first, see _scan).
_S = rb"[ \t\-]?"
_D = rb"[0-9]"
_BEFORE = rb"(?:^|[^0-9 \t\-]|(?:^|[^0-9])[ \t\-])"  # not a digit, nor a digit and a separator
_AFTER = rb"(?:$|[^0-9 \t\-]|[ \t\-](?:$|[^0-9]))"  # not a digit, nor a separator and a digit


def _digits(*atoms: bytes) -> bytes:
    return _S.join(atoms)


_YEAR = b"(?:" + b"|".join((_digits(b"1", b"8", b"9", _D), _digits(b"1", b"9", _D, _D),
                            _digits(b"2", b"0", _D, _D))) + b")"
_MONTH = b"(?:" + _digits(b"0", b"[1-9]") + b"|" + _digits(b"1", b"[0-2]") + b")"
_DAY = b"(?:" + _digits(b"0", b"[1-9]") + b"|" + _digits(b"[12]", _D) + b"|" + _digits(b"3", b"[01]") + b")"
# An ID number, or the first 18 characters of a disability certificate number (no _AFTER: the
# certificate goes on with two digits).
ID_SHAPE = _BEFORE + _digits(b"[1-9]", _D, _D, _D, _D, _D, _YEAR, _MONTH, _DAY, _D, _D, _D, b"[0-9Xx]")
MOBILE_SHAPE = (_BEFORE + b"(?:" + _PLUS + b"?8" + _S + b"6" + _S + b"|008" + _S + b"6" + _S + b")?" +
                _digits(b"1[3-9]" + _D, *[_D] * 8) + _AFTER)
BANK_CARD_SHAPE = _BEFORE + rb"[3-6](?:[ \t\-]?[0-9]){15,18}" + _AFTER
LANDLINE_SHAPE = (_BEFORE + _OPEN + rb"?0[1-9][0-9]{1,2}" + _CLOSE + b"?" + _S + rb"[2-9][0-9]{2,3}" + _S + rb"[0-9]{4}" +
                  _AFTER)
KEY_SHAPE = rb"(?:^|[^0-9a-fA-F])[0-9a-fA-F]{64}(?:$|[^0-9a-fA-F])"
FULL_WIDTH_ALNUM = rb"\xef\xbc[\x90-\x99\xa1-\xba]|\xef\xbd[\x81-\x9a]"
# A multi-byte separator next to a digit: the buffer is rewritten with "-" for it and scanned again.
# Inside a number every separator stands next to a digit.
_NEXT_TO_DIGIT = rb"[0-9]" + _MB_SEPARATOR + b"|" + _MB_SEPARATOR + rb"[0-9]"

_PERSON_KEY = re.compile(rb"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])")
_JSON_ESCAPE = re.compile(rb"\\u([0-9a-fA-F]{4})")
_TAG = re.compile(rb"<[^>]*>")
_SQUEEZE_ASCII = b" \t\r\n-"
_FULL_CHECK_SUFFIXES = frozenset({".pdf"})
# Around a number shape's end: the candidate (at most 20 characters of 4 bytes, and a prefix) and any
# candidate that could overlap it lie inside.
WINDOW = 256
# Past this many number shapes the full check is cheaper: one window's check costs about what the full
# check of BYTES_PER_NUMBER bytes does (a big file full of digests may hold hundreds).
MAX_NUMBERS, BYTES_PER_NUMBER = 64, 2048
# Where markup is cut into segments (point 5 above), and the characters that may be stoppers there
# (less those the values searched hold).
SEGMENT_CUT = b"<div"
MAX_SHAPES = 512  # clean files kept to compare with, one per segment count (a page is 30 KB or so)
STOPPER_CANDIDATES = frozenset("\"'=/<>;:,.!?*[]{}|_~^@$`\uff0c\u3002\u3001\uff1a\uff1b\uff01\uff1f\u201c\u201d"
                               "\u300a\u300b\u3010\u3011")

# Pattern kinds: a TRIGGER sends the file to the full check; the others are looked at.
TRIGGER, NUMBER, KEY, NEXT_TO_DIGIT, MB_SEPARATOR = range(5)
# Between the bytes of a file and those of its tag-stripped form, scanned as one: no pattern and no raw
# value holds it, and the detectors read it as a character that is neither digit, separator nor hex.
JOIN = b"\x00"


def entity_triggers(relevant: frozenset[str], boundary: frozenset[str]) -> list[bytes]:
    """"&name" of every named entity whose value holds a relevant character, or whose name without
    ";" (matched as a prefix by html.unescape) ends in a character the detectors look behind at."""
    found = set()
    for name, value in html5.items():
        if set(value) & relevant or (not name.endswith(";") and name[-1] in boundary):
            found.add(b"&" + name.rstrip(";").encode("ascii"))
    return sorted(found)


_CHARS: dict[bytes, bytes] = {}


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _deflated_png_text(data: bytes) -> bool:
    """A PNG that may hold deflated text (audit.png_compressed_texts): its bytes do not show it."""
    return data.startswith(PNG_MAGIC) and (b"zTXt" in data or b"iTXt" in data)


def _closed(segment: bytes, first: bool) -> bool:
    """No tag runs over the end of this segment: it holds no "<" after its last ">" (a segment
    other than the first begins with the "<" of SEGMENT_CUT, which its bytes leave out)."""
    last_open = segment.rfind(b"<")
    return segment.rfind(b">") > last_open or (first and last_open < 0)


def _char(hex_digits: bytes) -> bytes:
    """What the JSON escape \\u<hex_digits> stands for, in UTF-8 (a lone surrogate as Python keeps it)."""
    _CHARS[hex_digits] = chr(int(hex_digits, 16)).encode("utf-8", "surrogatepass")
    return _CHARS[hex_digits]


@dataclass
class _Seen:
    flags: set[int] = field(default_factory=set)
    numbers: list[int] = field(default_factory=list)
    separators: set[bytes] = field(default_factory=set)  # the multi-byte separators present
    max_numbers: int = MAX_NUMBERS


class CompiledStore(Protocol):
    """Where compiled scanners are kept between runs (the build's cache: build.py)."""

    def load(self, key: str) -> bytes | None: ...

    def save(self, key: str, blob: bytes) -> None: ...


# A stored database is its bytes after their SHA-256 and the ids of the patterns the probe below matched
# when it was compiled. A damaged one is never loaded (Hyperscan checks a CRC of the compiled patterns,
# but loads one whose reserved header bytes or trailing padding changed); one compiled for another CPU
# loads but cannot scan. So a loaded database must scan the probe and match the same patterns, else it
# is compiled anew.
# One of each shape, obviously no one's: a division code of 99 (none exists), zeros; the detectors' own
# checks (check character, phone numbering, Luhn) play no part in the patterns.
_PROBE = b"; ".join([b"&#1", b"990100" + b"19900101" + b"1230", b"13" + b"0" * 9, b"6" + b"0" * 18,
                     b"010-2000-" + b"0" * 4, b"\xc2\xa01", b"ab" * 32, b""])
_STORED_FORMAT = 2


def _probe_ids(db: "hyperscan.Database") -> bytes:
    """The ids of the patterns `db` matches in the probe, sorted (raises hyperscan.error where it cannot scan)."""
    found: set[int] = set()
    db.scan(_PROBE, match_event_handler=lambda pattern, *_: found.add(pattern), scratch=hyperscan.Scratch(db))
    return bytes(sorted(found))


def _database(expressions: list[bytes], flags: list[int], store: CompiledStore | None) -> "hyperscan.Database":
    """The Hyperscan database of these expressions: loaded from `store` where it holds a good one made
    for the same expressions by the same Hyperscan, else compiled (0.07-0.1 s of every build's audit) and
    put there."""
    key = hashlib.sha256(repr((_STORED_FORMAT, hyperscan.__version__, expressions, flags)).encode()).hexdigest()
    blob = store.load(key) if store is not None else None
    if blob is not None and len(blob) > 33 and hashlib.sha256(blob[32:]).digest() == blob[:32]:
        ids, data = blob[33:33 + blob[32]], blob[33 + blob[32]:]
        try:
            db = hyperscan.loadb(data, hyperscan.HS_MODE_BLOCK)
            if _probe_ids(db) == ids:
                return db
        except hyperscan.error:
            pass
    db = hyperscan.Database()
    db.compile(expressions=expressions, ids=list(range(len(expressions))), elements=len(expressions), flags=flags)
    if store is not None:
        ids = _probe_ids(db)
        payload = bytes([len(ids)]) + ids + hyperscan.dumpb(db)
        store.save(key, hashlib.sha256(payload).digest() + payload)
    return db


class Prefilter:
    """Built once per audit (before the worker processes fork); `clean` per file."""

    def __init__(self, words: list[str] | None, allowed: frozenset[str], person_keys: frozenset[str],
                 store: CompiledStore | None = None):
        """`words`: every string the raw-value automaton holds (None: no raw rosters); `store`: where the
        compiled scanner may be kept between runs (not used with raw values)."""
        self.allowed, self.person_keys = allowed, person_keys
        relevant = set(RELEVANT_TO_NUMBERS) | (HEX if person_keys else set())
        # The detectors look behind a number at hex letters too (detect._inside_hash drops a number in a
        # long hex run), whether or not person keys are searched.
        boundary = set("0123456789") | HEX
        self.values = None
        if words is not None:
            for word in words:
                relevant |= set(word)
            joined = JOIN.join(w.encode("utf-8") for w in words)
            if words and joined.count(JOIN) != len(words) - 1:
                raise ValueError("a raw value the prefilter cannot search")  # caller falls back to the full check
            squeezed = set(self.squeeze(joined).split(JOIN)) if words else set()  # all at once: 80,000 values
            if b"" in squeezed:
                raise ValueError("a raw value the prefilter cannot search")
            self.values = ahocorasick_rs.BytesAhoCorasick(sorted(squeezed)) if squeezed else None
        expressions = [
            (TRIGGER, rb"&#"), (TRIGGER, rb"%[0-9A-Fa-f]{2}"), (TRIGGER, FULL_WIDTH_ALNUM),
            (TRIGGER, b"|".join(re.escape(e) for e in entity_triggers(frozenset(relevant), frozenset(boundary)))),
            (NUMBER, ID_SHAPE), (NUMBER, MOBILE_SHAPE), (NUMBER, BANK_CARD_SHAPE), (NUMBER, LANDLINE_SHAPE),
            (NEXT_TO_DIGIT, _NEXT_TO_DIGIT),
        ] + [(MB_SEPARATOR, re.escape(separator)) for separator, _ in _SEPARATORS_TO_ASCII]
        if person_keys:
            expressions.append((KEY, KEY_SHAPE))
        self.kinds = [kind for kind, _ in expressions]
        self.separators = {i: _SEPARATORS_TO_ASCII[i - self.kinds.index(MB_SEPARATOR)][0]
                           for i, kind in enumerate(self.kinds) if kind == MB_SEPARATOR}
        single = hyperscan.HS_FLAG_SINGLEMATCH
        # Stored only where no raw value went into the expressions (the entity triggers follow their characters).
        self.db = _database([e for _, e in expressions], [0 if k == NUMBER else single for k in self.kinds],
                            store if words is None else None)
        self._scratch = None
        self._lines: dict[bytes, bytes] = {}
        stoppers = b"|".join(re.escape(c.encode("utf-8")) for c in sorted(STOPPER_CANDIDATES - relevant))
        self._segmented = "<" not in relevant and bool(stoppers)
        self._first_stopper = re.compile(stoppers)
        self._last_stopper = re.compile(b"(?s:.*)(" + stoppers + b")")
        # Segment count -> the segments of the last clean file cut into as many, and their `_record`s.
        self._refs: dict[int, tuple[list[bytes], list[tuple[bytes, int, int]]]] = {}

    @staticmethod
    def available() -> bool:
        return hyperscan is not None and ahocorasick_rs is not None

    @staticmethod
    def squeeze(data: bytes, separators=tuple(s for s, _ in _SEPARATORS_TO_ASCII)) -> bytes:
        """audit.squeezed without the full-width folding (a file holding full-width letters or digits
        gets the full check): every separator deleted; `separators`: the multi-byte ones present."""
        data = data.translate(None, _SQUEEZE_ASCII)
        for separator in separators:
            data = data.replace(separator, b"")
        return data

    # -- per file ------------------------------------------------------------------------------------
    def clean(self, data: bytes, suffix: str, markup: bool) -> bool:
        """True only if the full check of a file's content, these bytes, finds nothing."""
        if suffix == ".gz":  # as audit.decode reads it: decompressed if it can be, then as plain bytes
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError, zlib.error):
                pass
            suffix = ""
        if (suffix in _FULL_CHECK_SUFFIXES or is_pdf(data) or _deflated_png_text(data)
                or data[:2] in (b"\xff\xfe", b"\xfe\xff")
                or len(data) > 16 and b"\x00" in data and data.count(b"\x00") > len(data) // 4):
            return False
        return self._clean(self.json_decoded(data), markup)

    def clean_name(self, text: str) -> bool:
        """True only if the checks of a file or folder name (as it is: no forms but the squeezed one)
        find nothing."""
        return self._clean(text.encode("utf-8", "surrogatepass"), False)

    def _clean(self, plain: bytes, markup: bool) -> bool:
        if markup and b"<" not in plain:  # no tag: S is P (a search index, a manifest)
            markup = False
        if markup and self._segmented and JOIN not in plain:
            return self._clean_segments(plain)
        return self._check(plain + JOIN + _TAG.sub(b"", plain) if markup else plain)

    def _check(self, data: bytes) -> bool:
        """Nothing in `data` (P, or P + JOIN + S) that the full check could find."""
        scanned = self._scan(data)
        if scanned is None:
            return False
        seen, numbers_in = scanned
        if seen.numbers and not self._numbers_clean(numbers_in, seen.numbers):
            return False
        # As detect.find_personal_data compares: a run lower-cased, among the keys as they are.
        if KEY in seen.flags and not self.person_keys.isdisjoint(
                run.decode("ascii") for run in _PERSON_KEY.findall(data.lower())):
            return False
        return self.values is None or not self.values.find_matches_as_indexes(self.squeeze(data, seen.separators))

    # -- markup, segment by segment (point 5 of the module's text) -----------------------------------
    def _clean_segments(self, plain: bytes) -> bool:
        """`_clean(plain, True)`: the segments that differ from the last clean file's, and their seams."""
        parts = plain.split(SEGMENT_CUT)
        ref = self._refs.get(len(parts))
        if ref is None:
            return self._clean_new_shape(plain, parts)
        ref_parts, ref_records = ref
        changed = [i for i, same in enumerate(map(bytes.__eq__, parts, ref_parts)) if not same]
        if not changed:
            return True  # the same bytes as a clean file
        last = len(parts) - 1
        if any(i < last and not _closed(parts[i], i == 0) for i in changed):
            return self._check(plain + JOIN + _TAG.sub(b"", plain))  # a tag runs over a cut
        new = JOIN.join([parts[i] if i == 0 else SEGMENT_CUT + parts[i] for i in changed])
        stripped = _TAG.sub(b"", new)
        records = list(ref_records)
        for i, s in zip(changed, stripped.split(JOIN)):
            records[i] = self._record(s)
        seams = [self._around(records, i) for i in changed]
        if not self._check(new + JOIN + JOIN.join(seams)):  # each seam holds its segment's whole S
            return False
        self._refs[len(parts)] = (parts, records)  # the next file is more like this one
        return True

    def _clean_new_shape(self, plain: bytes, parts: list[bytes]) -> bool:
        """The first file with this many segments: checked whole, then kept to compare the next with
        (if no tag runs over a cut)."""
        stripped = _TAG.sub(b"", plain)
        if not self._check(plain + JOIN + stripped):
            return False
        if len(self._refs) < MAX_SHAPES and all(_closed(p, i == 0) for i, p in enumerate(parts[:-1])):
            joined = JOIN.join([parts[0]] + [SEGMENT_CUT + p for p in parts[1:]])
            self._refs[len(parts)] = (parts, [self._record(s) for s in _TAG.sub(b"", joined).split(JOIN)])
        return True

    def _record(self, stripped: bytes) -> tuple[bytes, int, int]:
        """A segment's S, where its first stopper ends and where its last one starts (-1, -1: none),
        for the seams."""
        head = self._first_stopper.search(stripped)
        if head is None:
            return stripped, -1, -1
        return stripped, head.end(), self._last_stopper.match(stripped).start(1)

    @staticmethod
    def _around(records: list[tuple[bytes, int, int]], i: int) -> bytes:
        """Segment i's S with what a finding that runs into it could hold of its neighbours: back to
        the last stopper before it and on to the first one after it."""
        left, j = [], i - 1
        while j >= 0:
            s, _, last = records[j]
            if last >= 0:
                left.append(s[last:])
                break
            left.append(s)
            j -= 1
        right, j = [], i + 1
        while j < len(records):
            s, first, _ = records[j]
            if first >= 0:
                right.append(s[:first])
                break
            right.append(s)
            j += 1
        return b"".join(reversed(left)) + records[i][0] + b"".join(right)

    def json_decoded(self, data: bytes) -> bytes:
        """`data` with every \\uXXXX decoded, line by line: the pages' lines with escapes (the theme's
        translations) repeat from page to page, so each is decoded once."""
        at = self._escape(data, 0)
        if at < 0:
            return data
        parts, done = [], 0
        while at >= 0:
            start = data.rfind(b"\n", 0, at) + 1
            end = data.find(b"\n", at)
            end = len(data) if end < 0 else end
            line = data[start:end]
            decoded = self._lines.get(line)
            if decoded is None:
                parts_of_line = _JSON_ESCAPE.split(line)  # text, hex digits, text, … (a search index: a million)
                parts_of_line[1::2] = [_CHARS.get(h) or _char(h) for h in parts_of_line[1::2]]
                decoded = b"".join(parts_of_line)
                if len(line) < 1 << 16:
                    self._lines[line] = decoded
            parts += [data[done:start], decoded]
            done = end
            at = self._escape(data, end)
        parts.append(data[done:])
        return b"".join(parts)

    @staticmethod
    def _escape(data: bytes, start: int) -> int:
        """data.find(b"\\u", start), by way of the one-byte search (memchr), which is 15 times faster."""
        at = data.find(b"\\", start)
        while at >= 0 and data[at + 1:at + 2] != b"u":
            at = data.find(b"\\", at + 1)
        return at

    def _scan(self, data: bytes) -> tuple[_Seen, bytes] | None:
        """What the patterns see in `data`, and the bytes the number offsets refer to (`data` with
        multi-byte separators rewritten to "-" where one stands next to a digit); None where a trigger
        matched."""
        if self._scratch is None:
            self._scratch = hyperscan.Scratch(self.db)
        seen = _Seen(max_numbers=max(MAX_NUMBERS, len(data) // BYTES_PER_NUMBER))
        kinds = self.kinds

        separators = self.separators

        def on_match(pattern: int, start: int, end: int, flags: int, context: _Seen) -> bool:
            kind = kinds[pattern]
            if kind == NUMBER:
                context.numbers.append(end)
                return len(context.numbers) > context.max_numbers  # many numbers: the full check is cheaper
            if kind == MB_SEPARATOR:
                context.separators.add(separators[pattern])
            context.flags.add(kind)
            return kind == TRIGGER

        try:
            self.db.scan(data, match_event_handler=on_match, context=seen, scratch=self._scratch)
        except hyperscan.ScanTerminated:
            return None
        if NEXT_TO_DIGIT not in seen.flags:
            return seen, data
        # One character for one, and the detectors treat every separator alike.
        rewritten = data
        for separator in seen.separators:
            rewritten = rewritten.replace(separator, b"-")
        again = self._scan(rewritten)
        if again is not None:
            again[0].flags |= seen.flags - {NEXT_TO_DIGIT}
            again[0].separators = seen.separators
        return again

    def _numbers_clean(self, data: bytes, ends: list[int]) -> bool:
        """Every number shape found is dismissed by the detectors themselves (a published hotline, a
        wrong check character, a failed Luhn sum, not a phone number)."""
        for end in ends:
            window = data[max(0, end - WINDOW):end + WINDOW].decode("utf-8", "replace")
            if any(True for _ in find_personal_data(window, self.allowed)):
                return False
        return True
