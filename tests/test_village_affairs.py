"""村(居)务公开: finance statements reconcile or the build stops (file, line, what to do); projects,
一事一议 and 村规民约 become pages; each village lists what it published; a stale finance statement
is a warning. All demo data is synthetic."""

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DEMO_TODAY, REPO, fake_id, run_generator
from generator.load import load
from generator.mask import mask
from generator.programs import _parse, all_programs
from generator.publicity import decide
from generator.records import _add_months
from generator.render import render
from generator.report import Severity
from generator.validate import validate
from generator.workdays import WorkCalendar

FINANCE = "data/notices/2026-11-05-taoyuan-cw.yaml"
PROJECTS = "data/notices/2026-11-10-taoyuan-xm.yaml"
ONE_MATTER = "data/notices/2026-11-12-xinghua-yy.yaml"
RULES = "data/notices/2026-09-15-songlin-gy.yaml"
TAOYUAN = "990100101201"


def replace_in(project: Path, name: str, old: str, new: str) -> int:
    """Edit a notice file as a clerk would, keeping every other line; the 1-based line edited."""
    path = project / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[:text.index(old)].count("\n") + 1


def problems_of(project: Path, today: str = DEMO_TODAY):
    programs = all_programs()
    dataset, problems = load(project / "data")
    problems += validate(dataset, programs)
    _, found = decide(dataset.notices, programs, dt.date.fromisoformat(today), WorkCalendar(dataset.holidays))
    return problems + found


def rendered_pages(project: Path = REPO) -> dict[str, str]:
    programs = all_programs()
    dataset, _ = load(project / "data")
    decisions, _ = decide(dataset.notices, programs, dt.date.fromisoformat(DEMO_TODAY), WorkCalendar(dataset.holidays))
    public, _ = mask(dataset.notices, programs)
    rendered = render(dataset, public, decisions, programs, project / "templates", project / "content",
                      dt.date.fromisoformat(DEMO_TODAY), pdfs=False)
    # Notice pages are HTML (generator/notice_pages.py); list pages have their notice lists put in.
    return {**{path: rendered.with_blocks(text) for path, text in rendered.pages.items()},
            **{f"notices/{i}.md": page.html for i, page in rendered.notices.items()}}


# -- the pages --

def test_the_finance_statement_page_shows_items_totals_and_balances():
    page = rendered_pages()["notices/2026-11-05-taoyuan-cw.md"]
    assert ">桃源村2026年10月财务收支公开</h1>" in page
    assert "<dt>所属月份</dt><dd>2026年10月</dd>" in page
    for figure in ("35210.50", "48600.00", "31275.40", "52535.10", "1275.40"):
        assert figure in page
    assert "收入明细（共 3 项）" in page and "支出明细（共 5 项）" in page
    assert page.count('data-search-exclude="statement"') == 2
    assert "<dt>文号</dt>" not in page  # a 村民委员会 has none
    assert "村务监督委员会审核日期" in page and "《中华人民共和国村民委员会组织法》第三十条" in page


def test_the_projects_page_shows_a_dash_for_a_project_not_yet_contracted():
    page = rendered_pages()["notices/2026-11-10-taoyuan-xm.md"]
    assert "<th scope=\"col\">承建单位</th>" in page and "示范县某某路桥工程有限公司（虚构）" in page
    assert "<td>灌溉水渠清淤</td><td class=\"num\">28000.00</td><td class=\"num\">—</td><td>—</td><td>未开工</td>" in page
    assert "名单" not in page.split("<h2 id=\"records\">")[1].split("</h2>")[0]


def test_the_one_matter_page_shows_meeting_counts_and_funding():
    page = rendered_pages()["notices/2026-11-12-xinghua-yy.md"]
    assert ">杏花村一事一议决定公开（2026年11月）</h1>" in page
    assert "<td>村民代表会议</td><td>2026年10月28日</td><td class=\"num\">35</td><td class=\"num\">31</td>" in page
    assert "每户筹资50元" in page


def test_the_village_rules_page_numbers_its_articles():
    page = rendered_pages()["notices/2026-09-15-songlin-gy.md"]
    assert "<p><strong>第一条</strong>" in page and "<p><strong>第八条</strong>" in page
    assert "<dt>报乡镇人民政府备案日期</dt><dd>2026年9月10日</dd>" in page
    assert "村民会议通过日期" in page
    assert "data-search-exclude" not in page.split('<div class="articles">')[1].split("</div>")[0]


def test_each_village_page_lists_what_it_published_per_category():
    pages = rendered_pages()
    taoyuan = pages[f"villages/{TAOYUAN}.md"]
    catalog = taoyuan.split("## 村（居）务公开目录")[1]
    finance = catalog.split("### 财务收支")[1].split("###")[0]
    assert "最近一次：2026年11月5日" in finance
    assert finance.index("2026年10月财务收支公开") < finance.index("2026年9月财务收支公开")  # newest first
    assert "2026年10月9日公开" in finance
    assert "桃源村村级项目公开（2026年11月）" in catalog.split("### 村级项目")[1]
    assert "- 暂无。" in catalog.split("### 村规民约")[1]
    # Listed in the catalog, not again among the village's other results.
    assert "财务收支公开" not in taoyuan.split("## 已公布")[1].split("## 往期公示")[0]
    # A division that published no village affairs still has its catalog, every category empty.
    assert "村（居）务公开目录" in pages["villages/990100001001.md"]  # every village has one, empty or not
    assert pages["villages/990100001001.md"].count("- 暂无。") == 4
    # The home page's latest results stay the social-assistance results.
    assert "财务收支公开" not in pages["index.md"]


def test_the_explainer_cites_every_rule_the_specs_enforce():
    page = rendered_pages()["explainers/village_affairs.md"]
    for code in ("village_affairs_finance", "village_affairs_projects", "village_affairs_one_matter",
                 "village_affairs_rules"):
        for source in all_programs()[code].sources():
            assert f"**{source.cite()}**：{source.gist}" in page
    assert page.count("**《中华人民共和国村民委员会组织法》第三十条**") == 1  # each source once


# -- the totals must reconcile --

def test_a_mismatched_total_names_file_line_difference_and_source(project):
    line = replace_in(project, FINANCE, "income_total: 48600.00", "income_total: 48700.00")
    [problem] = [p for p in problems_of(project) if p.slug == "total-mismatch" and p.column == "income_total"]
    assert (problem.file, problem.line) == (FINANCE, line)
    assert "48700.00 元" in problem.message and "48600.00 元" in problem.message and "相差 100.00 元" in problem.message
    assert "请逐项核对" in problem.message and "第三十条最后一款" in problem.message
    # The balance is checked against the declared totals, so it no longer follows either: both are reported.
    assert sorted(p.column for p in problems_of(project) if p.slug == "total-mismatch") == ["closing_balance",
                                                                                           "income_total"]


def test_a_closing_balance_that_does_not_follow_is_reported_at_its_line(project):
    line = replace_in(project, FINANCE, "closing_balance: 52535.10", "closing_balance: 52535.01")
    [problem] = [p for p in problems_of(project) if p.slug == "total-mismatch"]
    assert (problem.line, problem.column) == (line, "closing_balance")
    assert "上月结余＋本月收入合计－本月支出合计为 52535.10 元" in problem.message


def test_an_item_changed_without_its_total_is_caught(project):
    replace_in(project, FINANCE, "item: 办公用品, amount: 1000.00", "item: 办公用品, amount: 1100.00")
    found = [(p.column, p.line) for p in problems_of(project) if p.slug == "total-mismatch"]
    assert found == [("expense_total", 12)]


# -- one statement a month, each starting where the last ended --

def test_an_opening_balance_that_is_not_last_months_closing_balance_is_reported(project):
    # October still reconciles on its own (opening and closing both 10 元 less), but it does not start
    # where September, as published, ended.
    line = replace_in(project, FINANCE, "opening_balance: 35210.50", "opening_balance: 35200.50")
    replace_in(project, FINANCE, "closing_balance: 52535.10", "closing_balance: 52525.10")
    [problem] = [p for p in problems_of(project) if p.severity is Severity.ERROR]
    assert (problem.slug, problem.file, problem.line, problem.column) == ("balance-not-carried", FINANCE, line,
                                                                          "opening_balance")
    assert "35200.50 元" in problem.message and "35210.50 元" in problem.message and "相差 10.00 元" in problem.message
    assert "2026-10-09-taoyuan-cw.yaml" in problem.message and "2026年9月" in problem.message
    assert "第三十条最后一款" in problem.message


def test_two_statements_for_one_village_and_month_are_refused(project):
    text = (project / FINANCE).read_text(encoding="utf-8")
    copy = "data/notices/2026-11-07-taoyuan-cw.yaml"
    (project / copy).write_text(text, encoding="utf-8")
    found = [p for p in problems_of(project) if p.slug == "period-duplicate"]
    line = text[:text.index("period:")].count("\n") + 1
    assert [(p.file, p.line, p.column) for p in found] == [(copy, line, "period")]
    assert FINANCE.rsplit("/", 1)[1] in found[0].message and "2026年10月" in found[0].message
    assert not [p for p in problems_of(project) if p.slug == "balance-not-carried"]  # one problem, said once


def test_a_duplicate_month_does_not_hide_a_balance_that_does_not_carry_over(project):
    text = (project / FINANCE).read_text(encoding="utf-8")
    (project / "data/notices/2026-11-07-taoyuan-cw.yaml").write_text(text, encoding="utf-8")
    replace_in(project, FINANCE, "opening_balance: 35210.50", "opening_balance: 35200.50")
    replace_in(project, FINANCE, "closing_balance: 52535.10", "closing_balance: 52525.10")
    found = sorted(p.slug for p in problems_of(project) if p.severity is Severity.ERROR)
    assert found == ["balance-not-carried", "period-duplicate"]
    assert all("依据：" in p.message for p in problems_of(project) if p.severity is Severity.ERROR)


def test_a_month_before_that_is_not_yet_public_is_no_reference(project):
    replace_in(project, "data/notices/2026-10-09-taoyuan-cw.yaml", "published_on: 2026-10-09", "published_on: 2027-01-20")
    replace_in(project, FINANCE, "opening_balance: 35210.50", "opening_balance: 35200.50")
    replace_in(project, FINANCE, "closing_balance: 52535.10", "closing_balance: 52525.10")
    assert [p for p in problems_of(project) if p.severity is Severity.ERROR] == []


def test_village_rules_filed_before_they_were_adopted_are_refused(project):
    line = replace_in(project, RULES, "filed_on: 2026-09-10", "filed_on: 2026-09-05")
    [problem] = [p for p in problems_of(project) if p.severity is Severity.ERROR]
    assert (problem.slug, problem.file, problem.line, problem.column) == ("dates-out-of-order", RULES, line, "filed_on")
    assert "2026年9月5日" in problem.message and "2026年9月6日" in problem.message
    assert "村民会议通过日期" in problem.message and "第二十七条" in problem.message


def test_village_rules_filed_on_the_day_they_were_adopted_are_fine(project):
    replace_in(project, RULES, "filed_on: 2026-09-10", "filed_on: 2026-09-06")
    assert [p for p in problems_of(project) if p.severity is Severity.ERROR] == []


def test_a_month_without_the_month_before_needs_no_carry_over(project):
    (project / "data/notices/2026-10-09-taoyuan-cw.yaml").unlink()
    assert [p for p in problems_of(project) if p.severity is Severity.ERROR] == []


def test_every_problem_of_every_statement_in_one_run(project):
    replace_in(project, FINANCE, "income_total: 48600.00", "income_total: 1.00")
    replace_in(project, "data/notices/2026-11-06-songlin-cw.yaml", "expense_total: 15780.00", "expense_total: 15870.00")
    replace_in(project, "data/notices/2026-10-09-taoyuan-cw.yaml", "period: '2026-09'", "period: '2026-13'")
    found = {(p.file.rsplit("/", 1)[1], p.slug, p.column) for p in problems_of(project)}
    assert {("2026-11-05-taoyuan-cw.yaml", "total-mismatch", "income_total"),
            ("2026-11-06-songlin-cw.yaml", "total-mismatch", "expense_total"),
            ("2026-10-09-taoyuan-cw.yaml", "bad-date", "period")} <= found


def test_the_build_stops_with_the_file_and_line_in_chinese(project):
    line = replace_in(project, FINANCE, "expense_total: 31275.40", "expense_total: 31275.04")
    done = run_generator("build", "--today", DEMO_TODAY, cwd=project)
    assert done.returncode == 1
    assert f"错误 [total-mismatch] {FINANCE} 第{line}行 “expense_total”" in done.stderr
    assert "改正后重新生成" in done.stderr and "Traceback" not in done.stderr
    assert not (project / "site").exists()


# -- other validation --

@pytest.mark.parametrize(
    ("name", "old", "new", "slug", "column"),
    [
        (FINANCE, "period: '2026-10'", "period: 2026年10月", "bad-date", "period"),
        (FINANCE, "  period: '2026-10'\n", "", "missing-field", "period"),
        (FINANCE, "opening_balance: 35210.50", "opening_balance: -1", "out-of-range", "opening_balance"),
        (FINANCE, "  period: '2026-10'\n", "  period: '2026-10'\n  treasurer: 张*\n", "field-not-allowed", "treasurer"),
        (FINANCE, "item: 办公用品,", f"item: 办公用品 {fake_id(3)},", "personal-data-in-field", "item"),
        (FINANCE, "direction: 支出, item: 办公用品", "direction: 退款, item: 办公用品", "not-a-choice", "direction"),
        (FINANCE, "amount: 1000.00}", "amount: 1000.005}", "too-many-decimals", "amount"),
        (PROJECTS, "  budget: 28000.00\n", "", "missing-field", "budget"),
        (PROJECTS, "progress: 未开工", "progress: 快完了", "not-a-choice", "progress"),
        (ONE_MATTER, "meeting_date: 2026-10-28", "meeting_date: 2026-10-32", "bad-date", "meeting_date"),
        (ONE_MATTER, "present: 31", "present: 36", "count-out-of-range", "present"),
        (ONE_MATTER, "present: 31", "present: 23", "count-out-of-range", "present"),  # below two thirds of 35
        (ONE_MATTER, "agreed: 29", "agreed: 15", "count-out-of-range", "agreed"),  # not more than half of 31
        (ONE_MATTER, "present: 168", "present: 141", "count-out-of-range", "present"),  # 户代表: 141 < 2/3 of 212
        (RULES, "filed_on: 2026-09-10", "filed_on: 九月十日", "bad-date", "filed_on"),
        (RULES, "- article: 不参与赌博", "- article: 联系人电话1" + "3" * 10 + "\n- article: 不参与赌博",
         "personal-data-in-field", "article"),
    ],
)
def test_each_record_problem_has_its_slug_and_place(project, name, old, new, slug, column):
    replace_in(project, name, old, new)
    found = [(p.slug, p.column) for p in problems_of(project) if p.severity is Severity.ERROR]
    assert (slug, column) in found
    assert all(p.file.startswith("data/") and p.line for p in problems_of(project) if p.slug == slug)


def test_quorum_boundaries_are_exact(project):
    # 村民代表会议 of 35: 24 present is not two thirds (23.33 is); 24 >= 23.33, 23 < 23.33.
    replace_in(project, ONE_MATTER, "present: 31\n  agreed: 29", "present: 24\n  agreed: 13")
    assert [p for p in problems_of(project) if p.slug == "count-out-of-range"] == []
    replace_in(project, ONE_MATTER, "present: 24\n  agreed: 13", "present: 24\n  agreed: 12")  # 12 is half, not more
    [problem] = [p for p in problems_of(project) if p.slug == "count-out-of-range"]
    assert "应超过“实到人（户）数”24的半数" in problem.message and "第二十六条" in problem.message


def test_other_programs_still_need_a_document_number(project):
    replace_in(project, "data/notices/2026-11-25-taoyuan-gs.yaml", "document_number: 东政民公〔2026〕31号\n", "")
    assert ("missing-field", "document_number") in [(p.slug, p.column) for p in problems_of(project)]


def test_a_summary_on_a_program_without_one_is_refused(project):
    replace_in(project, "data/notices/2026-11-25-taoyuan-gs.yaml", "roster:\n", "summary:\n  total: 1\nroster:\n")
    assert ("field-not-allowed", "total") in [(p.slug, p.column) for p in problems_of(project)]


def test_markup_in_an_item_is_inert(project):
    replace_in(project, FINANCE, "item: 办公用品,", 'item: "<script>x</script>[点我](javascript:x)",')
    page = rendered_pages(project)["notices/2026-11-05-taoyuan-cw.md"]
    assert "<script>" not in page and "](javascript" not in page and "&lt;script&gt;" in page


# -- how often: a stale finance statement is a warning --

@pytest.mark.parametrize(("today", "stale"), [("2026-12-05", []), ("2026-12-06", ["2026-11-05-taoyuan-cw.yaml"]),
                                              ("2026-12-07", ["2026-11-05-taoyuan-cw.yaml", "2026-11-06-songlin-cw.yaml"])])
def test_a_finance_statement_older_than_a_month_is_a_warning(project, today, stale):
    found = [p for p in problems_of(project, today) if p.slug == "disclosure-stale"]
    assert sorted(p.file.rsplit("/", 1)[1] for p in found) == stale
    assert all(p.severity is Severity.WARNING and "第三十条" in p.message for p in found)


def test_a_stale_statement_does_not_stop_the_build(project):
    done = run_generator("build", "--today", "2026-12-20", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "disclosure-stale" in done.stderr + done.stdout


@pytest.mark.parametrize(("day", "months", "expected"), [
    ("2026-11-05", 1, "2026-12-05"), ("2026-01-31", 1, "2026-02-28"), ("2026-11-30", 3, "2027-02-28"),
    ("2026-12-15", 1, "2027-01-15")])
def test_adding_months(day, months, expected):
    assert _add_months(dt.date.fromisoformat(day), months) == dt.date.fromisoformat(expected)


# -- specs and import --

def test_a_spec_rule_naming_an_undeclared_field_fails_at_start_up():
    import yaml

    raw = yaml.safe_load((REPO / "generator/programs/village_affairs_finance.yaml").read_text(encoding="utf-8"))
    raw["totals"][0]["sum"] = "amonut"
    with pytest.raises(ValueError, match="undeclared"):
        _parse(raw)
    raw = yaml.safe_load((REPO / "generator/programs/village_affairs_finance.yaml").read_text(encoding="utf-8"))
    raw["carry_over"]["opening"] = "income_totl"
    with pytest.raises(ValueError, match="carry_over"):
        _parse(raw)
    raw = yaml.safe_load((REPO / "generator/programs/village_affairs_rules.yaml").read_text(encoding="utf-8"))
    raw["date_order"][0]["later"] = "filed"
    with pytest.raises(ValueError, match="date_order"):
        _parse(raw)
    raw = yaml.safe_load((REPO / "generator/programs/village_affairs_one_matter.yaml").read_text(encoding="utf-8"))
    raw["ratios"][0]["at_least"] = "1/2"
    with pytest.raises(ValueError, match="exactly one"):
        _parse(raw)


def test_village_affairs_are_not_imported(project, tmp_path):
    outside = tmp_path / "clerk"
    outside.mkdir()
    assert run_generator("keygen", "--out", str(outside / "k.key"), "--project", str(project), cwd=project).returncode == 0
    roster = outside / "finance.csv"
    roster.write_text("项目,金额\n办公用品,10\n", encoding="utf-8")
    done = run_generator("import", str(roster), "--program", "village_affairs_finance", "--division", TAOYUAN,
                         "--kind", "result", "--start", "2026-12-01", "--approved-on", "2026-11-30",
                         "--document-number", "无", "--key-file", str(outside / "k.key"), cwd=project)
    assert done.returncode == 1 and "not-importable" in done.stderr


# -- names in free text: reported (masked) as a warning, since jieba also takes some places for names --

@pytest.mark.parametrize(("text", "names"), [
    ("支付王小明保洁工资", ("王小明",)), ("韩梅梅劳务费", ("韩梅梅",)), ("村民李小红家危房改造补助", ("李小红",)),
    ("支付李雷工资", ("李雷",)), ("村支书张三差旅费", ("张三",)), ("个体户钱七", ("钱七",)),
    # Not names: places, bodies, things, titles, two characters without a payee word, masked names.
    ("王家湾组道路硬化工程", ()), ("李庄村委会办公用品", ()), ("高庄至吴桥道路", ()), ("白云山景区", ()),
    ("金银花种植基地", ()), ("文明村规第三条：爱护公物", ()), ("张老师培训费", ()), ("向阳组水渠维修", ()),
    ("杨柳组堰塘清淤", ()), ("支付王**保洁工资", ()), ("办公用品", ()), ("村干部报酬（合计）", ()),
    # Found in review: jieba glues 付 to what follows, cuts surnames off, and tags goods and brands "nr".
    ("付王五挖机租赁费", ("王五",)), ("付李雷工资", ("李雷",)), ("付韩梅梅工资", ("韩梅梅",)), ("困难户李雷慰问金", ("李雷",)),
    ("付沙石款", ()), ("付苗木款", ()), ("付华为手机款", ()), ("付明星幼儿园费用", ()), ("付牛羊防疫费", ()),
    ("雷锋精神宣传栏", ()), ("龙王庙维修", ()), ("农家乐", ()), ("查询费", ()), ("程序开发", ()),
    ("支付王某保洁工资", ()), ("付给刘某", ()), ("支付王氏", ()), ("付杨老师培训费", ()),
    # Given names that end like a thing or a place are still names (second review).
    ("支付王小金工资", ("王小金",)), ("慰问李小会", ("李小会",)), ("支付张小阁工资", ("张小阁",)),
    ("支付赵小赛误工补贴", ("赵小赛",)), ("金银花种植基地", ()), ("黄金周", ()), ("何首乌种植", ()),
])
def test_possible_names_in_free_text(text, names):
    from generator.detect import possible_names

    assert possible_names(text) == names


def test_a_full_name_in_an_item_is_a_warning_that_shows_only_the_surname(project):
    line = replace_in(project, FINANCE, "item: 办公用品,", "item: 支付王小明保洁工资,")
    found = [p for p in problems_of(project) if p.slug == "possible-name-in-text"]
    assert [(p.file, p.line, p.column, p.severity) for p in found] == [
        ("data/notices/2026-11-05-taoyuan-cw.yaml", line, "item", Severity.WARNING)]
    assert "王**" in found[0].message and "王小明" not in found[0].message and "第六条" in found[0].message
    done = run_generator("build", "--today", DEMO_TODAY, cwd=project)
    assert done.returncode == 0, done.stderr
    assert "possible-name-in-text" in done.stdout + done.stderr and "王小明" not in done.stdout + done.stderr


def add_to_site_yaml(project: Path, text: str) -> int:
    """Append lines to data/site.yaml; the 1-based line of the first one."""
    path = project / "data" / "site.yaml"
    before = path.read_text(encoding="utf-8")
    path.write_text(before + text, encoding="utf-8")
    return before.count("\n") + 1


def test_words_checked_as_not_names_are_not_reported_there_but_names_beside_them_are(project):
    line = replace_in(project, FINANCE, "item: 办公用品,", "item: 端午节龙舟赛奖品,")
    assert [p.line for p in problems_of(project) if p.slug == "possible-name-in-text"] == [line]
    add_to_site_yaml(project, "not_names:\n  - 龙舟赛\n  - 金龙鱼\n")
    assert [p for p in problems_of(project) if p.slug == "possible-name-in-text"] == []
    # The same word beside a name: only the listed word is dismissed, the name is still reported.
    replace_in(project, FINANCE, "item: 端午节龙舟赛奖品,", "item: 龙舟赛奖金付王小明,")
    found = [p for p in problems_of(project) if p.slug == "possible-name-in-text"]
    assert [(p.line, p.column) for p in found] == [(line, "item")]
    assert "王**" in found[0].message and "龙**" not in found[0].message and "王小明" not in found[0].message
    assert "not_names" in found[0].message


@pytest.mark.parametrize("entry", ["  - 王**\n", "  - 12345\n", "  - {word: 龙舟赛}\n", "  - 赛\n", "  - dragon\n"])
def test_a_not_names_entry_that_is_not_a_word_is_an_error_with_its_line(project, entry):
    line = add_to_site_yaml(project, "not_names:\n" + entry)
    found = [p for p in problems_of(project) if p.slug == "bad-not-names"]
    assert [(p.file, p.line, p.column, p.severity) for p in found] == [("data/site.yaml", line, "not_names", Severity.ERROR)]
    assert "2 到 6 个汉字" in found[0].message


def test_not_names_written_as_one_word_instead_of_a_list_is_an_error(project):
    line = add_to_site_yaml(project, "not_names: 龙舟赛\n")
    assert [(p.line, p.column) for p in problems_of(project) if p.slug == "bad-not-names"] == [(line, "not_names")]


def test_the_demo_data_holds_no_name_in_free_text():
    assert "possible-name-in-text" not in [p.slug for p in problems_of(REPO)]


def test_the_name_check_does_not_depend_on_words_the_search_plugin_gave_jieba():
    """The search plugin adds the site's place names to jieba's global dictionary; the name check has a
    tagger of its own, so a text gets the same answer before and after (and a remembered "clean" stays true)."""
    import jieba

    from generator.detect import find_possible_names

    text = "支付王小明新华社区保洁费"
    before = find_possible_names(text)
    jieba.add_word("明新华社区", 100000, "ns")  # what load_userdict does with a village name
    try:
        assert find_possible_names(text) == before == ("王小明",)
    finally:
        jieba.del_word("明新华社区")


TAGGER_CHECK = """
import sys
import jieba
if sys.argv[1] == "after":  # jieba's global tagger used, with a tagged word of the site's, before ours is made
    import jieba.posseg
    jieba.add_word("明新华社区", 100000, "ns")
    list(jieba.posseg.cut("明新华社区"))
from generator.detect import _posseg, find_possible_names
ours = _posseg()
import jieba.posseg
fresh = jieba.posseg.POSTokenizer(jieba.Tokenizer())
assert ours.word_tag_tab == fresh.word_tag_tab, "tags differ from a tagger read anew"
assert ours.word_tag_tab is not jieba.posseg.dt.word_tag_tab
jieba.add_word("王小明新", 100000, "ns")
list(jieba.posseg.cut("王小明新"))  # merged into the global tagger's tags: never into ours
assert "王小明新" not in ours.word_tag_tab
print(find_possible_names("支付王小明新华社区保洁费"))
"""


@pytest.mark.parametrize("when", ["first", "after"])
def test_the_name_tagger_has_the_packaged_dictionarys_tags_whoever_imported_jieba_first(when):
    """The tagger takes the tags jieba's import just read instead of reading them again (0.4 s), only when
    nothing can have added to them yet; they equal a tagger's read anew and stay its own."""
    done = subprocess.run([sys.executable, "-c", TAGGER_CHECK, when], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "('王小明',)"
