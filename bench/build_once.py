"""One build of a data folder, timed by stage; prints one JSON line. Used by bench/county.py.

    .venv/bin/python bench/build_once.py DATA OUT --today 2026-12-31 [--pdfs]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from generator.build import Paths, build  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--today", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--pdfs", action="store_true", help="make the PDF copies too (WeasyPrint)")
    args = parser.parse_args()
    stages: dict[str, float] = {}
    state = {"name": None, "at": time.perf_counter()}

    def progress(name: str) -> None:
        now = time.perf_counter()
        if state["name"]:
            stages[state["name"]] = round(now - state["at"], 3)
        state.update(name=name, at=now)

    start = time.perf_counter()
    result = build(Paths(args.data, REPO / "content", REPO / "templates", REPO / "mkdocs.yml", args.out), args.today,
                   progress, pdfs=args.pdfs)
    progress("")
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"seconds": round(seconds, 3), "pages": result.pages, "stages": stages,
                      "peak_mb": round(rss), "worker_peak_mb": round(workers)}, ensure_ascii=False))


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)  # as `python -m generator` ends (generator/__main__.py): the county's objects are not freed one by one
