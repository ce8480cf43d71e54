"""Time each pipeline stage on a data folder (default: the demo county) and print the numbers.

    .venv/bin/python bench/stages.py [--data data] [--today 2026-11-30] [--repeat 3]

Prints seconds per stage (best of --repeat), pages built and pages per second.
A benchmark, not a test: this machine is shared, so read the numbers, don't assert them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from generator.audit import audit  # noqa: E402
from generator.load import load  # noqa: E402
from generator.mask import mask  # noqa: E402
from generator.programs import all_programs  # noqa: E402
from generator.publicity import decide  # noqa: E402
from generator.render import render  # noqa: E402
from generator.site import build_site  # noqa: E402
from generator.validate import validate  # noqa: E402


def run_once(data: Path, today: dt.date) -> tuple[dict[str, float], int]:
    times: dict[str, float] = {}

    def timed(name, fn, *args):
        start = time.perf_counter()
        value = fn(*args)
        times[name] = time.perf_counter() - start
        return value

    programs = all_programs()
    dataset, _ = timed("load", load, data)
    timed("validate", validate, dataset, programs)
    decisions, _ = timed("publicity", decide, dataset.notices, programs, today)
    public, _ = timed("mask", mask, dataset.notices, programs)
    rendered = timed("render", render, dataset, public, decisions, programs, REPO / "templates", REPO / "content", today)
    with tempfile.TemporaryDirectory() as work:
        site_dir, _ = timed("site", build_site, rendered, REPO / "mkdocs.yml", Path(work), dataset.site.title,
                            dataset.site.base_url, today)
        timed("audit", audit, site_dir)
    return times, len(rendered.pages) + len(rendered.notices)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "data")
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date(2026, 11, 30))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runs = [run_once(args.data, args.today) for _ in range(args.repeat)]
    pages = runs[0][1]
    best = {stage: min(r[0][stage] for r in runs) for stage in runs[0][0]}
    total = sum(best.values())
    for stage, seconds in best.items():
        print(f"{stage:10s} {seconds:8.3f} s  {seconds / total:6.1%}")
    print(f"{'total':10s} {total:8.3f} s")
    print(f"pages      {pages}")
    print(f"pages/s    {pages / total:.1f}")


if __name__ == "__main__":
    main()
