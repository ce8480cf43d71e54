"""The publicity rules as the clerk meets them: through `build`, its messages, and the explainer pages."""

import datetime as dt
import os
import shutil
import socket
import subprocess
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from conftest import DEMO_TODAY, run_generator, tree_bytes
from generator.load import load
from generator.programs import all_programs
from generator.sources import PERIOD_COUNTING, PERIOD_END
from generator.validate import validate

TAOYUAN = "data/notices/2026-11-25-taoyuan-gs.yaml"  # in publicity on the demo day, ends 2026-12-02


def edit(project: Path, rel: str, change) -> None:
    path = project / rel
    body = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(body)
    path.write_text(yaml.safe_dump(body, allow_unicode=True, sort_keys=False), encoding="utf-8")


def slugs(project: Path) -> list[str]:
    dataset, problems = load(project / "data")
    return [p.slug for p in problems + validate(dataset, all_programs())]


def test_the_demo_build_reports_the_late_decision_and_still_publishes_it(project):
    done = run_generator("build", "--today", DEMO_TODAY, cwd=project)
    assert done.returncode == 0, done.stderr
    assert "警告 [disclosure-overdue] data/notices/2026-11-24-sgs-cf.yaml" in done.stderr
    assert "应在2026年11月18日前上网公开" in done.stderr
    assert (project / "site/notices/2026-11-24-sgs-cf/index.html").is_file()


@pytest.mark.parametrize(
    ("how", "slug"),
    [(lambda p: (p / TAOYUAN).unlink(), "withdrawn-during-publicity"),
     (lambda p: edit(p, TAOYUAN, lambda b: b["roster"].pop()), "changed-during-publicity"),
     (lambda p: edit(p, TAOYUAN, lambda b: b.update(document_number="东政民公〔2026〕99号")), "changed-during-publicity")],
)
def test_a_running_publicity_may_not_vanish_or_change(project, how, slug):
    assert run_generator("build", "--today", DEMO_TODAY, cwd=project).returncode == 0
    before = tree_bytes(project / "site")
    how(project)
    done = run_generator("build", "--today", "2026-12-01", cwd=project)
    assert done.returncode == 1
    assert f"[{slug}] data/notices/2026-11-25-taoyuan-gs.yaml" in done.stderr
    assert "依据：《最低生活保障审核确认办法》（民发〔2021〕57号）第十九条（公示期7天）" in done.stderr
    assert tree_bytes(project / "site") == before
    # once its period has ended, the 公示 is history: a later build no longer holds it in place
    assert run_generator("build", "--today", "2026-12-03", cwd=project).returncode == 0


def write_2027_notice(project: Path) -> None:
    source = project / "data/notices/2026-11-27-songlin-gs.yaml"
    body = yaml.safe_load(source.read_text(encoding="utf-8"))
    body["publicity_start"] = dt.date(2026, 12, 28)  # day 7 is 2027-01-04
    (project / "data/notices/2026-12-28-songlin-gs.yaml").write_text(
        yaml.safe_dump(body, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_a_period_in_an_uncovered_year_fails_naming_the_year_and_the_file(project):
    write_2027_notice(project)
    done = run_generator("build", "--today", "2026-12-29", cwd=project)
    assert done.returncode == 1
    assert "[calendar-year-missing]" in done.stderr and "data/holidays/2027.yaml" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_holiday_file_for_the_year_lets_the_build_go_on(project):
    write_2027_notice(project)
    (project / "data/holidays").mkdir()
    # A made-up arrangement for this test only, not the State Council's 2027 one.
    (project / "data/holidays/2027.yaml").write_text(
        "year: 2027\nsource: 测试用虚构安排\nholidays:\n  - {name: 元旦, start: 2027-01-01, end: 2027-01-04}\n"
        "workdays: [2027-01-09]\n", encoding="utf-8")
    done = run_generator("build", "--today", "2026-12-29", cwd=project)
    assert done.returncode == 0, done.stderr
    html = (project / "site/notices/2026-12-28-songlin-gs/index.html").read_text(encoding="utf-8")
    assert "2027年1月5日" in html and "顺延" in html  # day 7 (01-04) is off in the file


@pytest.mark.parametrize(
    ("content", "slug"),
    [("year: 2026\nsource: x\nholidays: []\n", "bad-holiday-year"),
     ("year: 2027\nsource: x\nholidays:\n  - {name: a, start: 2027-02-10, end: 2027-02-01}\n", "bad-holiday-range"),
     ("year: 2027\nsource: x\nholidays: []\nworkdays: [2026-11-28]\n", "bad-workday"),
     ("year: 2027\nsource: x\nholidays: []\nworkdays: 2027-02-06\n", None),  # a lone date is read as a list
     ("[2027]\n", "bad-shape"),
     ("year: 2027\nholidays: []\n", "missing-field")],
)
def test_holiday_file_mistakes(project, content, slug):
    (project / "data/holidays").mkdir()
    (project / "data/holidays/2027.yaml").write_text(content, encoding="utf-8")
    if slug is None:
        assert not [s for s in slugs(project) if "holiday" in s or "workday" in s]
    else:
        assert slug in slugs(project)


def test_a_years_file_may_move_days_in_the_previous_december(project):
    """Like the 2019 arrangement, which moved 2018-12-29 and 2018-12-31."""
    from generator.workdays import WorkCalendar

    (project / "data/holidays").mkdir()
    (project / "data/holidays/2027.yaml").write_text(
        "year: 2027\nsource: 测试用虚构安排\nholidays:\n  - {name: 元旦, start: 2026-12-31, end: 2027-01-02}\n"
        "workdays: [2026-12-27]\n", encoding="utf-8")
    dataset, problems = load(project / "data")
    assert problems == []
    calendar = WorkCalendar(dataset.holidays)
    assert not calendar.is_workday(dt.date(2026, 12, 31))  # a Thursday, off by the 2027 file
    assert calendar.is_workday(dt.date(2026, 12, 27))  # a Sunday, worked by the 2027 file
    assert calendar.is_workday(dt.date(2026, 12, 30))  # untouched: still the library's answer


@pytest.mark.parametrize(
    ("rel", "change", "slug"),
    [("data/notices/2026-11-20-donghu-ls-sh.yaml", lambda b: b["roster"][0].update(aid_type="支出型"),
      "post-hoc-not-emergency"),
     ("data/notices/2026-11-20-donghu-ls-sh.yaml", lambda b: b.update(post_hoc_reason="想先发"), "bad-post-hoc-reason"),
     ("data/notices/2026-11-23-liuxi-gb.yaml", lambda b: b.update(post_hoc_reason="意外事故"), "post-hoc-not-allowed"),
     (TAOYUAN, lambda b: b.update(kind="termination", effective_on=dt.date(2026, 12, 10)), "kind-not-allowed"),
     (TAOYUAN, lambda b: b["objections"][0].update(row=99), "bad-objection-row"),
     (TAOYUAN, lambda b: b["objections"][0].update(outcome="maybe"), "bad-objection-outcome"),
     (TAOYUAN, lambda b: b["objections"][0].update(raised_on=dt.date(2026, 11, 1)), "objection-before-publicity"),
     (TAOYUAN, lambda b: b["objections"][0].pop("outcome"), "missing-field"),
     ("data/notices/2026-11-25-sgs-xk.yaml", lambda b: b.update(division="990100101201"), "unknown-division")],
)
def test_rule_fields_are_validated(project, rel, change, slug):
    edit(project, rel, change)
    assert slug in slugs(project)


def test_an_unresolved_objection_blocks_the_result_through_build(project):
    edit(project, "data/notices/2026-11-10-liuxi-gs.yaml",
         lambda b: b.update(objections=[{"row": 1, "raised_on": dt.date(2026, 11, 12)}]))
    done = run_generator("build", "--today", DEMO_TODAY, cwd=project)
    assert done.returncode == 1
    assert "[objection-unresolved] data/notices/2026-11-23-liuxi-gb.yaml" in done.stderr


def test_every_rule_is_cited_on_its_programs_explainer(tmp_path_factory):
    """Non-negotiable 6: each source a program's rules cite appears on that program's explainer page."""
    from conftest import PROJECT_PARTS, REPO

    root = tmp_path_factory.mktemp("explainers")
    for part in PROJECT_PARTS:
        (shutil.copytree if (REPO / part).is_dir() else shutil.copy2)(REPO / part, root / part)
    assert run_generator("build", "--today", DEMO_TODAY, cwd=root).returncode == 0
    for code, spec in all_programs().items():
        page = root / "site/explainers" / spec.explainer / "index.html"
        assert page.is_file(), f"{code} has no explainer page content/explainers/{spec.explainer}.md"
        html = page.read_text(encoding="utf-8")
        cited = spec.sources() + ([PERIOD_COUNTING, PERIOD_END] if spec.publicity else [])
        for source in cited:
            assert source.cite() in html, f"{code}: {source.cite()} missing from its explainer"


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(not chromium() and not os.environ.get("CI"), reason="Chromium is installed by .ci/run")
def test_the_status_script_updates_a_page_read_after_its_period(project):
    """Built for 2026-11-20, read on the real (later) day: 公示中 must read 公示期满."""
    assert chromium(), "CI must install Debian's chromium (see .ci/run)"
    assert run_generator("build", "--today", "2026-11-20", cwd=project).returncode == 0
    handler = partial(SimpleHTTPRequestHandler, directory=str(project / "site"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        dom = subprocess.run(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={project / 'chromium-profile'}", "--dump-dom",
             f"http://127.0.0.1:{port}/notices/2026-11-16-xinghua-gs/"],
            capture_output=True, text=True, timeout=120).stdout
    finally:
        server.shutdown()
    static = (project / "site/notices/2026-11-16-xinghua-gs/index.html").read_text(encoding="utf-8")
    assert 'data-last-day="2026-11-23">公示中<' in static  # as built
    assert dt.date.today() > dt.date(2026, 11, 23)
    assert 'data-last-day="2026-11-23">公示期满<' in dom  # as read
    assert "截至2026年11月20日" not in dom


def test_de_facto_orphans_are_never_posted(project):
    """Non-negotiable 2: 民发〔2019〕62号 — no 公示 for 事实无人抚养儿童; the build refuses and says why."""
    write_notice = project / "data/notices/2026-11-28-taoyuan-ch.yaml"
    write_notice.write_text(
        "program: de_facto_orphans\nkind: result\ndivision: '990100101201'\nissuer: 示范县民政局\n"
        "document_number: x\napproved_on: 2026-11-20\npublished_on: 2026-11-28\n"
        "roster:\n- {person_key: '" + "c" * 64 + "', name: 测*}\n", encoding="utf-8")
    assert run_generator("build", "--today", DEMO_TODAY, "--out", "before", cwd=project).returncode == 1
    done = run_generator("build", "--today", DEMO_TODAY, cwd=project)
    assert done.returncode == 1
    assert "[never-posted] data/notices/2026-11-28-taoyuan-ch.yaml" in done.stderr
    assert "民发〔2019〕62号" in done.stderr and not (project / "site").exists()


def test_importing_a_de_facto_orphans_roster_is_refused_before_reading_it(project, tmp_path):
    done = run_generator("import", str(tmp_path / "never-opened.xlsx"), "--program", "de_facto_orphans", "--division",
                         "990100101201", "--kind", "result", "--start", "2026-12-01", "--document-number", "x",
                         cwd=project)
    assert done.returncode == 1 and "[never-posted]" in done.stderr
    assert "找不到文件" not in done.stderr  # refused before the roster was even looked for


def test_a_running_publicity_broken_by_a_typo_is_reported_as_broken_not_as_deleted(project):
    assert run_generator("build", "--today", DEMO_TODAY, cwd=project).returncode == 0
    before = tree_bytes(project / "site")
    path = project / TAOYUAN
    path.write_text(path.read_text(encoding="utf-8").replace("publicity_start: 2026-11-25", "publicity_start: 2026.11.25"),
                    encoding="utf-8")
    done = run_generator("build", "--today", "2026-12-01", cwd=project)
    assert done.returncode == 1 and "[bad-date] data/notices/2026-11-25-taoyuan-gs.yaml" in done.stderr
    assert "withdrawn-during-publicity" not in done.stderr  # the file is there: "restore it" would mislead
    assert "共 1 个错误" in done.stderr
    assert tree_bytes(project / "site") == before


def test_the_failure_summary_counts_errors_and_warnings_apart_and_says_where_data_is(project, tmp_path):
    elsewhere = tmp_path / "county-data"
    shutil.copytree(project / "data", elsewhere)
    (elsewhere / "notices" / "2026-11-25-taoyuan-gs.yaml").write_text("program: [\n", encoding="utf-8")
    done = run_generator("build", "--today", DEMO_TODAY, "--data", str(elsewhere), cwd=project)
    assert done.returncode == 1
    assert "共 1 个错误（另有 1 条警告）" in done.stderr  # the demo's one disclosure-overdue warning
    assert f"指的是 {elsewhere.resolve()} 中的文件" in done.stderr


def test_building_outside_the_project_folder_says_so_instead_of_an_internal_error(project, tmp_path):
    done = run_generator("build", "--today", DEMO_TODAY, "--data", str(project / "data"), "--out", str(tmp_path / "site"),
                         cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr and "内部错误" not in done.stderr
    assert "找不到页面模板目录“templates”" in done.stderr and "请先进入项目目录" in done.stderr
    assert not (tmp_path / "site").exists()


def test_a_notice_not_due_yet_in_an_uncovered_year_is_a_warning_and_stays_off_the_site(project):
    """A clerk's review: a 公示 scheduled weeks ahead stopped every daily rebuild until the holiday file came."""
    write_2027_notice(project)
    done = run_generator("build", "--today", DEMO_TODAY, cwd=project)
    assert done.returncode == 0, done.stderr
    assert "警告 [calendar-year-missing]" in done.stderr and "data/holidays/2027.yaml" in done.stderr
    assert not (project / "site/notices/2026-12-28-songlin-gs").exists()
