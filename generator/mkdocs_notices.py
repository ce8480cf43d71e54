"""A MkDocs plugin that puts the notice pages (HTML from notice_pages.py) into the theme's own page.

MkDocs still builds the site: nav, home, town, village and explainer pages, search index, sitemap,
404. Notice pages are registered as files, so strict mode checks every link to them and the sitemap
lists them, but MkDocs does not run Python-Markdown, the search plugin or the theme on each one.

Every notice page sits at the same depth (notices/<id>/) and none is in the nav, so the theme's page
around the content is the same for all of them except for the title, the canonical address and the
content: the theme renders that page once (main.html, with the real nav, config and context) with
placeholders, and each notice page is the placeholders replaced. `_check_shell` refuses a theme whose
page uses them in any other way (the build then fails, rather than publish a wrong page).
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import shutil
import stat
from dataclasses import dataclass, field
from types import SimpleNamespace

import markupsafe
from mkdocs.commands.build import get_context
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc
from mkdocs.utils import get_build_date

from . import mkdocs_jieba
from .beside import run_beside
from .folders import Beside, SpareEntry, spare_listing
from .mkdocs_pages import search_index
from .digests import digest_after
from .notice_pages import Cache, NoticePage, TemplateCode, digest, fill_blocks

SHELL_ID = "x0notice0shell0x"
TITLE = "X0NOTICE0TITLE0X"
# Holds "<h1 id=" as every notice's content does: Material then neither adds a title of its own nor lists
# the h1 in the page's table of contents.
CONTENT = '<h1 id="x0notice0content0x"></h1>'
TITLE_ID = "notice-title"  # notice.html.j2's <h1>; the "skip to content" link points at it
ADOPT_BESIDE_MIN = 2000  # adopted folders from which half are tidied in a forked process


class NoticeFile(File):
    """notices/<id>.md as MkDocs sees it: linkable, in the sitemap, but written by the plugin."""

    def __init__(self, notice_id: str, site_dir: str):
        # What File.__init__ sets, less its path conversion (PurePath: a third of the time of 15,000 files);
        # the path is a POSIX one already. A test compares it with File's own.
        self.src_uri = f"notices/{notice_id}.md"
        self.src_dir = None
        self.dest_dir = site_dir
        self.use_directory_urls = True
        self.dest_uri = f"notices/{notice_id}/index.html"
        self.inclusion = InclusionLevel.NOT_IN_NAV
        self.notice_id = notice_id

    def is_documentation_page(self) -> bool:
        return False  # no Markdown, no search plugin, no theme per page

    def is_static_page(self) -> bool:
        return False

    def is_media_file(self) -> bool:
        return False

    def copy_file(self, dirty: bool = False) -> None:
        pass  # written in on_post_build


def _utf8_index(index):
    """The search plugin's `generate_search_index`, writing its characters as UTF-8 rather than as
    \\u escapes: a county's index is 6.8 MB escaped and 4.2 MB so (what a villager's phone downloads at
    the first search), and the audit reads it without decoding 900,000 escapes. The same JSON value
    (tested); under `mkdocs serve --dirty` (a `prev` index), or where a character cannot be written as
    UTF-8 (a lone surrogate), the plugin's own."""
    original = index.generate_search_index

    def generate_search_index(prev):
        if prev:
            return original(prev)
        config = {key: index.config[key] for key in ["lang", "separator", "pipeline", "fields"]}
        text = json.dumps({"config": config, "docs": index.entries}, separators=(",", ":"), default=str,
                          ensure_ascii=False)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return original(prev)
        return text

    return generate_search_index


class ShellError(Exception):
    """A theme template this plugin cannot make notice pages or the sitemap from: `template` (its name)
    and what is wrong with it, in Chinese, for the clerk (site.build_site adds what to do)."""

    def __init__(self, template: str, problem: str):
        super().__init__(problem)
        self.template = template


@dataclass
class PageLinks:
    """The published site and what its notice pages were made from (`written` by the build that made
    it): an unchanged page is linked from there instead of written again (NoticePagesPlugin._reuse).
    `spare`: the notices folder of the site published before that one (build.claim_spare), whose
    15,000 folders are taken over instead of made anew (NoticePagesPlugin._adopt_spare)."""

    published: str | None
    previous: dict[str, list]
    written: dict[str, list] = field(default_factory=dict)  # notice id -> [page key, inode, size, mtime_ns]
    spare: str | None = None
    # When the build that made the spare had finished its notice folders, on the file system's clock (a
    # ctime: build.claim_spare): a spare folder whose status last changed no later holds what it left there.
    spare_done: int | None = None
    # `folders.spare_listing(spare)`, running in a process of its own while MkDocs builds (build.py).
    spare_scan: Beside | None = None
    # The same for this build (NoticePagesPlugin.on_post_build), and its notices folder's device, inode
    # and ctime then (build.keep_spare: the very folder, still as the build left it); None where its notice
    # folders may hold more than their page.
    done: int | None = None
    notices: list[int] | None = None


class NoticePagesPlugin(BasePlugin):
    def __init__(self, notices: dict[str, NoticePage], blocks: dict[str, str] | None = None,
                 cache: Cache | None = None, links: PageLinks | None = None):
        super().__init__()
        self.notices = notices
        self.blocks = blocks or {}
        self.cache = cache or Cache(None)
        self.links = links or PageLinks(None, {})
        self.nav = None
        self.env = None
        self.files: Files | None = None
        self.captured: tuple[Page, str] | None = None  # a page's HTML before its lists (mkdocs_pages.PageMemo)
        self.page_mode: int | None = None  # the permissions of a page written now (on_post_build)
        # Notice id -> [inode, size, mtime_ns, mode] of the page in its adopted folder (_adopt_spare).
        self.adopted_pages: dict[str, list[int]] = {}
        self.template_scope: str | None = None  # keys the theme's compiled templates (site.py: its site_key)
        self.folders_alone = False  # whether the notice folders hold nothing but what this plugin puts there

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        site_dir = config.site_dir  # once: a config option is read through a descriptor
        for notice_id in self.notices:
            files.append(NoticeFile(notice_id, site_dir))
        return files

    def on_nav(self, nav, *, config: MkDocsConfig, files: Files):
        self.nav = nav
        return nav

    def on_env(self, env, *, config: MkDocsConfig, files: Files):
        self.env, self.files = env, files
        if self.template_scope:  # None: the configuration is not all in its file (mkdocs_pages.site_key)
            env.bytecode_cache = TemplateCode(self.cache, self.template_scope)
        self.index(config)
        return env

    def index(self, config: MkDocsConfig) -> None:
        """One search entry per notice: its title, issuer and document number (never its roster), so a
        search finds the notice without the index growing by a page of text per notice."""
        index = search_index(config)
        if index is None:
            return
        index.generate_search_index = _utf8_index(index)
        # Cut into words as Material cuts them; each run of characters is cut once a build and remembered
        # across builds (mkdocs_jieba.py): a county's 15,000 titles hold a few thousand runs.
        segment = mkdocs_jieba.segmenter() or (lambda text: text)
        for notice_id, page in self.notices.items():
            index.entries.append({"location": f"notices/{notice_id}/", "title": segment(page.title),
                                  "text": segment(f"{page.issuer} {page.document_number}")})

    def on_template_context(self, context, *, template_name: str, config: MkDocsConfig):
        if template_name == "sitemap.xml" and self.notices:
            # The sitemap lists documentation pages; the notices are added as three stand-ins, which
            # on_post_template replaces with every notice's entry.
            date = get_build_date()
            context["pages"] = list(context["pages"]) + [
                SimpleNamespace(page=SimpleNamespace(is_link=False, abs_url=None, update_date=date, canonical_url=s))
                for s in SITEMAP_STAND_INS]
        return context

    def on_post_template(self, output: str, *, template_name: str, config: MkDocsConfig) -> str:
        if template_name != "sitemap.xml" or not self.notices:
            return output
        prefix = _join(config.site_url, "notices/")  # once: a config option is read through a descriptor
        return sitemap_with_notices(output, [f"{prefix}{i}/" for i in sorted(self.notices)])

    def on_post_page(self, output: str, *, page, config: MkDocsConfig) -> str:
        self.captured = (page, output)
        # Notice lists: HTML that neither Python-Markdown nor the search plugin needs to read.
        return fill_blocks(output, self.blocks)

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if not self.notices:
            return
        head, middle, tail, canonical = self.shell(config)
        shell = digest(head, middle, tail, canonical)
        root = config.site_dir
        umask = os.umask(0o022)  # read (there is no other way) and put back at once
        os.umask(umask)
        self.page_mode = 0o666 & ~umask  # what `open` gives a page written now
        adopted = self._adopt_spare(os.path.join(root, "notices"))
        # The page is the shell with this title and address around this content: its key says so,
        # `digest(shell, notice_id, page.title, page.key)`, with the shell's part hashed once.
        page_key = digest_after(shell)
        notices_dir = f"{root}{os.sep}notices{os.sep}"
        for notice_id, page in self.notices.items():
            folder = notices_dir + notice_id
            if notice_id not in adopted:
                with contextlib.suppress(FileExistsError):  # a folder the docs put there (not folders_alone)
                    os.mkdir(folder)
            dest = f"{folder}{os.sep}index.html"
            key = page_key(notice_id, page.title, page.key) if page.key else ""
            if key and self._reuse(notice_id, key, dest, notice_id in adopted):
                continue
            if notice_id in adopted:  # never written in place: the file may be the published page's inode
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(dest)
            title = html.escape(page.title, quote=False)
            # As the search plugin does for every page it sees: its markers are for it alone.
            content = _SEARCH_MARKERS.sub("", page.content())
            text = (head.replace(TITLE, title).replace(canonical, f"notices/{notice_id}/")
                    + content + middle + tail.replace(TITLE, title))
            with open(dest, "w", encoding="utf-8") as fh:
                fh.write(text)
            if key:
                st = os.stat(dest)
                self.links.written[notice_id] = [key, st.st_ino, st.st_size, st.st_mtime_ns]
        # Every notice folder now holds its page alone, with the mode of a fresh folder; nothing of this
        # build changes them after this (see _as_left).
        if self.folders_alone:
            self.links.done, self.links.notices = _finished(root)

    def _reuse(self, notice_id: str, key: str, dest: str, adopted: bool = False) -> bool:
        """Link the published page into the new site when it was made from the same key and is still
        the very file that build wrote (same inode, size and modification time): a page edited or
        replaced since, or a record that does not match the published site, is written anew.
        Files are never changed in place (every build writes new ones), so the link is safe. A page
        whose permissions differ from what a page written now gets (an earlier build ran with another
        umask) is written anew, so that the site is as readable as a fresh one.
        `adopted`: `dest` may be there already (the spare's page); kept only if it is that very file:
        where its own stat (`adopted_pages`) matches the record, the published page is not looked at."""
        old = self.links.previous.get(notice_id)
        if self.links.published is None or not old or old[0] != key:
            return False
        # An adopted page with the recorded inode, size and mtime is the very file that build wrote with
        # this key (its stat was taken as the folder was tidied, and the staging folder is this build's
        # alone): kept, without looking at the published one.
        there = self.adopted_pages.get(notice_id) if adopted else None
        if there is not None and there[:3] == old[1:] and stat.S_IMODE(there[3]) == self.page_mode:
            self.links.written[notice_id] = list(old)
            return True
        src = os.path.join(self.links.published, "notices", notice_id, "index.html")
        try:
            st = os.stat(src)
            if [st.st_ino, st.st_size, st.st_mtime_ns] != old[1:] or stat.S_IMODE(st.st_mode) != self.page_mode:
                return False
            if adopted:
                try:
                    there = os.lstat(dest)
                except FileNotFoundError:
                    there = None
                if there is not None and (there.st_ino, there.st_dev) == (st.st_ino, st.st_dev):
                    self.links.written[notice_id] = list(old)
                    return True
                if there is not None:
                    os.unlink(dest)
            os.link(src, dest)
            # By path: a build that put its site in place since the stat has made `src` another file.
            linked = os.lstat(dest)
            if (linked.st_ino, linked.st_dev, linked.st_size, linked.st_mtime_ns) != (
                    st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns):
                os.unlink(dest)
                return False
        except OSError:  # gone, or a file system without hard links: write it
            return False
        self.links.written[notice_id] = list(old)
        return True

    def _adopt_spare(self, notices_dir: str) -> set[str]:
        """Make `notices_dir`, from the spare notices folder where there is one: the ids whose folder
        was taken over. What the spare holds beyond this build's notices is deleted first: folders of
        notices no longer published, and in each kept folder everything but a plain index.html (which
        `_reuse` keeps only where it is the file written with the same key, else replaces). So the folder
        ends up as a fresh one would. Creating 15,000 folders costs 0.5-4 s on a shared disk."""
        spare = self.links.spare
        # Files from the docs folder (notices/<id>/…) were copied there: this build's folders do not hold
        # their page alone (no `done` is recorded).
        self.folders_alone = not os.path.lexists(notices_dir)
        if spare is None or not self.folders_alone:  # the theme put something there: start afresh
            if self.links.spare_scan is not None:
                self.links.spare_scan.close()
            os.makedirs(notices_dir, exist_ok=True)
            return set()
        done = self.links.spare_done
        # Read while MkDocs ran, in a process of its own (build.py), where the build started one: asked
        # for before the folder is renamed, which the process reads by its name. The staging folder is this
        # build's alone; a page of the published site (which a spare page may be a hard link of) edited in
        # place while MkDocs ran keeps the stat read before: `_reuse` may keep it as this build's page. The
        # audit reads it all the same (its walk comes after, and sees the page's new ctime).
        scan = self.links.spare_scan
        listing = scan.result(fallback=False) if scan is not None else None
        try:
            if not stat.S_ISDIR(os.lstat(spare).st_mode):
                raise OSError("not a folder")
            os.rename(spare, notices_dir)
        except OSError:
            os.makedirs(notices_dir, exist_ok=True)
            return set()
        adopted = set()
        try:
            # Folders as a fresh build makes them (an earlier build may have run with another umask, or
            # someone made one read-only): the mode MkDocs gave the site folder.
            fresh = stat.S_IMODE(os.stat(os.path.dirname(notices_dir)).st_mode)
            os.chmod(notices_dir, fresh)
            if listing is None:
                listing = spare_listing(notices_dir, stats=done is not None)
            kept, pages = [], {}
            for entry in listing:
                name = entry[0]
                if not entry[1]:
                    os.unlink(os.path.join(notices_dir, name))
                elif name not in self.notices:
                    shutil.rmtree(os.path.join(notices_dir, name))
                else:
                    adopted.add(name)
                    page = _as_left(entry, fresh, done)
                    if page is not None:
                        pages[name] = page
                    else:
                        kept.append(os.path.join(notices_dir, name))
            # Folders to tidy: four system calls or more a folder, up to 15,000 folders: half of them in a
            # forked process (where it fails, that half is tidied here afterwards, and an error stops the
            # adoption as before).
            if len(kept) >= ADOPT_BESIDE_MIN:
                half = len(kept) // 2
                tidied, others = run_beside(lambda: _tidy(kept[:half], fresh), lambda: _tidy(kept[half:], fresh))
                pages.update(tidied)
                pages.update(others)
            else:  # a fork costs more than a few folders
                pages.update(_tidy(kept, fresh))
        except OSError:
            # Put back where it was claimed (deleted with the staging folder) and start afresh: nothing
            # of the spare is written to.
            os.rename(notices_dir, spare)
            os.makedirs(notices_dir)
            return set()
        self.adopted_pages = pages
        return adopted

    def shell(self, config: MkDocsConfig) -> tuple[str, str, str, str]:
        """The theme's page for a notice, split around its content, with the title still a placeholder."""
        file = File(f"notices/{SHELL_ID}.md", src_dir=None, dest_dir=config.site_dir, use_directory_urls=True)
        page = Page(TITLE, file, config)
        page.meta = {"title": TITLE, "hide": ["toc"]}
        page.content = CONTENT
        # The headings every notice page has (notice.html.j2), for the skip link and the (hidden) toc.
        page.toc = get_toc([{"level": 1, "id": TITLE_ID, "name": TITLE, "children": [
            {"level": 2, "id": "objection", "name": "如何反映意见", "children": []}]}])
        page.markdown = ""
        context = get_context(self.nav, self.files, config, page)
        text = self.env.get_template("main.html").render(context)
        return _check_shell(text)


def _as_left(entry: SpareEntry, mode: int, done: int | None) -> list[int] | None:
    """The page of a spare folder (`folders.spare_listing`: its lstat and its page's) where the folder is
    as the build that made the spare left it: its status last changed no later than that build had
    finished its notice folders (`done`, a ctime: `_finished`), and it has the mode a fresh folder gets.
    Making, removing or renaming anything in a folder, or a chmod, sets its ctime to the file system's
    time of the change, and it cannot be set back; that build left its page alone in it, a regular file.
    None where the folder must be tidied (`_only_the_page`), or `done` is not known.
    `done` is taken after the build's last change to its notice folders and before its audit, so before
    anyone else can reach them (the site is swapped in after the audit), and made one less where the file
    system's clock had not moved on by the swap (`settled`): a change by anyone else has a later ctime.
    A page edited in place (its folder unchanged) has its new stat here, and `_reuse` writes it anew."""
    _, _, folder_mode, ctime, page = entry
    if done is None or ctime > done or stat.S_IMODE(folder_mode) != mode:
        return None
    return page


def _finished(site_dir: str) -> tuple[int | None, list[int] | None]:
    """When the notice folders were finished, as the file system tells time (`file_system_now`); and the
    notices folder's [device, inode, ctime]. (None, None) where they cannot be taken."""
    done = file_system_now(os.path.dirname(site_dir))
    try:
        notices = os.lstat(os.path.join(site_dir, "notices"))
    except OSError:
        return None, None
    if done is None:
        return None, None
    return done, [notices.st_dev, notices.st_ino, notices.st_ctime_ns]


def file_system_now(folder: str) -> int | None:
    """The ctime of a file made now in `folder` (a build's staging folder, beside its site, on the same
    file system): the time as the file system stamps changes (a network disk's server clock, a file
    system's coarse timestamps). None where no file can be made there."""
    marker = os.path.join(folder, ".now")
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(marker)
        os.close(os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return os.lstat(marker).st_ctime_ns
    except OSError:
        return None


def settled(done: int | None, folder: str) -> int | None:
    """`done` (`_finished`), called just before the site is swapped in: as it is where the file system's
    clock has moved on since (a change after the swap has a later ctime), else one less (a folder changed
    in the same tick as `done` is tidied)."""
    if done is None:
        return None
    now = file_system_now(folder)
    return done if now is not None and now > done else done - 1


def _tidy(folders: list[str], mode: int) -> dict[str, list[int]]:
    """Adopted notice folders as a fresh build makes them: `mode`, and nothing in them but the page.
    Returns, by folder name, what `_only_the_page` says of the page kept."""
    pages = {}
    for folder in folders:
        os.chmod(folder, mode)
        page = _only_the_page(folder)
        if page is not None:
            pages[os.path.basename(folder)] = page
    return pages


def _only_the_page(folder: str) -> list[int] | None:
    """Delete everything in a notice folder but a plain index.html file; that file's [inode, size,
    mtime_ns, mode] (as PageLinks records a page), or None where there is none."""
    page = None
    with os.scandir(folder) as listing:
        for entry in listing:
            if entry.name == "index.html" and entry.is_file(follow_symlinks=False):
                st = entry.stat(follow_symlinks=False)
                page = [st.st_ino, st.st_size, st.st_mtime_ns, st.st_mode]
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
    return page


_SEARCH_MARKERS = re.compile(r"\s?data-search-\w+=\"[^\"]+\"")


# The sitemap's notice entries (15,000 for a county) are not rendered one by one by the theme's template
# (0.1 s a build): it renders three stand-ins, entries for pages alike but for their address, and every
# notice's entry is made from the text between them. The stand-ins hold "&" and capitals, so that a
# template that does not write the address escaped and as it is (or writes anything else that differs
# from entry to entry) is found out.
SITEMAP_STAND_INS = tuple(f"\ue000Gongshi&Sitemap-{i}\ue000" for i in (1, 2, 3))


def sitemap_with_notices(output: str, urls: list[str]) -> str:
    """The sitemap the template would have rendered with an entry for each of `urls` where it rendered
    the stand-ins. The output is A + u + S1 + v + u + S2 + v + u + S3 + v + B, where an entry is u +
    escaped address + v: so it becomes A + u + url1 + (v + u) + url2 ... + urlN + v + B. Refused (ShellError)
    unless each escaped stand-in is there once, in order, with the same text between them."""
    marks = [str(markupsafe.escape(s)) for s in SITEMAP_STAND_INS]
    at = [output.find(m) for m in marks]
    if any(output.count(m) != 1 for m in marks) or not at[0] < at[1] < at[2]:
        raise ShellError("sitemap.xml", "主题的站点地图模板（sitemap.xml）没有把每个页面的地址转义后恰好写一次，"
                         "无法据此列出公告页。")
    between = output[at[0] + len(marks[0]):at[1]]
    if output[at[1] + len(marks[1]):at[2]] != between:
        raise ShellError("sitemap.xml", "主题的站点地图模板（sitemap.xml）在各页面的条目中除地址外还写了不同的内容，"
                         "无法据此列出公告页。")
    return output[:at[0]] + between.join(str(markupsafe.escape(url)) for url in urls) + output[at[2] + len(marks[2]):]


def _join(site_url: str | None, path: str) -> str:
    return (site_url or "/").rstrip("/") + "/" + path


def _check_shell(text: str) -> tuple[str, str, str, str]:
    if text.count(CONTENT) != 1:
        raise ShellError("main.html", "主题的页面模板（main.html）没有把页面正文恰好放一次，无法据此生成公告页。")
    head, tail = text.split(CONTENT)
    canonical = f"notices/{SHELL_ID}/"
    if SHELL_ID in tail or head.count(SHELL_ID) != head.count(canonical) or head.count(canonical) > 1:
        raise ShellError("main.html", "主题的页面模板（main.html）在正文之前以外的位置、或不止一次用到了页面地址，"
                         "无法据此生成公告页。")
    return head, "", tail, canonical
