"""End to end: the real command line builds the demo county; failures change nothing."""

import errno
import json
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import DEMO_TODAY, fake_id, run_generator, tree_bytes


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory) -> Path:
    """The demo county built once for the read-only checks below."""
    from conftest import REPO, PROJECT_PARTS

    root = tmp_path_factory.mktemp("demo")
    for part in PROJECT_PARTS:
        (shutil.copytree if (REPO / part).is_dir() else shutil.copy2)(REPO / part, root / part)
    done = run_generator("build", "--today", DEMO_TODAY, cwd=root)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return root / "site"


def page(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


def test_home_shows_notices_in_publicity_results_and_hotline(demo_site):
    home = (demo_site / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh"' in home
    assert "正在公示" in home and "最新公布" in home
    assert "0000-1234567" in home  # the supervision hotline
    for notice in ("2026-11-25-taoyuan-gs", "2026-11-27-songlin-gs", "2026-11-24-nanling-gs", "2026-11-23-xiangyang-gs"):
        assert f"notices/{notice}/" in home
    assert "notices/2026-11-23-liuxi-gb/" in home


def test_notice_page_has_everything_a_villager_needs(demo_site):
    html = page(demo_site, "notices/2026-11-25-taoyuan-gs")
    for text in ("示范县东湖镇人民政府", "东政民公〔2026〕31号", "2026年11月25日至2026年12月2日", "公示中",
                 "截至2026年11月30日", "如何反映意见", "0000-1234567", "第十九条"):
        assert text in html, text
    rows = re.findall(r"<tr><td>\d+</td>", html)
    assert len(rows) == 6
    # only allow-listed columns, names masked
    assert re.findall(r'<th scope="col">([^<]+)</th>', html) == ["序号", "组", "户主姓名", "家庭人口", "类别", "月保障金（元）", "变动"]
    names = re.findall(r"<tr><td>\d+</td><td>[^<]*</td><td>([^<]+)</td>", html)
    assert names and all(re.fullmatch(r"[\u4e00-\u9fff]{1,2}\*+", n) for n in names)


def test_status_on_the_last_day_and_after(demo_site):
    assert "公示中" in page(demo_site, "notices/2026-11-23-xiangyang-gs")  # day 7: the last day
    assert "公示期满" in page(demo_site, "notices/2026-11-16-xinghua-gs")  # day 14
    assert "已公布" in page(demo_site, "notices/2026-11-23-liuxi-gb")


def test_a_scheduled_notice_leaves_no_trace(demo_site):
    assert not (demo_site / "notices/2026-12-03-shiqiao-gs").exists()
    for path in demo_site.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".json", ".xml"}:
            text = path.read_text(encoding="utf-8")
            assert "2026-12-03-shiqiao-gs" not in text and "东政民公〔2026〕33号" not in text, path


def test_rosters_stay_out_of_the_search_index_but_notices_are_found(demo_site):
    index = json.loads((demo_site / "search/search_index.json").read_text(encoding="utf-8"))
    text = json.dumps(index, ensure_ascii=False)
    assert not re.search(r"[\u4e00-\u9fff]\*", text)  # no masked name
    assert "data-search-exclude" not in (demo_site / "notices/2026-11-25-taoyuan-gs/index.html").read_text()
    assert any(d["location"] == "notices/2026-11-25-taoyuan-gs/" for d in index["docs"])


def test_village_affairs_tables_stay_out_of_the_search_index_but_rules_are_found(demo_site):
    index = json.loads((demo_site / "search/search_index.json").read_text(encoding="utf-8"))
    text = json.dumps(index, ensure_ascii=False).replace("\u200b", "")  # jieba joins words with zero-width spaces
    assert "村级光伏电站发电收益" not in text and "示范县某某路桥工程有限公司" not in text
    assert "桃源村2026年10月财务收支公开" in text  # the statement's page is found, its tables are not
    # Every notice is found by its title, issuer and number (one small entry each, county-size sites
    # stay searchable on a phone); a 村规民约's articles are read on its page, not searched.
    assert "松林村村规民约" in text


def test_no_external_requests(demo_site):
    """Nothing the browser fetches comes from elsewhere (fonts and CDNs stall in mainland China)."""
    external = re.compile(r'^(https?:)?//')
    for path in demo_site.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<(?:script|img|iframe|source)\b[^>]*>", html):
            assert not external.match(re.search(r'src="([^"]*)"', tag).group(1) if "src=" in tag else ""), (path, tag)
        for tag in re.findall(r"<link\b[^>]*>", html):
            if 'rel="canonical"' not in tag:
                assert not external.match(re.search(r'href="([^"]*)"', tag).group(1)), (path, tag)
    for css in demo_site.rglob("*.css"):
        assert not re.search(r"url\((['\"]?)(https?:)?//", css.read_text(encoding="utf-8")), css


def test_explainer_figures_come_from_policy(demo_site):
    html = page(demo_site, "explainers/dibao")
    assert "570 元/人·月" in html and "4020 元/人·年" in html and "335.00" in html
    assert "第二十三条" in html and "第二百零一条" in html


def test_town_and_village_pages(demo_site):
    assert "桃源村" in page(demo_site, "towns/990100101000")
    village = page(demo_site, "villages/990100101202")
    assert "柳溪村" in village and "notices/2026-11-23-liuxi-gb/" in village
    assert "2026年8月" in page(demo_site, "archive")


def test_the_built_site_passes_the_audit(demo_site, tmp_path):
    done = run_generator("audit", str(demo_site), cwd=tmp_path)
    assert done.returncode == 0, done.stdout


def test_same_input_same_today_same_bytes(project):
    first = run_generator("build", "--today", DEMO_TODAY, "--out", "one", cwd=project)
    second = run_generator("build", "--today", DEMO_TODAY, "--out", "two", cwd=project)
    assert first.returncode == second.returncode == 0
    assert tree_bytes(project / "one") == tree_bytes(project / "two")


def built_then_broken(project: Path, break_it) -> tuple:
    assert run_generator("build", "--today", DEMO_TODAY, cwd=project).returncode == 0
    before = tree_bytes(project / "site")
    break_it(project)
    done = run_generator("build", "--today", DEMO_TODAY, cwd=project)
    return done, before, tree_bytes(project / "site")


def approve_too_early(project: Path) -> None:
    path = project / "data/notices/2026-11-23-liuxi-gb.yaml"
    body = yaml.safe_load(path.read_text(encoding="utf-8"))
    body["approved_on"] = body["published_on"] = __import__("datetime").date(2026, 11, 17)  # day 7 of its 公示
    path.write_text(yaml.safe_dump(body, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_a_result_before_its_publicity_completed_is_refused_and_the_old_site_stays(project):
    done, before, after = built_then_broken(project, approve_too_early)
    assert done.returncode == 1
    assert "[publicity-not-completed]" in done.stderr and "2026-11-23-liuxi-gb.yaml" in done.stderr
    assert "2026年11月18日" in done.stderr  # the first day it may be approved
    assert "原有网站 site 没有改动" in done.stderr and "Traceback" not in done.stderr
    assert after == before
    assert not list(project.glob(".site.build-*"))  # no staging left behind


def test_an_objection_added_to_a_finished_publicity_blocks_its_result_at_the_next_build(project):
    """The first build remembers which 公布 passed the checks of their people (publicity.PersonChecks);
    an open objection written into the 公示 afterwards is found all the same: the memo is keyed by the
    公示 files of the 公布's program and village too."""
    import sqlite3

    def object_to_a_listed_person(p: Path) -> None:
        path = p / "data/notices/2026-11-10-liuxi-gs.yaml"
        path.write_text(path.read_text(encoding="utf-8") + "objections:\n- row: 1\n  raised_on: 2026-11-12\n",
                        encoding="utf-8")

    def remembered() -> int:
        with sqlite3.connect(project / ".site.cache/cache.sqlite") as conn:
            (count,) = conn.execute("SELECT count(*) FROM entries WHERE kind = 'person-checks'").fetchone()
        conn.close()
        return count

    done, before, after = built_then_broken(project, lambda p: (remembered() > 0 or pytest.fail("no memo"),
                                                                object_to_a_listed_person(p)))
    assert done.returncode == 1, done.stderr
    assert "[objection-unresolved]" in done.stderr and "2026-11-23-liuxi-gb.yaml" in done.stderr
    assert after == before


def test_an_audit_finding_stops_the_build_and_the_old_site_stays(project):
    raw = fake_id(55)

    def leak(p: Path) -> None:
        about = p / "content/about.md"
        about.write_text(about.read_text(encoding="utf-8") + f"\n联系人身份证 {raw}\n", encoding="utf-8")

    done, before, after = built_then_broken(project, leak)
    assert done.returncode == 1
    assert "审计未通过" in done.stderr and "about/index.html" in done.stderr
    assert raw not in done.stdout + done.stderr
    assert after == before


def test_a_template_mistake_in_content_names_file_and_line(project):
    def typo(p: Path) -> None:
        (p / "content/explainers/dibao.md").write_text("# 标题\n\n{{ standard('dibao_urban').amout }}\n", encoding="utf-8")

    done, before, after = built_then_broken(project, typo)
    assert done.returncode == 1
    assert "[template-undefined] content/explainers/dibao.md 第3行" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and after == before


def test_a_link_in_content_that_goes_nowhere_names_file_line_and_what_to_do_in_chinese(project):
    """Links in content/ that would not open on the published site (a page that is not there, a link from
    the server's root, a relative link to no page) each fail the build at their file and line, in Chinese,
    with what to write instead; MkDocs' English and its closing "Aborted" line reach no one."""
    def links(p: Path) -> None:
        about = p / "content/about.md"
        about.write_text(about.read_text(encoding="utf-8") + "\n见[说明](missing.md)。\n", encoding="utf-8")
        explainer = p / "content/explainers/dibao.md"
        lines = explainer.read_text(encoding="utf-8").splitlines()
        lines += ["", "[本页](/explainers/dibao.md)", "", "[上一级](../foo)"]
        explainer.write_text("\n".join(lines) + "\n", encoding="utf-8")

    done, before, after = built_then_broken(project, links)
    assert done.returncode == 1
    about_line = len((project / "content/about.md").read_text(encoding="utf-8").splitlines())
    explainer_lines = len((project / "content/explainers/dibao.md").read_text(encoding="utf-8").splitlines())
    assert (f"[page-link] content/about.md 第{about_line}行：链接“missing.md”指向的页面不存在。"
            "请改成已有页面的 .md 文件名（从本页算起，例如首页写作 index.md）") in done.stderr, done.stderr
    assert (f"[page-link] content/explainers/dibao.md 第{explainer_lines - 2}行：链接“/explainers/dibao.md”以“/”开头"
            in done.stderr and "例如首页写作 ../index.md" in done.stderr and "是否想写“dibao.md”？" in done.stderr)
    assert f"[page-link] content/explainers/dibao.md 第{explainer_lines}行：链接“../foo”不是网站中的页面" in done.stderr
    assert "共 3 个错误" in done.stderr
    assert "Doc file" not in done.stderr and "Aborted" not in done.stderr and "Traceback" not in done.stderr
    assert after == before


def test_content_and_templates_saved_as_gbk_are_named_with_their_line_and_a_byte_order_mark_is_read(project):
    """Notepad or WPS saving a page, a template or a theme template in the system's code page (GBK): every
    such file is named in one run, at the line of the first character that is not UTF-8, with what to do;
    the old site stays.
    A file saved as UTF-8 with a byte-order mark (Notepad's "UTF-8 with BOM") builds as without one."""
    template, theme = project / "templates/town.md.j2", project / "site_overrides/main.html"
    original, original_theme = template.read_bytes(), theme.read_bytes()

    def gbk(p: Path) -> None:
        (p / "content/notes.md").write_bytes("# 说明\n\n乡镇办事指南。\n".encode("gbk"))
        template.write_bytes(original + "{# 乡镇页 #}\n".encode("gbk"))
        theme.write_bytes(original_theme + "{# 示范县 #}\n".encode("gbk"))  # MkDocs' theme: the same run

    done, before, after = built_then_broken(project, gbk)
    assert done.returncode == 1 and after == before and "Traceback" not in done.stderr
    lines = original.count(b"\n")
    assert f"[not-utf8] templates/town.md.j2 第{lines + 1}行：文件不是 UTF-8 编码" in done.stderr, done.stderr
    theme_lines = original_theme.count(b"\n")
    assert f"[not-utf8] site_overrides/main.html 第{theme_lines + 1}行" in done.stderr, done.stderr
    assert "[not-utf8] content/notes.md 第1行" in done.stderr and "另存为" in done.stderr and "共 3 个错误" in done.stderr

    (project / "content/notes.md").write_bytes("\ufeff---\ntitle: 办事指南\n---\n# 办事指南\n".encode("utf-8"))
    template.write_bytes(original)
    theme.write_bytes(original_theme)
    hotline = project / "templates/_hotline.md.j2"  # included in pages: MkDocs' own reading would not drop its BOM
    hotline.write_bytes("\ufeff".encode("utf-8") + hotline.read_bytes())
    done = run_generator("build", "--today", DEMO_TODAY, cwd=project)
    assert done.returncode == 0, done.stderr
    notes = (project / "site/notes/index.html").read_text(encoding="utf-8")
    assert "<title>办事指南 - " in notes
    assert not [p for p in (project / "site").rglob("*.html") if "\ufeff" in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize("file", ["mkdocs.yml", "site_overrides/main.html", "BOM site_overrides/main.html"])
def test_a_configuration_or_theme_template_saved_as_gbk_is_named_with_its_line(project, file):
    """What MkDocs reads as text (its configuration, the theme templates a county overrides) is checked
    the same way, before MkDocs would stop at it with a bare decoding error; a theme template with a
    byte-order mark too (MkDocs would put the mark into every page)."""
    bom = file.startswith("BOM ")
    file = file.removeprefix("BOM ")
    path = project / file
    lines = path.read_bytes().count(b"\n")

    def gbk(p: Path) -> None:
        if bom:
            path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
        else:
            path.write_bytes(path.read_bytes() + "{# 示范县 #}\n".encode("gbk"))

    done, before, after = built_then_broken(project, gbk)
    assert done.returncode == 1 and after == before and "Traceback" not in done.stderr
    if bom:
        assert f"[not-utf8] {file} 第1行：文件开头有 BOM" in done.stderr, done.stderr
    else:
        assert f"[not-utf8] {file} 第{lines + 1}行：文件不是 UTF-8 编码" in done.stderr, done.stderr


def test_page_settings_mkdocs_would_show_as_text_fail_at_their_line_and_an_untitled_page_is_a_warning(project):
    """Front matter that is not "key: value" YAML (MkDocs would silently show it on the page and title the
    page after its file): an error at its line, each page in one run. A page without a title: a warning,
    and the build goes on."""
    def settings(p: Path) -> None:
        (p / "content/a.md").write_text("---\ntitle: 说明: 第二版\n---\n# 说明\n", encoding="utf-8")
        (p / "content/b.md").write_text("---\ntitle：全角冒号\n---\n# 说明\n", encoding="utf-8")
        (p / "content/c.md").write_text("---\ntitle: 办事指南\ntags: [低保, 特困\n---\n# 办事指南\n", encoding="utf-8")

    done, before, after = built_then_broken(project, settings)
    assert done.returncode == 1 and after == before and "Traceback" not in done.stderr
    assert "[front-matter] content/a.md 第2行" in done.stderr and "英文半角冒号" in done.stderr, done.stderr
    assert "[front-matter] content/b.md 第2行" in done.stderr and "[front-matter] content/c.md 第3行" in done.stderr

    for name in "abc":
        (project / f"content/{name}.md").unlink()
    (project / "content/untitled.md").write_text("只有正文，没有标题。\n", encoding="utf-8")
    (project / "content/late.md").write_text("先是一段正文。\n\n# 后面的标题\n", encoding="utf-8")
    (project / "content/setext.md").write_text("低保说明\n========\n\n正文。\n", encoding="utf-8")
    done = run_generator("build", "--today", DEMO_TODAY, cwd=project)
    assert done.returncode == 0, done.stderr
    said = done.stderr + done.stdout
    assert "警告 [page-untitled] content/untitled.md：页面没有标题" in said and "[page-untitled] content/late.md" in said
    assert "content/setext.md" not in said
    assert "<title>低保说明 - " in (project / "site/setext/index.html").read_text(encoding="utf-8")
    assert (project / "site/untitled/index.html").is_file()
    about = (project / "content/about.md").read_text(encoding="utf-8")
    assert "page-untitled] content/about.md" not in done.stderr + done.stdout and about.startswith("---")


def _png() -> bytes:
    """A 1x1 PNG, made here (no image in the repository)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def test_files_beside_the_pages_in_content_are_published_as_they_are_and_audited(project):
    """A picture or a text file in content/ is on the site, byte for byte, where a page links it (the
    picture with a warning: text in it cannot be checked); what systems and editors leave there is not.
    Refused in one run, each with what to do: kinds the audit cannot read into (office documents,
    presentations), an archive or a PDF under another name, a PDF carrying a file (the audit does not
    read it), a GBK text file, a page MkDocs would read without our templates, a folder the site writes
    itself. A hidden folder is never read. A PDF with a note is published, and audited: a file or a note
    holding an ID number fails the audit; a linked file removed is said as such. Each time the old site
    stays."""
    (project / "content/images").mkdir()
    (project / "content/images/流程图.png").write_bytes(_png())
    (project / "content/forms").mkdir()
    (project / "content/forms/材料清单.txt").write_text("身份证复印件、户口簿复印件。\n", encoding="utf-8")
    (project / "content/.DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (project / "content/forms/~$申请表.docx").write_bytes(b"lock")
    (project / "content/forms/Thumbs.db").write_bytes(b"\xd0\xcf")
    explainer = project / "content/explainers/dibao.md"
    explainer.write_text(explainer.read_text(encoding="utf-8") + "\n![办理流程](../images/流程图.png)\n\n"
                         "[材料清单](../forms/材料清单.txt)\n", encoding="utf-8")
    done = run_generator("build", "--today", DEMO_TODAY, cwd=project)
    assert done.returncode == 0, done.stderr
    site = project / "site"
    assert (site / "images/流程图.png").read_bytes() == _png()
    assert (site / "forms/材料清单.txt").read_bytes() == (project / "content/forms/材料清单.txt").read_bytes()
    page = (site / "explainers/dibao/index.html").read_text(encoding="utf-8")
    assert 'src="../../images/%E6%B5%81%E7%A8%8B%E5%9B%BE.png"' in page or 'src="../../images/流程图.png"' in page
    assert "警告 [image-unchecked] content/images/流程图.png" in done.stderr + done.stdout
    assert not [p for p in site.rglob("*") if p.name in (".DS_Store", "Thumbs.db") or p.name.startswith(("~$", "about.md"))]

    (project / "content/about.md.bak").write_text("{# 旧版 #}\n", encoding="utf-8")
    before = tree_bytes(site)
    refused = ["forms/申请表.docx", "forms/演示.pptx", "forms/说明.odt", "forms/改名的压缩包.pdf", "forms/带附件.pdf",
               "images/改名的.png", "forms/旧说明.txt", "guide.markdown", "notices/x.png"]

    def unpublishable(p: Path) -> None:
        from io import BytesIO

        from pypdf import PdfWriter
        from pypdf.annotations import FreeText

        for name in ("申请表.docx", "演示.pptx", "说明.odt", "改名的压缩包.pdf"):
            (p / "content/forms" / name).write_bytes(b"PK\x03\x04" + b"\x00" * 26)
        # The audit reads a PDF's notes (audit_pdf), not the files it carries.
        for name, add in (("带附件.pdf", lambda w: w.add_attachment("名单.txt", b"x")),
                          ("带批注.pdf", lambda w: w.add_annotation(0, FreeText(text=f"证件号 {fake_id(8)}",
                                                                                rect=(10, 10, 90, 40))))):
            writer = PdfWriter()
            writer.add_blank_page(200, 200)
            add(writer)
            out = BytesIO()
            writer.write(out)
            (p / "content/forms" / name).write_bytes(out.getvalue())
        (p / "content/images/改名的.png").write_bytes((p / "content/forms/带附件.pdf").read_bytes())
        (p / "content/forms/旧说明.txt").write_bytes("办理须知\n".encode("gbk"))
        (p / "content/guide.markdown").write_text("# 指南\n", encoding="utf-8")
        (p / "content/notices").mkdir()
        (p / "content/notices/x.png").write_bytes(_png())
        (p / "content/.trash").mkdir()
        (p / "content/.trash/old.md").write_bytes("# 旧页面 {{ 未闭合\n".encode("gbk"))  # never published: not read

    unpublishable(project)
    done = run_generator("build", "--today", DEMO_TODAY, cwd=project)
    assert done.returncode == 1 and tree_bytes(site) == before and "Traceback" not in done.stderr
    for name in refused:
        assert f"] content/{name}" in done.stderr, (name, done.stderr)
    assert f"共 {len(refused)} 个错误" in done.stderr and ".trash" not in done.stderr and ".bak" not in done.stderr
    assert "PDF 里有附件" in done.stderr and "内容却是 PDF" in done.stderr and "内容却是压缩包或 Office 文档" in done.stderr
    assert "错误 [attachment-not-auditable] content/forms/带批注.pdf" not in done.stderr  # the audit reads its note
    for name in refused:
        (project / "content" / name).unlink()
    (project / "content/forms/材料清单.txt").write_text(f"联系人证件号 {fake_id(7)}\n", encoding="utf-8")
    done = run_generator("build", "--today", DEMO_TODAY, cwd=project)
    assert done.returncode == 1 and "审计未通过" in done.stderr and "forms/材料清单.txt" in done.stderr
    assert "forms/带批注.pdf" in done.stderr  # the ID number in its note
    assert fake_id(7) not in done.stdout + done.stderr and fake_id(8) not in done.stdout + done.stderr
    assert tree_bytes(site) == before

    for name in ("forms/材料清单.txt", "forms/带批注.pdf"):
        (project / "content" / name).unlink()
    done = run_generator("build", "--today", DEMO_TODAY, cwd=project)
    assert done.returncode == 1 and tree_bytes(site) == before
    assert "链接“../forms/材料清单.txt”指向的文件不存在。请把这个文件放进 content/" in done.stderr, done.stderr


def test_what_mkdocs_says_of_links_reaches_the_clerk_in_chinese():
    """The other messages: a heading a link names that is not there; a link in a page made from templates/
    (no content file to point at); and anything not recognised, said as it is, with what to do."""
    from generator.site import mkdocs_problems

    anchor = ("Doc file 'about.md' contains a link 'explainers/dibao.md#nope', but the doc 'explainers/dibao.md' "
              "does not contain an anchor '#nope'.")
    generated = ("Doc file 'villages/990100101201.md' contains a link '../gone.md', but the target 'gone.md' is not "
                 "found among documentation files.")
    other = "Config value 'theme': Unrecognised theme name: 'nope'."
    problems = mkdocs_problems([anchor, generated, generated, other, "Aborted with 3 warnings in strict mode!"],
                               {"about.md": ("content/about.md", Path("/nonexistent/about.md"))}, "mkdocs.yml")
    shown = [p.format() for p in problems]
    assert len(shown) == 3, shown
    assert shown[0].startswith("错误 [page-link] content/about.md：链接“explainers/dibao.md#nope”要跳到的小节")
    assert shown[1].startswith("错误 [page-link] 网站页面 villages/990100101201.md：链接“../gone.md”指向的页面不存在。")
    assert "首页写作 ../index.md" in shown[1] and "templates/" in shown[1]
    assert shown[2].startswith("错误 [mkdocs] mkdocs.yml：网站生成失败（MkDocs）：Config value") and "技术人员" in shown[2]
    assert [p.format() for p in mkdocs_problems(["Aborted with 1 warnings in strict mode!"], {}, "mkdocs.yml")]
    quoted = mkdocs_problems(["Doc file 'o'brien.md' contains a link 'it's.md', but the target is not found among "
                              "documentation files. Did you mean 'its.md'?"],
                             {"o'brien.md": ("content/o'brien.md", Path("/nonexistent"))}, "mkdocs.yml")
    assert quoted[0].format().startswith("错误 [page-link] content/o'brien.md：链接“it's.md”指向的页面不存在") and \
        "是否想写“its.md”？" in quoted[0].format()
    anchors = mkdocs_problems(["Doc file 'o'brien.md' contains a link 'it's.md#a', but the doc 'it's.md' does not "
                               "contain an anchor '#a'.",
                               "Doc file 'o'brien.md' contains a link '#b', but there is no such anchor on this page."],
                              {"o'brien.md": ("content/o'brien.md", Path("/nonexistent"))}, "mkdocs.yml")
    assert all("要跳到的小节" in p.format() for p in anchors), [p.format() for p in anchors]


def test_bad_today_is_a_chinese_usage_error(project):
    done = run_generator("build", "--today", "30/11/2026", cwd=project)
    assert done.returncode == 2 and "日期应写成 YYYY-MM-DD" in done.stderr
    assert "usage:" not in done.stderr and "argument" not in done.stderr and "参数 --today：" in done.stderr
    done = run_generator("build", "--today", "13800001111", cwd=project)  # a phone typed in the wrong box
    assert done.returncode == 2 and "13800001111" not in done.stderr


@pytest.mark.parametrize("typed", ["2026.11.30", "2026/11/30", "2026年11月30日", "2026-11-30"])
def test_dates_as_clerks_write_them_are_read(typed):
    import datetime as dt

    from generator.cli import _date

    assert _date(typed) == dt.date(2026, 11, 30)


@pytest.mark.parametrize("typed", ["2026-11.30", "20261130", "2026-W49-1", "2026/2/30", "30/11/2026"])
def test_mixed_or_other_date_forms_are_refused(typed):
    import argparse

    from generator.cli import _date

    with pytest.raises(argparse.ArgumentTypeError):
        _date(typed)


def test_a_number_option_given_text_is_a_chinese_error(tmp_path):
    done = run_generator("demo", "--villages", "abc", "--out", str(tmp_path / "d"), cwd=tmp_path)
    assert done.returncode == 2 and "应为整数" in done.stderr and "invalid" not in done.stderr


def test_the_atom_feed_lists_notices_without_rosters(demo_site):
    import xml.etree.ElementTree as ET

    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.parse(demo_site / "feed.xml").getroot()
    entries = feed.findall(f"{atom}entry")
    assert len(entries) == len(list((demo_site / "notices").iterdir()))  # every published notice
    assert entries[0].find(f"{atom}link").get("href").startswith("https://gongshi.example.org/notices/")
    assert not re.search(r"[\u4e00-\u9fff]\*", (demo_site / "feed.xml").read_text(encoding="utf-8"))
    assert 'type="application/atom+xml"' in (demo_site / "index.html").read_text(encoding="utf-8")


def test_the_search_index_keeps_division_names_whole(demo_site):
    index = json.loads((demo_site / "search/search_index.json").read_text(encoding="utf-8"))
    text = " ".join(d["title"] + " " + d["text"] for d in index["docs"])
    tokens = set(re.split(r"[\u200b\s<>/]+", text))
    assert {"桃源村", "东湖镇", "示范县"} <= tokens  # jieba with the user dictionary of division names
    assert "\u200b" in text  # segmented at all: without jieba Chinese would not be


def test_the_search_index_is_written_in_utf8_with_the_value_the_search_plugin_writes(project, monkeypatch):
    """Characters as UTF-8, not \\u escapes: the file a phone downloads at its first search is about half
    as big, and it is the same JSON value the search plugin itself writes (checked against a build with
    the plugin's own writer)."""
    import datetime as dt

    from generator import mkdocs_notices
    from generator.build import Paths, build

    def built(out: str) -> bytes:
        build(Paths(project / "data", project / "content", project / "templates", project / "mkdocs.yml",
                    project / out), dt.date.fromisoformat(DEMO_TODAY), pdfs=False)
        return (project / out / "search/search_index.json").read_bytes()

    ours = built("site")
    monkeypatch.setattr(mkdocs_notices, "_utf8_index", lambda index: index.generate_search_index)
    theirs = built("site-plugin")
    assert json.loads(ours) == json.loads(theirs)
    assert "示范县".encode() in ours and b"\\u793a" not in ours and b"\\u793a" in theirs
    assert len(ours) < 0.75 * len(theirs)


def test_the_build_walks_its_new_site_for_the_audit_in_a_process_of_its_own_and_finds_the_same(project, monkeypatch):
    """The audit's walk of the new site's notice folders runs in a process of its own (folders.Beside) from
    the moment they are finished, while the manifest and the audit's inputs are made (build.py); the rest of
    the site is walked after. The same site, and a leak planted in the content fails the build the same way,
    whether the notice folders were walked there or, where no process can be started, the whole site here."""
    import datetime as dt
    import subprocess
    from types import SimpleNamespace

    from generator import folders
    from generator.build import BuildFailed, Paths, build

    walked_here = []
    real_walk = folders.walk
    monkeypatch.setattr(folders, "walk", lambda root, leave=frozenset(): walked_here.append(sorted(leave))
                        or real_walk(root, leave))

    def cannot_start(*_, **__):
        raise OSError("no process")

    outcomes = []
    for beside in (True, False):
        if not beside:
            monkeypatch.setattr(folders, "subprocess", SimpleNamespace(
                Popen=cannot_start, PIPE=subprocess.PIPE, DEVNULL=subprocess.DEVNULL))
        walked_here.clear()
        out = project / f"site-{beside}"
        paths = Paths(project / "data", project / "content", project / "templates", project / "mkdocs.yml", out)
        build(paths, dt.date.fromisoformat(DEMO_TODAY), pdfs=False)
        # Beside: the notice folders in the process, the rest here; else all of it here, once.
        assert walked_here == ([["notices"]] if beside else [[]])
        about = project / "content" / "about.md"
        text = about.read_text(encoding="utf-8")
        about.write_text(text + f"\n联系人身份证号 {fake_id(7)}\n", encoding="utf-8")
        with pytest.raises(BuildFailed) as failed:
            build(paths, dt.date.fromisoformat(DEMO_TODAY), pdfs=False)
        about.write_text(text, encoding="utf-8")
        outcomes.append((tree_bytes(out), [p.message for p in failed.value.problems]))
    assert outcomes[0] == outcomes[1] and "身份证号" in outcomes[0][1][0] and fake_id(7) not in outcomes[0][1][0]
    # Found in the search index too, which the build scans ahead, while the walk runs (audit.prescan).
    assert "search/search_index.json" in outcomes[0][1][0] and "about/index.html" in outcomes[0][1][0]


def test_a_chinese_404_page(demo_site):
    page404 = (demo_site / "404.html").read_text(encoding="utf-8")
    assert "找不到这个页面" in page404 and "返回首页" in page404


@pytest.mark.skipif(not __import__("generator.pdf", fromlist=["x"]).has_chinese_font(),
                    reason="no Chinese font here; `make test` installs fonts-wqy-microhei")
def test_each_notice_has_a_one_page_a4_pdf(demo_site):
    from pypdf import PdfReader

    pdf = PdfReader(demo_site / "pdf/2026-11-25-taoyuan-gs.pdf")
    assert len(pdf.pages) == 1
    width, height = (float(v) for v in pdf.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = pdf.pages[0].extract_text()
    assert "桃源村农村最低生活保障审核意见公示" in text and "0000-1234567" in text
    assert "https://gongshi.example.org/notices/2026-11-25-taoyuan-gs/" in text
    html = page(demo_site, "notices/2026-11-25-taoyuan-gs")
    assert 'href="../../pdf/2026-11-25-taoyuan-gs.pdf"' in html


@pytest.mark.parametrize(("error", "says"), [(errno.ENOSPC, "磁盘空间不足"), (errno.EACCES, "没有权限"),
                                             (errno.EROFS, "磁盘是只读的")])
def test_a_full_disk_or_a_folder_without_permission_is_said_in_chinese_without_the_file_name(
        project, monkeypatch, capsys, error, says):
    """What the clerk can put right is said so (exit 1), not as an internal error; the file's name is not
    shown (a raw roster may be named after a person); the published site is untouched."""
    import generator.build as gb
    from generator.cli import main

    monkeypatch.chdir(project)
    assert main(["build", "--today", "2026-11-30"]) == 0
    before = tree_bytes(project / "site")
    capsys.readouterr()

    def stopped(*args, **kwargs):
        raise OSError(error, os.strerror(error), str(project / "张测试.xlsx"))

    monkeypatch.setattr(gb, "build_site", stopped)
    assert main(["build", "--today", "2026-11-30"]) == 1
    said = capsys.readouterr().err
    assert says in said and "原有网站没有改动" in said and "张测试" not in said and "内部错误" not in said
    assert tree_bytes(project / "site") == before
    monkeypatch.setattr(gb, "build_site", lambda *a, **k: (_ for _ in ()).throw(OSError(errno.EIO, "I/O error")))
    assert main(["build", "--today", "2026-11-30"]) == 3  # anything else stays an internal error


def test_a_machine_problem_names_the_folder_the_clerk_named_never_the_file(tmp_path, monkeypatch):
    """Which of the folders given on the command line holds the file (the output folder, with the build's
    staging folders and cache beside it; data/; content/ …), as the clerk wrote it; nothing for a file
    elsewhere, such as a raw roster, nor for an argument that is itself a roster file."""
    import argparse

    from generator.cli import _machine_problem

    monkeypatch.chdir(tmp_path)
    build = argparse.Namespace(command="build", data=Path("data"), content=Path("content"),
                               templates=Path("templates"), config=Path("mkdocs.yml"), out=Path("site"))

    def said(args, filename, error=errno.EACCES):
        return _machine_problem(OSError(error, os.strerror(error), filename), args)

    assert "网站输出目录 site。" in said(build, str(tmp_path / "site" / "notices" / "x" / "index.html"))
    staged = said(build, str(tmp_path / ".site.build-1a2b" / "site" / "index.html"), errno.ENOSPC)
    assert "网站输出目录 site 旁边的临时目录或缓存" in staged and "build-1a2b" not in staged
    assert "数据目录 data。" in said(build, "data/notices/2026-11-25-taoyuan-gs.yaml")
    assert "taoyuan" not in said(build, "data/notices/2026-11-25-taoyuan-gs.yaml")
    for elsewhere in ("/home/clerk/张测试.xlsx", str(tmp_path / ".other" / "x")):
        message = said(build, elsewhere)
        assert "没有权限" in message and "出问题的位置" not in message and "张测试" not in message
    audit = argparse.Namespace(command="audit", path=Path("张测试.xlsx"), data=Path("data"), report=None)
    assert "张测试" not in said(audit, str(tmp_path / "张测试.xlsx"))
    imported = argparse.Namespace(command="import", roster=Path("/home/clerk/张测试.csv"), data=Path("data"))
    assert "张测试" not in said(imported, "/home/clerk/张测试.csv")
    assert "数据目录 data。" in said(imported, str(tmp_path / "data" / "notices"), errno.EROFS)
