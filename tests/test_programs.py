"""Every program in the county report, each through its spec: its demo page, its masking, its
validation errors and its publicity rule. The minors' programs never show a row about a child."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_generator
from generator.load import load
from generator.mask import HIDDEN, WITHHELD, mask, suppress_small_counts
from generator.masking_report import masking_report
from generator.programs import all_programs
from generator.publicity import decide
from generator.report import Severity
from test_validate import edit_notice, problems_of, set_row

DEMO_TODAY = "2026-11-30"
OLD_AGE_GS = "data/notices/2026-11-12-qingshi-gl-gs.yaml"
OLD_AGE_GB = "data/notices/2026-11-23-qingshi-gl-gb.yaml"
ORPHANS = "data/notices/2026-11-10-county-ge-gk.yaml"
FUNERAL = "data/notices/2026-11-18-baiyun-bz-gb.yaml"
ORGS = "data/notices/2026-07-15-county-nj-gk.yaml"
PENALTIES = "data/notices/2026-11-24-sgs-cf.yaml"
AID_RESULT = "data/notices/2026-11-20-donghu-ls-sh.yaml"
AID_PUBLICITY = "data/notices/2026-11-26-hexi-ls-gs.yaml"


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory) -> Path:
    from conftest import PROJECT_PARTS, REPO

    root = tmp_path_factory.mktemp("programs")
    for part in PROJECT_PARTS:
        (shutil.copytree if (REPO / part).is_dir() else shutil.copy2)(REPO / part, root / part)
    done = run_generator("build", "--today", DEMO_TODAY, cwd=root)
    assert done.returncode == 0, done.stderr
    return root / "site"


def page(site: Path, notice: str) -> str:
    return (site / "notices" / Path(notice).stem / "index.html").read_text(encoding="utf-8")


def headers(html: str) -> list[str]:
    return re.findall(r'<th scope="col">([^<]+)</th>', html)


def test_every_program_with_pages_has_demo_data_on_the_site(demo_site):
    """The demo county shows every program the tool can publish (issue: 'Done when')."""
    shown = set()
    for path in (demo_site / "notices").iterdir():
        match = re.search(r'data-program="([a-z_]+)"', (path / "index.html").read_text(encoding="utf-8"))
        if match:
            shown.add(match.group(1))
    publishable = {code for code, spec in all_programs().items() if not spec.never_posted}
    assert publishable <= shown, f"no demo page for: {sorted(publishable - shown)}"


@pytest.mark.parametrize("code", sorted(c for c, s in all_programs().items() if not s.never_posted))
def test_every_program_has_an_explainer_with_its_sources(demo_site, code):
    spec = all_programs()[code]
    html = (demo_site / "explainers" / spec.explainer / "index.html").read_text(encoding="utf-8")
    for source in spec.sources():
        assert source.document in html and source.article in html, source.cite()


def test_old_age_allowance_shows_the_age_band_never_a_birth_date(demo_site):
    html = page(demo_site, OLD_AGE_GB)
    assert headers(html) == ["序号", "组", "姓名", "年龄段", "月补贴金额（元）"]
    assert "90—99周岁" in html and "100.00" in html
    assert not re.search(r"出生|19[0-9]{2}年[0-9]{1,2}月", html.split('id="roster"')[1].split("</table>")[0])


def test_funeral_aid_is_published_after_approval_without_a_prior_publicity(demo_site):
    html = page(demo_site, FUNERAL)
    assert headers(html) == ["序号", "组", "逝者姓名", "补助项目", "补助金额（元）"]
    assert "已公布" in html and "公示期" not in html.split('id="roster"')[0]
    assert "1200.00" in html and re.search(r"<td>邓\*\*</td>", html)


def test_social_organizations_are_named_in_full(demo_site):
    html = page(demo_site, ORGS)
    assert headers(html) == ["序号", "社会组织名称", "类型", "年检年度", "年检结论"]
    assert "示范县书法家协会（虚构）" in html and "<td>基本合格</td>" in html and "<td>不合格</td>" in html


def test_a_natural_person_in_a_penalty_is_masked_an_organization_is_not(demo_site):
    html = page(demo_site, PENALTIES)
    assert "<td>自然人</td><td>赵**</td>" in html
    assert "<td>法人及其他组织</td><td>示范县某某公益协会（虚构）</td>" in html


def test_orphans_are_counts_per_village_with_small_counts_suppressed(demo_site):
    html = page(demo_site, ORPHANS)
    table = html.split('id="roster"')[1].split("</table>")[0]
    assert headers(html) == ["乡镇（街道）", "村（社区）", "社会散居孤儿（人）", "机构集中供养孤儿（人）"]
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1])
    cells = [re.findall(r"<td[^>]*>([^<]*)</td>", r) for r in rows]
    taoyuan = next(c for c in cells if c[1:2] == ["桃源村"])
    assert taoyuan[3] == "&lt;3" and len(taoyuan) == 4  # 4 and 1: the 1 is small; no village total
    for c in cells:
        for value in c[2:]:
            assert value in ("0", HIDDEN, WITHHELD, "&lt;3") or int(value) >= 3, c
    # Not one row about a child: no names, masked or not, anywhere on the page.
    assert not re.search(r"[\u4e00-\u9fff]\*", html)


def test_the_orphan_page_shows_what_suppression_gives_for_the_demo_counts(demo_site, project):
    dataset, _ = load(project / "data")
    notice = next(n for n in dataset.notices if n.program == "orphan_allowance")
    grid = [[r.fields["dispersed"], r.fields["institutional"]] for r in notice.roster]
    cells, column_totals, grand = suppress_small_counts(grid, 3)
    html = page(demo_site, ORPHANS)
    table = html.split('id="roster"')[1].split("</table>")[0]
    shown = [[v.replace("&lt;", "<") for v in re.findall(r'<td class="num">([^<]*)</td>', r)]
             for r in re.findall(r"<tr[^>]*>(.*?)</tr>", table)]
    assert [r for r in shown if r] == cells + [column_totals]
    assert f"总计：{grand} 人" in html if grand.isdigit() else "总计：不公开" in html
    assert_nothing_pinned(grid, 3)


def assert_nothing_pinned(grid: list[list[int]], threshold: int, star_max: int = 9) -> None:
    """Brute force, independent of the linear programs: among the tables a reader could believe (each
    "<3" 1 or 2, each "*" from 3 to `star_max`, every shown number as shown), each "<3" takes two values.
    A narrower range for "*" than the reader's only makes a count easier to pin, so passing here is enough."""
    import itertools

    cells, column_totals, grand = suppress_small_counts(grid, threshold)
    n, m = len(grid), len(grid[0])
    hidden = [(i, j) for i in range(n) for j in range(m) if cells[i][j] in ("<3", HIDDEN)]
    choices = [range(1, threshold) if cells[i][j] == "<3" else range(threshold, star_max + 1) for i, j in hidden]
    for i in range(n):
        for j in range(m):
            if 0 < grid[i][j] < threshold:
                assert cells[i][j] == "<3"

    def fits(shown: str, value: int) -> bool:
        if shown == "<3":
            return 0 < value < threshold
        if shown == HIDDEN:
            return value >= threshold
        if shown == WITHHELD:
            return True
        return str(value) == shown

    seen: dict[tuple[int, int], set[int]] = {p: set() for p in hidden if cells[p[0]][p[1]] == "<3"}
    for values in itertools.product(*choices):
        table = [list(r) for r in grid]
        for (i, j), v in zip(hidden, values):
            table[i][j] = v
        ok = all(fits(column_totals[j], sum(table[i][j] for i in range(n))) for j in range(m))
        if ok and fits(grand, sum(map(sum, table))):
            for p in seen:
                seen[p].add(table[p[0]][p[1]])
    assert all(len(values) >= 2 for values in seen.values()), (grid, cells, column_totals, grand, seen)


@settings(max_examples=120, deadline=None)
@given(st.lists(st.lists(st.integers(0, 5), min_size=2, max_size=2), min_size=1, max_size=4))
def test_no_suppressed_small_count_can_be_worked_out(grid):
    assert_nothing_pinned(grid, 3)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 5), min_size=1, max_size=1), min_size=1, max_size=5))
def test_no_suppressed_small_count_can_be_worked_out_with_one_column(grid):
    assert_nothing_pinned(grid, 3)


@pytest.mark.parametrize("grid", [[[5], [2], [2]], [[2, 4], [2, 5], [0, 0]], [[4, 0], [2, 4]], [[2, 5], [4, 6], [0, 7]],
                                  [[1, 1]], [[1], [1]]])
def test_tables_that_leaked_with_line_by_line_suppression(grid):
    """Found in review: each hid no line's only unknown, yet the totals gave a "<3" away."""
    assert_nothing_pinned(grid, 3)


def test_no_village_gets_a_total_of_its_own_and_one_column_no_grand_total(project):
    """A village's total beside its "<3" would give the "<3" away; with one count column the grand total
    is the column's total, shown once."""
    import dataclasses

    dataset, _ = load(project / "data")
    specs = dict(all_programs())
    notice = next(n for n in dataset.notices if n.program == "orphan_allowance")
    public, _ = mask([notice], specs)
    assert all(set(row) == {"village", "dispersed", "institutional"} for row in public[0].rows)
    assert set(public[0].totals) == {"dispersed", "institutional", "grand_total"}
    one = dataclasses.replace(specs["orphan_allowance"], fields=specs["orphan_allowance"].fields[:2])
    public, _ = mask([notice], {**specs, "orphan_allowance": one})
    assert set(public[0].totals) == {"dispersed"}


@pytest.mark.parametrize(
    ("notice", "change", "slug", "column"),
    [
        (OLD_AGE_GS, set_row("age_band", "75—79周岁"), "not-a-choice", "age_band"),
        (OLD_AGE_GS, set_row("monthly_amount", 100.0, index=0), "amount-above-standard", "monthly_amount"),  # 80—89: 50
        (OLD_AGE_GS, set_row("birth_date", "1940-01-01"), "field-not-allowed", "birth_date"),
        (ORPHANS, set_row("name", "张**"), "field-not-allowed", "name"),
        (ORPHANS, set_row("person_key", "ab" * 32), "person-in-aggregate", "person_key"),
        (ORPHANS, set_row("dispersed", -1), "not-a-count", "dispersed"),
        (ORPHANS, set_row("village", "990100999999"), "unknown-division", "village"),
        (ORPHANS, lambda b: b["roster"].append(dict(b["roster"][0])), "duplicate-village", "village"),
        (FUNERAL, set_row("amount", 1600.0), "amount-above-standard", "amount"),
        (FUNERAL, set_row("aid_item", "丧葬补助金"), "not-a-choice", "aid_item"),
        (ORGS, set_row("result", "优秀"), "not-a-choice", "result"),
        (PENALTIES, set_row("party", "赵测试", index=1), "name-not-masked", "party"),
        (PENALTIES, set_row("party_type", "个人"), "not-a-choice", "party_type"),
        (AID_RESULT, set_row("amount", 2500.0), "amount-above-standard", "amount"),
    ],
)
def test_each_programs_validation_errors(project, notice, change, slug, column):
    edit_notice(project, change, notice)
    found = [(p.slug, p.column, p.file) for p in problems_of(project)]
    assert (slug, column, notice) in found, found


def test_the_township_limit_binds_only_what_a_township_approves(project):
    # The county may approve above the township's limit ...
    edit_notice(project, lambda b: (set_row("amount", 2500.0)(b), b.update(issuer="示范县民政局")), AID_RESULT)
    assert problems_of(project) == []
    # ... and a township may post the 公示 of a case the county will approve.
    edit_notice(project, set_row("amount", 3000.0), AID_PUBLICITY)
    assert problems_of(project) == []


def test_the_township_limit_message_says_who_approves(project):
    edit_notice(project, set_row("amount", 2500.0), AID_RESULT)
    [problem] = [p for p in problems_of(project) if p.slug == "amount-above-standard"]
    assert "超过乡镇（街道）审批权限 2000 元/人·次" in problem.message and "县民政局审批" in problem.message
    assert "《示范县临时救助实施细则》" in problem.message


@pytest.mark.parametrize("code", sorted(c for c, s in all_programs().items() if s.publicity))
def test_a_result_approved_before_its_publicity_ended_is_blocked_in_every_program(project, code):
    """The 7-day rule, for each program with a 公示: a 公布 approved on the period's last day is refused."""
    dataset, _ = load(project / "data")
    spec = all_programs()[code]
    from generator.model import Notice, NoticeKind, Provenance, RosterRow

    posted = dt.date(2026, 11, 2)  # a Monday: the period ends 2026-11-09, a Monday too
    row = RosterRow("ab" * 32, {}, Provenance("data/notices/x.yaml", 9))
    publicity = Notice("2026-11-02-x-gs", code, NoticeKind.PUBLICITY, "990100101201", "示范县东湖镇人民政府", "文号",
                       posted, None, None, (row,), Provenance("data/notices/2026-11-02-x-gs.yaml", 1))
    result = Notice("2026-11-10-x-gb", code, NoticeKind.RESULT, "990100101201", "示范县民政局", "文号",
                    dt.date(2026, 11, 10), publicity.id, dt.date(2026, 11, 9), (row,),
                    Provenance("data/notices/2026-11-10-x-gb.yaml", 1))
    decisions, problems = decide([publicity, result], all_programs(), dt.date(2026, 11, 30))
    assert decisions[result.id].status.value == "blocked"
    assert "publicity-not-completed" in [p.slug for p in problems]
    on_time = Notice(**{**result.__dict__, "approved_on": dt.date(2026, 11, 10)})
    decisions, problems = decide([publicity, on_time], all_programs(), dt.date(2026, 11, 30))
    assert decisions[result.id].status.value == "published", problems


def test_a_funeral_aid_result_waits_for_its_publication_day(project):
    dataset, _ = load(project / "data")
    notice = next(n for n in dataset.notices if n.program == "funeral_aid")
    decisions, problems = decide([notice], all_programs(), notice.start - dt.timedelta(days=1))
    assert decisions[notice.id].status.value == "scheduled" and problems == []
    decisions, _ = decide([notice], all_programs(), notice.start)
    assert decisions[notice.id].status.value == "published"


def test_the_masking_report_has_a_row_for_every_program(project):
    dataset, _ = load(project / "data")
    report = masking_report([], "site", all_programs(), dataset)
    for spec in all_programs().values():
        assert f"| {spec.title} |" in report
    assert "个人名单（只公开汇总人数）" in report and "自然人：只保留姓氏" in report


def test_an_orphan_roster_is_never_imported(project, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("姓名,身份证号\n测试甲乙,x\n", encoding="utf-8")
    done = run_generator("import", str(roster), "--program", "orphan_allowance", "--kind", "result",
                         "--division", "990100000000", "--document-number", "x", "--start", "2026-11-30",
                         "--approved-on", "2026-11-30", cwd=project)
    assert done.returncode == 1 and "aggregate-only" in done.stderr and "测试甲乙" not in done.stderr + done.stdout
    assert not any("orphan" in p.read_text(encoding="utf-8") for p in (project / "data/notices").glob("2026-11-30*"))


# -- 高龄补贴 on import: the age band comes from the ID's birth date; the birth date is never written ---------

from test_import import clerk  # noqa: E402,F401 - a fixture: the project, a key file, rosters outside it


def _elderly_csv(path: Path, rows: list[tuple[str, str, str, str | None]]) -> Path:
    header = "组,姓名,身份证号,月补贴金额（元）" + (",年龄段" if rows[0][4] is not None else "")
    lines = [header] + [",".join(v for v in row if v is not None) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _import_elderly(clerk, roster: Path):
    return run_generator("import", str(roster), "--program", "old_age_allowance", "--division", "990100201203",
                         "--kind", "publicity", "--start", "2026-12-01", "--document-number", "西政民公〔2026〕40号",
                         "--key-file", str(clerk["key"]), cwd=clerk["project"])


def test_old_age_import_derives_the_band_and_never_writes_the_birth_date(clerk):
    from conftest import fake_id

    roster = _elderly_csv(clerk["dir"] / "高龄.csv", [("一组", "测试甲", fake_id(1, "19400101"), "50", None),
                                                      ("二组", "测试乙", fake_id(2, "19310601"), "100", None)])
    done = _import_elderly(clerk, roster)
    assert done.returncode == 0, done.stderr
    text = (clerk["project"] / "data/notices/2026-12-01-990100201203-gs.yaml").read_text(encoding="utf-8")
    import yaml

    rows = yaml.safe_load(text)["roster"]
    assert [r["age_band"] for r in rows] == ["80—89周岁", "90—99周岁"]
    assert "1940" not in text and "1931" not in text and "测试甲" not in text


def test_old_age_import_checks_the_band_and_the_age_against_the_id(clerk):
    from conftest import fake_id

    roster = _elderly_csv(clerk["dir"] / "高龄.csv", [("一组", "测试甲", fake_id(1, "19400101"), "50", "90—99周岁"),
                                                      ("二组", "测试乙", fake_id(2, "19600101"), "50", "80—89周岁")])
    done = _import_elderly(clerk, roster)
    assert done.returncode == 1
    assert "第2行" in done.stderr and "[age-band-mismatch]" in done.stderr and "应为“80—89周岁”" in done.stderr
    assert "第3行" in done.stderr and "[age-out-of-range]" in done.stderr and "80—99周岁" in done.stderr
    assert "1960" not in done.stderr and "测试乙" not in done.stderr
    assert not (clerk["project"] / "data/notices/2026-12-01-990100201203-gs.yaml").exists()


def test_the_audit_checks_every_programs_name_column(demo_site, tmp_path):
    """逝者姓名 and a 双公示 party who is a natural person are name columns; an organization is not."""
    from generator.audit import audit

    site = tmp_path / "site"
    shutil.copytree(demo_site, site)
    assert [f for f in audit(site) if f.kind == "unmasked-name"] == []
    funeral = site / "notices" / Path(FUNERAL).stem / "index.html"
    funeral.write_text(funeral.read_text(encoding="utf-8").replace("<td>邓**</td>", "<td>邓测试</td>"), encoding="utf-8")
    penalties = site / "notices" / Path(PENALTIES).stem / "index.html"
    penalties.write_text(penalties.read_text(encoding="utf-8").replace("<td>赵**</td>", "<td>赵测试</td>"),
                         encoding="utf-8")
    found = [(f.file, f.excerpt) for f in audit(site) if f.kind == "unmasked-name"]
    assert sorted(found) == sorted([(f"notices/{Path(FUNERAL).stem}/index.html", "邓**"),
                                    (f"notices/{Path(PENALTIES).stem}/index.html", "赵**")])


def test_audit_data_finds_an_unmasked_natural_person_in_a_penalty(project):
    edit_notice(project, set_row("party", "赵测试", index=1), PENALTIES)
    done = run_generator("audit", "data", cwd=project)
    assert done.returncode == 1 and "未脱敏" in done.stdout + done.stderr and "赵测试" not in done.stdout + done.stderr


def test_a_temporary_aid_result_imported_without_issuer_is_a_townships_and_meets_its_limit(clerk):
    from conftest import fake_id

    roster = clerk["dir"] / "临时救助.csv"
    roster.write_text("组,姓名,身份证号,救助类型,救助事由,救助金额\n"
                      f"一组,测试甲,{fake_id(3, '19700101')},支出型,重大疾病支出,2500\n", encoding="utf-8")
    common = ("import", str(roster), "--program", "temporary_aid", "--division", "990100001004",
              "--key-file", str(clerk["key"]))
    done = run_generator(*common, "--kind", "publicity", "--start", "2026-12-01", "--document-number", "南办民公〔2026〕30号",
                         "--id", "2026-12-01-hexi-ls-gs", cwd=clerk["project"])
    assert done.returncode == 0, done.stderr  # a township may post the 公示 of a case the county will approve
    result = (*common, "--kind", "result", "--start", "2026-12-10", "--approved-on", "2026-12-09",
              "--document-number", "示民发〔2026〕60号", "--publicity", "2026-12-01-hexi-ls-gs")
    done = run_generator(*result, cwd=clerk["project"])
    assert done.returncode == 1 and "超过乡镇（街道）审批权限" in done.stderr, done.stderr
    done = run_generator(*result, "--issuer", "示范县民政局", cwd=clerk["project"])
    assert done.returncode == 0, done.stderr


def test_a_problem_in_a_row_written_over_several_lines_names_the_fields_own_line(project):
    edit_notice(project, set_row("dispersed", -1, index=1), ORPHANS)
    lines = (project / ORPHANS).read_text(encoding="utf-8").splitlines()
    expected = [n for n, line in enumerate(lines, 1) if line.strip() == "dispersed: -1"]
    [problem] = [p for p in problems_of(project) if p.slug == "not-a-count"]
    assert [problem.line] == expected


# -- 殡葬救助 is paid once per deceased person and item: person keys find a second grant ---------------

def _second_funeral(project: Path, rows: list[dict], name: str = "2026-11-25-baiyun-bz-gb.yaml") -> str:
    first = yaml_load(project / FUNERAL)
    body = {**first, "document_number": "示民发〔2026〕58号", "approved_on": dt.date(2026, 11, 23),
            "published_on": dt.date(2026, 11, 25), "roster": rows}
    (project / "data/notices" / name).write_text(yaml_dump(body), encoding="utf-8")
    return f"data/notices/{name}"


def yaml_load(path: Path) -> dict:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


def yaml_dump(body: dict) -> str:
    import yaml

    return yaml.safe_dump(body, allow_unicode=True, sort_keys=False)


def test_a_second_grant_of_the_same_item_to_the_same_person_is_refused_at_its_row(project):
    first = yaml_load(project / FUNERAL)["roster"]
    again = _second_funeral(project, [{**first[0], "amount": 800.0}])
    found = [p for p in problems_of(project) if p.slug == "granted-twice"]
    assert [(p.file, p.column) for p in found] == [(again, "person_key")]
    assert f"{FUNERAL} 第10行" in found[0].message and "基本殡葬服务费补助" in found[0].message
    assert "殡葬服务费补助实施办法" in found[0].message and "“补助对象”" in found[0].message


def test_the_other_item_for_the_same_person_is_fine_in_another_notice_or_the_same_one(project):
    first = yaml_load(project / FUNERAL)["roster"]
    _second_funeral(project, [{**first[0], "aid_item": "生态安葬奖补", "amount": 500.0}])
    edit_notice(project, lambda b: b["roster"].append({**b["roster"][0], "aid_item": "生态安葬奖补", "amount": 400.0}),
                FUNERAL)
    assert [p.slug for p in problems_of(project)] == ["granted-twice"]  # the second notice's 生态安葬奖补 only
    edit_notice(project, lambda b: b["roster"].append(dict(b["roster"][0])), FUNERAL)
    assert "duplicate-person" in [p.slug for p in problems_of(project)]


def test_a_funeral_row_imported_before_keys_is_a_warning_and_a_bad_key_an_error(project):
    edit_notice(project, lambda b: b["roster"][0].pop("person_key"), FUNERAL)  # as the importer wrote it before
    found = [(p.slug, p.column, p.file, p.severity) for p in problems_of(project)]
    assert found == [("no-person-key", "person_key", FUNERAL, Severity.WARNING)]
    done = run_generator("build", "--today", "2026-11-30", cwd=project)
    assert done.returncode == 0 and "[no-person-key]" in done.stdout + done.stderr, done.stderr
    for key in ("not-a-key", 1647977369):  # present but malformed: an error whatever the date
        edit_notice(project, set_row("person_key", key), FUNERAL)
        assert ("bad-person-key", "person_key", FUNERAL) in [(p.slug, p.column, p.file) for p in problems_of(project)]


def test_a_funeral_row_without_a_key_from_the_rules_first_day_on_is_an_error(project):
    first = yaml_load(project / FUNERAL)["roster"]
    later = _second_funeral(project, [{k: v for k, v in first[0].items() if k != "person_key"}],
                            "2026-12-01-baiyun-bz-gb.yaml")
    edit_notice(project, lambda b: b.update(approved_on=dt.date(2026, 11, 30), published_on=dt.date(2026, 12, 1)),
                later)
    assert ("bad-person-key", "person_key", later) in [(p.slug, p.column, p.file) for p in problems_of(project)]


@pytest.mark.parametrize("item", [["基本殡葬服务费补助"], {"a": 1}, None, "测试甲丧葬补助"])
def test_an_odd_item_in_two_notices_is_reported_as_itself_never_printed_and_never_a_crash(project, item):
    first = yaml_load(project / FUNERAL)["roster"]
    edit_notice(project, set_row("aid_item", item), FUNERAL)
    _second_funeral(project, [{**first[0], "aid_item": item}])
    found = problems_of(project)
    assert "granted-twice" not in [p.slug for p in found]
    assert {"missing-field", "not-a-choice"} & {p.slug for p in found}
    done = run_generator("build", "--today", "2026-11-30", cwd=project)
    assert done.returncode == 1 and "程序内部错误" not in done.stderr and "测试甲" not in done.stdout + done.stderr


def _funeral_csv(path: Path, rows: list[tuple[str, str, str, str, str]]) -> Path:
    lines = ["组,逝者姓名,身份证号,补助项目,补助金额（元）"] + [",".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _import_funeral(clerk, roster: Path, start: str):
    return run_generator("import", str(roster), "--program", "funeral_aid", "--division", "990100201203",
                         "--kind", "result", "--start", start, "--approved-on", start,
                         "--document-number", f"示民发〔2026〕{start[-2:]}号", "--issuer", "示范县民政局",
                         "--key-file", str(clerk["key"]), cwd=clerk["project"])


def test_funeral_import_keys_the_deceased_allows_both_items_and_refuses_a_second_grant(clerk):
    from conftest import fake_id

    both = _funeral_csv(clerk["dir"] / "殡葬1.csv", [("一组", "测试甲", fake_id(1, "19400101"), "基本殡葬服务费补助", "1200"),
                                                    ("一组", "测试甲", fake_id(1, "19400101"), "生态安葬奖补", "500")])
    done = _import_funeral(clerk, both, "2026-11-20")
    assert done.returncode == 0, done.stderr
    rows = yaml_load(clerk["project"] / "data/notices/2026-11-20-990100201203-gb.yaml")["roster"]
    assert len({r["person_key"] for r in rows}) == 1 and len(rows[0]["person_key"]) == 64
    twice = _funeral_csv(clerk["dir"] / "殡葬2.csv", [("一组", "测试甲", fake_id(1, "19400101"), "生态安葬奖补", "500")])
    done = _import_funeral(clerk, twice, "2026-11-27")
    assert done.returncode == 1 and re.search(r"\[granted-twice\] \S*殡葬2\.csv 第2行", done.stderr), done.stderr
    assert "data/notices/2026-11-20-990100201203-gb.yaml 第" in done.stderr and "“生态安葬奖补”" in done.stderr
    assert "测试甲" not in done.stderr + done.stdout
    assert not (clerk["project"] / "data/notices/2026-11-27-990100201203-gb.yaml").exists()
    same_item = _funeral_csv(clerk["dir"] / "殡葬3.csv", [("一组", "测试乙", fake_id(2, "19400101"), "生态安葬奖补", "500"),
                                                         ("一组", "测试乙", fake_id(2, "19400101"), "生态安葬奖补", "500")])
    done = _import_funeral(clerk, same_item, "2026-11-28")
    assert done.returncode == 1 and "[duplicate-person]" in done.stderr and "同一“补助项目”" in done.stderr


def test_a_once_rule_naming_an_undeclared_field_fails_at_start_up():
    from generator.programs import _parse

    raw = yaml_load(Path(__file__).parent.parent / "generator/programs/funeral_aid.yaml")
    for per in ("item", "amount"):  # undeclared; not a choice (its values could be anything, and get printed)
        raw["once_per_person"]["per"] = per
        with pytest.raises(ValueError, match="once_per_person"):
            _parse(raw)


def test_an_import_says_which_grants_in_data_it_could_not_check(clerk):
    from conftest import fake_id

    edit_notice(clerk["project"], lambda b: b["roster"][0].pop("person_key"), FUNERAL)
    roster = _funeral_csv(clerk["dir"] / "殡葬.csv", [("一组", "测试甲", fake_id(1, "19400101"), "生态安葬奖补", "500")])
    done = _import_funeral(clerk, roster, "2026-12-02")
    assert done.returncode == 0, done.stderr
    assert "[not-all-checked]" in done.stderr and "1 行“困难群众殡葬救助”没有化名键" in done.stderr


def test_an_import_next_to_an_odd_funeral_row_in_data_is_no_crash(clerk):
    from conftest import fake_id

    edit_notice(clerk["project"], set_row("aid_item", ["基本殡葬服务费补助"]), FUNERAL)
    roster = _funeral_csv(clerk["dir"] / "殡葬.csv", [("一组", "测试甲", fake_id(1, "19400101"), "生态安葬奖补", "500")])
    done = _import_funeral(clerk, roster, "2026-11-20")
    assert done.returncode == 0 and "程序内部错误" not in done.stderr, done.stderr


def test_a_post_hoc_temporary_aid_row_that_is_not_emergency_is_refused_at_import_at_its_row(clerk):
    from conftest import fake_id

    roster = clerk["dir"] / "事后.csv"
    roster.write_text("组,姓名,身份证号,救助类型,救助事由,救助金额\n"
                      f"一组,测试甲,{fake_id(3, '19700101')},急难型,火灾,800\n"
                      f"二组,测试乙,{fake_id(4, '19700101')},支出型,重大疾病支出,900\n", encoding="utf-8")
    done = run_generator("import", str(roster), "--program", "temporary_aid", "--division", "990100001004",
                         "--key-file", str(clerk["key"]), "--kind", "result", "--start", "2026-12-10", "--approved-on",
                         "2026-12-09", "--document-number", "示民发〔2026〕61号", "--post-hoc-reason", "意外事故",
                         "--issuer", "示范县民政局", cwd=clerk["project"])
    assert done.returncode == 1
    found = [line for line in done.stderr.splitlines() if "[post-hoc-not-emergency]" in line]
    assert len(found) == 1 and "事后.csv 第3行 “救助类型”" in found[0], done.stderr
    assert "测试乙" not in done.stderr


def test_the_specs_read_with_libyaml_are_the_specs_the_pure_python_reader_gives(monkeypatch):
    """all_programs reads the specs with libyaml's parser where PyYAML has it (a sixth of the time):
    every spec is the same value as with PyYAML's own SafeLoader."""
    import yaml

    import generator.programs as gp

    fast = gp.all_programs.__wrapped__()
    monkeypatch.setattr(gp, "_SPEC_LOADER", yaml.SafeLoader)
    assert gp.all_programs.__wrapped__() == fast and len(fast) >= 17
