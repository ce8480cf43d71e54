"""Import speed: write a synthetic N-row roster (xlsx and GBK csv), import each, print rows per second.

    .venv/bin/python bench/import_rows.py [--rows 100000]

Each import goes into a fresh copy of the demo data/ (loading a data/ that already holds county-size
rosters is a separate cost, measured with the build). A benchmark, not a test: read the numbers. All persons are synthetic (region 990100 does not exist).
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

from rosters import people, write_csv, write_workbook  # noqa: E402


def run(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        project = tmp / "project"
        project.mkdir()
        for part in ("data", "content", "templates", "site_overrides", "mkdocs.yml"):
            (shutil.copytree if (REPO / part).is_dir() else shutil.copy2)(REPO / part, project / part)
        key = tmp / "county.key"
        run([sys.executable, "-m", "generator", "keygen", "--out", str(key), "--project", str(project)], project)
        persons = people(args.rows)
        start = time.perf_counter()
        rosters = {"xlsx": write_workbook(tmp / "roster.xlsx", persons), "csv (GBK)": write_csv(tmp / "roster.csv", persons, "gbk")}
        print(f"wrote the two {args.rows}-row rosters in {time.perf_counter() - start:.1f} s (not timed below)")
        for label, roster in rosters.items():
            shutil.rmtree(project / "data")
            shutil.copytree(REPO / "data", project / "data")  # import into the demo data/, as a clerk would
            seconds = run([sys.executable, "-m", "generator", "import", str(roster), "--program", "dibao_rural",
                           "--division", "990100101203", "--kind", "publicity", "--start", "2026-12-01",
                           "--document-number", "bench", "--key-file", str(key), "--id", "bench"], project)
            print(f"{label:10s} {args.rows} rows  {seconds:6.1f} s  {args.rows / seconds:8.0f} rows/s (whole command)")


if __name__ == "__main__":
    main()
