"""Detectors: find personal data in text. They find; they never transform (see `mask`).

Used by `validate` (data/ must hold none), by `audit` (the site must hold none) and
by `redact` (no message may show any). Numbers are found in the forms people and
software write them: full-width digits, spaces or dashes inside, a lower-case x,
a +86 prefix.
"""

from __future__ import annotations

import contextlib
import functools
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
# Hex characters to "x", everything else to " ": a 64-hex run is then a plain substring search (memmem),
# 20 times faster than a regex trying a run at every letter a-f of a page.
HEX_MAP = bytes(ord("x") if chr(b) in "0123456789abcdefABCDEF" else ord(" ") for b in range(256))
HEX_RUN = b"x" * 64


def hex64_runs(data: bytes) -> list[bytes]:
    """Every run of exactly 64 hex characters in `data`: what `_PERSON_KEY` finds, by way of HEX_MAP."""
    mapped = data.translate(HEX_MAP)
    found = []
    at = mapped.find(HEX_RUN)
    while at >= 0:  # `at` starts a run: it follows a non-hex byte, or the end of the last run
        end = mapped.find(b" ", at)
        end = len(mapped) if end < 0 else end
        if end - at == 64:
            found.append(data[at:end])
        at = mapped.find(HEX_RUN, end)
    return found
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


# -- personal names in free text (村务公开 items, project names, 双公示 matters) ------------------------
# Free text is published as written, so a full name in it ("支付刘建国误工补贴") would be a leak that no
# number detector sees. jieba's part-of-speech tagger marks person names ("nr"), but it also marks
# many place and thing names; what is reported is kept to the shapes that are rarely anything else.
# The ~400 most frequent single-character surnames (with mask.COMPOUND_SURNAMES for the others).
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕"
    "单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚"
    "娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池"
    "查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴"
    "盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊乌母裘亓修邰赫杭况那"
    "宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
)
# Last characters of place and body names jieba makes up and tags "nr" (高庄, 文明村, 陈家坝), kept to those
# that rarely end a given name. Words jieba's dictionary holds (宣传栏, 农家乐, 金银花) are excluded by lookup.
_NOT_A_NAME_END = frozenset("村庄湾桥坝组镇乡场店厂港沟塘堰岭坡寨屯营铺集街路渠峪坪岗垸圩楼院馆站所局社队家县区州市省栏费庙祠")
# Titles, and 村民/居民 (前林村民委员会: jieba takes 林村民 for a name).
_TITLES = ("老师", "师傅", "书记", "主任", "会计", "组长", "村长", "大夫", "医生", "先生", "女士", "同志", "总", "村民", "居民")
# Already anonymized: 刘**, 王某, 张氏.
_MASKED = frozenset("*＊某氏")
# A two-character name is reported only right after a word that introduces a person.
_BEFORE_A_NAME = ("支付", "付给", "付", "给", "发放", "奖励", "补助", "慰问", "村民", "农户", "户主", "个体户", "支书",
                  "书记", "主任", "会计", "组长", "委员", "队长", "承包人", "负责人", "经办人", "收款人", "领款人", "社员",
                  "困难户", "贫困户", "低保户", "五保户", "特困户", "脱贫户", "学生", "村医", "老人", "党员", "保洁员", "护林员")
# Verbs jieba glues to the name that follows (付张伟 is one "nr" word).
_GLUED = ("付", "给")
# A surname character tagged as one of these is the word it also is (付 "pay", 向 "towards"): it starts a
# name only if jieba tags it a name itself.
_NOT_A_SURNAME_TAGS = frozenset({"v", "p", "c", "d", "u", "m", "q", "f"})


@functools.cache
def _posseg():
    """A part-of-speech tagger of our own on jieba's packaged dictionary, never jieba's global one: Material's
    search plugin adds the site's place names to that (jieba.load_userdict; ours does not, mkdocs_jieba),
    which changes how a text is cut, so results would depend on what ran before in the process. Its dictionary cache
    lives in a folder of this user's, checked against the dictionary's date."""
    import os
    import sys

    from .mkdocs_jieba import import_jieba

    import_jieba()  # without pkg_resources where it can
    import jieba

    # Importing jieba.posseg reads the packaged dictionary's tags for jieba's global tagger (~0.4 s); read
    # right then, before anything could add to them, they are the same tags our tagger would read again.
    packaged = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
    pristine = "jieba.posseg" not in sys.modules and jieba.dt.dictionary in (None, os.path.abspath(packaged))
    import jieba.posseg

    tags = dict(jieba.posseg.dt.word_tag_tab) if pristine else None
    tokenizer = new_tokenizer(packaged)
    if tags is None:
        return jieba.posseg.POSTokenizer(tokenizer)  # loads on first use (~1 s): only for texts that may hold a name
    tagger = object.__new__(jieba.posseg.POSTokenizer)  # as POSTokenizer(tokenizer), less reading the tags again
    tagger.tokenizer, tagger.word_tag_tab = tokenizer, tags
    return tagger


def new_tokenizer(dictionary: str | None = None):
    """A jieba tokenizer of our own on `dictionary` (jieba's packaged one by default), never jieba's global
    one, whose words other code may add to; it keeps its model cache in a folder of this user's. jieba's
    log lines (English, on stderr) are silenced here, in whichever process loads one first."""
    import logging
    import os
    import tempfile

    import jieba

    jieba.setLogLevel(logging.ERROR)
    tokenizer = jieba.Tokenizer(dictionary or os.path.join(os.path.dirname(jieba.__file__), "dict.txt"))
    private = os.path.join(tempfile.gettempdir(), f"gongshi-jieba-{os.getuid() if hasattr(os, 'getuid') else 0}")
    try:
        os.makedirs(private, mode=0o700, exist_ok=True)
        tokenizer.tmp_dir = private
    except OSError:
        pass  # jieba's own temporary folder, as before
    return tokenizer


def _surname_of(word: str) -> str | None:
    from .mask import COMPOUND_SURNAMES

    if word[:2] in COMPOUND_SURNAMES and len(word) > 2:
        return word[:2]
    return word[0] if word[0] in _SURNAMES else None


def _is_han(word: str) -> bool:
    return all("\u4e00" <= c <= "\u9fff" for c in word)


@functools.lru_cache(maxsize=1 << 14)
def _tagged_a_name_alone(word: str) -> bool:
    tokens = list(_posseg().cut(word))
    return len(tokens) == 1 and tokens[0].flag.startswith("nr")


# jieba's dictionary tags many common words "nr" (沙石 64, 华为 373, 金银花 60, 农家乐 277: their counts in
# its corpus); the names it holds are rare there (王小明 3, 刘建国 3, 王建国 12) or tagged "nrfg" (李强).
_COMMON_WORD_COUNT = 20


def _not_a_dictionary_word(word: str) -> bool:
    """Not a common word that jieba's dictionary tags "nr" (goods, brands, plants, sights), which
    reads like a name after 付 or 支付: 付沙石款, 付华为手机款, 金银花, 农家乐. Ordinary names (张伟,
    刘玉金) are not in the dictionary, or rare in it. The cost: a few famous names are missed (李娜)."""
    tagger = _posseg()
    tagger.tokenizer.check_initialized()
    return not (tagger.word_tag_tab.get(word) == "nr" and tagger.tokenizer.FREQ.get(word, 0) >= _COMMON_WORD_COUNT)


# Texts an earlier build found free of names, by digest (with the code digest, which holds jieba's
# version: another detector checks every text again). A rebuild then loads jieba's model (~1 s) only
# for texts it has not seen. `build` fills and saves it; the result is the same either way.
_known_clean: set[str] = set()
_clean_used: set[str] = set()


def remember_clean_texts(digests) -> None:
    """Start a build: the memo read from its cache, and nothing else (another build in this process,
    of another county, must not pass its texts on)."""
    _known_clean.clear()
    _clean_used.clear()
    possible_names.cache_clear()  # a remembered result would not be counted as used
    _known_clean.update(d for d in digests if isinstance(d, str))


def clean_texts_used() -> list[str]:
    """The digests of the texts found (or known) free of names in this process: the memo to keep."""
    return sorted(_clean_used)


def _text_key(text: str) -> str:
    from .digests import code_digest, digest

    return digest("possible_names", code_digest(), text)[:32]


@functools.lru_cache(maxsize=1 << 16)  # items and project names repeat from month to month
def _names_and_key(text: str) -> tuple[tuple[str, ...], str | None]:
    if not text or not any(c in _SURNAMES for c in text):
        return (), None
    key = _text_key(text)
    return (() if key in _known_clean else find_possible_names(text)), key


def possible_names(text: str) -> tuple[str, ...]:
    """`find_possible_names`, remembering across builds which texts hold none (see _known_clean)."""
    found, key = _names_and_key(text)
    if key is not None and not found:
        _clean_used.add(key)
        for keys in _recording:
            keys.add(key)
    return found


possible_names.cache_clear = _names_and_key.cache_clear  # type: ignore[attr-defined]
_recording: list[set[str]] = []


@contextlib.contextmanager
def clean_texts_recorded():
    """The digests of the texts found (or known) free of names while the block runs: a check whose result
    is remembered (validate's cache) hands them on with it (`use_clean_texts`), so the memo keeps them."""
    keys: set[str] = set()
    _recording.append(keys)
    try:
        yield keys
    finally:
        _recording.remove(keys)


def use_clean_texts(keys) -> None:
    _clean_used.update(k for k in keys if isinstance(k, str))


def find_possible_names(text: str) -> tuple[str, ...]:
    """Full personal names that free text may hold, in order. A candidate is a word jieba tags as a
    person name ("nr", "nrfg", "nrt"), or a lone surname and the one or two characters after it where
    either is so tagged (jieba cuts 杨海燕 as 杨 / 海燕, 宋爱民 as 宋 / 爱民); a payee verb glued to it
    (付张伟, 付杨 / 海燕) is cut off, and a glued word that is no name without it (付沙石) is none. It is
    reported if it starts with a common surname, has one or two more Han characters, is not masked
    (刘**, 王某) and does not end like a place, thing or title; two-character ones only right after a
    payee or role word ("支付刘强", "村支书刘强"); and none that jieba's dictionary holds as something
    else (付沙石款, 农家乐). Never print what this returns: mask it."""
    from .mask import COMPOUND_SURNAMES

    if not text or not any(c in _SURNAMES for c in text):
        return ()
    spans, at = [], 0
    for token in _posseg().cut(text):
        spans.append((at, token.word, token.flag))
        at += len(token.word)
    found: list[str] = []
    i = 0
    while i < len(spans):
        start, word, flag = spans[i]
        step = 1
        if flag.startswith("nr") and word.startswith(_GLUED) and len(word) == 2 and word[1] in _SURNAMES:
            start, word = start + 1, word[1]  # 付杨 / 海燕: the verb glued to the surname
        if (word in _SURNAMES or word in COMPOUND_SURNAMES) and i + 1 < len(spans) and 1 <= len(spans[i + 1][1]) <= 2 \
                and (flag.startswith("nr") or (spans[i + 1][2].startswith("nr") and flag not in _NOT_A_SURNAME_TAGS)):
            word, step = word + spans[i + 1][1], 2
        elif not flag.startswith("nr"):
            i += 1
            continue
        elif word.startswith(_GLUED) and len(word) >= 3:
            if not _tagged_a_name_alone(word[1:]):
                i += 1
                continue  # 付沙石, 付华为: a payment for goods, not the surname 付
            start, word = start + 1, word[1:]
        i += step
        surname = _surname_of(word)
        given = word[len(surname):] if surname else ""
        if not surname or not 1 <= len(given) <= 2 or not _is_han(word) or _MASKED & set(word) \
                or word[-1] in _NOT_A_NAME_END or word.endswith(_TITLES) or not _not_a_dictionary_word(word):
            continue
        if len(word) == 2 and not text[:start].endswith(_BEFORE_A_NAME):
            continue
        found.append(word)
    return tuple(found)
