"""Each kind of bad data/ gives its slug, file, line and field; all at once; never a raw value."""

import datetime as dt
from pathlib import Path

import pytest
import yaml

from conftest import fake_id, run_generator
from generator.load import load
from generator.programs import all_programs
from generator.report import Severity
from generator.validate import validate

NOTICE = "data/notices/2026-11-25-taoyuan-gs.yaml"
RAW_NAME = "测试甲乙"  # synthetic and obviously fake


def edit_notice(project: Path, change, name: str = NOTICE) -> None:
    path = project / name
    body = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(body)
    path.write_text(yaml.safe_dump(body, allow_unicode=True, sort_keys=False), encoding="utf-8")


def problems_of(project: Path):
    dataset, problems = load(project / "data")
    return problems + validate(dataset, all_programs())


def test_the_demo_data_is_clean(project):
    assert problems_of(project) == []


def set_row(field, value, index=0):
    def change(body):
        body["roster"][index][field] = value
    return change


@pytest.mark.parametrize(
    ("change", "slug", "column"),
    [
        (set_row("name", RAW_NAME), "name-not-masked", "name"),
        (set_row("id_number", fake_id(7)), "field-not-allowed", "id_number"),
        (set_row("household_size", 0), "out-of-range", "household_size"),
        (set_row("household_size", 2.5), "not-a-whole-number", "household_size"),
        (set_row("dibao_class", "D类"), "not-a-choice", "dibao_class"),
        (set_row("monthly_amount", 99999), "amount-above-standard", "monthly_amount"),
        (set_row("monthly_amount", -5), "not-positive", "monthly_amount"),
        (set_row("monthly_amount", 10.005), "too-many-decimals", "monthly_amount"),
        (set_row("group", f"三组 {fake_id(8)}"), "personal-data-in-field", "group"),
        (set_row("person_key", "not-a-key"), "bad-person-key", "person_key"),
        (lambda b: b["roster"][0].pop("household_size"), "missing-field", "household_size"),
        (lambda b: b["roster"].append(dict(b["roster"][0])), "duplicate-person", "person_key"),
        (lambda b: b.update(division="990100999999"), "unknown-division", "division"),
        (lambda b: b.update(program="no_such_program"), "unknown-program", "program"),
        (lambda b: b.update(publicity_start="2026-13-01"), "bad-date", "publicity_start"),
        (lambda b: b.update(roster=[]), "empty-roster", "roster"),
    ],
)
def test_each_problem_has_its_slug_and_place(project, change, slug, column):
    edit_notice(project, change)
    found = [(p.slug, p.column) for p in problems_of(project)]
    assert (slug, column) in found
    assert all(p.file.startswith("data/") for p in problems_of(project))


def test_a_result_must_name_an_existing_publicity(project):
    edit_notice(project, lambda b: b.update(publicity="2026-01-01-nowhere-gs"), "data/notices/2026-11-23-liuxi-gb.yaml")
    assert "publicity-not-found" in [p.slug for p in problems_of(project)]


def test_yaml_syntax_error_names_the_line(project):
    (project / NOTICE).write_text("program: dibao_rural\nkind: [publicity\n", encoding="utf-8")
    [problem] = [p for p in problems_of(project) if p.file.endswith("taoyuan-gs.yaml")]
    assert problem.slug == "yaml-syntax" and problem.line is not None


def test_a_file_name_that_would_steer_a_path_is_refused(project):
    (project / "data/notices/../notices/Bad Name!.yaml").write_text("kind: publicity\n", encoding="utf-8")
    assert "bad-notice-id" in [p.slug for p in problems_of(project)]


def test_every_problem_in_one_run_and_no_raw_value_anywhere(project):
    raw_id = fake_id(9)
    edit_notice(project, set_row("name", RAW_NAME, 0))
    edit_notice(project, set_row("id_number", raw_id, 1))
    edit_notice(project, set_row("monthly_amount", 99999, 2))
    edit_notice(project, set_row("name", RAW_NAME), "data/notices/2026-11-27-songlin-gs.yaml")
    before = sorted(p.name for p in project.iterdir())

    done = run_generator("build", "--today", "2026-11-30", cwd=project)

    assert done.returncode == 1
    output = done.stdout + done.stderr
    assert "Traceback" not in output
    assert output.count("[name-not-masked]") == 2
    assert "[field-not-allowed]" in output and "[amount-above-standard]" in output
    assert "taoyuan-gs.yaml 第" in output and "songlin-gs.yaml 第" in output
    assert RAW_NAME not in output and raw_id not in output
    assert "测*" in output  # the masked form tells the clerk what to write instead
    assert sorted(p.name for p in project.iterdir()) == before  # nothing written, not even a site/


# -- keys the tool does not know, and the line of each top-level field (a clerk's review) --

def line_of_key(project: Path, key: str, name: str = NOTICE) -> int:
    lines = (project / name).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith(f"{key}:"))


def test_a_misspelt_objections_key_is_an_error_not_an_objection_silently_dropped(project):
    edit_notice(project, lambda b: b.update(objection=[{"row": 1, "raised_on": "2026-11-26"}], publicity_end="2026-11-20"))
    found = [p for p in problems_of(project) if p.slug == "unknown-field"]
    assert [(p.file, p.line, p.column) for p in found] == [
        (NOTICE, line_of_key(project, "objection"), "objection"), (NOTICE, line_of_key(project, "publicity_end"), "publicity_end")]
    assert "是不是“objections”（异议记录）" in found[0].message


def test_a_misspelt_key_inside_an_objection_is_an_error(project):
    edit_notice(project, lambda b: b.update(objections=[{"row": 1, "raised_on": "2026-11-26", "resolve_on": "2026-11-27"}]))
    found = [p for p in problems_of(project) if p.slug == "unknown-field"]
    assert [p.column for p in found] == ["resolve_on"] and "resolved_on" in found[0].message


def test_an_unknown_key_that_is_not_a_plain_field_name_is_not_repeated(project):
    edit_notice(project, lambda b: b.update({RAW_NAME: "13900001111"}))
    found = [p for p in problems_of(project) if p.slug == "unknown-field"]
    assert len(found) == 1 and found[0].column is None and found[0].line == line_of_key(project, RAW_NAME)
    assert RAW_NAME not in found[0].format()


def test_problems_with_a_top_level_field_name_its_own_line(project):
    edit_notice(project, lambda b: b.update(division="990100999999", issuer=f"镇政府{fake_id(9)}"))
    by_column = {p.column: p.line for p in problems_of(project) if p.column in ("division", "issuer")}
    assert by_column == {"division": line_of_key(project, "division"), "issuer": line_of_key(project, "issuer")}
    assert line_of_key(project, "division") != line_of_key(project, "issuer")


def test_a_full_name_in_the_issuer_is_a_warning_and_village_committees_are_not_names(project):
    edit_notice(project, lambda b: b.update(issuer="示范县东风镇人民政府（经办人：王小明）"))
    found = [p for p in problems_of(project) if p.slug == "possible-name-in-text"]
    assert [(p.column, p.line) for p in found] == [("issuer", line_of_key(project, "issuer"))]
    assert "王**" in found[0].message and "王小明" not in found[0].message
    edit_notice(project, lambda b: b.update(issuer="示范县东湖镇下林村民委员会"))
    assert "possible-name-in-text" not in [p.slug for p in problems_of(project)]


# -- rules import checked across notices, now at build too (a hand-copied file must not pass) --

LIUXI_RESULT = "data/notices/2026-11-23-liuxi-gb.yaml"
TEKUN_RESULT = "data/notices/2026-11-13-baiyun-tk-gb.yaml"
DISABILITY_RESULT = "data/notices/2026-11-20-xinghua-lx-gb.yaml"


def test_a_person_in_two_results_of_one_program_in_one_month_is_an_error_at_the_later_row(project):
    copy = "data/notices/2026-11-24-liuxi-gb2.yaml"
    text = (project / LIUXI_RESULT).read_text(encoding="utf-8")
    (project / copy).write_text(text.replace("示民发〔2026〕88号", "示民发〔2026〕89号"), encoding="utf-8")
    found = [p for p in problems_of(project) if p.slug == "already-listed-this-month"]
    rows = yaml.safe_load(text)["roster"]
    assert len(found) == len(rows) and {p.file for p in found} == {copy}
    assert LIUXI_RESULT in found[0].message and "示范县社会救助资金发放管理办法" in found[0].message
    assert {p.slug for p in problems_of(project)} == {"already-listed-this-month"}


def test_a_tekun_person_in_a_later_disability_subsidy_result_is_an_error_naming_the_tekun_row(project):
    tekun_key = yaml.safe_load((project / TEKUN_RESULT).read_text(encoding="utf-8"))["roster"][0]["person_key"]
    edit_notice(project, set_row("person_key", tekun_key), DISABILITY_RESULT)
    found = [p for p in problems_of(project) if p.slug == "excluded-by-other-program"]
    assert [(p.file, p.column) for p in found] == [(DISABILITY_RESULT, "person_key")]
    assert "特困人员救助供养" in found[0].message and TEKUN_RESULT in found[0].message and "补贴对象" in found[0].message
    assert found[0].severity is Severity.ERROR  # 特困 records its ends: still listed is an error


def test_both_disability_subsidies_in_separate_lists_of_one_month_are_allowed(project):
    """生活补贴 and 护理补贴 are two payments one person may have (review): two lists in a month are fine."""
    body = yaml.safe_load((project / DISABILITY_RESULT).read_text(encoding="utf-8"))
    body["document_number"] = "示民发〔2026〕54号"
    body["roster"] = [dict(body["roster"][1], subsidy_type="护理补贴")]  # 生活补贴 in the first list
    (project / "data/notices/2026-11-21-xinghua-hl-gb.yaml").write_text(
        yaml.safe_dump(body, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert problems_of(project) == []
    body["roster"][0]["subsidy_type"] = "生活补贴"  # the same payment twice in a month is not
    (project / "data/notices/2026-11-21-xinghua-hl-gb.yaml").write_text(
        yaml.safe_dump(body, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert [p.slug for p in problems_of(project)] == ["already-listed-this-month"]


def test_a_former_disability_subsidy_recipient_entering_tekun_is_a_warning_not_an_error(project):
    """两项补贴 records no end (no 终止 kind, no change column): the tool cannot tell the subsidy stopped (review)."""
    tekun_key = yaml.safe_load((project / TEKUN_RESULT).read_text(encoding="utf-8"))["roster"][0]["person_key"]
    body = yaml.safe_load((project / DISABILITY_RESULT).read_text(encoding="utf-8"))
    body.update(document_number="示民发〔2026〕3号", approved_on=dt.date(2026, 1, 18), published_on=dt.date(2026, 1, 20))
    body["roster"][0]["person_key"] = tekun_key
    (project / "data/notices/2026-01-20-xinghua-lx-gb.yaml").write_text(
        yaml.safe_dump(body, allow_unicode=True, sort_keys=False), encoding="utf-8")
    found = [p for p in problems_of(project) if p.slug == "excluded-by-other-program"]
    assert sorted((p.file, p.severity.value) for p in found) == [  # the 特困 公示 and its 公布
        ("data/notices/2026-11-02-baiyun-tk-gs.yaml", "警告"), (TEKUN_RESULT, "警告")]
    assert "核实已停发" in found[0].message


KEY = "a" * 64


def _notice(nid, program, kind, start, change="新增", effective_on=None):
    from generator.model import Notice, NoticeKind, Provenance, RosterRow

    kind = NoticeKind(kind)
    row = RosterRow(KEY, {"change": change}, Provenance(f"data/notices/{nid}.yaml", 10))
    return Notice(nid, program, kind, "990100201204", "x", "x", start, None,
                  start if kind is NoticeKind.RESULT else None, (row,), Provenance(f"data/notices/{nid}.yaml", 1),
                  effective_on=effective_on)


@pytest.mark.parametrize(("subsidy_on", "listed"), [
    (dt.date(2026, 2, 10), True),    # 特困 since January, terminated from March 31: still listed in February
    (dt.date(2026, 4, 10), False),   # ended: free
    (dt.date(2026, 6, 10), True),    # re-admitted in May
])
def test_a_tekun_termination_frees_the_person_from_its_effective_date_at_import_and_build_alike(subsidy_on, listed):
    from generator.programs import all_programs
    from generator.validate import Listings, _excluded

    tekun = [_notice("2026-01-10-t-gb", "tekun", "result", dt.date(2026, 1, 10)),
             _notice("2026-03-01-t-zz", "tekun", "termination", dt.date(2026, 3, 1), effective_on=dt.date(2026, 3, 31)),
             _notice("2026-05-10-t-gb", "tekun", "result", dt.date(2026, 5, 10))]
    if subsidy_on < dt.date(2026, 5, 10):
        tekun = tekun[:2]
    subsidy = _notice("d-gb", "disability_subsidies", "result", subsidy_on)
    at_build = [p.slug for p in _excluded(tekun + [subsidy], all_programs())]
    at_import = Listings(tekun, all_programs()).still_listed("tekun", KEY, (subsidy_on, "d-gb")) is not None
    assert at_build == (["excluded-by-other-program"] if listed else []) and at_import == listed
