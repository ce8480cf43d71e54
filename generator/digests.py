"""Digests that key the build cache: of values, and of this program's own code.

Every stage that remembers a result (mask, render, site, audit) keys it with these, so a cached entry
made by another version of the tool, or from other inputs, is never used.
"""

from __future__ import annotations

import functools
import hashlib
import sys
from pathlib import Path


def digest(*parts: object) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(repr(part).encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


def digest_after(*first: object):
    """`lambda *rest: digest(*first, *rest)`, with `first` hashed once (for thousands of digests alike)."""
    h = hashlib.sha256()
    for part in first:
        h.update(repr(part).encode("utf-8"))
        h.update(b"\x00")

    def rest(*parts: object) -> str:
        one = h.copy()
        one.update("".join(f"{part!r}\x00" for part in parts).encode("utf-8"))
        return one.hexdigest()

    return rest


@functools.cache
def code_digest() -> str:
    """This program's own code and specs, and the versions of the libraries whose output is cached: a
    cached entry from another version of the tool is never used."""
    from importlib.metadata import version

    # Parsed notices (PyYAML), suppressed count tables (SciPy) and pickles (Python) are cached too, and the
    # audit's findings, which follow phonenumbers' numbering plan and what PDFium reads of a PDF.
    libraries = ("jinja2", "markupsafe", "zxing-cpp", "jieba", "pyyaml", "scipy", "phonenumbers", "pypdfium2")
    h = hashlib.sha256((" ".join(version(p) for p in libraries) + " " + sys.version).encode())
    package = Path(__file__).parent
    for path in sorted([*package.rglob("*.py"), *package.rglob("*.yaml")]):
        h.update(path.relative_to(package).as_posix().encode() + b"\x00" + path.read_bytes() + b"\x00")
    return h.hexdigest()
