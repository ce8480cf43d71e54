"""Audit speed against grep: the same files, the same raw values.

    .venv/bin/python bench/audit_vs_grep.py [--pages 2000] [--persons 20000] [--repeat 2]
    .venv/bin/python bench/audit_vs_grep.py --site SITE --data DATA   # a site already built (county size)

Builds the demo site, copies its notice pages until there are --pages of them (or takes --site),
writes a synthetic raw roster of --persons people, then times `grep -F -r -f patterns site/` (names,
ID numbers, phones and addresses as fixed strings) and `python -m generator audit site --raw
roster.csv --data DATA` (which also runs every detector, decodes entities and escapes, strips tags
and checks roster cells), one after the other, --repeat times. Prints both times, the ratio and the
machine's load (the machine is shared). A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from rosters import people, write_csv  # noqa: E402


def timed(cmd: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    return time.perf_counter() - start, done


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip().split("load average")[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--persons", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--site", type=Path, help="a site already built (its notice pages are not copied)")
    parser.add_argument("--data", type=Path, default=REPO / "data", help="the data folder passed to the audit")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        site = args.site.resolve() if args.site else tmp / "site"
        if not args.site:
            done = subprocess.run([sys.executable, "-m", "generator", "build", "--today", "2026-11-30", "--out",
                                   str(site)], cwd=REPO, capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(done.stderr)
            notices = sorted(p for p in (site / "notices").iterdir() if p.is_dir())
            copies = 0
            while len(list((site / "notices").iterdir())) < args.pages:
                for page in notices:
                    shutil.copytree(page, site / "notices" / f"{page.name}-copy{copies}")
                copies += 1
        files = sum(1 for p in site.rglob("*") if p.is_file())
        size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
        persons = people(args.persons)
        roster = write_csv(tmp / "raw.csv", persons, "utf-8")
        patterns = tmp / "patterns.txt"
        patterns.write_text("".join(f"{p.name}\n{p.id_number}\n{p.phone}\n{p.address}\n" for p in persons),
                            encoding="utf-8")
        print(f"site: {files} files, {size / 1e6:.1f} MB; patterns: {4 * args.persons}; data: {args.data}")
        for run in range(1, args.repeat + 1):
            grep_s, _ = timed(["grep", "-F", "-r", "-c", "-f", str(patterns), str(site)], tmp)
            audit_s, done = timed([sys.executable, "-m", "generator", "audit", str(site), "--raw", str(roster),
                                   "--data", str(args.data.resolve())], REPO)
            print(f"run {run}: grep -F -r -f {grep_s:6.2f} s; generator audit {audit_s:6.2f} s (exit {done.returncode}); "
                  f"ratio {audit_s / grep_s:5.2f}x  [load average{uptime()}]")


if __name__ == "__main__":
    main()
