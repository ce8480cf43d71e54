"""The audit finds planted personal data, passes clean output, and never prints a raw value."""

import gzip
import json
import os
import shutil
import zlib
from io import BytesIO
from pathlib import Path

import pytest

from conftest import fake_id, run_generator
from generator.audit import audit
from generator.detect import find_personal_data, luhn_valid

RAW_ID = fake_id(123)
X_ID = fake_id(9)  # ends in X: its lower-case form is a form of its own
RAW_MOBILE = "13800000000"  # synthetic


def site_with(tmp_path: Path, name: str, content: str | bytes) -> Path:
    root = tmp_path / "site"
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    (root / "index.html").write_text("<p>干净的页面</p>", encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("notices/a/index.html", f"<td>{RAW_ID}</td>", "id-number"),
        ("notices/a/index.html", f"<td>{X_ID[:17]}x</td>", "id-number"),
        ("search/search_index.json", json.dumps({"docs": [{"text": f"身份证{RAW_ID}"}]}), "id-number"),
        ("sitemap.xml.gz", gzip.compress(f"<loc>{RAW_ID}</loc>".encode()), "id-number"),
        ("feed.xml", f"<summary>电话{RAW_MOBILE}</summary>", "mobile"),
        ("assets/page.js", f'var phone="{RAW_MOBILE}";', "mobile"),
        (f"files/{RAW_ID}.html", "<p>文件名里有身份证号</p>", "id-number"),
        (f"notices/{RAW_ID}/index.html", "<p>目录名里有身份证号</p>", "id-number"),
        ("downloads/roster.xlsx", b"PK\x03\x04", "data-file"),
        ("downloads/roster.csv", "组,姓名\n", "data-file"),
        ("data.yaml", "a: 1\n", "data-file"),
    ],
)
def test_planted_leaks_are_found(tmp_path, name, content, kind):
    findings = audit(site_with(tmp_path, name, content))
    assert kind in [f.kind for f in findings]
    assert all(RAW_ID not in f.format() and RAW_MOBILE not in f.format() for f in findings)


@pytest.mark.parametrize(
    "false_friend",
    [
        "东政民公〔2026〕31号",  # document number
        "月保障金 1675.00 元",  # amount
        "2026-11-30",  # date
        "990100101201",  # 12-digit division code
        RAW_ID[:17] + ("0" if RAW_ID[17] != "0" else "1"),  # 18 digits, wrong check character
        "0000-1234567",  # the published hotline
        "12345678901234567890123",  # a long number that is not an ID
    ],
)
def test_false_friends_are_not_flagged(false_friend):
    assert list(find_personal_data(f"<p>{false_friend}</p>", allowed=frozenset({"00001234567"}))) == []


def test_a_published_hotline_that_is_a_mobile_is_allowed(tmp_path):
    root = site_with(tmp_path, "index2.html", f"监督电话 {RAW_MOBILE}")
    assert audit(root, allowed=frozenset({RAW_MOBILE})) == []
    assert [f.kind for f in audit(root)] == ["mobile"]


def test_person_keys_are_found(tmp_path):
    key = "ab" * 32
    root = site_with(tmp_path, "x.html", f"<span data-k='{key}'>")
    assert [f.kind for f in audit(root, person_keys=frozenset({key}))] == ["person-key"]


def test_audit_command_fails_on_a_planted_id_without_printing_it(tmp_path):
    root = site_with(tmp_path, "notices/a/index.html", f"<p>第一行</p>\n<td>{RAW_ID}</td>")
    done = run_generator("audit", str(root), "--data", str(tmp_path / "no-data"), cwd=tmp_path)
    assert done.returncode == 1
    assert "审计未通过" in done.stdout and "notices/a/index.html 第2行" in done.stdout
    assert RAW_ID not in done.stdout + done.stderr
    assert RAW_ID[:2] + "*" * 16 in done.stdout


def test_audit_command_passes_a_clean_folder(tmp_path):
    root = site_with(tmp_path, "a.html", "<p>没有个人信息</p>")
    done = run_generator("audit", str(root), "--data", str(tmp_path / "no-data"), cwd=tmp_path)
    assert done.returncode == 0 and "审计通过" in done.stdout


# -- issue 5: every form, raw rosters, data/, reports ---------------------------------------------

def minimal_pdf(text: str, y: int = 720, title: str | None = None, compressed: bool = False) -> bytes:
    """A one-page PDF showing `text` (ASCII) with a standard font at height `y` (the page is 792 high):
    enough for text extraction. `title`: the document's metadata title (ASCII); `compressed`: the page's
    content deflated, as most writers do (its text is then nowhere in the bytes)."""
    stream = f"BT /F1 12 Tf 72 {y} Td ({text}) Tj ET".encode()
    head = b"<< /Length %d >>" % len(stream)
    if compressed:
        stream = zlib.compress(stream)
        head = b"<< /Length %d /Filter /FlateDecode >>" % len(stream)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               head + b"\nstream\n" + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    if title is not None:
        objects.append(f"<< /Title ({title}) >>".encode())
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    info = b" /Info %d 0 R" % len(objects) if title is not None else b""
    return out + b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, info, xref)


def png_with_text(kind: bytes, text: str) -> bytes:
    """A 1x1 PNG carrying `text` deflated in a zTXt chunk, or in an iTXt chunk with its compression flag."""
    def chunk(name: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + name + body + zlib.crc32(name + body).to_bytes(4, "big")

    deflated = zlib.compress(text.encode("utf-8"))
    body = b"Comment\x00\x00" + deflated if kind == b"zTXt" else b"Comment\x00\x01\x00zh\x00\x00" + deflated
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", bytes([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]))
            + chunk(kind, body) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


ENTITIES = "".join(f"&#{ord(c)};" for c in RAW_ID)
SPLIT = f"{RAW_ID[:6]}<span>{RAW_ID[6:14]}</span>{RAW_ID[14:]}"
CARD = next(f"622202123456789012{d}" for d in "0123456789" if luhn_valid(f"622202123456789012{d}"))  # synthetic


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("a.html", f"<p>{ENTITIES}</p>", "id-number"),
        ("b.html", f"<p>{SPLIT}</p>", "id-number"),
        ("c.html", f'<a title="{X_ID.lower()}">x</a>', "id-number"),
        ("d.html", "<p>联系电话 0731-84123456</p>", "landline"),
        ("e.html", f"<p>卡号 {CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:16]} {CARD[16:]}</p>", "bank-card"),
        ("f.html", f"<p>残疾人证 {RAW_ID}12</p>", "disability-cert"),
        ("g.html", '<table class="roster-table"><thead><tr><th scope="col">序号</th><th scope="col">户主姓名</th>'
                   "</tr></thead><tbody><tr><td>1</td><td>测试甲</td></tr></tbody></table>", "unmasked-name"),
        ("report.pdf", minimal_pdf(f"ID {RAW_ID}"), "id-number"),
        ("off-page.pdf", minimal_pdf(f"ID {RAW_ID}", y=2000), "id-number"),  # beyond the page's top edge
        ("titled.pdf", minimal_pdf("nothing here", title=f"ID {RAW_ID}"), "id-number"),  # the metadata
        ("scan.png", minimal_pdf(f"ID {RAW_ID}", compressed=True), "id-number"),  # a PDF under another name
        ("locked.png", b"%PDF-1.7\n" + bytes(range(256)) * 4, "data-file"),  # a PDF no one can read (a password)
        ("photo.png", png_with_text(b"zTXt", f"ID {RAW_ID}"), "id-number"),  # a picture's deflated text
        ("chart.png", png_with_text(b"iTXt", f"联系电话 {RAW_MOBILE}"), "mobile"),
        ("h.xml", f"<loc>https://x/{RAW_MOBILE[:3]}%20{RAW_MOBILE[3:]}</loc>", "mobile"),
    ],
)
def test_every_form_is_found(tmp_path, name, content, kind):
    findings = audit(site_with(tmp_path, name, content))
    assert kind in [f.kind for f in findings]
    assert all(RAW_ID not in f.format() and RAW_MOBILE not in f.format() and "测试甲" not in f.format()
               for f in findings)


def written_pdf(add) -> bytes:
    """A blank one-page PDF written by pypdf, with `add(writer)` done to it."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(300, 300)
    add(writer)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def with_form_field(writer, value: str) -> None:
    """A text field holding `value`, its widget on the first page (the field and its widget apart, as
    form designers write them: the value is the parent field's)."""
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, TextStringObject

    field = writer._add_object(DictionaryObject({NameObject("/FT"): NameObject("/Tx"),
                                                 NameObject("/T"): TextStringObject("phone"),
                                                 NameObject("/V"): TextStringObject(value)}))
    widget = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Widget"),
        NameObject("/Rect"): ArrayObject([FloatObject(10), FloatObject(10), FloatObject(200), FloatObject(30)]),
        NameObject("/Parent"): field}))
    field.get_object()[NameObject("/Kids")] = ArrayObject([widget])
    writer.pages[0][NameObject("/Annots")] = ArrayObject([widget])
    writer.root_object[NameObject("/AcroForm")] = DictionaryObject({NameObject("/Fields"): ArrayObject([field])})


def with_xmp(writer, creator: str, as_attribute: bool = False) -> None:
    """An uncompressed XMP packet naming `creator`: in an element, or (as Adobe's toolkit writes simple
    properties) in an attribute."""
    from pypdf.generic import DecodedStreamObject, NameObject

    description = (f'<rdf:Description xmlns:pdf="http://ns.adobe.com/pdf/1.3/" pdf:Keywords="{creator}"/>' if as_attribute
                   else '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq>'
                        f'<rdf:li>{creator}</rdf:li></rdf:Seq></dc:creator></rdf:Description>')
    packet = DecodedStreamObject()
    packet.set_data(('<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
                     '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' + description +
                     '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>').encode())
    packet[NameObject("/Type")] = NameObject("/Metadata")
    packet[NameObject("/Subtype")] = NameObject("/XML")
    writer.root_object[NameObject("/Metadata")] = writer._add_object(packet)


def with_attachment_note(writer, content: bytes) -> None:
    """A file attached as a comment (Acrobat's "Attach File"): in the annotation, not the document's list."""
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, FloatObject, NameObject, TextStringObject

    embedded = DecodedStreamObject()
    embedded.set_data(content)
    embedded[NameObject("/Type")] = NameObject("/EmbeddedFile")
    spec = DictionaryObject({NameObject("/Type"): NameObject("/Filespec"), NameObject("/F"): TextStringObject("list.csv"),
                             NameObject("/EF"): DictionaryObject({NameObject("/F"): writer._add_object(embedded)})})
    note = DictionaryObject({NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/FileAttachment"),
                             NameObject("/Rect"): ArrayObject([FloatObject(10), FloatObject(10), FloatObject(30), FloatObject(30)]),
                             NameObject("/FS"): writer._add_object(spec)})
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(note)])


def with_script(writer, script: str) -> None:
    """Document-level JavaScript (the catalog's /Names /JavaScript tree), as a form designer writes it."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    action = writer._add_object(DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                                                  NameObject("/JS"): TextStringObject(script)}))
    tree = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("init"), action])})
    writer.root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): tree})


def pdf_leaks() -> list[tuple[str, object, str]]:
    from pypdf.annotations import FreeText, Link, Text

    return [
        ("note.pdf", lambda w: w.add_annotation(0, FreeText(text=f"证件号 {RAW_ID}", rect=(10, 10, 200, 40))), "id-number"),
        ("sticky.pdf", lambda w: w.add_annotation(0, Text(text=f"电话 {RAW_MOBILE}", rect=(10, 50, 30, 70))), "mobile"),
        ("link.pdf", lambda w: w.add_annotation(0, Link(rect=(10, 80, 200, 100), url=f"https://x.example/?id={RAW_ID}")),
         "id-number"),
        ("form.pdf", lambda w: with_form_field(w, RAW_MOBILE), "mobile"),
        ("bookmark.pdf", lambda w: w.add_outline_item(title=f"{RAW_ID} 的材料", page_number=0), "id-number"),
        ("properties.pdf", lambda w: w.add_metadata({"/Manager": f"经办人 {RAW_ID}"}), "id-number"),  # a custom one
        ("xmp.pdf", lambda w: with_xmp(w, RAW_ID), "id-number"),
        ("xmp-attribute.pdf", lambda w: with_xmp(w, f"经办 {RAW_ID}", as_attribute=True), "id-number"),
        ("script.pdf", lambda w: with_script(w, f'var who = "{RAW_ID}";'), "id-number"),
        ("attached.pdf", lambda w: w.add_attachment("名单.txt", b"1"), "data-file"),  # embedded files are not read
        ("attached-note.pdf", lambda w: with_attachment_note(w, b"1"), "data-file"),
    ]


@pytest.mark.parametrize(("name", "add", "kind"), pdf_leaks(), ids=[name for name, _, _ in pdf_leaks()])
def test_a_pdf_is_read_wherever_a_reader_sees_or_copies_text(tmp_path, name, add, kind):
    """Beyond its pages' text: a note a clerk left on it, a filled form field, a link, a bookmark, the XMP
    properties, a script; a PDF carrying files is reported like an archive."""
    findings = audit(site_with(tmp_path, name, written_pdf(add)))
    assert [f.kind for f in findings] == [kind], findings
    assert all(RAW_ID not in f.format() and RAW_MOBILE not in f.format() for f in findings)


def test_a_pdf_with_clean_notes_forms_and_bookmarks_passes(tmp_path):
    from pypdf.annotations import FreeText, Link

    def add(writer):
        writer.add_annotation(0, FreeText(text="请于2026年12月7日前交回", rect=(10, 10, 200, 40)))
        writer.add_annotation(0, Link(rect=(10, 80, 200, 100), url="https://gongshi.example.org/notices/"))
        with_form_field(writer, "")
        writer.add_outline_item(title="申请表（2026年版）", page_number=0)

    assert audit(site_with(tmp_path, "forms/申请表.pdf", written_pdf(add))) == []


def test_a_scan_with_a_stamp_on_it_is_still_a_scan():
    """The warning that no audit reads a scanned page holds where a note or stamp on it shows text."""
    from pypdf.annotations import FreeText
    from pypdf.generic import DecodedStreamObject, NameObject

    from generator.audit_pdf import pdf_unread_parts

    def scan_with_stamp(writer):
        picture = DecodedStreamObject()  # an inline 1x1 image: a page with no text of its own
        picture.set_data(b"q 300 0 0 300 0 0 cm BI /W 1 /H 1 /CS /G /BPC 8 ID \x80 EI Q")
        writer.pages[0][NameObject("/Contents")] = writer._add_object(picture)
        writer.add_annotation(0, FreeText(text="已审核", rect=(10, 10, 200, 30)))

    assert pdf_unread_parts(written_pdf(scan_with_stamp)) == ["扫描页"]
    assert pdf_unread_parts(minimal_pdf("text")) == []


def test_a_png_s_deflated_text_is_read_within_a_budget():
    """Text that inflates to far more than it takes (a "zip bomb") is read up to PNG_TEXT_MAX in all."""
    from generator.audit import PNG_TEXT_MAX, png_compressed_texts

    bomb = png_with_text(b"zTXt", "0" * (PNG_TEXT_MAX // 2))
    chunk = bomb[33:bomb.index(b"IDAT") - 4]  # the zTXt chunk, whole
    many = bomb[:33] + chunk * 20 + bomb[33 + len(chunk):]
    texts = png_compressed_texts(many)
    assert 2 <= len(texts) <= 3 and sum(len(t) for t in texts) <= PNG_TEXT_MAX + 3 * len("Comment ")


def raw_roster(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    path.write_text("姓名,身份证号,联系电话,家庭住址\n" + "".join(",".join(r) + "\n" for r in rows), encoding="gbk")
    return path


def test_raw_values_are_found_in_any_form_without_being_printed(tmp_path):
    roster = raw_roster(tmp_path / "raw.csv", [("测试甲乙", RAW_ID, "07318412345", "示范县虚构路88号"),
                                               ("高兴", fake_id(5), "13800001111", "示范县虚构路9号")])
    root = site_with(tmp_path, "n.html",
                     '<td>测试甲乙</td>\n<a href="/q?x=%E7%A4%BA%E8%8C%83%E5%8E%BF%E8%99%9A%E6%9E%84%E8%B7%AF88%E5%8F%B7">'
                     "\n<p>今天很高兴见到大家</p>\n<p>高兴</p>")
    done = run_generator("audit", str(root), "--raw", str(roster), "--data", str(tmp_path / "none"), "--format", "json",
                         cwd=tmp_path)
    report = json.loads(done.stdout)
    kinds = {(f["kind"], f["severity"]) for f in report["findings"]}
    assert ("raw-name", "error") in kinds and ("raw-address", "error") in kinds
    assert done.returncode == 1 and not report["passed"]
    two_char = [f for f in report["findings"] if f["excerpt"] == "高*"]
    assert two_char and all(f["severity"] == "error" for f in two_char)  # <p>高兴</p> is a person context
    for raw in ("测试甲乙", RAW_ID, "示范县虚构路88号", "高兴"):
        assert raw not in done.stdout + done.stderr


def test_a_two_character_name_in_running_text_only_warns(tmp_path):
    roster = raw_roster(tmp_path / "raw.csv", [("高兴", fake_id(5), "13800001111", "示范县虚构路9号")])
    root = site_with(tmp_path, "n.html", "<p>今天很高兴见到大家</p>")
    done = run_generator("audit", str(root), "--raw", str(roster), "--data", str(tmp_path / "none"), cwd=tmp_path)
    assert done.returncode == 0 and "警告" in done.stdout and "普通词语" in done.stdout and "高兴" not in done.stdout


def test_the_repository_data_passes_the_data_audit():
    """data/ is public: a raw roster committed by mistake, or an unmasked name, fails CI here."""
    from conftest import REPO

    done = run_generator("audit", "data", cwd=REPO)
    assert done.returncode == 0, done.stdout


@pytest.mark.parametrize(
    ("plant", "kind"),
    [(lambda d: (d / "notices/名册.xlsx").write_bytes(b"PK\x03\x04"), "数据文件"),
     (lambda d: (d / "notices/2026-11-25-taoyuan-gs.yaml").write_text(
         (d / "notices/2026-11-25-taoyuan-gs.yaml").read_text(encoding="utf-8").replace("name: 刘*", "name: 刘测试", 1),
         encoding="utf-8"), "未脱敏的姓名")],
)
def test_the_data_audit_fails_on_a_raw_roster_or_an_unmasked_name(project, plant, kind):
    plant(project / "data")
    done = run_generator("audit", "data", cwd=project)
    assert done.returncode == 1 and kind in done.stdout and "刘测试" not in done.stdout


def test_markdown_report_for_ci_summaries(tmp_path):
    root = site_with(tmp_path, "notices/a/index.html", f"<td>{RAW_ID}</td>")
    from conftest import REPO

    report = tmp_path / "summary.md"
    done = run_generator("audit", str(root), "--data", str(REPO / "data"), "--report", str(report), cwd=tmp_path)
    text = report.read_text(encoding="utf-8")
    assert done.returncode == 1
    assert "# 脱敏审计报告" in text and "**未通过**" in text and "| 农村最低生活保障 |" in text
    assert "notices/a/index.html" in text and RAW_ID not in text


def test_a_raw_name_in_a_file_name_is_found_and_masked(tmp_path):
    from generator.audit import RawValues

    root = site_with(tmp_path, "files/测试甲乙的申请.html", "<p>x</p>")
    findings = audit(root, raw=RawValues(frozenset({"测试甲乙"}), frozenset(), frozenset(), frozenset()))
    assert [f.kind for f in findings] == ["raw-name"] and all("测试甲乙" not in f.format() for f in findings)


@pytest.mark.parametrize("name", ["roster.tar.gz", "roster.tgz", "roster.xlsb", "roster.numbers", "old.csv.gz"])
def test_archives_and_other_spreadsheets_are_data_files(tmp_path, name):
    assert "data-file" in [f.kind for f in audit(site_with(tmp_path, name, b"\x1f\x8b\x08\x00" + b"\x00" * 64))]


@pytest.mark.parametrize(("name", "head"), [
    ("forms/说明.pptx", b"PK\x03\x04"), ("forms/说明.odt", b"PK\x03\x04"), ("forms/说明.ofd", b"PK\x03\x04"),
    ("forms/说明.ppt", b"\xd0\xcf\x11\xe0"), ("forms/名单.pdf", b"PK\x03\x04"), ("images/名单.png", b"\xd0\xcf\x11\xe0"),
    ("forms/名单.txt", b"Rar!\x1a\x07"), ("forms/名单.html", b"7z\xbc\xaf\x27\x1c"), ("search/x.json", b"\x1f\x8b\x08\x00"),
])
def test_office_files_and_archives_are_data_files_by_their_suffix_or_their_first_bytes(tmp_path, name, head):
    """Presentations and e-documents, and a container under any name (a roster.xlsx renamed to .pdf): the
    audit cannot read into them."""
    assert "data-file" in [f.kind for f in audit(site_with(tmp_path, name, head + b"\x00" * 64))]


def test_the_sitemap_may_be_gzip_and_a_page_may_start_like_text(tmp_path):
    root = site_with(tmp_path, "sitemap.xml.gz", gzip.compress(b"<urlset></urlset>"))
    (root / "PKG.html").write_text("PK 说明", encoding="utf-8")
    assert audit(root) == []


def test_a_tar_padded_with_nuls_is_still_read(tmp_path):
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        data = f"姓名,身份证号\n测试,{RAW_ID}\n".encode()
        info = tarfile.TarInfo("roster.csv")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    kinds = [f.kind for f in audit(site_with(tmp_path, "assets/blob.bin", buffer.getvalue()))]
    assert "id-number" in kinds


@pytest.mark.parametrize("form", ["138&nbsp;0000&nbsp;1111", "138\u00a00000\u00a01111", "138–0000–1111"])
def test_numbers_with_no_break_spaces_and_dashes(tmp_path, form):
    assert "mobile" in [f.kind for f in audit(site_with(tmp_path, "p.html", f"<p>电话 {form}</p>"))]


def test_a_unified_social_credit_code_is_not_an_id_number():
    assert list(find_personal_data("统一社会信用代码 914301007072012346")) == []


@pytest.mark.parametrize("text", ["<td>测 试 甲 乙</td>", "<td>测\u3000试\u3000甲\u3000乙</td>", "<td>测\u200b试甲乙</td>"])
def test_raw_names_written_with_spaces_are_found(tmp_path, text):
    from generator.audit import RawValues

    raw = RawValues(frozenset({"测试甲乙"}), frozenset(), frozenset(), frozenset())
    assert "raw-name" in [f.kind for f in audit(site_with(tmp_path, "p.html", text), raw=raw)]


def test_a_raw_name_as_a_folder_name_is_found_and_masked(tmp_path):
    from generator.audit import RawValues

    root = tmp_path / "site"
    (root / "测试甲乙").mkdir(parents=True)
    raw = RawValues(frozenset({"测试甲乙"}), frozenset(), frozenset(), frozenset())
    findings = audit(root, raw=raw)
    assert [f.kind for f in findings] == ["raw-name"] and all("测试甲乙" not in f.format() for f in findings)


def test_the_site_audit_reads_every_person_key_without_parsing_the_notices(project):
    from generator.load import load, load_for_audit

    dataset, _ = load(project / "data")
    site, keys = load_for_audit(project / "data")
    real = {r.person_key for n in dataset.notices for r in n.roster if r.person_key}
    assert real and real <= keys and site.hotlines == dataset.site.hotlines
    # However a file writes a key (quoted, in a flow mapping), it is among the patterns.
    odd = "ab" * 32
    notice = next((project / "data/notices").glob("*-gs.yaml"))
    notice.write_text(notice.read_text(encoding="utf-8") + f'# {{"person_key": "{odd}"}}\n', encoding="utf-8")
    assert odd in load_for_audit(project / "data")[1]
    page = project / "site-copy" / "index.html"
    page.parent.mkdir()
    page.write_text(f"<p>{odd}</p>", encoding="utf-8")
    done = run_generator("audit", str(page.parent), "--data", str(project / "data"), cwd=project)
    assert done.returncode == 1 and odd not in done.stdout + done.stderr


@pytest.mark.parametrize("cell, flagged", [("*李四", True), ("李*四", True), ("张三*", True), ("<span>*</span>李四", True),
                                           ("测试甲", True), ("王**", False), ("欧阳*", False), ("阿**·**", False),
                                           ("*", False)])
def test_a_name_cell_is_a_masked_name_not_just_a_cell_with_an_asterisk(tmp_path, cell, flagged):
    page = ('<table class="roster-table"><thead><tr><th scope="col">序号</th><th scope="col">姓名</th></tr>'
            f"</thead><tbody><tr><td>1</td><td>{cell}</td></tr></tbody></table>")
    findings = audit(site_with(tmp_path, "a.html", page))
    assert ("unmasked-name" in [f.kind for f in findings]) is flagged
    assert all("李四" not in f.format() and "测试甲" not in f.format() for f in findings)



def test_the_build_audit_memo_reuses_only_what_it_may(tmp_path, monkeypatch):
    """audit_memo (the build's audit): a file's findings are remembered by its path and bytes; changed
    bytes are audited anew; a file holding a 64-hex run is never remembered (the person keys change
    from build to build), so a key that has become a person's is found."""
    from generator import audit as audit_module
    from generator.audit import audit_memo

    key = "cd" * 32
    root = site_with(tmp_path, "notices/a/index.html", "<p>干净</p>")
    (root / "hashes.json").write_text(json.dumps({"digest": key}), encoding="utf-8")
    findings, memo = audit_memo(root, frozenset(), frozenset(), {})
    assert findings == [] and len(memo) == 2  # index.html and notices/a/index.html; never hashes.json

    # A remembered file is not audited again: its findings come from the memo.
    audited = []
    real = audit_module.audit_file
    monkeypatch.setattr(audit_module, "audit_file", lambda path, *a, **k: audited.append(path.name) or real(path, *a, **k))
    planted = {k: [{"file": "x", "line": None, "kind": "id-number", "excerpt": "990100********1234",
                    "severity": "error", "note": ""}] for k in memo}
    findings, again = audit_memo(root, frozenset(), frozenset(), planted)
    assert audited == ["hashes.json"] and again == planted and [f.kind for f in findings] == ["id-number"] * 2

    # The 64-hex run is now a person's key: found, though the bytes did not change.
    audited.clear()
    findings, _ = audit_memo(root, frozenset(), frozenset({key}), memo)
    assert [f.kind for f in findings] == ["person-key"] and audited == ["hashes.json"]

    # Changed bytes under a remembered path are audited anew.
    (root / "notices/a/index.html").write_text(f"<td>{RAW_ID}</td>", encoding="utf-8")
    findings, _ = audit_memo(root, frozenset(), frozenset(), memo)
    assert [f.kind for f in findings] == ["id-number"] and RAW_ID not in findings[0].format()

    # Folder names are checked too (all of a chunk's at once, then one by one where one may hold something).
    (root / "notices" / RAW_ID).mkdir()
    findings, _ = audit_memo(root, frozenset(), frozenset(), {})
    assert sorted(f.kind for f in findings) == ["id-number", "id-number"]
    assert all(RAW_ID not in f.format() for f in findings)


def test_the_build_audit_finds_the_same_in_its_own_process_and_in_workers(tmp_path, monkeypatch):
    """audit_memo reads few bytes (an approval's) in its own process and many (a first build's) in
    worker processes: the same findings and memo either way, leaks in several chunks included."""
    from generator import audit as audit_module
    from generator.audit import audit_memo

    root = site_with(tmp_path, "index.html", "<p>干净</p>")
    for i in range(3 * audit_module.CHUNK):
        (root / "notices" / f"n{i:04d}").mkdir(parents=True)
        text = f"<td>{RAW_ID}</td>" if i % 250 == 7 else f"<p>第{i}号 干净</p>"
        (root / "notices" / f"n{i:04d}" / "index.html").write_text(text, encoding="utf-8")
    pooled = []
    real = audit_module._in_pool
    monkeypatch.setattr(audit_module, "_in_pool", lambda *a: pooled.append(1) or real(*a))
    alone = audit_memo(root, frozenset(), frozenset(), {})
    assert pooled == [] and [f.kind for f in alone[0]] == ["id-number"] * 3
    monkeypatch.setattr(audit_module, "POOL_MIN_BYTES", 0)
    assert audit_memo(root, frozenset(), frozenset(), {}) == alone
    assert pooled == ([1] if (os.cpu_count() or 1) > 1 else [])


def test_the_audit_command_walks_the_folder_beside_reading_its_inputs_and_finds_the_same(tmp_path, monkeypatch, capsys):
    """cli._audit walks the audited folder in a forked process while it reads data/ and the raw rosters:
    the same findings and exit code as one after the other, and a raw roster that cannot be read still
    stops it with the clerk's message."""
    import os

    from generator import beside, cli

    roster = raw_roster(tmp_path / "raw.csv", [("测试甲乙", RAW_ID, "07318412345", "示范县虚构路88号")])
    root = site_with(tmp_path, "notices/a/index.html", f"<td>测试甲乙</td><td>{RAW_MOBILE}</td>")
    (root / "notices/b").mkdir()
    walked_by = tmp_path / "walked-by"
    real_walk = cli.walk

    def spying_walk(path):
        walked_by.write_text(str(os.getpid()))
        return real_walk(path)

    monkeypatch.setattr(cli, "walk", spying_walk)
    argv = ["audit", str(root), "--raw", str(roster), "--data", str(tmp_path / "none"), "--format", "json"]
    assert cli.main(argv) == 1
    beside_out = json.loads(capsys.readouterr().out)
    assert int(walked_by.read_text()) != os.getpid()
    monkeypatch.setattr(beside, "can_fork", lambda: False)
    assert cli.main(argv) == 1
    assert json.loads(capsys.readouterr().out) == beside_out
    assert int(walked_by.read_text()) == os.getpid()
    assert {f["kind"] for f in beside_out["findings"]} >= {"raw-name", "mobile"}

    monkeypatch.undo()
    (tmp_path / "bad.csv").write_text("没有表头的一行\n", encoding="utf-8")
    assert cli.main(["audit", str(root), "--raw", str(tmp_path / "bad.csv"), "--data", str(tmp_path / "none")]) == 2
    assert "bad.csv：找不到表头" in capsys.readouterr().err


def test_the_build_audit_reads_again_only_files_that_are_not_the_very_files_read_before(tmp_path, monkeypatch):
    """audit_memo remembers a file as itself (device, inode, size, modification and change times) once
    its change time has settled: the next audit takes its findings without reading it. A file edited
    in place since, even with its size and modification time kept, has a new change time and is read;
    so is every file once the detectors or the hotlines change, and a file written just before the walk."""
    import os
    import time

    from generator import audit as audit_module
    from generator.audit import audit_memo

    root = site_with(tmp_path, "notices/a/index.html", "<p>干净的公示</p>")
    page = root / "notices/a/index.html"
    monkeypatch.setattr(audit_module, "SETTLED_NS", 50 * 10**6)
    time.sleep(0.1)  # the files' change times settle
    findings, memo = audit_memo(root, frozenset(), frozenset(), {})
    assert findings == [] and sorted(k.removeprefix("file ") for k in memo if k.startswith("file ")) == [
        "index.html", "notices/a/index.html"]

    read = []
    real_read = audit_module.read_bytes_and_stat
    monkeypatch.setattr(audit_module, "read_bytes_and_stat", lambda path: read.append(path) or real_read(path))
    # Planted findings prove they come from the memo, not from a reading.
    planted = {k: (v if k.startswith("file ") else [{"file": "x", "line": None, "kind": "id-number",
                                                        "excerpt": "990100********1234", "severity": "error",
                                                        "note": ""}]) for k, v in memo.items()}
    findings, again = audit_memo(root, frozenset(), frozenset(), planted)
    assert read == [] and again == planted and [f.kind for f in findings] == ["id-number"] * 2

    findings, _ = audit_memo(root, frozenset({"00001234567"}), frozenset(), memo)  # another hotline: read anew
    assert findings == [] and len(read) == 2
    read.clear()

    stat = page.stat()
    text = page.read_bytes()
    with open(page, "r+b") as fh:  # in place: same inode, same size, the time put back
        fh.write(text.replace("干净".encode(), RAW_ID[:6].encode()))
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (page.stat().st_ino, page.stat().st_size, page.stat().st_mtime_ns) == (stat.st_ino, stat.st_size,
                                                                                   stat.st_mtime_ns)
    findings, after = audit_memo(root, frozenset(), frozenset(), memo)
    assert [os.path.relpath(p, root) for p in read] == ["notices/a/index.html"]
    assert "file notices/a/index.html" not in after  # written just now: not remembered as itself yet
    read.clear()
    page.write_text(f"<td>{RAW_ID}</td>", encoding="utf-8")
    findings, _ = audit_memo(root, frozenset(), frozenset(), after)
    assert [f.kind for f in findings] == ["id-number"] and len(read) == 1

    monkeypatch.setattr(audit_module, "IDENTITY_MEMO", False)  # where change times say nothing (Windows)
    time.sleep(0.1)
    read.clear()
    findings, memo = audit_memo(root, frozenset(), frozenset(), {})
    assert not any(k.startswith("file ") for k in memo)
    audit_memo(root, frozenset(), frozenset(), memo)
    assert len(read) == 4


def test_the_build_audit_remembers_a_file_as_itself_only_as_it_read_it_and_for_a_day(tmp_path, monkeypatch):
    """A record pairs the bytes read with the file they were read from (its open file's stat, which must
    be the file the walk saw): folders swapped between the walk and the read leave no record, and the
    leaky page is found once it is back. Records expire after a day (RECORD_NS), malformed ones are
    read past, and the worker processes take the memo as one process does."""
    import os
    import time

    from generator import audit as audit_module
    from generator.audit import audit_memo, walk

    monkeypatch.setattr(audit_module, "SETTLED_NS", 50 * 10**6)
    root = tmp_path / "site"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    leaky = f"<td>{RAW_ID}</td>".encode()
    (root / "a" / "index.html").write_bytes(leaky)
    (root / "b" / "index.html").write_bytes(b"<td>" + b"x" * (len(leaky) - 9) + b"</td>")  # clean, same size
    time.sleep(0.1)
    walked = time.time_ns()
    entries = walk(root)
    os.rename(root / "a", root / "c")  # swapped after the walk: "a" now holds the clean page
    os.rename(root / "b", root / "a")
    os.rename(root / "c", root / "b")
    findings, memo = audit_memo(root, frozenset(), frozenset(), {}, entries, walked)
    assert [k for k in memo if k.startswith("file ")] == []  # neither page is the file its path had at the walk
    os.rename(root / "a", root / "c")  # back: the leaky page under "a", its times untouched by the moves
    os.rename(root / "b", root / "a")
    os.rename(root / "c", root / "b")
    findings, memo = audit_memo(root, frozenset(), frozenset(), memo)
    assert [f.kind for f in findings] == ["id-number"]
    assert sorted(k for k in memo if k.startswith("file ")) == ["file a/index.html", "file b/index.html"]

    read = []
    real_read = audit_module.read_bytes_and_stat
    monkeypatch.setattr(audit_module, "read_bytes_and_stat", lambda path: read.append(path) or real_read(path))
    findings, again = audit_memo(root, frozenset(), frozenset(), memo)
    assert read == [] and [f.kind for f in findings] == ["id-number"] and again == memo
    for bad in ([1, 2], {"a": 1}, memo["file a/index.html"][:6] + [["x"], 0], "x"):
        findings, _ = audit_memo(root, frozenset(), frozenset(), {**memo, "file a/index.html": bad})
        assert [f.kind for f in findings] == ["id-number"]
    assert len(read) == 4
    monkeypatch.setattr(audit_module, "RECORD_NS", 0)  # a record older than a day
    read.clear()
    audit_memo(root, frozenset(), frozenset(), memo)
    assert len(read) == 2

    monkeypatch.setattr(audit_module, "RECORD_NS", 24 * 3600 * 10**9)
    monkeypatch.setattr(audit_module, "CHUNK", 1)  # a chunk a file: the worker processes
    planted = {k: (v if k.startswith("file ") else [{"file": "x", "line": None, "kind": "bank-card",
                                                        "excerpt": "6222********1234", "severity": "error",
                                                        "note": ""}]) for k, v in memo.items()}
    findings, _ = audit_memo(root, frozenset(), frozenset(), planted)
    assert [f.kind for f in findings] == ["bank-card", "bank-card"]


def test_the_walk_gives_every_entry_in_path_order(tmp_path):
    """audit.walk: folders and files in the order of their Paths (part by part), which the findings keep."""
    from generator.audit import walk

    for rel in ("a/b/c.html", "a-b/x.html", "a.b", "ab/z", "a/b-c/d", "a/b.c", "b", "a/0/1/2.json", "z/a b/九.html"):
        path = tmp_path / "site" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")
    root = tmp_path / "site"
    entries = walk(root)
    assert [rel for rel, *_ in entries] == [p.relative_to(root).as_posix() for p in sorted(root.rglob("*"))]
    assert {rel: kind for rel, kind, *_ in entries}["a/b"] == "dir" and len(entries) == 18


def test_a_scan_in_a_process_of_its_own_gives_what_the_build_reads_itself(tmp_path):
    """folders.Beside (the build's walk for the audit, and its reading of the spare notices folder, each
    in a process of its own beside other work): the same entries as read here, a link and an odd name
    included; where the process has no result (a folder that is not there), None, or the scan made here."""
    from generator.folders import Beside, spare_listing, walk

    root = tmp_path / "site"
    for rel in ("notices/a/index.html", "notices/b/index.html", "notices/c/other.txt", "z/九 x.html"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel, encoding="utf-8")
    (root / "notices" / "stray.txt").write_text("x", encoding="utf-8")
    os.symlink("a", root / "notices" / "link")
    walking, reading = Beside("walk", root), Beside("spare", root / "notices")
    assert walking.result(fallback=False) == walk(root) and len(walk(root)) == 11
    listing = reading.result(fallback=False)
    assert sorted(listing) == sorted(spare_listing(str(root / "notices")))
    assert {name: page is not None for name, is_dir, _, _, page in listing if is_dir} == {"a": True, "b": True, "c": False}

    # A folder walked earlier, joined with the rest walked now: the walk of the whole, in the same order.
    from generator.folders import walk_with
    assert walk_with(root, "notices", walk(root / "notices")) == walk(root) == walk_with(root, "notices", None)
    (root / "notices-2").mkdir()
    (root / "notices-2" / "a.html").write_text("x", encoding="utf-8")
    assert walk_with(root, "notices", Beside("walk", root / "notices").result(fallback=False)) == walk(root)
    # A folder that became a link since (or is gone) is not taken from the earlier walk.
    shutil.move(root / "notices", tmp_path / "moved")
    os.symlink(tmp_path / "moved", root / "notices")
    assert walk_with(root, "notices", walk(tmp_path / "moved")) == walk(root)
    assert not any(rel.startswith("notices/") for rel, *_ in walk(root))
    os.unlink(root / "notices")
    assert walk_with(root, "notices", walk(tmp_path / "moved")) == walk(root)

    gone = Beside("spare", tmp_path / "nothing")
    assert gone.result(fallback=False) is None
    assert Beside("walk", tmp_path / "nothing").result() == []  # as walk says of a missing folder
    running = Beside("walk", root)
    running.close()  # a build that stopped before it asked: the process is ended and reaped
    assert running.result(fallback=False) is None


def test_a_scan_is_made_here_where_the_process_would_name_files_otherwise_or_cannot_start(tmp_path, monkeypatch):
    """folders.Beside: a process that would decode file names otherwise than the build (another file system
    encoding or error handler: -I ignores PYTHONUTF8) hands nothing back, nor is one started without a Python
    to start; the scan is then made here."""
    import sys

    from generator.folders import Beside, walk

    (tmp_path / "九 x.html").write_text("x", encoding="utf-8")
    assert Beside("walk", tmp_path).result(fallback=False) == walk(tmp_path)
    real = sys.getfilesystemencodeerrors()
    monkeypatch.setattr(sys, "getfilesystemencodeerrors", lambda: "strict" if real != "strict" else "replace")
    assert Beside("walk", tmp_path).result(fallback=False) is None
    assert Beside("walk", tmp_path).result() == walk(tmp_path)
    monkeypatch.undo()
    for executable, frozen in ((None, False), ("", False), (sys.executable, True)):
        monkeypatch.setattr(sys, "executable", executable)
        monkeypatch.setattr(sys, "frozen", frozen, raising=False)
        scan = Beside("walk", tmp_path)
        assert scan.result(fallback=False) is None and Beside("walk", tmp_path).result() == walk(tmp_path)
        monkeypatch.undo()


def test_a_digest_after_parts_hashed_once_is_the_digest_of_all_the_parts():
    """digests.digest_after (the notice pages' final keys: the shell's part hashed once a build)."""
    from generator.digests import digest, digest_after

    shell = digest("<head>", "", "</html>", "notices/x0/")
    parts = [("2026-11-01-村-gs", "标题 'q\"\n\udcff", "ab" * 32), ("a", "", ""), (1, None, ("t", 2))]
    for rest in parts:
        assert digest_after(shell)(*rest) == digest(shell, *rest)
    assert digest_after()("x") == digest("x") and digest_after("a", "b")() == digest("a", "b")


def test_a_file_scanned_ahead_is_taken_from_the_memo_with_its_findings(tmp_path, monkeypatch):
    """audit.prescan (a build's search index, scanned while its new site is walked): audit_memo then finds
    the file's findings in the memo by its content, and scans it again only where it changed since."""
    from generator import audit as audit_module
    from generator.audit import audit_memo, prescan

    root = tmp_path / "site"
    (root / "search").mkdir(parents=True)
    index = root / "search" / "search_index.json"
    index.write_text(json.dumps({"docs": [{"title": "公示", "text": f"身份证 {RAW_ID}"}]}, ensure_ascii=False),
                     encoding="utf-8")
    (root / "index.html").write_text("<p>公示</p>", encoding="utf-8")
    plain, _ = audit_memo(root, frozenset(), frozenset(), {})
    memo = prescan(root, ["search/search_index.json", "search/gone.json", "search"], frozenset(), frozenset(), {})
    assert len(memo) == 1
    scanned = []
    real = audit_module.audit_file
    monkeypatch.setattr(audit_module, "audit_file", lambda path, rel, *a, **k: scanned.append(rel) or real(path, rel, *a, **k))
    findings, _ = audit_memo(root, frozenset(), frozenset(), memo)
    assert scanned == ["index.html"] and findings == plain and [f.kind for f in findings] == ["id-number"]
    index.write_text('{"docs": []}', encoding="utf-8")
    findings, _ = audit_memo(root, frozenset(), frozenset(), memo)
    assert findings == [] and scanned[-2:] == ["index.html", "search/search_index.json"]
