"""Notice pages at county scale: HTML from data, in worker processes, remembered by content hash.

A county publishes ~15,000 notices a year. Through MkDocs each costs ~23 ms (Python-Markdown parses
it, the search plugin re-parses it, the theme renders its nav), ~6 minutes in all. Here a notice page's
content is rendered straight to HTML (templates/notice.html.j2, whose body templates are HTML
already), on every core, and `mkdocs_notices` puts it into the theme's own page (main.html) inside
the MkDocs build. Notice pages stay out of the search index (village, town and archive pages list
their titles); their rosters never were in it.

The cache (outside the published site) maps a digest of everything a fragment is made from
(templates, the notice, its decision, today …) to the fragment, so an unchanged notice is not
rendered again; a cached fragment is the very bytes a cold render gives.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import multiprocessing
import os
import posixpath
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import jinja2
import markupsafe

from .cache import CACHE_DB, Cache  # noqa: F401 (re-exported)
from .digests import code_digest, digest  # noqa: F401 (used here and re-exported)
from .model import PublicityStatus
from .publicity import period_text
from .report import Problem

NOTICE_TEMPLATE = "notice.html.j2"
NOTICE_LIST_TEMPLATE = "_notice_list.html.j2"
_BLOCK = re.compile(r"<!-- gongshi-notice-list [^\s<>]+ [0-9]+ -->")  # the page's path, its n-th list
WORKER_MIN_NOTICES = 400  # below this, forking costs more than it saves
PDF_RECENT_DAYS = 7  # see wants_pdf


@dataclass(frozen=True)
class NoticePage:
    id: str
    title: str
    html: str | None  # the page's content: HTML, without the theme around it (None: see `content`)
    pdf: bool  # whether a PDF copy is made and linked (wants_pdf)
    issuer: str = ""  # for the search index, with the title (never the roster)
    document_number: str = ""
    key: str = ""  # digest of everything `html` is made from (the fragment cache key); "" = unknown
    fetch: Callable[[], str] | None = field(default=None, repr=False, compare=False)

    def content(self) -> str:
        """The page's HTML. A page the build cache holds is read from it only here, where it is needed:
        the site links most pages from the published site unread, and reading a county's 15,000 (75 MB)
        took 0.2 s a build."""
        return self.html if self.html is not None else self.fetch()


def fill_blocks(text: str, blocks: dict[str, str]) -> str:
    """Put the notice lists (rendered HTML) where the pages hold their placeholders."""
    if "<!-- gongshi-notice-list " not in text:
        return text
    return _BLOCK.sub(lambda m: blocks[m.group(0)], text)


def notice_url(base_url: str, notice_id: str) -> str:
    return f"{base_url.rstrip('/')}/notices/{notice_id}/"


def page_url(docs_path: str) -> str:
    """The directory URL MkDocs gives a docs page (use_directory_urls): towns/x/index.md → towns/x/."""
    if docs_path.endswith("index.md"):
        return docs_path[: -len("index.md")]
    if docs_path.endswith(".md"):
        return docs_path[:-3] + "/"
    return docs_path


def link_from_notice(to_page: str) -> str:
    """A link in a notice page's HTML (at notices/<id>/) to another docs path."""
    return posixpath.join("../..", page_url(to_page))


def wants_pdf(status: PublicityStatus, start: dt.date, today: dt.date) -> bool:
    """A PDF copy for the notices a village posts on its board now: those in publicity, and any
    published in the last PDF_RECENT_DAYS days. WeasyPrint takes ~0.2 s a page: a county's year of
    notices would take most of an hour. Older notices are read (and printed) from their web page,
    whose print stylesheet gives the same A4 copy."""
    return status is PublicityStatus.IN_PUBLICITY or (today - start).days <= PDF_RECENT_DAYS


def qr_svg(url: str) -> str:
    """An inline SVG QR code of the page's address, for the printed bulletin-board copy.

    The symbol comes from zxing-cpp (error correction M; version and mask chosen by its encoder): a
    county's 15,000 codes take it ~3 s, where pure-Python segno took ~18 s. Decoded with zxing-cpp in
    tests/test_scale.py and with zbar from the printed page in tests/test_browser.py."""
    import zxingcpp

    symbol = zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    return _svg(symbol.to_image(scale=1, add_quiet_zones=False), scale=3, title="扫码查看网上公示")


QR_BORDER = 4  # the quiet zone the QR standard asks for, in modules


def _svg(image, scale: int, title: str) -> str:
    """One path of horizontal runs of dark modules (`image`: one pixel a module, 0 dark), each move
    relative to the end of the run before; a white square under it for the quiet zone. The viewBox lets
    the print stylesheets shrink it to 25 mm whole (without one the symbol was cut off and unreadable)."""
    n, runs = _dark_runs_numpy(image) if "numpy" in sys.modules else _dark_runs(image)
    parts: list[str] = []
    cx = cy = None
    for y, start, end in runs:
        parts.append(f"M{start + QR_BORDER} {y + QR_BORDER + .5:g}h{end - start}" if cx is None
                     else f"m{start - cx} {y - cy}h{end - start}")
        cx, cy = end, y
    size = n + 2 * QR_BORDER
    px = size * scale
    return (f'<svg width="{px}" height="{px}" viewBox="0 0 {px} {px}" class="qr"><title>{title}</title><g transform="scale({scale})">'
            f'<path fill="#fff" d="M0 0h{size}v{size}h-{size}z"/>'
            f'<path class="qrline" stroke="#000" d="{"".join(parts)}"/></g></svg>')


# The runs of dark modules, row by row, left to right: (row, first column, column after the last). With
# numpy where it is loaded: a build making many pages loads it before its workers fork (QR_NUMPY_MIN), and
# it finds a county's runs 30% faster; one approval's page is not worth loading it for (0.065 s). The same
# runs either way (a test compares them).
QR_NUMPY_MIN = 50
_DARK = re.compile(rb"[\x00-\x7f]+")  # a pixel under 128 is dark


def _dark_runs(image) -> tuple[int, list[tuple[int, int, int]]]:
    view = memoryview(image)
    n, width = view.shape
    data = view.tobytes()
    step = width + 1  # rows joined with a light pixel between them: no run crosses a row's end
    rows = b"\xff".join([data[i:i + width] for i in range(0, n * width, width)])
    runs = []
    for m in _DARK.finditer(rows):
        y, start = divmod(m.start(), step)
        runs.append((y, start, m.end() - y * step))
    return n, runs


def _dark_runs_numpy(image) -> tuple[int, list[tuple[int, int, int]]]:
    import numpy

    dark = numpy.asarray(image) < 128
    edges = numpy.diff(numpy.pad(dark, ((0, 0), (1, 1))).astype(numpy.int8), axis=1)
    ys, starts = numpy.nonzero(edges == 1)  # row by row, left to right: runs in reading order
    ends = numpy.nonzero(edges == -1)[1]
    return dark.shape[0], list(zip(ys.tolist(), starts.tolist(), ends.tolist()))


def common_digest(common: dict) -> str:
    """What every template sees (site, divisions, today, the catalog …), less the code (in the code digest)."""
    return digest(*(common[k] for k in sorted(common) if k not in ("Status", "sources")))


class TemplateCode(jinja2.BytecodeCache):
    """Compiled templates remembered across builds (kind `jinja-code`), for our environment and the
    theme's: compiling them is about 0.4 s a build (Material's navigation macros alone 0.13 s).

    Compiled code holds more than the template: the environment's options (autoescape, trim_blocks …),
    `finalize` and the filters applied to constants, MarkupSafe's escaping and the Jinja release's
    compiler. So an entry is keyed by `scope` (our environment: this program's code with the Jinja and
    MarkupSafe versions, `code_digest`; the theme's: `mkdocs_pages.site_key`, which holds that too, the
    MkDocs configuration and the versions of MkDocs and Material) and Jinja's bucket key (the template's
    name and file). Jinja checks an entry against its template's source and its bytecode format and
    Python's version; one that fails, or is damaged, is compiled anew and replaced. What a template
    renders does not depend on where its code came from."""

    KIND = "jinja-code"

    def __init__(self, cache: Cache, scope: str):
        self.cache, self.scope = cache, scope
        self.known = cache.entries(self.KIND)

    def _key(self, bucket: jinja2.bccache.Bucket) -> str:
        return hashlib.sha256(f"{self.scope}\x00{bucket.key}".encode("utf-8")).hexdigest()

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        key = self._key(bucket)
        blob = self.known.get(key)
        if not isinstance(blob, bytes):
            if blob is not None:
                self.cache.replace(self.KIND, key)
            return
        try:
            bucket.bytecode_from_string(blob)
        except Exception:  # noqa: BLE001 - damaged: compiled anew and replaced
            bucket.reset()
        if bucket.code is None:
            self.cache.replace(self.KIND, key)  # other source, another bytecode format, or damaged
        else:
            self.cache.remember(self.KIND, key, blob)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.cache.remember(self.KIND, self._key(bucket), bucket.bytecode_to_string())


def templates_digest(templates_dir: Path) -> str:
    """Every template's bytes: a changed template (or a program's new body template) renders anew."""
    h = hashlib.sha256(code_digest().encode())
    for path in sorted(templates_dir.rglob("*")):
        if path.is_file():
            h.update(path.relative_to(templates_dir).as_posix().encode() + b"\x00" + path.read_bytes() + b"\x00")
    return h.hexdigest()


# State shared with the forked workers (copy-on-write): set before the pool starts.
_JOB: dict = {}


def _page_key(job: dict, v) -> tuple[str, bool]:
    """The key of a notice's page content, and whether it offers a PDF copy: a digest of the build's
    templates, context, base URL and day (`job["prefix"]`, hashed once a build) and of the notice's own."""
    today = job["today"]
    pdf = job["pdfs"] and wants_pdf(v.status, v.notice.start, today)
    # The view's public notice and spec follow from the notice's file and this program's code, which its
    # file key holds (load._load_notice_cached): digesting the key is digesting them, at a tenth of the time.
    source = job["file_keys"].get(v.notice.id)
    # A town's text (with all its villages) is the same for its thousand notices: digested once a build.
    what = (source, v.decision, v.spec.code, _text_of(job, v.village), _text_of(job, v.town), v.place, v.title,
            v.path) if source else v
    h = job["prefix"].copy()
    h.update(repr((what, pdf)).encode("utf-8"))
    return h.hexdigest(), pdf


def _key_prefix(job: dict):
    """What every notice page's key holds: one hash object, copied for each page (_page_key)."""
    return hashlib.sha256(repr(("notice-page 2", job["templates"], job["today"], job["context"],
                                job["url_base"])).encode("utf-8"))


def _text_of(job: dict, value) -> str:
    """A digest of the repr of a village or town (its text runs to a kilobyte: digested once a build,
    not hashed again in each of its notices' keys)."""
    texts = job["texts"]  # id -> (the value, its digest): the value is held, so its id is not reused
    found = texts.get(id(value))
    if found is None:
        found = texts[id(value)] = (value, digest(value))
    return found[1]


def _render_one(index: int, job: dict | None = None) -> tuple:
    """(id, title, HTML or None where the cache holds it, pdf, problem, key, QR key, the QR code where it
    was made now or None)."""
    job = job or _JOB
    v = job["views"][index]
    key, pdf = job["keys"][index]
    url = notice_url(job["url_base"], v.notice.id)
    qr_key = f"{job['code']}:{url}"
    if key in job["fragments"]:
        return v.notice.id, v.title, None, pdf, None, key, qr_key, None  # its QR code is in it
    # QR codes are looked up one by one, only for the pages made now: reading all 15,000 took 0.13 s.
    qr = job["cache"].lookup("qr", qr_key) if qr_key in job["qr_keys"] else None
    made = None
    if not isinstance(qr, str):
        qr = made = qr_svg(url)  # the address never changes: its QR code neither
    v = _rows_read(v)
    try:
        html = job["template"].render(
            link=link_from_notice, **job["common"], view=v, notice=v.notice, spec=v.spec, decision=v.decision,
            url=url, qr_svg=markupsafe.Markup(qr), pdf=pdf,
            period=period_text(v.decision.period) if v.decision.period and v.notice.kind.has_period else "")
    except jinja2.TemplateSyntaxError as exc:  # in a program's body template: say which, with its line
        return v.notice.id, v.title, "", pdf, Problem(
            "template-syntax", "模板语法错误，请检查这一行的 {{ }} 和 {% %} 是否成对。",
            f"templates/{exc.name or v.spec.body_template}", exc.lineno), key, qr_key, made
    except jinja2.UndefinedError as exc:
        return v.notice.id, v.title, "", pdf, Problem(
            "template-undefined", f"模板引用了不存在的值（{exc.message}），请检查拼写。",
            f"templates/{NOTICE_TEMPLATE}"), key, qr_key, made
    return v.notice.id, v.title, html, pdf, None, key, qr_key, made


def _rows_read(view):
    """The view with its notice's rows read (mask.StoredRows): templates get the tuple, as ever (|tojson, +)."""
    if isinstance(view.notice.rows, tuple):
        return view
    return replace(view, notice=replace(view.notice, rows=tuple(view.notice.rows)))


def _render_chunk(indices) -> list[tuple]:
    return [_render_one(i) for i in indices]


def render_notice_pages(env: jinja2.Environment, views: list, common: dict, base_url: str, today: dt.date,
                        pdfs: bool, templates_dir: Path, cache: Cache, file_keys: dict[str, str] | None = None
                        ) -> tuple[dict[str, NoticePage], list[Problem]]:
    """Every visible notice's page content, keyed by notice id (in the order of `views`). `file_keys`: the
    dataset's (load), which key the cached pages of unchanged notices."""
    if not views:
        return {}, []
    template = env.get_template(NOTICE_TEMPLATE)  # a syntax error surfaces here, in the caller's `mistakes`
    # Everything else a template sees (site, divisions for the village names of a count table, the catalog),
    # once: a renamed village must not stay on a cached page.
    context = common_digest(common)
    views = list(views)  # those of the pages made now get their rows read (below)
    _JOB.update(views=views, today=today, pdfs=pdfs, templates=templates_digest(templates_dir), texts={},
                code=code_digest(), context=context, file_keys=file_keys or {},
                site=common["site"], url_base=base_url, template=template, common=common,
                fragments=cache.text_keys("fragments"), qr_keys=cache.keys("qr"), cache=cache)  # keys only
    try:
        _JOB["prefix"] = _key_prefix(_JOB)
        _JOB["keys"] = [_page_key(_JOB, v) for v in views]
        # Pages the cache holds are read only where needed (NoticePage.content); the others are rendered
        # here, on every core when many.
        new = [i for i, (key, _) in enumerate(_JOB["keys"]) if key not in _JOB["fragments"]]
        # Their rows are read here, not in a forked worker: stored rows that cannot be read are masked
        # anew and their entry replaced in this build's cache (mask.StoredRows).
        for i in new:
            views[i] = _rows_read(views[i])
        if len(new) >= QR_NUMPY_MIN:
            import numpy  # noqa: F401 - for the QR codes, here and in the workers forked below (_dark_runs_numpy)
        cache.close()  # a SQLite connection must not cross a fork (the workers open their own)
        workers = os.cpu_count() or 1
        if len(new) < WORKER_MIN_NOTICES or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
            results = _render_chunk(range(len(views)))
        else:
            fresh = set(new)
            done = {i: _render_one(i) for i in range(len(views)) if i not in fresh}
            size = max(50, len(new) // (workers * 8))
            chunks = [new[i:i + size] for i in range(0, len(new), size)]
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                done.update(zip(new, (r for chunk in pool.map(_render_chunk, chunks) for r in chunk)))
            results = [done[i] for i in range(len(views))]
        job = dict(_JOB)  # for a page the cache held when asked and lost since (`_fetch`)
    finally:
        _JOB.clear()
    pages, problems = {}, []
    by_id = {v.notice.id: v.notice for v in views}
    for index, (notice_id, title, html, pdf, problem, key, qr_key, qr) in enumerate(results):
        _keep_qr(cache, job, qr_key, qr)
        if problem is not None:
            if problem.format() not in {p.format() for p in problems}:
                problems.append(problem)
            continue
        if html is None:
            cache.keep_stored("fragments", key)
        else:
            cache.remember("fragments", key, html)
        notice = by_id[notice_id]
        pages[notice_id] = NoticePage(notice_id, title, html, pdf, notice.issuer, notice.document_number, key,
                                      fetch=None if html is not None else functools.partial(_fetch, job, index))
    return pages, problems


def _fetch(job: dict, index: int) -> str:
    """The HTML of a page the build cache held (`render_notice_pages`): read from it, or, where it lost
    the entry since (another build saved meanwhile) or holds it damaged, rendered again as it was made,
    and remembered again."""
    cache, (key, _) = job["cache"], job["keys"][index]
    found = cache.lookup("fragments", key)
    if isinstance(found, str):
        return found
    notice_id, _, html, _, problem, _, qr_key, qr = _render_one(index, {**job, "fragments": frozenset()})
    if problem is not None:  # it rendered before, from the same templates and data
        raise RuntimeError(f"notice page {notice_id} no longer renders: {problem.slug}")
    cache.replace("fragments", key)
    cache.remember("fragments", key, html)
    _keep_qr(cache, job, qr_key, qr)
    return html


def _keep_qr(cache: Cache, job: dict, qr_key: str, made: str | None) -> None:
    """Keep a page's QR code for the next build: the one `made` now (replacing a stored one, which was
    damaged or lost since), else the stored one, without reading it."""
    if made is None:
        cache.keep_stored("qr", qr_key)
        return
    if qr_key in job["qr_keys"]:
        cache.replace("qr", qr_key)
    cache.remember("qr", qr_key, made)
