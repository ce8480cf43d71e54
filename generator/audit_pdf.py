"""What the audit reads of a PDF: everything a reader of it can see or copy, besides the files embedded in it.

A name or an ID number can hide in a PDF outside its pages' text: in a note (an annotation) a clerk
left on it, a filled-in form field, a bookmark, a link's address, the document's properties, or a
script. PDFium (pypdfium2, the engine of Chrome's viewer) reads all of them here:

- the text of every page, also beyond the page's edges (_BOUNDS), and where a page holds annotations
  other than links, its text again with what they show (their appearances) flattened into it;
- each annotation's texts (note, author, subject, rich text) and each link's address;
- each form field's name, alternate name, value and export value, and a list's or combo box's choices;
- every bookmark's title, each page's label;
- the document's properties (title, author, subject, keywords, creator, producer, dates, and custom
  ones, such as Word's, where their keys are written uncompressed) and its XMP packets where
  uncompressed (as XMP asks writers to leave them, so that any reader finds them);
- document-level JavaScript (the catalog's JavaScript name tree).

Not read, and so counted (`PdfRead.embedded`) for the audit to report like an archive: files embedded
in the document or attached to an annotation, sound, video and 3D annotations, and XFA forms (whose data
PDFium does not read). Known gaps, none written by the tools county offices use for notices: custom
properties in a compressed object stream, compressed XMP, JavaScript outside the name tree (on an open
action, a link, a field).
pypdfium2's raw API is PDFium's own, the same in pypdfium2 4 and 5; where their PDFium builds differ
(a call PDFium 6462 aborts on), the code below says so.
"""

from __future__ import annotations

import ctypes
import html
import re
from dataclasses import dataclass

# Where PDFium finds a PDF's header: anywhere in the first 1,024 bytes.
PDF_MAGIC, HEADER_SPAN = b"%PDF-", 1024
_BOUNDS = (-1e7, -1e7, 1e7, 1e7)
# Annotation keys whose values a viewer shows: the note, its author, its subject, its rich text.
_ANNOTATION_KEYS = (b"Contents", b"T", b"Subj", b"RC")
# Names in a PDF's bytes (/Manager), and the Info dictionary's keys pypdfium2's metadata already reads.
_NAME = re.compile(rb"/([A-Za-z][A-Za-z0-9_.\-]{0,63})")
_STANDARD_PROPERTIES = frozenset({b"Title", b"Author", b"Subject", b"Keywords", b"Creator", b"Producer",
                                  b"CreationDate", b"ModDate"})
_XMP_TAGS = ((b"<x:xmpmeta", b"</x:xmpmeta>"), (b"<x:xapmeta", b"</x:xapmeta>"))


def is_pdf(data: bytes) -> bool:
    """A header where PDFium looks for one, whatever the file is called (PDFium may still not open it)."""
    return PDF_MAGIC in data[:HEADER_SPAN]


@dataclass(frozen=True)
class PdfRead:
    text: str  # every part listed in the module's text, one after another
    embedded: int  # parts it carries that are not read: files, media, XFA forms
    scanned: bool  # a page without text of its own: a scan, whose words no audit reads


def read_pdf(data: bytes) -> PdfRead | None:
    """What a reader could see or copy of this PDF; None where PDFium cannot open it (a password)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        pdf = pdfium.PdfDocument(data)
    except (pdfium.PdfiumError, ValueError, OSError):
        return None
    try:
        pdf.init_forms()  # before any page is loaded: form fields are read through it
        form = pdf.formenv.raw if pdf.formenv is not None else None
        embedded = pdfium_c.FPDFDoc_GetAttachmentCount(pdf)
        embedded += pdfium_c.FPDF_GetFormType(pdf) in (pdfium_c.FORMTYPE_XFA_FULL, pdfium_c.FORMTYPE_XFA_FOREGROUND)
        parts = list(pdf.get_metadata_dict(skip_empty=True).values()) + _custom_properties(pdf, data, pdfium_c)
        parts += [html.unescape(packet.decode("utf-8", "replace")) for packet in xmp_packets(data)]  # with attributes
        parts += _bookmarks(pdf, pdfium_c) + _scripts(pdf, pdfium_c)
        scanned = False
        for index in range(len(pdf)):
            page = pdf[index]
            parts.append(_wide(pdfium_c, pdfium_c.FPDF_GetPageLabel, pdf, index))
            shown = False  # annotations that show something beyond a link's area
            for i in range(pdfium_c.FPDFPage_GetAnnotCount(page)):
                texts, subtype = _annotation(pdf, page, i, form, pdfium_c)
                parts += texts
                shown |= subtype not in (pdfium_c.FPDF_ANNOT_LINK, pdfium_c.FPDF_ANNOT_POPUP)
                embedded += subtype in _embedding_kinds(pdfium_c)
            text = _page_text(page)
            scanned |= not text.strip()  # before flattening: a stamp on a scan leaves it a scan
            parts.append(text)
            if shown:  # what the annotations show becomes page text; the page is loaded again to read it
                pdfium_c.FPDFPage_Flatten(page, pdfium_c.FLAT_NORMALDISPLAY)
                page.close()
                page = pdf[index]
                parts.append(_page_text(page))
            page.close()
        return PdfRead("\n".join(p for p in parts if p), embedded, scanned)
    except pdfium.PdfiumError:
        return None
    finally:
        pdf.close()


def pdf_unread_parts(data: bytes) -> list[str]:
    """What of a PDF no audit reads, in Chinese: embedded files, media or XFA forms ("附件"), and pages
    without text, a scan ("扫描页"). [] for a PDF PDFium cannot open (the audit reports those)."""
    read = read_pdf(data)
    if read is None:
        return []
    return (["附件"] if read.embedded else []) + (["扫描页"] if read.scanned else [])


def _custom_properties(pdf, data: bytes, pdfium_c) -> list[str]:
    """The Info dictionary's other entries (Word's custom properties, which Acrobat shows): PDFium reads
    an entry by its key but cannot list the keys, so every name written uncompressed in the file is
    asked for (an Info dictionary inside a compressed object stream keeps its custom keys out of sight)."""
    found = []
    for key in sorted(set(_NAME.findall(data)) - _STANDARD_PROPERTIES):
        found.append(_wide(pdfium_c, pdfium_c.FPDF_GetMetaText, pdf, key))
    return found


def _embedding_kinds(pdfium_c) -> tuple[int, ...]:
    """Annotation kinds that carry a file or media the audit does not read."""
    return (pdfium_c.FPDF_ANNOT_FILEATTACHMENT, pdfium_c.FPDF_ANNOT_SOUND, pdfium_c.FPDF_ANNOT_MOVIE,
            pdfium_c.FPDF_ANNOT_RICHMEDIA, pdfium_c.FPDF_ANNOT_SCREEN, pdfium_c.FPDF_ANNOT_THREED)


def _page_text(page) -> str:
    textpage = page.get_textpage()
    try:
        return textpage.get_text_bounded(*_BOUNDS)
    finally:
        textpage.close()


def xmp_packets(data: bytes) -> list[bytes]:
    """Every XMP packet written uncompressed in the file's bytes (one unclosed ends the search)."""
    found = []
    for opening, closing in _XMP_TAGS:
        at = data.find(opening)
        while at >= 0:
            end = data.find(closing, at)
            if end < 0:
                break
            found.append(data[at:end + len(closing)])
            at = data.find(opening, end)
    return found


def _wide(pdfium_c, function, *args) -> str:
    """A string PDFium writes as UTF-16LE with a terminating NUL, asked for its length first."""
    size = function(*args, None, 0)
    if size <= 2:
        return ""
    buffer = ctypes.create_string_buffer(size)
    function(*args, ctypes.cast(buffer, ctypes.POINTER(pdfium_c.FPDF_WCHAR)), size)
    return buffer.raw[:size - 2].decode("utf-16-le", "replace")


def _annotation(pdf, page, i: int, form, pdfium_c) -> tuple[list[str], int]:
    """The texts of annotation i of `page`, and its kind."""
    annot = pdfium_c.FPDFPage_GetAnnot(page, i)
    if not annot:
        return [], pdfium_c.FPDF_ANNOT_UNKNOWN
    try:
        subtype = pdfium_c.FPDFAnnot_GetSubtype(annot)
        found = [_wide(pdfium_c, pdfium_c.FPDFAnnot_GetStringValue, annot, key) for key in _ANNOTATION_KEYS]
        link = pdfium_c.FPDFAnnot_GetLink(annot)
        action = pdfium_c.FPDFLink_GetAction(link) if link else None
        if action and pdfium_c.FPDFAction_GetType(action) == pdfium_c.PDFACTION_URI:
            size = pdfium_c.FPDFAction_GetURIPath(pdf, action, None, 0)
            buffer = ctypes.create_string_buffer(max(size, 1))
            pdfium_c.FPDFAction_GetURIPath(pdf, action, buffer, size)
            found.append(buffer.raw[:max(size - 1, 0)].decode("utf-8", "replace"))
        if form is not None and subtype == pdfium_c.FPDF_ANNOT_WIDGET:
            for function in (pdfium_c.FPDFAnnot_GetFormFieldName, pdfium_c.FPDFAnnot_GetFormFieldAlternateName,
                             pdfium_c.FPDFAnnot_GetFormFieldValue, pdfium_c.FPDFAnnot_GetFormFieldExportValue):
                found.append(_wide(pdfium_c, function, form, annot))
            # Choices of lists and combo boxes only: PDFium 6462 (pypdfium2 4.30) aborts the process when
            # asked for those of another field.
            if pdfium_c.FPDFAnnot_GetFormFieldType(form, annot) in (pdfium_c.FPDF_FORMFIELD_COMBOBOX,
                                                                    pdfium_c.FPDF_FORMFIELD_LISTBOX):
                for option in range(max(pdfium_c.FPDFAnnot_GetOptionCount(form, annot), 0)):
                    found.append(_wide(pdfium_c, pdfium_c.FPDFAnnot_GetOptionLabel, form, annot, option))
        return [text for text in found if text], subtype
    finally:
        pdfium_c.FPDFPage_CloseAnnot(annot)


def _bookmarks(pdf, pdfium_c) -> list[str]:
    """Every bookmark's title, depth first; a bookmark met twice (a loop in a damaged outline) ends it."""
    titles, seen = [], set()
    stack = [pdfium_c.FPDFBookmark_GetFirstChild(pdf, None)]
    while stack:
        bookmark = stack.pop()
        address = ctypes.cast(bookmark, ctypes.c_void_p).value if bookmark else None
        if not address or address in seen:
            continue
        seen.add(address)
        titles.append(_wide(pdfium_c, pdfium_c.FPDFBookmark_GetTitle, bookmark))
        stack += [pdfium_c.FPDFBookmark_GetNextSibling(pdf, bookmark),
                  pdfium_c.FPDFBookmark_GetFirstChild(pdf, bookmark)]
    return titles


def _scripts(pdf, pdfium_c) -> list[str]:
    found = []
    for i in range(max(pdfium_c.FPDFDoc_GetJavaScriptActionCount(pdf), 0)):
        action = pdfium_c.FPDFDoc_GetJavaScriptAction(pdf, i)
        if action:
            found += [_wide(pdfium_c, pdfium_c.FPDFJavaScriptAction_GetName, action),
                      _wide(pdfium_c, pdfium_c.FPDFJavaScriptAction_GetScript, action)]
            pdfium_c.FPDFDoc_CloseJavaScriptAction(action)
    return found
