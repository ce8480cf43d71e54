"""Shared fixtures. All personal data in tests is synthetic: ID numbers use the
non-existent region 990100 and get a valid check character computed here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.detect import id_check_char

REPO = Path(__file__).resolve().parent.parent
DEMO_TODAY = "2026-11-30"
PROJECT_PARTS = ("data", "content", "templates", "site_overrides", "mkdocs.yml")


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden from the demo data")


def fake_id(serial: int = 1, birth: str = "19500101") -> str:
    """A checksum-valid resident ID number in a region that does not exist."""
    first17 = f"990100{birth}{serial % 1000:03d}"
    return first17 + id_check_char(first17)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the demo project (data, content, templates, config) to change freely."""
    root = tmp_path / "project"
    root.mkdir()
    for part in PROJECT_PARTS:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, root / part)
        else:
            shutil.copy2(src, root / part)
    return root


def run_generator(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run the real command line, as a clerk would."""
    env = {k: v for k, v in os.environ.items() if k != "GENERATOR_DEBUG"}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True,
                          text=True, env=env, timeout=300)


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
