"""Stage 5, render: decided, masked notices and content/ into Markdown pages (rosters as HTML tables).

Templates see public data only: `PublicNotice` rows hold allow-listed, masked
fields; person keys never reach this stage. Jinja2 runs with autoescape and
StrictUndefined, so a missing value fails the build instead of printing blank.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import posixpath
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import markupsafe
import yaml
from mkdocs.utils import markdown_extensions as MARKDOWN_SUFFIXES
from mkdocs.utils.meta import YAML_RE, SafeLoader as YamlSafeLoader

from . import sources
from .digests import code_digest
from .mask import format_money
from .notice_pages import NOTICE_LIST_TEMPLATE, NOTICE_TEMPLATE, Cache, common_digest, fill_blocks, NoticePage, digest, notice_url, page_url, qr_svg, render_notice_pages, templates_digest, TemplateCode  # noqa: F401 (re-exported)
from .model import Dataset, Decision, NoticeKind, PublicNotice, PublicityStatus, Town, Village
from .programs import ProgramSpec
from .publicity import cn_date
from .records import catalog
from .audit import CONTAINER_MAGIC, GZIP_MAGIC
from .audit_pdf import PDF_MAGIC, is_pdf, pdf_unread_parts, read_pdf
from .report import BuildFailed, Problem, Severity, errors, not_utf8

LATEST_RESULTS_ON_HOME = 10
FEED_ENTRIES = 50


def search_words(dataset: Dataset, programs: dict[str, ProgramSpec]) -> list[str]:
    """Names jieba must keep whole (division and program names), so a search for 桃源村 finds 桃源村."""
    words = [dataset.divisions.county_name]
    for town in dataset.divisions.towns:
        words += [town.name, *(v.name for v in town.villages)]
    words += [s.title for s in programs.values()] + [s.short for s in programs.values()]
    return sorted(set(words))


@dataclass(frozen=True)
class NoticeView:
    """What list pages show of a notice."""

    notice: PublicNotice
    decision: Decision
    spec: ProgramSpec
    village: Village | None  # None for county-wide notices (双公示)
    town: Town | None
    place: str  # where it applies, for people: 东湖镇桃源村, or the county
    title: str
    path: str  # docs-relative .md path

    @property
    def status(self) -> PublicityStatus:
        return self.decision.status

    @property
    def status_label(self) -> str:
        if self.notice.post_hoc_reason and self.status is PublicityStatus.PUBLISHED:
            return "事后公示"
        return self.status.label

    @property
    def kind(self) -> str:
        return self.notice.kind.value


@dataclass(frozen=True)
class Rendered:
    pages: dict[str, str]  # docs-relative path -> Markdown
    nav: list
    notices: dict[str, NoticePage] = field(default_factory=dict)  # notice id -> page content (HTML)
    blocks: dict[str, str] = field(default_factory=dict)  # placeholder in a page -> HTML put in after MkDocs
    # Staff-edited content/: docs-relative path -> (the file as a clerk names it, its path), so that what
    # MkDocs says of a page (a broken link) points at the file and line to change; the files that are not
    # pages (.md) are copied to the site as they are (site.write_pages).
    content_files: dict[str, tuple[str, Path]] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)  # found while rendering; they do not stop the build

    def with_blocks(self, text: str) -> str:
        """A page's text with its placeholders replaced, as the published page shows it."""
        return fill_blocks(text, self.blocks)


def notice_title(notice: PublicNotice, spec: ProgramSpec, place: str) -> str:
    if spec.title_format:  # records named by their own period (村务公开: 桃源村2026年10月财务收支公开)
        return spec.title_format.format_map({**notice.summary, "village": place, "year": notice.start.year,
                                             "month": notice.start.month})
    if notice.kind is NoticeKind.PUBLICITY:
        what = "审核意见公示"
    elif notice.kind is NoticeKind.TERMINATION:
        what = "终止公示"
    elif notice.post_hoc_reason:
        what = "事后公示"
    elif spec.level == "county":
        what = "公开"
    else:
        what = "对象名单公布"
    return f"{place}{spec.title}{what}（{notice.start.year}年{notice.start.month}月）"


# Markdown's link, attribute and escape syntax. Autoescape stops HTML; these stop a value from data/
# turning into [a link](javascript:…) or {: onclick=… } once the page goes through Python-Markdown.
# As entities they are inert in Markdown text and in raw HTML blocks alike.
_MARKDOWN_ACTIVE = str.maketrans({"[": "&#91;", "]": "&#93;", "{": "&#123;", "}": "&#125;", "`": "&#96;",
                                  "\\": "&#92;", "!": "&#33;"})


def _finalize(value):
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return markupsafe.Markup(str(markupsafe.escape(value)).translate(_MARKDOWN_ACTIVE))
    return value


def _environment(templates_dir: Path, cache: Cache | None = None) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir), encoding="utf-8-sig"),  # a byte-order mark dropped
        autoescape=True,
        finalize=_finalize,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=TemplateCode(cache, code_digest()) if cache is not None else None,
    )
    env.filters["cn_date"] = cn_date
    env.filters["money"] = format_money  # every amount one way: two decimals
    # A YAML-safe scalar for front matter: a JSON string is a valid YAML double-quoted string.
    env.filters["yaml_str"] = lambda v: markupsafe.Markup(json.dumps(str(v), ensure_ascii=False))
    return env


def _linker(from_page: str):
    """A function giving the Markdown link from `from_page` to another docs page."""

    def link(to_page: str) -> str:
        return posixpath.relpath(to_page, posixpath.dirname(from_page) or ".")

    return link


def _views(dataset: Dataset, public: list[PublicNotice], decisions: dict[str, Decision],
           programs: dict[str, ProgramSpec]) -> list[NoticeView]:
    views = []
    for notice in public:
        decision = decisions[notice.id]
        if not decision.status.visible:
            continue  # not yet (or never) public: no page, no link, no trace
        spec = programs[notice.program]
        village = dataset.divisions.village(notice.division_code)
        town = dataset.divisions.town(village.town_code) if village else None
        place = f"{town.name}{village.name}" if village else dataset.divisions.county_name
        title = notice_title(notice, spec, village.name if village else "")
        views.append(NoticeView(notice, decision, spec, village, town, place, title, f"notices/{notice.id}.md"))
    # Newest first; ties broken by id so the output never depends on file order.
    return sorted(views, key=lambda v: (v.notice.start, v.notice.id), reverse=True)


def render(dataset: Dataset, public: list[PublicNotice], decisions: dict[str, Decision],
           programs: dict[str, ProgramSpec], templates_dir: Path, content_dir: Path, today: dt.date,
           pdfs: bool = True, cache: Cache | None = None) -> Rendered:
    cache = cache or Cache(None)
    env = _environment(templates_dir, cache)
    views = _views(dataset, public, decisions, programs)
    by_village: dict[str, list[NoticeView]] = defaultdict(list)
    by_town: dict[str, list[NoticeView]] = defaultdict(list)  # in the order of `views`, as each page lists them
    for v in views:
        if v.village:
            by_village[v.village.code].append(v)
        if v.town:
            by_town[v.town.code].append(v)
    common = {"site": dataset.site, "divisions": dataset.divisions, "today": today, "Status": PublicityStatus,
              "sources": sources, "pdfs": pdfs, "catalog": catalog(programs)}
    pages: dict[str, str] = {}

    mistakes = _TemplateProblems()
    # Files staff edit, saved by Notepad or WPS in the system's code page (GBK) rather than UTF-8: said
    # at their file and line, all of them, before anything is rendered from them.
    for folder, pattern, shown in ((templates_dir, "*.j2", "templates"), (content_dir, "*.md", content_dir.name)):
        for path in sorted(folder.rglob(pattern)):
            if not hidden(path.relative_to(folder).as_posix()):  # never published (MkDocs' exclude_docs)
                mistakes.not_utf8(path, f"{shown}/{path.relative_to(folder).as_posix()}")
    mistakes.raise_if_any()

    notices: dict[str, NoticePage] = {}
    with mistakes.at(f"templates/{NOTICE_TEMPLATE}"):
        # HTML, not Markdown, on every core, cached: see notice_pages.py.
        notices, found = render_notice_pages(env, views, common, dataset.site.base_url, today, pdfs, templates_dir,
                                             cache, dataset.file_keys)
        for problem in found:
            mistakes.add(problem)

    blocks: dict[str, str] = {}
    list_template = env.get_template(NOTICE_LIST_TEMPLATE)
    lists_key = templates_digest(templates_dir)
    memo = _PageMemo(cache, notices, digest(lists_key, common_digest(common)))

    def page(path: str, template: str, **context) -> None:
        key = memo.key(path, template, context)
        found = memo.found(key)
        if found is None:
            problems = len(mistakes.problems)
            found = _page(path, template, **context)
            if key and len(mistakes.problems) == problems:
                memo.remember(key, *found)
        pages[path], made = found
        for marker, html, list_key in made:
            blocks[marker] = html
            if list_key:
                cache.remember("lists", list_key, html)

    def _page(path: str, template: str, **context) -> tuple[str, list]:
        """The page's text, and its notice lists: (placeholder, HTML, cache key or "")."""
        href = _url_linker(path)
        made: list[list[str]] = []

        def notice_list(items: list, empty: str) -> str:
            """A placeholder for the HTML list, which mkdocs_notices puts in after MkDocs has run."""
            if not items:
                return empty
            marker = f"<!-- gongshi-notice-list {path} {len(made) + 1} -->"  # the page's own: see _PageMemo
            # A notice page's key covers all a template can see of its notice (with today and the context):
            # a list of the same notices on the same page is the same HTML.
            keys = [notices[v.notice.id].key if v.notice.id in notices else "" for v in items]
            key = digest(lists_key, path, keys) if all(keys) else ""
            html = cache.lookup("lists", key) if key else None
            if html is None:
                html = list_template.render(items=items, href=href, **common)
            made.append([marker, html, key])
            return markupsafe.Markup(marker)

        text = ""
        with mistakes.at(f"templates/{template}"):
            text = env.get_template(template).render(link=_linker(path), href=href, notice_list=notice_list,
                                                     **common, **context)
        return text, made

    in_publicity = [v for v in views if v.status is PublicityStatus.IN_PUBLICITY]
    # Village-affairs records (a catalog) are listed on their village's page, not among the home page's results.
    results = [v for v in views if v.status is PublicityStatus.PUBLISHED and not v.spec.catalog]
    page("index.md", "home.md.j2", in_publicity=in_publicity, results=results[:LATEST_RESULTS_ON_HOME],
         county_wide=[v for v in views if v.village is None][:LATEST_RESULTS_ON_HOME])
    months = _by_month(views)
    page("archive.md", "archive.md.j2", months=months)
    for month in months:  # a month a page: a county's year in one page would be megabytes on a phone
        page(month.path, "archive_month.md.j2", month=month)
    for town in dataset.divisions.towns:
        town_views = by_town.get(town.code, [])
        # Its own villages' notices only: a town page changes with its own villages (see _PageMemo).
        own = {village.code: by_village[village.code] for village in town.villages if village.code in by_village}
        page(f"towns/{town.code}/index.md", "town.md.j2", town=town, views=town_views, by_village=own)
        for village in town.villages:
            page(f"villages/{village.code}.md", "village.md.j2", town=town, village=village,
                 views=by_village.get(village.code, []))
    with mistakes.at("templates/feed.xml.j2"):
        pages["feed.xml"] = env.get_template("feed.xml.j2").render(
            views=views[:FEED_ENTRIES], notice_url=notice_url, **common)

    content_files: dict[str, tuple[str, Path]] = {}
    explainers = _render_content(env, content_dir, dataset, programs, today, common, pages, mistakes, content_files)
    mistakes.raise_if_any()
    return Rendered(pages, _nav(dataset, explainers, pages), notices, blocks, content_files, mistakes.warnings)


class _NotKeyed(Exception):
    pass


class _PageMemo:
    """The list pages (home, archive, towns, villages) remembered across builds: one approval changes
    four or five of 250. A page is keyed by its template and path, every template's bytes and this
    program's code (`lists_key`), what all templates see (`common`: site, divisions, today …) and its
    own context, where each notice is its page's key (which covers all a template can see of it:
    notice_pages._page_key). A page whose context holds anything else, or a notice without a key, is
    rendered every build. Kept with the page: its text and the notice lists it made, whose placeholders
    name the page (a page's text does not depend on the pages before it)."""

    KIND = "list-pages"

    def __init__(self, cache: Cache, notices: dict[str, NoticePage], common: str):
        self.cache, self.notices, self.common = cache, notices, common
        self.known = cache.entries(self.KIND)
        self._lists: dict[int, tuple[list, str]] = {}  # id -> (the list, its digest): shared lists once

    def key(self, path: str, template: str, context: dict) -> str | None:
        try:
            return digest(self.common, template, path, sorted((k, self._shape(v)) for k, v in context.items()))
        except _NotKeyed:
            return None

    def _shape(self, value):
        if isinstance(value, NoticeView):
            page = self.notices.get(value.notice.id)
            if page is None or not page.key:
                raise _NotKeyed
            return page.key
        if isinstance(value, list):
            found = self._lists.get(id(value))
            if found is None:
                found = self._lists[id(value)] = (value, digest(*[self._shape(v) for v in value]))
            return found[1]
        if isinstance(value, dict):
            return [(k, self._shape(v)) for k, v in value.items()]
        if isinstance(value, Month):
            return ("Month", value.label, value.path, self._shape(value.views))
        if value is None or isinstance(value, (str, int, Town, Village)):
            return repr(value)
        raise _NotKeyed

    def found(self, key: str | None) -> tuple[str, list] | None:
        if not key or key not in self.known:
            return None
        blob, value = self.known[key], None
        if isinstance(blob, str):
            with contextlib.suppress(ValueError, RecursionError):
                value = json.loads(blob)
        if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)
                and isinstance(value[1], list)
                and all(isinstance(m, list) and len(m) == 3 and all(isinstance(x, str) for x in m) for m in value[1])):
            self.cache.replace(self.KIND, key)  # damaged: rendered anew, and replaced
            return None
        self.cache.remember(self.KIND, key, blob)
        return value[0], value[1]

    def remember(self, key: str, text: str, made: list) -> None:
        self.cache.remember(self.KIND, key, json.dumps([text, made], ensure_ascii=False))


class _TemplateProblems:
    """Collects template mistakes (often in staff-edited content/) as problems with file and line,
    so that one run reports all of them."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.seen: set[str] = set()

    @contextlib.contextmanager
    def at(self, name: str):
        try:
            yield
        except jinja2.TemplateSyntaxError as exc:
            self.add(Problem("template-syntax", "模板语法错误，请检查这一行的 {{ }} 和 {% %} 是否成对。",
                              name, exc.lineno))
        except jinja2.UndefinedError as exc:
            self.add(Problem("template-undefined", f"模板引用了不存在的值（{exc.message}），请检查拼写。",
                              name, _template_line(exc)))

    def not_utf8(self, path: Path, name: str) -> None:
        problem = not_utf8(path, name)
        if problem is not None:
            self.add(problem)

    def add(self, problem: Problem) -> None:
        if problem.format() not in self.seen:  # a mistake in a shared template shows once, not per page
            self.seen.add(problem.format())
            self.problems.append(problem)

    def raise_if_any(self) -> None:
        """Stop the build where an error was found (warnings go on with the build: `warnings`)."""
        if errors(self.problems):
            raise BuildFailed("render", self.problems)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]


def _template_line(exc: BaseException) -> int | None:
    tb, line = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename in ("<template>",) or tb.tb_frame.f_code.co_filename.endswith(".j2"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


@dataclass(frozen=True)
class Month:
    label: str  # 2026年11月
    path: str  # archive/2026-11.md
    views: list


def _url_linker(from_page: str):
    """A function giving the URL, relative to `from_page`'s own URL, of another docs page: for links in
    HTML, which MkDocs does not rewrite (towns/x/index.md is at towns/x/, villages/y.md at villages/y/)."""
    base = page_url(from_page) or "."

    def href(to_page: str) -> str:
        target = page_url(to_page) or "."
        rel = posixpath.relpath(target, base)
        return rel + "/" if target.endswith("/") or target == "." else rel

    return href


def _by_month(views: list[NoticeView]) -> list[Month]:
    months: dict[tuple[int, int], list[NoticeView]] = defaultdict(list)
    for v in views:
        months[(v.notice.start.year, v.notice.start.month)].append(v)
    # views are newest first, so months are too
    return [Month(f"{y}年{m}月", f"archive/{y}-{m:02d}.md", vs) for (y, m), vs in months.items()]


def _render_content(env: jinja2.Environment, content_dir: Path, dataset: Dataset, programs: dict[str, ProgramSpec],
                    today: dt.date, common: dict, pages: dict[str, str], mistakes: _TemplateProblems,
                    files: dict[str, tuple[str, Path]]) -> list[tuple[str, str]]:
    """content/*.md are templates too: figures come from policy/, never typed twice. `files`: each
    page's file, as a clerk names it, and its path; and the other files to publish (`_attachments`)."""
    policy = dataset.policy

    def standard(program: str):
        found = policy.standard_on(program, today)
        if found is None:
            raise jinja2.UndefinedError(f"no standard for {program} on {today}")
        return found

    explainers = []
    _attachments(content_dir, files, mistakes)
    for path in sorted(content_dir.rglob("*.md")):
        rel = path.relative_to(content_dir).as_posix()
        if hidden(rel):
            continue  # MkDocs leaves it out of the site (exclude_docs): a deleted page kept in .trash/
        files[rel] = (f"{content_dir.name}/{rel}", path)
        with mistakes.at(files[rel][0]):
            template = env.from_string(path.read_bytes().decode("utf-8-sig"))  # Notepad's byte-order mark dropped
            pages[rel] = template.render(link=_linker(rel), standard=standard, history=policy.history,
                                         programs=programs, **common)
            found = _page_settings_problem(pages[rel], files[rel][0])
            if found is not None:
                mistakes.add(found)
        if rel.startswith("explainers/") and rel in pages:
            title = next((line[2:].strip() for line in pages[rel].splitlines() if line.startswith("# ")), rel)
            explainers.append((title, rel))
    return explainers


# Files beside the pages in content/ that go onto the site as they are (a form as PDF, a flow chart):
# only kinds whose content the audit reads, or that hold pictures only. Left out: names a system or an
# editor leaves (Finder's .DS_Store, Explorer's Thumbs.db and desktop.ini, Office's ~$ lock files,
# backups). Refused, with what to do: any other kind (office documents, archives, presentations: their
# content is beyond the audit), a file of an allowed kind holding an archive or an office document (or
# a PDF under another name), a PDF carrying embedded files (the audit does not read them; it reads its
# notes, form fields and bookmarks: audit_pdf), a page whose extension MkDocs reads as Markdown without
# this tool's templates, and the folders the site itself writes. Pictures, and PDFs of scanned pages, are
# published with a warning: text in a picture is beyond any audit.
_PUBLISHED_KINDS = frozenset({".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".txt"})
_PICTURES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp"})
_LEFT_BY_SYSTEMS = ("thumbs.db", "desktop.ini")
_BACKUPS = (".bak", ".tmp", ".swp", ".swo", "~")
_CONTAINERS = CONTAINER_MAGIC + (GZIP_MAGIC,)  # as the audit finds them (audit.data_file)
_SITE_FOLDERS = ("notices", "search", "assets")
_ONLY_KINDS = ("只能发布 PDF、图片（png、jpg、gif、webp）、svg 和纯文本（txt）文件：Word、Excel、WPS、PPT、压缩包等文件里的内容"
               "无法检查是否有个人信息。请另存为 PDF（或“打印”为 PDF）放在这里，并把页面里的链接改为 PDF 文件。")


def hidden(rel: str) -> bool:
    """A path with a part MkDocs leaves out of the site (exclude_docs' default: names starting with ".")."""
    return any(part.startswith(".") for part in rel.split("/"))


def _attachments(content_dir: Path, files: dict[str, tuple[str, Path]], mistakes: "_TemplateProblems") -> None:
    for path in sorted(content_dir.rglob("*")):
        rel = path.relative_to(content_dir).as_posix()
        name = path.name.lower()
        if (path.suffix == ".md" or not path.is_file() or hidden(rel) or name.startswith("~$")
                or name in _LEFT_BY_SYSTEMS or name.endswith(_BACKUPS)):
            continue
        shown = f"{content_dir.name}/{rel}"
        suffix = path.suffix.lower()
        if name.endswith(MARKDOWN_SUFFIXES):
            mistakes.add(Problem("page-suffix", "只有扩展名为小写 .md 的文件才按页面生成，这个文件会把模板原样发布出去。"
                                  "请把扩展名改为 .md。", shown))
            continue
        if rel.split("/")[0] in _SITE_FOLDERS:
            mistakes.add(Problem("attachment-folder", f"content/ 里的文件夹名 {rel.split('/')[0]} 留给网站自己用，"
                                  "请把文件放到别的文件夹（例如 forms/、images/），并改正页面里的链接。", shown))
            continue
        if suffix not in _PUBLISHED_KINDS:
            mistakes.add(Problem("attachment-not-auditable", _ONLY_KINDS, shown))
            continue
        try:
            data = path.read_bytes()
        except OSError:
            data = b""  # copying it says what is wrong (cli: a folder without permission)
        if data.startswith(_CONTAINERS):
            mistakes.add(Problem("attachment-not-auditable", f"这个文件的扩展名是 {suffix}，内容却是压缩包或 Office 文档。"
                                  + _ONLY_KINDS, shown))
            continue
        if suffix != ".pdf" and (data.startswith(PDF_MAGIC) or (is_pdf(data) and read_pdf(data) is not None)):
            mistakes.add(Problem("attachment-not-auditable", f"这个文件的扩展名是 {suffix}，内容却是 PDF，"
                                  "浏览器打不开。请把扩展名改为 .pdf，并改正页面里的链接。", shown))
            continue
        if suffix in (".svg", ".txt"):
            found = not_utf8(path, shown)
            if found is not None:
                mistakes.add(found)
                continue
        unread = pdf_unread_parts(data) if suffix == ".pdf" else []
        if set(unread) - {"扫描页"}:
            mistakes.add(Problem("attachment-not-auditable", f"PDF 里有{'和'.join(u for u in unread if u != '扫描页')}，"
                                  "其中的内容无法检查是否有个人信息。请用“打印”为 PDF 重新生成一份（只保留页面上的文字）后放在这里。",
                                  shown))
            continue
        if suffix in _PICTURES or unread:
            what = "PDF 里有扫描页（图片）" if unread else "图片"
            mistakes.add(Problem("image-unchecked", f"{what}里的文字无法自动检查。请确认其中没有姓名、身份证号、电话、住址等"
                                  "个人信息；有的请删除这个文件。", shown, None, None, Severity.WARNING))
        files[rel] = (shown, path)


def _page_settings_problem(text: str, name: str) -> Problem | None:
    """A page's front matter (between the first two "---" lines) as MkDocs reads it (mkdocs.utils.meta.
    get_data): an error where MkDocs would silently show it as text and title the page after its file (not
    YAML, or not "key: value" lines), at the line of the mistake counted in the page as rendered (a page's
    Jinja rarely moves its first lines); a warning where the page gets its file's name as title all the
    same (no `title`, and its first block is not a level-1 heading: "# 标题", or a line underlined "===")."""
    match = YAML_RE.match(text)
    meta = None
    if match is not None:
        try:
            meta = yaml.load(match.group(1), Loader=YamlSafeLoader)  # noqa: S506 - the safe loader
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            if mark is not None and mark.line >= match.group(1).count("\n") and getattr(exc, "context_mark", None):
                mark = exc.context_mark  # the end of the settings, where what was left open started
            return Problem("front-matter", "页面开头两行 --- 之间的设置（标题等）格式不对，网站上会原样显示这几行。请检查这一行："
                           "每行写成“名称: 内容”（英文半角冒号，后面留一个空格），引号、括号要成对；内容里有冒号或方括号的，整段加英文双引号。",
                           name, mark.line + 2 if mark is not None else 2)
        if not isinstance(meta, dict):
            return Problem("front-matter", "页面开头两行 --- 之间应当是“名称: 内容”形式的设置（英文半角冒号，例如“title: 低保政策解读”），"
                           "现在不是，网站上会原样显示这几行。请改正，或删掉这两行 ---。", name, 2)
        if meta.get("title"):
            return None
    lines = (text[match.end():] if match else text).lstrip("\n").splitlines()
    if lines and (re.match(r"#[ \t]+\S", lines[0]) or (len(lines) > 1 and lines[0].strip()
                                                        and re.fullmatch(r"=+[ \t]*", lines[1]))):
        return None
    return Problem("page-untitled", "页面没有标题（开头没有 title 设置，正文第一行也不是“# 标题”），网站会用文件名作标题。"
                   "请在正文第一行写“# 标题”。", name, None, None, Severity.WARNING)


# Every page carries the whole nav: with a county's 200 villages in it each of 15,000 notice pages would
# grow by ~70 KB. Above this many villages the nav lists towns, and town pages list their villages.
NAV_VILLAGES_MAX = 60


def _nav(dataset: Dataset, explainers: list[tuple[str, str]], pages: dict[str, str]) -> list:
    towns = []
    with_villages = sum(len(t.villages) for t in dataset.divisions.towns) <= NAV_VILLAGES_MAX
    for town in dataset.divisions.towns:
        if not with_villages:
            towns.append({town.name: f"towns/{town.code}/index.md"})
            continue
        children = [f"towns/{town.code}/index.md"] + [{v.name: f"villages/{v.code}.md"} for v in town.villages]
        towns.append({town.name: children})
    nav = [{"首页": "index.md"}, {"各乡镇、村（社区）": towns}]
    if explainers:
        nav.append({"政策解读": [{title: path} for title, path in explainers]})
    nav.append({"公示公告归档": "archive.md"})
    if "about.md" in pages:
        nav.append({"关于本站": "about.md"})
    return nav
