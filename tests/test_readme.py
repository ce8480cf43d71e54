"""The README's first screen gives exactly two commands, and they are the ones the Makefile and CI run."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import PROJECT_PARTS, REPO

FIRST_SCREEN_LINES = 25


def first_screen_commands() -> list[str]:
    """Commands in the README before its first `---` rule, which must come within 25 lines."""
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    assert "---" in lines[:FIRST_SCREEN_LINES], "the quick start must end within the first screen"
    lines = lines[: lines.index("---")]
    blocks = re.findall(r"```sh\n(.*?)```", "\n".join(lines) + "\n", flags=re.S)
    return [c.strip() for block in blocks for c in block.splitlines() if c.strip()]


def test_first_screen_has_exactly_the_two_commands():
    assert first_screen_commands() == ["make site", "make test"]


def test_ci_runs_the_readme_test_command():
    ci = (REPO / ".ci/run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, flags=re.M)


def test_make_test_runs_pytest_after_setting_up():
    dry = subprocess.run(["make", "-n", "-B", "test"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert "-m venv .venv" in dry and "pip install" in dry and "-m pytest" in dry


def test_make_site_builds_the_demo_for_real(tmp_path):
    """Runs the real `make site` recipe in a copy, with this run's already-installed environment."""
    root = tmp_path / "clone"
    root.mkdir()
    for part in (*PROJECT_PARTS, "Makefile", "pyproject.toml"):
        (shutil.copytree if (REPO / part).is_dir() else shutil.copy2)(REPO / part, root / part)
    (root / ".venv").symlink_to(Path(sys.prefix))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    # -o: this environment is already set up (by `make test`), so skip the install step.
    done = subprocess.run(["make", "-o", ".venv/.installed", "site"], cwd=root, capture_output=True, text=True,
                          env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "make serve" in done.stdout
    assert (root / "site/index.html").is_file()
    assert "公示中" in (root / "site/notices/2026-11-25-taoyuan-gs/index.html").read_text(encoding="utf-8")


def test_documented_commands_and_options_exist():
    """Every `python -m generator <command> …` in the README names a real command and real options."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    documented = re.findall(r"python -m generator ([\w-]+)([^`\n|]*)", readme)
    assert {command for command, _ in documented} >= {"build", "audit", "import", "keygen"}
    helps = {}
    for command, rest in documented:
        if command not in helps:
            helps[command] = subprocess.run([sys.executable, "-m", "generator", command, "--help"], cwd=REPO,
                                            capture_output=True, text=True, check=True).stdout
        for option in re.findall(r"(--[a-z][a-z-]*)", rest):
            assert option in helps[command], f"{command} {option}"
