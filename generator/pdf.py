"""The printable copy of each notice as a PDF (WeasyPrint), for the village bulletin board.

Made from the notice's own rendered page, so the PDF cannot say anything the page does not. Written
into the docs folder before MkDocs runs, so strict mode checks the links to it; byte-identical for the
same input (WeasyPrint writes no dates).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import multiprocessing
import os
import shutil
import subprocess
from pathlib import Path

from .report import Problem

FONT_HINT = "请安装中文字体：Debian/Ubuntu 运行 apt-get install fonts-wqy-microhei（make site 会自动安装）。"


def has_chinese_font() -> bool:
    if not shutil.which("fc-list"):
        return False
    listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
    return bool(listed.strip())


def write_notice_pdfs(notices: dict, docs_dir: Path, css: Path, cache=None) -> list[Problem]:
    """docs/pdf/<id>.pdf for every notice page that wants one (notice_pages.wants_pdf); a missing Chinese
    font is a problem, not tofu boxes. A PDF already made from the same page, stylesheet and renderer
    (`renderer_fingerprint`: libraries and fonts) comes from the cache (outside the site): the same
    bytes, without the ~0.2 s WeasyPrint takes."""
    from .notice_pages import Cache, digest

    wanted = [notices[i] for i in sorted(notices) if notices[i].pdf]
    if not wanted:
        return []
    if not has_chinese_font():
        return [Problem("no-chinese-font", "生成 PDF 需要中文字体，本机没有安装。" + FONT_HINT, "PDF")]
    cache = cache or Cache(None)
    renderer = renderer_fingerprint()
    css_text = css.read_text(encoding="utf-8")
    out_dir = docs_dir / "pdf"
    out_dir.mkdir(parents=True, exist_ok=True)
    missing = []
    for page in wanted:
        document = (f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{page.title}</title></head>'
                    f"<body>{page.content()}</body></html>")
        key = digest("pdf", renderer, css_text, document)
        cache.keep.setdefault("pdf", set()).add(key)
        data = cache.get("pdf", key)
        if data is None:
            missing.append((key, document, out_dir / f"{page.id}.pdf"))
            cache.stage("pdf", key, f"pdf/{page.id}.pdf")  # into the cache once the site passed the audit
        else:
            (out_dir / f"{page.id}.pdf").write_bytes(data)
    _PDF_JOB.update(css=css_text, cache=cache)
    if missing:
        import weasyprint  # noqa: F401 - here, before the workers fork, not in each (0.9 s); not at all without new PDFs
    try:
        workers = os.cpu_count() or 1
        if len(missing) < PDF_WORKER_MIN or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
            for item in missing:
                _make_pdf(item)
        else:  # ~0.2 s each: a county's first build makes hundreds, on every core
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                pool.map(_make_pdf, missing, chunksize=4)
    finally:
        _PDF_JOB.clear()
    return []


def renderer_fingerprint() -> str:
    """Everything besides the page and the stylesheet that decides a PDF's bytes: the versions of
    WeasyPrint, the libraries it writes and measures with, Pango, HarfBuzz and fontconfig, fontconfig's
    configuration files, and every font file it offers (path, size, mtime). A cached PDF is reused only while all of these are the same,
    so a new font or library makes new PDFs, as a first build on this machine would."""
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for package in ("weasyprint", "pydyf", "tinycss2", "cssselect2", "fonttools", "Pillow"):
        try:
            parts.append(f"{package}={version(package)}")
        except PackageNotFoundError:
            parts.append(f"{package}=-")
    # Pango's version as WeasyPrint's `pango.pango_version()` gives it, read without importing WeasyPrint
    # (0.9 s): a build whose PDFs all come from the cache need not import it.
    pango = _library_version("pango-1.0", "pango_version", ctypes.c_int, "libpango-1.0-0", "libpango-1.0.so.0",
                             "libpango-1.0.dylib")
    parts.append("pango=?" if pango.endswith("=?") else "pango=" + pango.split("=", 1)[1])
    parts += [_library_version("harfbuzz", "hb_version_string", ctypes.c_char_p),  # subsets the fonts
              _library_version("fontconfig", "FcGetVersion", ctypes.c_int)]
    # Which configuration fontconfig reads (FONTCONFIG_FILE, conf.d rules that map one family to another)
    # and what it finds: every font file it offers, and every configuration file, with size and mtime.
    parts += [f"{name}={os.environ.get(name, '')}" for name in ("FONTCONFIG_FILE", "FONTCONFIG_PATH", "FONTCONFIG_SYSROOT")]
    listed = subprocess.run(["fc-list", "--format", "%{file}\n"], capture_output=True, text=True)
    configs = subprocess.run(["fc-conflist"], capture_output=True, text=True)
    files = set(listed.stdout.splitlines())
    for line in configs.stdout.splitlines():
        parts.append(line)
        if line[:2] in ("+ ", "- ") and ":" in line:
            files.add(line[2:].split(":", 1)[0])
    for path in sorted(files):
        try:
            st = os.stat(path)
        except OSError:
            continue
        parts.append(f"{path}\t{st.st_size}\t{st.st_mtime_ns}")
    return "\n".join(parts)


def _library_version(name: str, function: str, restype, *files: str) -> str:
    """`function()` of the shared library `name`, as loaded by this process (not the command-line tool's);
    `files`: the names to open it by where the linker cache does not know it (as WeasyPrint's loader does)."""
    call = None
    for found in (ctypes.util.find_library(name), *files):
        if found:
            with contextlib.suppress(OSError, AttributeError, TypeError):
                call = getattr(ctypes.CDLL(found), function)
                break
    if call is None:
        return f"{name}=?"
    call.restype, call.argtypes = restype, []
    value = call()
    return f"{name}={value.decode() if isinstance(value, bytes) else value}"


PDF_WORKER_MIN = 8
_PDF_JOB: dict = {}


def _make_pdf(item: tuple) -> None:
    import weasyprint

    key, document, out = item
    if "stylesheet" not in _PDF_JOB:
        _PDF_JOB["stylesheet"] = weasyprint.CSS(string=_PDF_JOB["css"])
    data = weasyprint.HTML(string=document).write_pdf(stylesheets=[_PDF_JOB["stylesheet"]])
    out.write_bytes(data)
