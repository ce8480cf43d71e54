"""The compiled prefilter never calls a file clean where the full check finds something.

Every planted form goes through the prefilter (`Prefilter.clean`) and through the full check
(`audit_file` without a prefilter): wherever the full check finds anything, the prefilter must send
the file to it. A property test builds pages from the pieces leaks and false friends are made of."""

import gzip
import hashlib
import json
import urllib.parse
from types import SimpleNamespace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import fake_id
from generator.audit import RawValues, _rosters_clean, audit, audit_file, make_prefilter
from generator.detect import luhn_valid

RAW_ID = fake_id(123)
RAW_ID_X = next(fake_id(i) for i in range(200) if fake_id(i).endswith("X"))
MOBILE = "13800001111"
HOTLINE = "07318412345"  # published: allowed
RAW = RawValues(frozenset({"测试甲乙", "高兴"}), frozenset({RAW_ID, RAW_ID_X}), frozenset({"13800002222", "07318400000"}),
                frozenset({"示范县虚构路88号"}))
KEY = "ab" * 32
CARD = next(f"622202123456789012{d}" for d in "0123456789" if luhn_valid(f"622202123456789012{d}"))


def escaped(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in text)


def entities(text: str) -> str:
    return "".join(f"&#{ord(c)};" for c in text)


# (file name, content): each holds something the full check finds.
LEAKS = [
    ("a.html", f"<td>{RAW_ID}</td>"),
    ("a.html", f"<td>{RAW_ID_X[:17]}x</td>"),
    ("a.html", f"<p>{RAW_ID[:6]} {RAW_ID[6:14]} {RAW_ID[14:]}</p>"),
    ("a.html", f"<p>{RAW_ID[:6]}-{RAW_ID[6:14]}-{RAW_ID[14:]}</p>"),
    ("a.html", f"<p>{RAW_ID[:6]}\u2014{RAW_ID[6:14]}\u00a0{RAW_ID[14:]}</p>"),
    ("a.html", "<p>" + "".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in RAW_ID) + "</p>"),
    ("a.html", f"<p>{entities(RAW_ID)}</p>"),
    ("a.html", "<p>" + "".join(f"&#x{ord(c):x};" for c in RAW_ID) + "</p>"),
    ("a.html", f"<p>{RAW_ID[:6]}<span>{RAW_ID[6:14]}</span>{RAW_ID[14:]}</p>"),
    ("a.html", f'<a title="{RAW_ID}">x</a>'),
    ("a.html", f"<p>残疾人证 {RAW_ID}12</p>"),
    ("a.html", f"<p>电话 {MOBILE}</p>"),
    ("a.html", f"<p>电话 +86 {MOBILE}</p>"),
    ("a.html", f"<p>电话 \uff0b86 {MOBILE}</p>"),
    ("a.html", f"<p>电话 {MOBILE[:3]}&nbsp;{MOBILE[3:7]}&nbsp;{MOBILE[7:]}</p>"),
    ("a.html", f"<p>电话 {MOBILE[:3]}\u3000{MOBILE[3:7]}\u3000{MOBILE[7:]}</p>"),
    ("a.html", f"<p>电话 {MOBILE[:3]}\u200b{MOBILE[3:]}</p>"),
    ("a.html", f"<p>电话 {MOBILE[:3]}\uff0d{MOBILE[3:]}</p>"),
    ("a.html", f"<p>电话 {MOBILE[:5]}<b>{MOBILE[5:]}</b></p>"),
    ("a.html", f"<p>&sup2 {MOBILE}</p>"),  # "²" decoded: the number no longer follows a digit
    ("a.html", f"<p>&frac12{MOBILE}</p>"),
    ("a.html", "<p>联系电话 0731-84123456</p>"),
    ("a.html", "<p>联系电话 （0731）84123456</p>"),
    ("a.html", f"<p>卡号 {CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:16]} {CARD[16:]}</p>"),
    ("b.xml", f"<loc>https://x/{MOBILE[:3]}%20{MOBILE[3:]}</loc>"),
    ("c.json", json.dumps({"t": f"证{RAW_ID}"})),
    ("c.json", json.dumps({"t": f"\u8bc1{RAW_ID}"})),
    ("c.json", '{"t": "' + escaped(MOBILE) + '"}'),
    ("c.json", '{"t": "' + escaped("测试甲乙") + '"}'),
    ("d.js", f'var phone="{MOBILE}";'),
    ("e.css", f"/* {MOBILE} */"),
    ("f.txt", f"{RAW_ID}"),
    ("sitemap.xml.gz", gzip.compress(f"<loc>https://x/{MOBILE}</loc>".encode(), mtime=0)),
    ("sitemap.xml.gz", gzip.compress(f"<loc>https://x/{MOBILE[:3]}%20{MOBILE[3:]}</loc>".encode(), mtime=0)),
    ("sitemap.xml.gz", gzip.compress(f"<loc>https://x/{escaped('测试甲乙')}</loc>".encode(), mtime=0)),
    ("broken.gz", f"not gzip {RAW_ID}".encode()),  # read as it is
    ("big.json", json.dumps({"digests": [f"{i:064x}" for i in range(5000)], "t": MOBILE})),
    ("a.html", "<td>测试甲乙</td>"),
    ("a.html", "<td>测 试 甲 乙</td>"),
    ("a.html", "<td>测\u3000试\u3000甲\u3000乙</td>"),
    ("a.html", "<td>测\u200b试甲乙</td>"),
    ("a.html", "<td>测\n试甲乙</td>"),
    ("a.html", "<td>测试<b>甲乙</b></td>"),
    ("a.html", "<td>测<!-- x -->试甲<i></i>乙</td>"),
    ("a.html", f"<td>{entities('测试甲乙')}</td>"),
    ("a.html", f"<td>测{entities('试')}甲乙</td>"),
    ("a.html", "<td>测试甲&#1;乙</td>"),  # an invalid character reference decodes to nothing
    ("a.html", '<a href="/q?' + urllib.parse.quote("示范县虚构路88号") + '">x</a>'),
    ("a.html", '<a href="/q?x=%E6%B5%8B' + urllib.parse.quote("试甲乙") + '">x</a>'),
    ("a.html", "<p>今天很高兴见到大家</p>"),  # a two-character name in running text: a warning
    ("a.html", "<p>示范县虚构路８８号</p>"),
    ("a.html", f"<p>{RAW_ID_X[:17]}ｘ</p>"),
    ("a.html", "<p>0731-8400000</p>"),  # a raw phone, squeezed
    ("a.html", "<p>0731 84 000 00</p>"),
    ("a.html", f"<span data-k='{KEY}'>"),
    ("a.html", f"<span>{KEY[:20]}<b>{KEY[20:]}</b></span>"),
    ("a.html", f"<span>&acute{KEY}</span>"),  # "´" decoded: the key is no longer part of a longer run
    ("a.html", f"<span data-k='{KEY.upper()}'>"),
    ("c.json", json.dumps({"k": KEY.upper(), "d": "ef" * 32})),  # no tag: scanned once, as it is
    ("a.html", '<table class="roster-table"><thead><tr><th scope="col">序号</th><th scope="col">户主姓名</th>'
               "</tr></thead><tbody><tr><td>1</td><td>测试丙</td></tr></tbody></table>"),
    ("a.html", '<table class="roster-table"><thead><tr><th scope="col">序号</th><th scope="col">姓名</th>'
               "</tr></thead><tbody><tr><td>1</td><td>王*</td></tr><tr><td>2</td><td><span title='*'>李四</span></td></tr>"
               "</tbody></table>"),
]
# Things a site holds that are no finding: the prefilter should pass them (speed, not safety).
CLEAN = [
    "<p>东政民公〔2026〕31号 月保障金 1675.00 元 2026-11-30 990100101201</p>",
    f"<p>监督电话 {HOTLINE[:4]}-{HOTLINE[4:]}</p>",
    '<svg><path d="M12 8a3 3 0 0 0 3-3 3 3 0 0 0-3-3 3 3 0 0 0-3 3 3 3 0 0 0 3 3m0 3.54"/></svg>',
    "<p>80\u201489 周岁</p>",
    "<p>（2026年12月）</p>",
    '<script>var t={"a":"\\u5df2\\u590d\\u5236"};if(a&&b){}</script>',
    "<p>&lt;b&gt; &amp; &copy;</p>",
]


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def full_check(path: Path, raw: RawValues | None, keys: frozenset[str]) -> list:
    return audit_file(path, path.name, frozenset({HOTLINE}), keys, raw.automaton() if raw else None)


@pytest.mark.parametrize("with_raw", [True, False])
@pytest.mark.parametrize(("name", "content"), LEAKS)
def test_every_planted_form_reaches_the_full_check(tmp_path, name, content, with_raw):
    raw = RAW if with_raw else None
    keys = frozenset({KEY})
    path = write(tmp_path, name, content)
    prefilter = make_prefilter(frozenset({HOTLINE}), keys, raw)
    assert prefilter is not None
    expected = full_check(path, raw, keys)
    if with_raw or not all(f.kind.startswith("raw-") for f in expected):
        assert expected, "the planted form is not a finding of the full check"
    data = path.read_bytes()
    suffix = path.suffix
    markup = suffix in (".html", ".htm", ".xml", ".svg", ".json", ".js")
    clean = prefilter.clean(data, suffix, markup) and (suffix != ".html" or b"roster-table" not in data
                                                       or _rosters_clean(data))
    if expected:
        assert not clean
    # Through the new path, the findings are the same as without it.
    assert audit_file(path, path.name, frozenset({HOTLINE}), keys, raw.automaton() if raw else None,
                      prefilter=prefilter) == expected


@pytest.mark.parametrize("content", CLEAN)
def test_false_friends_pass_the_prefilter(tmp_path, content):
    prefilter = make_prefilter(frozenset({HOTLINE}), frozenset({KEY}), RAW)
    path = write(tmp_path, "a.html", content)
    assert full_check(path, RAW, frozenset({KEY})) == []
    assert prefilter.clean(path.read_bytes(), ".html", True)


def test_big_and_compressed_files_pass_the_prefilter_when_clean(tmp_path):
    """A compressed sitemap is scanned decompressed, and a big file of digests holding hundreds of
    number shapes is scanned too: neither goes to the full check for that alone (speed, not safety)."""
    prefilter = make_prefilter(frozenset({HOTLINE}), frozenset({KEY}), RAW)
    digests = json.dumps({"digests": [hashlib.sha256(b"%d" % i).hexdigest() for i in range(5000)]}).encode()
    sitemap = gzip.compress(b"".join(b"<url><loc>https://x/notices/2026-%02d-%06d/</loc></url>\n" % (i % 12 + 1, i)
                                     for i in range(2000)), mtime=0)
    for name, data, markup in (("manifest.json", digests, True), ("sitemap.xml.gz", sitemap, False)):
        assert full_check(write(tmp_path, name, data), RAW, frozenset({KEY})) == []
        assert prefilter.clean(data, Path(name).suffix, markup), name


def test_the_audit_finds_the_same_with_and_without_the_prefilter(tmp_path, monkeypatch):
    root = tmp_path / "site"
    root.mkdir()
    for i, (name, content) in enumerate(LEAKS + [("clean.html", c) for c in CLEAN]):
        (root / f"{i:03d}").mkdir()
        write(root / f"{i:03d}", name, content)
    (root / "测试甲乙").mkdir()
    write(root, f"{MOBILE}.html", "<p>x</p>")
    with_prefilter = audit(root, frozenset({HOTLINE}), frozenset({KEY}), RAW)
    import generator.audit as audit_module

    monkeypatch.setattr(audit_module, "make_prefilter", lambda *a: None)
    audit_module._inherited.clear()
    assert audit(root, frozenset({HOTLINE}), frozenset({KEY}), RAW) == with_prefilter
    assert len(with_prefilter) >= len(LEAKS)


# -- property test: pages made of the pieces leaks and false friends are made of ------------------
PIECES = st.sampled_from([
    *RAW_ID, "x", "X", *MOBILE, *HOTLINE, *CARD[:6], "0", "1", "8", "6", "+", "\uff0b", "(", ")", "\uff08", "\uff09",
    " ", "-", "\t", "\n", "\u00a0", "\u3000", "\u200b", "\u2014", "\u2212", "\uff0d",
    "<b>", "</b>", "<td>", "</td>", '<a title="', '">', "<!--", "-->",
    "&nbsp;", "&amp;", "&lt;", "&#49;", "&#x31;", "&#27979;", "&sup2", "&frac12", "&acute", "&#1;",
    "\\u0031", "\\u6d4b", "\\u00a0", "%31", "%E6%B5%8B", "%20",
    "测", "试", "甲", "乙", "高", "兴", "示范县", "虚构路", "88", "号", "组", "王*",
    "\uff11", "\uff38", "ab", "ef", KEY[:16], "&", "\\", "%", "*",
])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(PIECES, min_size=1, max_size=60), st.sampled_from([".html", ".json", ".txt"]))
def test_the_prefilter_never_passes_what_the_full_check_finds(tmp_path, pieces, suffix):
    content = "".join(pieces)
    path = write(tmp_path, "p" + suffix, content)
    keys = frozenset({KEY})
    prefilter = make_prefilter(frozenset({HOTLINE}), keys, RAW)
    if full_check(path, RAW, keys):
        assert not prefilter.clean(path.read_bytes(), suffix, suffix in (".html", ".json"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["王*", "李**", "测试", "<b>*</b>", "*<i>x</i>", "&#42;", " ", "张 三", "",
                                 "<span>王</span>*", "*李四", "李*四", "张三*", "欧阳*", "欧阳**", "欧*", "*",
                                 "阿**·**", "A*", "王 *", "<span>*</span>李四", "·*"]), min_size=1, max_size=4),
       st.sampled_from(["<td>", '<td class="n">', "<td >"]))
def test_the_roster_check_is_never_skipped_where_it_finds_something(tmp_path, cells, cell_tag):
    from generator.audit import _roster_name_findings

    rows = "".join(f"<tr><td>{i}</td>{cell_tag}{c}</td></tr>" for i, c in enumerate(cells, 1))
    page = ('<table class="roster-table"><thead><tr><th scope="col">序号</th><th scope="col">姓名</th></tr>'
            f"</thead><tbody>{rows}</tbody></table>")
    if _rosters_clean(page.encode("utf-8")):
        assert _roster_name_findings(page, "a.html") == []


# -- markup checked segment by segment against the last clean file of the same shape -------------
# Pages that differ from the one before in a few segments: what a finding needs may lie in a segment
# that changed, in one that did not, or run over the seams between them (through segments whose text
# is only spaces or tags).
SEGMENT_PIECES = st.sampled_from([
    *RAW_ID[:9], *RAW_ID[9:], "x", *MOBILE, "测", "试", "甲", "乙", "高", "兴", "示范县", "虚构路", "88", "号",
    " ", "\n", "-", "\u3000", "<b>", "</b>", "</div>", ' class="a">', ">", "<", "<td>", "<!--", "-->",
    "，", "。", '"', "=", "/", ";", ":", "、", "王*", "&nbsp;", "&#49;", "%31", "ab", KEY[:32], KEY[32:],
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(SEGMENT_PIECES, max_size=8).map("".join), min_size=5, max_size=5),
       st.lists(st.dictionaries(st.integers(0, 4), st.lists(SEGMENT_PIECES, max_size=8).map("".join), max_size=3),
                min_size=1, max_size=4))
def test_pages_that_share_segments_are_judged_like_whole_pages(tmp_path, base, changes):
    keys = frozenset({KEY})
    prefilter = make_prefilter(frozenset({HOTLINE}), keys, RAW)
    segments = list(base)
    for change in [{}] + changes:
        for i, segment in change.items():
            segments[i] = segment
        path = write(tmp_path, "p.html", "<div".join(segments))
        if full_check(path, RAW, keys):
            assert not prefilter.clean(path.read_bytes(), ".html", True)


SHELL = [
    "<html><head><title>公示</title></head><body>",
    ' class="nav"><a href="/">首页</a>，</div>\n',
    ' class="w">测试</div>',  # the first half of a raw name
    ' class="x">，</div>\n',
    ' class="y">甲乙</div>',  # its second half
    ' class="s"> </div>',  # a space only: no stopper
    ' class="z">2222，</div>',  # the end of a raw phone number
    ' class="p">。1380000</div>',  # the start of one
    ' class="s"> </div>',
    ' class="q">。</div>',
    ' class="article">{}</div>\n',
    ' class="footer">监督电话，示范县。</div></body></html>',
]


@pytest.mark.parametrize("changed", [
    {3: ' class="x">'},  # 测试 + 甲乙: known segments before and after a new one
    {5: ' class="s">1380000'},  # 1380000 + 2222
    {4: ' class="y">1380000'},  # 1380000 + space + 2222: on through a known segment without a stopper
    {9: ' class="q">2222'},  # 1380000 + space + 2222: back through one
    {3: ' class="x">', 10: ' class="article">{}\u3000</div>'},
])
def test_a_leak_over_a_seam_is_not_passed(tmp_path, changed):
    prefilter = make_prefilter(frozenset({HOTLINE}), frozenset(), RAW)
    for masked in ("王*", "李*"):  # the first is checked whole, the second against it
        assert prefilter.clean("<div".join(SHELL).format(masked).encode(), ".html", True)
    shell = [changed.get(i, segment) for i, segment in enumerate(SHELL)]
    page = "<div".join(shell).format("张*")
    path = write(tmp_path, "a.html", page)
    assert full_check(path, RAW, frozenset()), "the planted leak is not a finding of the full check"
    assert not prefilter.clean(page.encode(), ".html", True)


def test_a_tag_over_a_cut_is_read_as_the_full_check_reads_it(tmp_path):
    # "<x<div>" is one tag to the full check, so 测试 and 甲乙 stand together once tags are removed.
    prefilter = make_prefilter(frozenset({HOTLINE}), frozenset(), RAW)
    assert prefilter.clean("<p>王*</p><div>甲乙".encode(), ".html", True)
    page = "测试<x<div>甲乙"
    assert full_check(write(tmp_path, "a.html", page), RAW, frozenset())
    assert not prefilter.clean(page.encode(), ".html", True)


@pytest.mark.parametrize("raw", [None, RAW])
def test_an_entity_that_ends_a_hex_run_is_decoded_without_person_keys_too(tmp_path, raw):
    # Decoded, "´" ends the hex run the number stands in (e + 11 digits + 20 a's: 32 characters, a
    # hash to the detectors), so the number is a number again, whether person keys are searched or not.
    page = f"<p>&acute{MOBILE}{'a' * 20}</p>"
    path = write(tmp_path, "a.html", page)
    assert full_check(path, raw, frozenset())
    assert not make_prefilter(frozenset({HOTLINE}), frozenset(), raw).clean(page.encode(), ".html", True)


class _Store:
    """A dict as audit_scan.CompiledStore."""

    def __init__(self):
        self.saved: dict[str, bytes] = {}

    def load(self, key):
        return self.saved.get(key)

    def save(self, key, blob):
        self.saved[key] = blob


def _verdicts(prefilter, tmp_path) -> list[bool]:
    return [prefilter.clean(write(tmp_path, name, content).read_bytes(), Path(name).suffix, True)
            for name, content in LEAKS + [("a.html", c) for c in CLEAN]]


def test_a_stored_scanner_is_used_only_whole_and_judges_as_a_compiled_one(tmp_path, monkeypatch):
    """The compiled database is kept in the store and loaded from it by the next prefilter (no compile);
    a stored one cut short, with a byte changed (also where Hyperscan would load it), one that matches other
    patterns in the probe, or one this machine cannot run is compiled anew and replaced; every verdict is the one a freshly compiled prefilter gives. A prefilter made with raw values
    neither loads nor stores one."""
    import hyperscan

    from generator import audit_scan

    store, keys = _Store(), frozenset({KEY})
    expected = _verdicts(make_prefilter(frozenset({HOTLINE}), keys, None), tmp_path)
    assert make_prefilter(frozenset({HOTLINE}), keys, None, store) is not None
    (key, good), = store.saved.items()
    compiled = []
    original = hyperscan.Database.compile

    class Counting(hyperscan.Database):
        def compile(self, *args, **kwargs):
            compiled.append(1)
            return original(self, *args, **kwargs)

    monkeypatch.setattr(audit_scan.hyperscan, "Database", Counting)
    loaded = make_prefilter(frozenset({HOTLINE}), keys, None, store)
    assert compiled == [] and store.saved == {key: good}
    assert _verdicts(loaded, tmp_path) == expected
    flipped = good[:-40] + bytes([good[-40] ^ 1]) + good[-39:]
    # Bytes Hyperscan itself loads changed: a reserved header byte (24-31 of the database) and the padding
    # at its end; only the SHA-256 finds these.
    database_at = 33 + good[32]
    reserved = bytearray(good)
    reserved[database_at + 24] ^= 0xFF
    padding = good[:-1] + bytes([good[-1] ^ 0xFF])
    for damaged in (good[:200], good[:-1], flipped, good[:32] + good[33:], b"", bytes(reserved), padding):
        store.saved[key] = damaged
        again = make_prefilter(frozenset({HOTLINE}), keys, None, store)
        assert compiled and store.saved == {key: good}
        assert _verdicts(again, tmp_path) == expected
        compiled.clear()

    # Whole, but matching other patterns in the probe than it did when compiled (another database under this
    # key): compiled anew.
    other = hyperscan.Database()
    original(other, expressions=[b"x"], ids=[0], elements=1, flags=[0])
    payload = good[32:database_at] + hyperscan.dumpb(other)
    store.saved[key] = hashlib.sha256(payload).digest() + payload
    assert _verdicts(make_prefilter(frozenset({HOTLINE}), keys, None, store), tmp_path) == expected
    assert compiled and store.saved == {key: good}
    compiled.clear()

    def cannot_run(*args, **kwargs):
        raise hyperscan.DatabasePlatformError("built for another CPU")

    foreign, real_scratch = SimpleNamespace(scan=cannot_run), hyperscan.Scratch
    monkeypatch.setattr(audit_scan.hyperscan, "loadb", lambda data, mode: foreign)
    monkeypatch.setattr(audit_scan.hyperscan, "Scratch", lambda db: None if db is foreign else real_scratch(db))
    assert _verdicts(make_prefilter(frozenset({HOTLINE}), keys, None, store), tmp_path) == expected
    assert compiled and store.saved == {key: good}
    # Other expressions (no person keys: no key pattern), another entry; none made with raw values (the
    # entity triggers follow their characters).
    make_prefilter(frozenset({HOTLINE}), frozenset(), None, store)
    assert len(store.saved) == 2
    make_prefilter(frozenset({HOTLINE}), keys, RAW, store)
    make_prefilter(frozenset({HOTLINE}), frozenset(), RAW, store)
    assert len(store.saved) == 2
