"""The printable copy of each notice as a PDF (WeasyPrint), for the village bulletin board.

Made from the notice's own rendered page, so the PDF cannot say anything the page does not. Written
into the docs folder before MkDocs runs, so strict mode checks the links to it; byte-identical for the
same input (WeasyPrint writes no dates).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import markdown

from .report import Problem

FONT_HINT = "请安装中文字体：Debian/Ubuntu 运行 apt-get install fonts-wqy-microhei（make site 会自动安装）。"


def has_chinese_font() -> bool:
    if not shutil.which("fc-list"):
        return False
    listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
    return bool(listed.strip())


def _strip_front_matter(text: str) -> tuple[str, str]:
    title = ""
    if text.startswith("---\n"):
        head, _, text = text[4:].partition("\n---\n")
        for line in head.splitlines():
            if line.startswith("title:"):
                title = line.split(":", 1)[1].strip().strip('"')
    return title, text


def write_notice_pdfs(pages: dict[str, str], docs_dir: Path, css: Path) -> list[Problem]:
    """docs/pdf/<id>.pdf for every notice page; a missing Chinese font is a problem, not tofu boxes."""
    notices = sorted(rel for rel in pages if rel.startswith("notices/") and rel.endswith(".md"))
    if not notices:
        return []
    if not has_chinese_font():
        return [Problem("no-chinese-font", "生成 PDF 需要中文字体，本机没有安装。" + FONT_HINT, "PDF")]
    from weasyprint import CSS, HTML

    stylesheet = CSS(filename=str(css))
    out_dir = docs_dir / "pdf"
    out_dir.mkdir(parents=True, exist_ok=True)
    for rel in notices:
        title, body = _strip_front_matter(pages[rel])
        content = markdown.markdown(body, extensions=["attr_list", "tables"])
        document = (f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{title}</title></head>'
                    f"<body>{content}</body></html>")
        HTML(string=document).write_pdf(out_dir / (Path(rel).stem + ".pdf"), stylesheets=[stylesheet])
    return []
