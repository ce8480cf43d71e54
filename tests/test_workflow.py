"""The workflow for users' repositories (.github/workflows/publish.yml): valid for GitHub, and its steps,
run here as GitHub would run them, build and audit the site, put the masking report in the job summary
either way, and leave nothing to deploy when the audit fails."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import DEMO_TODAY, REPO, fake_id
from generator.programs import all_programs

WORKFLOW = REPO / ".github" / "workflows" / "publish.yml"


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def test_the_workflow_is_valid_for_github():
    # GitHub's workflow schema, as kept in check-jsonschema (no network).
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           str(WORKFLOW)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_workflow_runs_daily_and_deploys_only_after_a_clean_build():
    flow = workflow()
    triggers = flow.get("on", flow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers["push"]["branches"] == ["main"]
    minute, hour, *days = triggers["schedule"][0]["cron"].split()
    assert days == ["*", "*", "*"] and minute.isdigit() and hour.isdigit()  # every day: statuses change with the date
    assert flow["jobs"]["deploy"]["needs"] == "build"
    upload = next(s for s in flow["jobs"]["build"]["steps"] if s.get("uses", "").startswith("actions/upload-pages"))
    assert "always()" not in upload.get("if", "")  # skipped once the audit has failed


def run_build_job(project: Path, tmp_path: Path) -> tuple[list[tuple[str, int]], str]:
    """The build job's shell steps in `project`, as GitHub runs them: a step that fails skips the rest but
    for `if: always()`. Not run: the install (done) and the fetch of the live manifest (network)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, script in (("python", f'exec "{sys.executable}" "$@"'), ("date", f"echo {DEMO_TODAY}")):  # the demo's day
        (bin_dir / name).write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
        (bin_dir / name).chmod(0o755)
    summary = tmp_path / "summary.md"
    env = {k: v for k, v in os.environ.items() if k != "GENERATOR_DEBUG"}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", PYTHONPATH=str(REPO),
               GITHUB_STEP_SUMMARY=str(summary))
    ran, failed = [], False
    for step in workflow()["jobs"]["build"]["steps"]:
        if "run" not in step or step["name"] == "Install" or "curl" in step["run"]:
            continue
        if failed and "always()" not in step.get("if", ""):
            continue
        # GitHub's shell for `run` on Linux: bash --noprofile --norc -eo pipefail {0}
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=project,
                              env=env, capture_output=True, text=True, timeout=600)
        ran.append((step["name"], done.returncode))
        failed = failed or (done.returncode != 0 and not step.get("continue-on-error"))
    return ran, summary.read_text(encoding="utf-8") if summary.exists() else ""


def test_a_clean_project_is_built_audited_and_reported_in_the_job_summary(project, tmp_path):
    ran, summary = run_build_job(project, tmp_path)
    assert [code for _, code in ran] == [0] * len(ran) and len(ran) == 3, ran
    assert summary.count("# 脱敏审计报告") == 2 and summary.count("结论：**通过**") == 2
    assert all(summary.count(f"| {spec.title} |") == 2 for spec in all_programs().values())  # per program
    assert (project / "site" / "index.html").is_file()


@pytest.mark.parametrize("where", ["data", "content"])
def test_a_leak_fails_the_job_before_anything_is_built_and_the_summary_says_so_masked(project, tmp_path, where):
    raw_id = fake_id(321)
    if where == "data":  # a raw roster committed by mistake
        (project / "data" / "名单原件.csv").write_text(f"姓名,身份证号\n测试甲,{raw_id}\n", encoding="utf-8")
    else:  # a page of the site that would publish an ID number
        page = project / "content" / "about.md"
        page.write_text(page.read_text(encoding="utf-8") + f"\n联系人身份证 {raw_id}\n", encoding="utf-8")
    ran, summary = run_build_job(project, tmp_path)
    codes = dict(ran)
    if where == "data":
        assert codes["Audit data/ (a raw roster committed by mistake fails here)"] != 0
        assert not any(name.startswith("Build") for name in codes)  # skipped
    else:
        assert codes[next(n for n in codes if n.startswith("Build"))] != 0
    assert codes["Masking report"] == 0  # runs either way
    assert not (project / "site").exists()  # nothing to upload or deploy
    assert "# 网站没有生成，没有发布" in summary
    if where == "data":
        assert "结论：**未通过**" in summary and "生成步骤没有运行" in summary
        assert "生成或生成时的审计没有通过" not in summary  # it did not run: nothing of it to show
    else:  # the build's own audit, in its words
        assert "结论：**通过**" in summary and "身份证号" in summary.split("# 网站没有生成")[1]
        assert "生成步骤没有运行" not in summary
    assert raw_id not in summary and raw_id[-6:] not in summary
