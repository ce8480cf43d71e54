"""Many counties, one site each, built in parallel: `python -m generator build-many`.

Each county is its own `python -m generator build` process (its own data/, output folder, cache and
atomic swap), so one county's problems never stop or touch another's site. Counties share content/,
templates/ and mkdocs.yml. A build already uses every core for its notice pages and audit; `jobs`
counties at a time keep the cores busy through each build's single-threaded stages.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CountyResult:
    name: str  # the county's folder name
    returncode: int
    seconds: float
    messages: str  # the build's own report (Chinese), for the clerk


def county_folders(province: Path) -> list[Path]:
    """Every folder under `province` that holds a county's data (a site.yaml), by name."""
    return sorted(p for p in province.iterdir() if p.is_dir() and (p / "site.yaml").is_file())


def build_many(counties: list[Path], out: Path, today: dt.date | None, jobs: int, content: Path, templates: Path,
               config: Path, on_done=lambda result: None) -> list[CountyResult]:
    """Build every county into out/<folder name>; returns the results in the counties' order."""
    out.mkdir(parents=True, exist_ok=True)

    def one(data: Path) -> CountyResult:
        cmd = [sys.executable, "-m", "generator", "build", "--data", str(data), "--content", str(content),
               "--templates", str(templates), "--config", str(config), "--out", str(out / data.name)]
        if today is not None:
            cmd += ["--today", today.isoformat()]
        start = time.monotonic()
        done = subprocess.run(cmd, capture_output=True, text=True)
        result = CountyResult(data.name, done.returncode, time.monotonic() - start, done.stderr.strip())
        on_done(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, counties))
