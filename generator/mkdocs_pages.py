"""The theme's own pages (home, towns, villages, archive months, explainers) remembered across builds.

MkDocs renders each of its ~250 pages with the theme and the search plugin cuts its text into words
with jieba: about 10 ms a page, 2-3 s a county build, though one approval changes four or five of them.
A page's HTML (before the notice lists are filled in, `NoticePagesPlugin.on_post_page`), its search
entries and the keys of the jieba cuts they were made with (`mkdocs_jieba`: kept while the page is)
are kept in the build cache under a key made of everything the theme and the search plugin read for it:

- the page: its source path, address, title, HTML content (Markdown already converted, links already
  checked), front matter and table of contents;
- the site: the navigation (every title, address and front matter, in order: it gives each page its
  menu, parent and previous/next links), the addresses of all documentation pages, the MkDocs
  configuration file, the site's name and address, the build date, the theme overrides (every file
  under `custom_dir`), the words jieba keeps whole, jieba's dictionary if the search plugin names one
  (`jieba_dict`), and the versions of this program, MkDocs, the
  theme, Markdown, its extensions, Pygments, jieba and backrefs. Where the configuration file does
  not hold all of the configuration (INHERIT, !ENV, !relative, !!python/), nothing is remembered.

Where the key is found, the page is written from the cache and its search entries are added in the
order MkDocs would have added them; otherwise MkDocs builds it as always.

A page's Markdown conversion (`Page.render`: its HTML, table of contents, title, anchors and the links
to anchors that MkDocs checks at the end) is remembered the same way, under its Markdown, front
matter, the site, the addresses of every file but the notice pages, and which of the notice pages its
Markdown links to ("notices/<id>.md") are there; a page that names "notices" in any other way, and
every page where a Markdown extension reads more than the page (`_PAGE_ONLY_EXTENSIONS`), is always
converted. Only a build that
succeeded saves its entries, so a page taken from the cache had no broken link then, with the same
files to link to.
"""

from __future__ import annotations

import contextlib
import copy
import os
import pickle
import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import jinja2
import mkdocs.commands.build as mkdocs_build
from mkdocs import utils
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from .digests import code_digest, digest

KIND, RENDER_KIND = "mkdocs-page", "mkdocs-markdown"
_NOTICE_LINK = re.compile(r"notices/([^()\s#?/]+\.md)")
LIBRARIES = ("mkdocs", "mkdocs-material", "markdown", "jieba", "pymdown-extensions", "pygments", "backrefs")


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return ""


def _folder_digest(folder: str | None) -> str:
    if not folder or not os.path.isdir(folder):
        return ""
    root = Path(folder)
    return digest(*[(p.relative_to(root).as_posix(), p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file()])


def _nav(items) -> list:
    """Every item of the navigation as the theme draws it in each page's menu: the front matter of each
    page in it too (Material shows a page's status, icon and subtitle there)."""
    return [(type(item).__name__, item.title, getattr(item, "url", None), _meta(getattr(item, "meta", None)),
             _nav(getattr(item, "children", None) or [])) for item in items]


def _meta(meta) -> str:
    """Front matter as text for a key: YAML gives plain values in file order (keys need not be strings)."""
    return repr(meta)


def _toc(items) -> list:
    return [(item.level, item.id, item.title, item.url, _toc(item.children)) for item in items]


# Configuration whose meaning is not all in the file's bytes: another file (INHERIT), the environment
# (!ENV), a folder (!relative: the docs folder is a new one every build) or code the file names (!!python/).
_OUTSIDE_THE_FILE = re.compile(rb"^\s*INHERIT\s*:|!ENV\b|!relative\b|!!python/", re.MULTILINE)


def site_key(config, words_file: str | None) -> str | None:
    """What every page's HTML depends on besides its own content (less the navigation: `PageMemo`);
    None where the configuration file does not hold all of the configuration (nothing is remembered)."""
    config_file = config.config_file_path
    text = Path(config_file).read_bytes() if config_file and os.path.isfile(config_file) else None
    if text is None or _OUTSIDE_THE_FILE.search(text):
        return None
    search = search_plugin(config)
    main_dict = search.config.get("jieba_dict") if search is not None else None  # jieba's own dictionary, if set
    return digest("mkdocs-page 1", code_digest(), [_version(p) for p in LIBRARIES], text, config.site_name, config.site_url, os.environ.get("SOURCE_DATE_EPOCH"),
                  _folder_digest(config.theme.custom_dir),
                  Path(words_file).read_bytes() if words_file and os.path.isfile(words_file) else b"",
                  Path(main_dict).read_bytes() if main_dict and os.path.isfile(main_dict) else b"")


class PageMemo:
    """Wraps MkDocs' `_build_page` for one build (`patched`); `plugin` is the NoticePagesPlugin, which
    hands over each page's HTML before its notice lists are filled in (`captured`)."""

    def __init__(self, plugin, site: str | None, jieba=None):
        self.plugin, self.cache, self.site = plugin, plugin.cache, site
        self.jieba = jieba  # mkdocs_jieba.LazyJieba: a page taken from the cache keeps the cuts it was made with
        self.known = self.cache.entries(KIND)
        self.known_renders = self.cache.entries(RENDER_KIND)
        self._nav_key: str | None = None
        self._files_key: str | None = None
        self.hits = self.misses = self.render_hits = 0

    def key(self, page, nav, doc_files) -> str:
        if self._nav_key is None:  # titles are known once every page is read: at the first page built
            self._nav_key = digest(self.site, _nav(nav.items), [f.url for f in doc_files])
        return digest(self._nav_key, page.file.src_uri, page.url, page.title, page.content,
                      _meta(page.meta),
                      _toc(page.toc), page.canonical_url, page.edit_url)

    def build_page(self, original):
        def build_page(page, config, doc_files, nav, env, dirty=False, excluded=False):
            if dirty or excluded:
                return original(page, config, doc_files, nav, env, dirty, excluded)
            key = self.key(page, nav, doc_files)
            index = search_index(config)
            blob = self.known.get(key)
            value = None
            if isinstance(blob, bytes):
                with contextlib.suppress(Exception):  # damaged: built anew and replaced
                    value = pickle.loads(blob)  # noqa: S301 - the cache is this tool's own
            if _fits(value):
                output, entries, cuts = value
                if self.jieba is not None:
                    self.jieba.keep(cuts)
                if index is not None:
                    index.entries.extend(copy.deepcopy(entries))
                output = self.plugin.on_post_page(output, page=page, config=config)
                if output.strip():
                    utils.write_file(output.encode("utf-8", errors="xmlcharrefreplace"), page.file.abs_dest_path)
                self.cache.remember(KIND, key, blob)
                self.hits += 1
                return None
            start = len(index.entries) if index is not None else 0
            mark = len(self.jieba.used) if self.jieba is not None else 0
            self.plugin.captured = None
            original(page, config, doc_files, nav, env, dirty, excluded)
            captured, self.plugin.captured = self.plugin.captured, None
            self.misses += 1
            if captured is None or captured[0] is not page:
                return None  # not seen by the plugin: nothing to remember
            entries = copy.deepcopy(index.entries[start:]) if index is not None else []
            cuts = self.jieba.keys_since(mark) if self.jieba is not None else []
            if blob is not None:
                self.cache.replace(KIND, key)
            self.cache.remember(KIND, key, pickle.dumps((captured[1], entries, cuts), protocol=pickle.HIGHEST_PROTOCOL))
            return None

        return build_page

    def render(self, original):
        memo = self

        def render(page, config, files):
            linked = _NOTICE_LINK.findall(page.markdown)
            if page.markdown.count("notices") != len(linked) or not _reads_only_the_page(config):
                return original(page, config, files)
            if memo._files_key is None:
                memo._files_key = digest(memo.site, sorted(f.src_uri for f in files if not _is_notice(f)))
            there = [files.get_file_from_path(f"notices/{name}") is not None for name in linked]
            key = digest(memo._files_key, page.file.src_uri, page.markdown, there,
                         _meta(page.meta))
            blob = memo.known_renders.get(key)
            value = None
            if isinstance(blob, bytes):
                with contextlib.suppress(Exception):  # damaged: converted anew and replaced
                    value = pickle.loads(blob)  # noqa: S301 - the cache is this tool's own
            if isinstance(value, tuple) and len(value) == 5:
                content, toc, title, anchors, links = value
                targets = {uri: files.get_file_from_path(uri) for uri in links or {}}
                if all(targets.values()):
                    page.content, page.toc, page._title_from_render = content, toc, title
                    page.present_anchor_ids = set(anchors)
                    if links is not None:
                        page.links_to_anchors = {targets[uri]: dict(v) for uri, v in links.items()}
                    memo.cache.remember(RENDER_KIND, key, blob)
                    memo.render_hits += 1
                    return None
            original(page, config, files)
            links = getattr(page, "links_to_anchors", None)
            remembered = (page.content, page.toc, page._title_from_render, sorted(page.present_anchor_ids or ()),
                          None if links is None else {f.src_uri: dict(v) for f, v in links.items()})
            if blob is not None:
                memo.cache.replace(RENDER_KIND, key)
            memo.cache.remember(RENDER_KIND, key, pickle.dumps(remembered, protocol=pickle.HIGHEST_PROTOCOL))
            return None

        return render

    @contextlib.contextmanager
    def patched(self):
        if self.site is None:
            yield self
            return
        original, original_render = mkdocs_build._build_page, Page.render
        mkdocs_build._build_page = self.build_page(original)
        Page.render = self.render(original_render)
        try:
            yield self
        finally:
            mkdocs_build._build_page, Page.render = original, original_render


# Markdown extensions that read nothing but the page's Markdown and their configuration (mkdocs.yml,
# in the key): a page converted with any other (pymdownx.snippets includes files, for one) is converted
# every build.
_PAGE_ONLY_EXTENSIONS = frozenset({
    "abbr", "admonition", "attr_list", "def_list", "fenced_code", "footnotes", "md_in_html", "meta",
    "nl2br", "sane_lists", "smarty", "tables", "toc", "wikilinks", "pymdownx.betterem", "pymdownx.caret",
    "pymdownx.details", "pymdownx.highlight", "pymdownx.inlinehilite", "pymdownx.mark", "pymdownx.smartsymbols",
    "pymdownx.superfences", "pymdownx.tabbed", "pymdownx.tasklist", "pymdownx.tilde"})


def _reads_only_the_page(config) -> bool:
    return all(isinstance(name, str) and name.removeprefix("markdown.extensions.") in _PAGE_ONLY_EXTENSIONS
               for name in config["markdown_extensions"])


def _is_notice(file) -> bool:
    return hasattr(file, "notice_id")  # mkdocs_notices.NoticeFile


def _fits(value: object) -> bool:
    return (isinstance(value, tuple) and len(value) == 3 and isinstance(value[0], str)
            and isinstance(value[1], list) and all(isinstance(e, dict) for e in value[1])
            and isinstance(value[2], list))


def search_plugin(config):
    """The search plugin (Material's, under whatever prefix), or None."""
    return next((p for name, p in config.plugins.items() if name.endswith("search")), None)


def search_index(config):
    """The search plugin's index, or None where there is no enabled search plugin."""
    search = search_plugin(config)
    if search is None or not search.config.get("enabled", True):
        return None
    return getattr(search, "search_index", None)


class VisibleTemplates:
    """A theme's Jinja environment whose `list_templates` does not walk hidden folders (".icons": 14,000
    of Material's 14,500 files, 0.07 s a build). `Files.add_files_from_theme` is all that asks it, and its
    filter drops every name with a part that starts with "." ('.*' and '*/.*'), so the files it adds are
    the same. Names are made as jinja2's FileSystemLoader makes them."""

    def __init__(self, env: jinja2.Environment):
        self.env = env

    def list_templates(self, extensions=None, filter_func=None) -> list[str]:
        loader = self.env.loader
        if (type(loader) is not jinja2.FileSystemLoader or extensions is not None or filter_func is None
                or filter_func(".hidden/x.css") or filter_func("a/.hidden/x.css")):  # a filter that keeps them
            return self.env.list_templates(extensions, filter_func)
        found = set()
        for searchpath in loader.searchpath:
            for dirpath, dirnames, filenames in os.walk(searchpath, followlinks=loader.followlinks):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                for filename in filenames:
                    name = os.path.join(dirpath, filename)[len(searchpath):].strip(os.path.sep).replace(os.path.sep, "/")
                    found.add(name[2:] if name[:2] == "./" else name)
        return [name for name in sorted(found) if filter_func(name)]


@contextlib.contextmanager
def theme_files_listed_visibly():
    """MkDocs' Files.add_files_from_theme given a `VisibleTemplates` for one build."""
    original = Files.add_files_from_theme

    def add_files_from_theme(files: Files, env: jinja2.Environment, config) -> None:
        original(files, VisibleTemplates(env), config)

    Files.add_files_from_theme = add_files_from_theme
    try:
        yield
    finally:
        Files.add_files_from_theme = original
