"""County scale, on one run: full build, rebuild, one new approval, audit, each against its baseline.

    .venv/bin/python bench/county.py [--villages 204] [--months 12] [--stock-sample 1000 | --stock-all]
                                     [--import-rows 20000] [--pdfs] [--no-check]

1. Writes a synthetic county (`python -m generator demo`): 204 villages x 12 months is ~15,000 notices
   and ~150,000 roster rows.
2. import: rows/s of `python -m generator import` (bench/import_rows.py with --import-rows rows).
3. Full build, cold (no cache): validate, rules, render, site, audit, swap; seconds, pages/s, peak memory
   (the main process; the forked workers' peak is printed too, they share most of it copy-on-write).
4. Rebuild with nothing changed (the cache is warm), then one new approval (a 公布 of a pending 公示),
   then the next one (as a clerk's approvals come): seconds; and correctness: the new notice is linked from its village page, the archive, the feed and
   (if recent) the home page, and the whole site is byte-identical to a cold build of the same data.
5. Baseline: stock MkDocs + Material (same mkdocs.yml, short nav, search with jieba) building the same
   pages as Markdown, all of them (--stock-all, ~6 min at 15,000 pages) or a sample of notice pages plus
   every other page, extrapolated linearly (the default; the script says so). Twice: with the rosters
   as Markdown tables (as a stock site writes them; the baseline of issue 8) and as HTML tables inside
   the Markdown (what our pages hold; Python-Markdown then skips the table parsing).
6. Audit of the built site with a 20,000-person raw roster against grep -F of the same values.

Prints numbers and ratios; asserts nothing but correctness. The machine is shared: `uptime` is printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

TODAY = "2026-12-31"


def sh(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{done.stderr[-3000:]}")
    return done


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def build_once(data: Path, out: Path, pdfs: bool) -> dict:
    """The build's own seconds and stages (bench/build_once.py), and "command": the whole command as a
    clerk waits for it (starting Python, importing, the build, ending as `python -m generator` ends)."""
    cmd = [sys.executable, str(REPO / "bench" / "build_once.py"), str(data), str(out), "--today", TODAY]
    start = time.perf_counter()
    done = sh(cmd + (["--pdfs"] if pdfs else []))
    command = time.perf_counter() - start
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "command": command}


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


_ROSTER = re.compile(r'<div class="roster"[^>]*>\s*<table class="roster-table">(.*?)</table>\s*</div>', re.S)
_ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
_CELL = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)


def markdown_tables(page_html: str) -> str:
    """The notice page as a stock MkDocs site writes it: its roster a Markdown table (Python-Markdown's
    `tables`), the rest as it is. Cells hold masked names, numbers and short words: nothing to escape but |."""

    def table(m: re.Match) -> str:
        rows = [[c.replace("|", "\\|") for c in _CELL.findall(r)] for r in _ROW.findall(m.group(1))]
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
        return "\n\n" + "\n".join(lines) + "\n\n"

    return _ROSTER.sub(table, page_html)


def stock_mkdocs(data: Path, work: Path, sample: int | None, tables: str = "markdown") -> tuple[float, int, int]:
    """Stock MkDocs + Material over the same pages as Markdown; returns (seconds, pages built, notice pages).
    `tables`: "markdown" (rosters as Markdown tables, as a stock site has them: the issue's baseline) or
    "html" (rosters as the HTML tables our pages hold, inside the Markdown: a stricter baseline)."""
    from generator.load import load
    from generator.mask import mask
    from generator.programs import all_programs
    from generator.publicity import decide
    from generator.render import render, search_words
    from generator.workdays import WorkCalendar

    today = dt.date.fromisoformat(TODAY)
    programs = all_programs()
    dataset, _ = load(data)
    decisions, _ = decide(dataset.notices, programs, today, WorkCalendar(dataset.holidays))
    public, _ = mask(dataset.notices, programs)
    rendered = render(dataset, public, decisions, programs, REPO / "templates", REPO / "content", today, False)
    ids = sorted(rendered.notices)
    chosen = ids if sample is None else ids[:: max(1, len(ids) // sample)][:sample] if sample else []
    docs = work / "docs"
    for rel, text in rendered.pages.items():
        if rel.endswith(".md"):
            (docs / rel).parent.mkdir(parents=True, exist_ok=True)
            (docs / rel).write_text(rendered.with_blocks(text), encoding="utf-8")
    (docs / "notices").mkdir(parents=True, exist_ok=True)
    for notice_id in chosen:  # the lists link notices by URL (HTML), so unsampled pages are simply absent
        page = rendered.notices[notice_id]
        (docs / "notices" / f"{notice_id}.md").write_text(
            f"---\ntitle: {json.dumps(page.title, ensure_ascii=False)}\nhide:\n  - toc\n---\n"
            f"{markdown_tables(page.html) if tables == 'markdown' else page.html}\n",
            encoding="utf-8")
    config = work / "mkdocs.yml"
    nav = json.dumps(rendered.nav, ensure_ascii=False)
    words = work / "words.txt"
    words.write_text("".join(f"{w} 100000 ns\n" for w in search_words(dataset, programs)), encoding="utf-8")
    text = (REPO / "mkdocs.yml").read_text(encoding="utf-8").replace("strict: true", "strict: false")
    text = text.replace("custom_dir: site_overrides", f"custom_dir: {REPO / 'site_overrides'}")
    text = text.replace("      lang: zh", f"      lang: zh\n      jieba_dict_user: {words}")
    config.write_text(text + f"\nnav: {nav}\nsite_url: {dataset.site.base_url}\n", encoding="utf-8")
    start = time.perf_counter()
    sh([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config), "-d", str(work / "site")],
       env={**os.environ, "SOURCE_DATE_EPOCH": "1798675200"})
    return time.perf_counter() - start, len(list(docs.rglob("*.md"))), len(chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=204)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--stock-sample", type=int, default=1000, help="notice pages in the stock MkDocs sample")
    parser.add_argument("--stock-all", action="store_true", help="stock MkDocs over every page (~6 min at 15,000)")
    parser.add_argument("--no-stock", action="store_true")
    parser.add_argument("--import-rows", type=int, default=20000)
    parser.add_argument("--pdfs", action="store_true", help="also make PDF copies (WeasyPrint, ~0.2 s each)")
    parser.add_argument("--no-check", action="store_true", help="skip the cold build that checks the incremental one")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; {uptime()}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data, site = tmp / "data", tmp / "site"
        from generator.demo import approval_text, write_demo

        start = time.perf_counter()
        stats = write_demo(data, args.villages, args.months)
        print(f"synthetic county: {stats.villages} villages x {args.months} months: {stats.notices} notices, "
              f"{stats.rows} roster rows ({time.perf_counter() - start:.1f} s to write)")

        if args.import_rows:
            done = sh([sys.executable, str(REPO / "bench" / "import_rows.py"), "--rows", str(args.import_rows)])
            print("import:", " | ".join(line.strip() for line in done.stdout.splitlines()[1:]))

        cold = build_once(data, site, args.pdfs)
        size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
        files = sum(1 for p in site.rglob("*") if p.is_file())
        print(f"full build (cold): {cold['seconds']:.1f} s (whole command {cold['command']:.1f} s), "
              f"{cold['pages']} pages, "
              f"{cold['pages'] / cold['seconds']:.0f} pages/s, peak {cold['peak_mb']} MB "
              f"(workers {cold['worker_peak_mb']} MB); site {size / 1e6:.0f} MB in {files} files "
              f"({size / cold['pages'] / 1e3:.1f} KB/page)  [{uptime()}]")
        print("  stages:", ", ".join(f"{k} {v:.1f}" for k, v in cold["stages"].items()))

        warm = build_once(data, site, args.pdfs)
        print(f"rebuild, nothing changed: {warm['seconds']:.1f} s (whole command {warm['command']:.1f} s)  stages: "
              + ", ".join(f"{k} {v:.1f}" for k, v in warm["stages"].items()))

        pending = stats.pending[0]
        new_id, text = approval_text(data, pending)
        (data / "notices" / f"{new_id}.yaml").write_text(text, encoding="utf-8")
        one = build_once(data, site, args.pdfs)
        print(f"one new approval ({new_id}): {one['seconds']:.1f} s (whole command {one['command']:.1f} s)  stages: "
              + ", ".join(f"{k} {v:.1f}" for k, v in one["stages"].items()) + f"  [{uptime()}]")
        village = new_id.split("-")[2]
        for where in ["archive/2026-12/index.html", "feed.xml", f"villages/990100{village}/index.html"]:
            found = f"notices/{new_id}/" in (site / where).read_text(encoding="utf-8")
            note = " (the feed lists the newest 50 by date)" if where == "feed.xml" and not found else ""
            print(f"  {where}: {'links the new notice' if found else 'does not list it'}{note}")
        # A clerk's approvals come one after another: the next one finds the pages of the build before it
        # settled (the build audit then need not read again the files it read then: audit.audit_memo).
        if len(stats.pending) > 1:
            next_id, text = approval_text(data, stats.pending[1])
            (data / "notices" / f"{next_id}.yaml").write_text(text, encoding="utf-8")
            two = build_once(data, site, args.pdfs)
            print(f"the next approval ({next_id}): {two['seconds']:.1f} s "
                  f"(whole command {two['command']:.1f} s)  stages: "
                  + ", ".join(f"{k} {v:.1f}" for k, v in two["stages"].items()) + f"  [{uptime()}]")
        if not args.no_check:
            check = tmp / "check" / "site"
            build_once(data, check, args.pdfs)
            a, b = tree(site), tree(check)
            same = a == b
            print(f"  incremental site == cold build of the same data: {same}"
                  + ("" if same else f" (differs: {sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))[:5]})"))

        if not args.no_stock:
            sample = None if args.stock_all else args.stock_sample
            others = None
            for tables in ("markdown", "html"):
                seconds, built, notices = stock_mkdocs(data, tmp / f"stock-{tables}", sample, tables)
                total_notices = cold["pages"] - (built - notices)
                what = ("rosters as Markdown tables, the issue's baseline" if tables == "markdown"
                        else "rosters as HTML tables inside the Markdown, a stricter baseline")
                if sample is None:
                    estimate = seconds
                    print(f"stock MkDocs + Material ({what}), same {built} pages: {seconds:.1f} s")
                else:
                    # Linear in notice pages (DESIGN §8: ~23 ms a page with a short nav); stubs cost little.
                    if others is None:
                        others = stock_mkdocs(data, tmp / "stock0", 0)[0] if notices else seconds
                    per_notice = (seconds - others) / notices
                    estimate = others + per_notice * total_notices
                    print(f"stock MkDocs + Material ({what}): {notices} sampled notice pages + {built - notices} "
                          f"other pages {seconds:.1f} s; without notice pages {others:.1f} s; "
                          f"{per_notice * 1000:.1f} ms per notice page; extrapolated to all {total_notices}: "
                          f"{estimate:.0f} s")
                print(f"  ratio stock MkDocs ({tables} tables) / our full build: {estimate / cold['seconds']:.1f}x; "
                      f"/ our build without validation and audit (render + site): "
                      f"{estimate / (cold['stages']['生成页面'] + cold['stages']['生成网站']):.1f}x")

        from rosters import people, write_csv

        persons = people(20000)
        roster = write_csv(tmp / "raw.csv", persons, "utf-8")
        patterns = tmp / "patterns.txt"
        patterns.write_text("".join(f"{p.name}\n{p.id_number}\n{p.phone}\n{p.address}\n" for p in persons),
                            encoding="utf-8")
        # Each twice, the faster counted: the first grep also pays for reading the site from disk.
        grep_s = audit_s = float("inf")
        for _ in range(2):
            start = time.perf_counter()
            subprocess.run(["grep", "-F", "-r", "-c", "-f", str(patterns), str(site)], capture_output=True)
            grep_s = min(grep_s, time.perf_counter() - start)
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "generator", "audit", str(site), "--raw", str(roster),
                                   "--data", str(data)], cwd=REPO, capture_output=True, text=True)
            audit_s = min(audit_s, time.perf_counter() - start)
        print(f"audit of the site (in the build: {cold['stages'].get('审计个人信息', 0):.1f} s); with a 20,000-person "
              f"raw roster (whole command, best of 2): {audit_s:.1f} s (exit {done.returncode}), grep -F (best of 2) "
              f"{grep_s:.2f} s, ratio {audit_s / grep_s:.1f}x  [{uptime()}]")


if __name__ == "__main__":
    main()
