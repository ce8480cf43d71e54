"""Stage 6, site: write the rendered pages into a docs folder and build them with MkDocs (strict).

The caller owns the staging folder; this stage never touches the published site.
"""

from __future__ import annotations

import contextlib
import html
import datetime as dt
import logging
import os
import posixpath
import re
import shutil
from pathlib import Path, PurePosixPath

import yaml
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort, ConfigurationError

from . import mkdocs_jieba
from .mkdocs_notices import NoticePagesPlugin, PageLinks, ShellError
from .mkdocs_pages import PageMemo, search_plugin, site_key, theme_files_listed_visibly
from .cache import Cache
from .pdf import write_notice_pdfs
from .render import Rendered
from .report import Problem, not_utf8


def safe_join(root: Path, rel: str) -> Path:
    """Join a docs-relative path under `root`, refusing anything that would land outside it."""
    parts = PurePosixPath(rel).parts
    if not parts or PurePosixPath(rel).is_absolute() or ".." in parts:
        raise ValueError(f"refusing to write outside the output folder: {rel!r}")
    return root.joinpath(*parts)


def write_pages(rendered: Rendered, docs_dir: Path) -> None:
    for rel, text in sorted(rendered.pages.items()):
        path = safe_join(docs_dir, rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    # The files beside the pages in content/ (a form as PDF, a picture): MkDocs copies them into the site.
    for rel, (_, source) in sorted(rendered.content_files.items()):
        if rel not in rendered.pages:
            path = safe_join(docs_dir, rel)
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, path)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def _build_date(today: dt.date):
    """MkDocs stamps sitemap dates and gzip headers from SOURCE_DATE_EPOCH: pin it to `today`."""
    epoch = str(int(dt.datetime.combine(today, dt.time(), tzinfo=dt.timezone.utc).timestamp()))
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = epoch
    try:
        yield
    finally:
        if old is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


# What MkDocs reads as text in the theme templates a county overrides.
_THEME_TEXT = (".html", ".xml", ".j2", ".txt")


def _theme_not_utf8(custom_dir: str | None, base: Path) -> list[Problem]:
    """The templates in the theme's custom_dir (site_overrides/) that are not UTF-8, at their file and
    line, before MkDocs reads them (it would stop at the first with a bare decoding error)."""
    if not custom_dir or not os.path.isdir(custom_dir):
        return []
    problems = []
    for path in sorted(Path(custom_dir).rglob("*")):
        if path.suffix in _THEME_TEXT and path.is_file():
            shown = Path(os.path.relpath(path, base)).as_posix()
            found = not_utf8(path, shown)
            if found is None and path.read_bytes().startswith(b"\xef\xbb\xbf"):
                found = Problem("not-utf8", "文件开头有 BOM（记事本的“带 BOM 的 UTF-8”），每个页面都会多出一个看不见的字符。"
                                "请另存为“UTF-8”（不带 BOM）后再生成。", shown, 1)
            if found is not None:
                problems.append(found)
    return problems


class _SettingsLoader(yaml.SafeLoader):
    """Reads mkdocs.yml for its theme.custom_dir only: a tag MkDocs' loader knows (!ENV, !relative,
    !!python/name: …) is read as nothing, and nothing is imported."""


_SettingsLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def settings_not_utf8(config_file: Path) -> list[Problem]:
    """mkdocs.yml, and the templates in its theme.custom_dir, that are not UTF-8, before anything is
    rendered (build.py): named in the same run as content/ and templates/. build_site checks custom_dir
    again as MkDocs resolves it (!ENV, INHERIT). A mkdocs.yml that is not YAML is left to MkDocs' own
    message."""
    unreadable = not_utf8(config_file, str(config_file))
    if unreadable is not None:
        return [unreadable]
    try:
        settings = yaml.load(config_file.read_text(encoding="utf-8-sig"), Loader=_SettingsLoader)  # noqa: S506
    except (OSError, yaml.YAMLError):
        return []
    theme = settings.get("theme") if isinstance(settings, dict) else None
    custom = theme.get("custom_dir") if isinstance(theme, dict) else None
    if not isinstance(custom, str):
        return []
    return _theme_not_utf8(os.path.join(config_file.parent, custom), config_file.parent)


def _shell_advice(config, config_file: Path, template: str) -> str:
    """What a clerk does about a theme template the notice pages cannot be made from: undo the changes
    to the county's copies of the theme's templates (theme.custom_dir: every one, as `template` may
    include or extend any), or, where there are none, install the theme version the tool asks for."""
    custom = config.theme.custom_dir
    copies = []
    if custom and os.path.isdir(custom):
        for path in Path(custom).rglob("*"):
            if (path.suffix in (".html", ".xml") and path.is_file()
                    and not path.relative_to(custom).as_posix().startswith("assets/")):  # static files, not templates
                copies.append(Path(os.path.relpath(path, config_file.parent)).as_posix())
    copies.sort()
    if copies:
        return (f"请检查改过的主题模板（{'、'.join(copies)}）最近的改动，改回原样（可从本工具自带的同名文件复制）后重新生成。")
    return "主题的模板没有改过，说明安装的主题版本不对：请用 README 第一条命令（make site）重新安装，然后重新生成。"


def build_site(rendered: Rendered, config_file: Path, work_dir: Path, site_title: str, site_url: str,
               today: dt.date, search_words: list[str] = (), pdf_css: Path | None = None,
               cache: Cache | None = None, links: PageLinks | None = None) -> tuple[Path, list[Problem]]:
    """Build into `work_dir/site`; return it and any MkDocs problems (strict: a warning is a problem)."""
    docs_dir, site_dir = work_dir / "docs", work_dir / "site"
    write_pages(rendered, docs_dir)
    if pdf_css is not None:
        problems = write_notice_pdfs(rendered.notices, docs_dir, pdf_css, cache)
        if problems:
            return site_dir, problems
    mkdocs_log = logging.getLogger("mkdocs")
    collect = _Collect()
    mkdocs_log.addHandler(collect)
    old_level, mkdocs_log.propagate = mkdocs_log.level, False
    mkdocs_log.setLevel(logging.WARNING)
    shell = None
    try:
        mkdocs_jieba.import_jieba()  # before the search plugin does (as it is configured, in load_config)
        with _build_date(today):
            config = load_config(str(config_file), docs_dir=str(docs_dir), site_dir=str(site_dir), nav=rendered.nav,
                                 site_name=html.escape(site_title), site_url=site_url, strict=True)
            # mkdocs.yml was checked before rendering (settings_not_utf8); custom_dir again as MkDocs resolved it.
            problems = _theme_not_utf8(config.theme.custom_dir, config_file.parent)
            if problems:
                return site_dir, problems
            user_dict = None
            if search_words:
                # jieba keeps these whole, so a search for a village name finds its page.
                user_dict = work_dir / "jieba-words.txt"
                user_dict.write_text("".join(f"{w} 100000 ns\n" for w in search_words), encoding="utf-8")
                search = search_plugin(config)
                if search is not None:
                    search.config.jieba_dict_user = str(user_dict)
            # Notice pages: HTML put into the theme's page, without Markdown (mkdocs_notices.py).
            plugin = NoticePagesPlugin(rendered.notices, rendered.blocks, cache, links)
            config.plugins["gongshi-notices"] = plugin
            # Loading the search plugin imports jieba, which sets its own logger to DEBUG and
            # announces its dictionary cache on stderr; clerks need none of that.
            logging.getLogger("jieba").setLevel(logging.WARNING)
            # The theme's pages whose inputs did not change are taken from the cache (mkdocs_pages.py).
            # jieba loads its dictionary only for a text no earlier build cut (mkdocs_jieba.py).
            plugin.template_scope = site_key(config, str(user_dict) if user_dict else None)
            with (mkdocs_jieba.patched(plugin.cache) as jieba, PageMemo(plugin, plugin.template_scope, jieba).patched(),
                  theme_files_listed_visibly()):
                mkdocs_build(config)
    except ShellError as exc:
        shell = Problem("mkdocs", f"网站生成失败（MkDocs）：{exc}{_shell_advice(config, config_file, exc.template)}",
                        str(config_file))
    except (Abort, ConfigurationError) as exc:
        collect.messages.append(str(exc))
    finally:
        mkdocs_log.removeHandler(collect)
        mkdocs_log.setLevel(old_level)
        mkdocs_log.propagate = True
    problems = mkdocs_problems(collect.messages, rendered.content_files, str(config_file))
    return site_dir, problems + ([shell] if shell is not None else [])


# What MkDocs says, in English, of a link in a page (strict mode makes each a failure), and what a clerk does
# about it. mkdocs/structure/pages.py, Page.path_to_url: "Doc file '<page>' contains <kind> '<link>', ...",
# and " Did you mean '<link>'?" where it found a page the link may have meant.
_LINK = re.compile(r"Doc file '(?P<page>.+?)' contains (?P<kind>a link|an absolute link|an unrecognized relative "
                   r"link) '(?P<url>.+?)'(?:, but |, it was left as is)")
_MEANT = re.compile(r" Did you mean '(?P<url>.+)'\?$")
# Page.validate_anchor_links, where `validation: links: anchors` is warn: the page is there, the heading not.
# What follows the link in the message (a link or a page name may hold a quote).
_NO_ANCHOR = re.compile(r"(?:the doc '.+' does not contain an anchor '|there is no such anchor on this page)")
_ABORTED = re.compile(r"Aborted with .* in strict mode!")
_LINK_ADVICE = {
    "a link": "链接“{url}”指向的页面不存在。请改成已有页面的 .md 文件名（从本页算起，例如首页写作 {home}），"
              "或删除这个链接。",
    "an absolute link": "链接“{url}”以“/”开头，网站放在子目录下时会打不开。请改成从本页算起的 .md 文件名"
                        "（例如首页写作 {home}）。",
    "an unrecognized relative link": "链接“{url}”不是网站中的页面。站内链接请写页面的 .md 文件名（从本页算起，"
                                     "例如首页写作 {home}），站外链接请写以 https:// 开头的完整网址。",
}


def mkdocs_problems(messages: list[str], content_files: dict[str, tuple[str, Path]], config_file: str) -> list[Problem]:
    """MkDocs' warnings and errors as problems a clerk can act on: a link in a page made from content/ at
    its file and line, in Chinese, with what to do; a link in a page made from templates/ at the page;
    anything else as MkDocs says it, at the configuration. MkDocs' closing "Aborted with N warnings" is
    left out where the warnings themselves are there."""
    problems: list[Problem] = []
    for message in dict.fromkeys(messages):
        link = _LINK.match(message)
        if link is None:
            if _ABORTED.fullmatch(message) and len(messages) > 1:
                continue
            problems.append(Problem("mkdocs", f"网站生成失败（MkDocs）：{message}"
                                    "（如果看不懂怎么改，请撤回最近对 mkdocs.yml、content/ 或 templates/ 的改动，"
                                    "或把这条信息转给技术人员。）", config_file))
            continue
        url = link["url"]
        home = posixpath.relpath("index.md", posixpath.dirname(link["page"]) or ".")
        if _NO_ANCHOR.match(message, link.end()):
            text = (f"链接“{url}”要跳到的小节（# 后面的部分）在那个页面里找不到。请对照那个页面的小标题改正，"
                    "或删掉 # 及其后面的部分。")
        elif link["kind"] == "a link" and posixpath.splitext(url.split("#")[0].split("?")[0])[1] not in ("", ".md"):
            text = (f"链接“{url}”指向的文件不存在。请把这个文件放进 content/ 中链接所指的位置（从本页所在的文件夹算起），"
                    "或改正链接里的文件名。")
        else:
            text = _LINK_ADVICE[link["kind"]].format(url=url, home=home)
        meant = _MEANT.search(message)
        if meant is not None:
            text += f"是否想写“{meant['url']}”？"
        source = content_files.get(link["page"])
        if source is None:
            problems.append(Problem("page-link", text + "这个页面由 templates/ 中的模板生成：请检查最近改过的模板里的这个链接；"
                                    "没有改过模板的话，请把这条信息转给技术人员。", f"网站页面 {link['page']}"))
            continue
        shown, path = source
        problems.append(Problem("page-link", text, shown, _line_of(path, url)))
    return problems


def _line_of(path: Path, url: str) -> int | None:
    """The line of `path` that holds `url` as a Markdown link target ("](url"), else anywhere."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for needle in (f"]({url}", url):
        for number, line in enumerate(lines, 1):
            if needle in line:
                return number
    return None
