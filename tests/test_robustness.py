"""Review findings kept as regressions: odd files never crash the run, never hide other problems,
and no raw value reaches a message or the site."""

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import pytest

from conftest import REPO, fake_id, run_generator
from generator.load import load
from generator.notice_pages import Cache
from generator.programs import all_programs
from generator.publicity import decide
from generator.validate import validate
from generator.workdays import WorkCalendar

GS = "data/notices/2026-11-25-taoyuan-gs.yaml"
RAW_ID = fake_id(14)
FULL_WIDTH_ID = RAW_ID.translate(str.maketrans("0123456789", "０１２３４５６７８９"))


def write(root: Path, rel: str, text: str) -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text, encoding="utf-8")


def sub(root: Path, rel: str, old: str, new: str) -> None:
    text = (root / rel).read_text(encoding="utf-8")
    assert old in text, (rel, old)
    (root / rel).write_text(text.replace(old, new, 1), encoding="utf-8")


CRASHERS = {
    "notice_is_list": (lambda d: write(d, GS, "- a\n- b\n"), "bad-shape"),
    "notice_is_scalar": (lambda d: write(d, GS, "hello\n"), "bad-shape"),
    "notice_empty": (lambda d: write(d, GS, ""), "empty-file"),
    "notice_comment_only": (lambda d: write(d, GS, "# nothing\n"), "empty-file"),
    "site_empty": (lambda d: write(d, "data/site.yaml", ""), "empty-file"),
    "site_no_hotlines": (lambda d: sub(d, "data/site.yaml", "hotlines:\n  - label: 示范县民政局社会救助监督电话\n"
                                       "    number: 0000-1234567", "hotlines: []"), "missing-field"),
    "site_hotlines_int": (lambda d: sub(d, "data/site.yaml", "hotlines:\n  - label: 示范县民政局社会救助监督电话\n"
                                        "    number: 0000-1234567", "hotlines: 12345"), "bad-shape"),
    "divisions_villages_int": (lambda d: sub(d, "data/divisions.yaml", "    villages:\n      - {code: \"990100101001\", "
                                             "name: 东湖社区}", "    villages: 5\n    x:\n      - {a: 1}"), "bad-shape"),
    "policy_item_str": (lambda d: write(d, "data/policy/2030.yaml", "standards:\n  - foo\n"), "bad-shape"),
    "policy_amount_nan": (lambda d: sub(d, "data/policy/2021.yaml", "amount: 4020", "amount: .nan"), "bad-amount"),
    "roster_amount_nan": (lambda d: sub(d, GS, "monthly_amount: ", "monthly_amount: .nan #"), "not-a-number"),
    "roster_amount_inf": (lambda d: sub(d, GS, "monthly_amount: ", "monthly_amount: .inf #"), "not-a-number"),
    "roster_amount_1e30": (lambda d: sub(d, GS, "monthly_amount: ", "monthly_amount: 1.0e+30 #"), "not-a-number"),
    "roster_mixed_keys": (lambda d: sub(d, GS, "  group: ", "  1: x\n  remark: y\n  group: "), "field-not-allowed"),
    "date_nov31": (lambda d: sub(d, GS, "publicity_start: 2026-11-25", "publicity_start: 2026-11-31"), "bad-date"),
    "date_month13": (lambda d: sub(d, GS, "publicity_start: 2026-11-25", "publicity_start: 2026-13-01"), "bad-date"),
    "objection_date_bad": (lambda d: sub(d, GS, "raised_on: 2026-11-26", "raised_on: 2026-02-30"), "bad-date"),
    "objection_outcome_list": (lambda d: sub(d, GS, "outcome: dismissed", "outcome: [changed]"), "bad-objection-outcome"),
    "holidays_is_list": (lambda d: write(d, "data/holidays/2027.yaml", "- 2027\n"), "bad-shape"),
    "yml_suffix": (lambda d: (d / GS).rename(d / GS.replace(".yaml", ".yml")), None),
    "roster_file_in_notices": (lambda d: write(d, "data/notices/名册.csv", "a,b\n"), "unexpected-file"),
    "duplicate_id": (lambda d: (d / "data/notices/sub").mkdir() or shutil.copy(
        d / "data/notices/2026-11-24-nanling-gs.yaml", d / "data/notices/sub/2026-11-25-taoyuan-gs.yaml"),
                     "duplicate-notice-id"),
}


@pytest.mark.parametrize("case", sorted(CRASHERS))
def test_odd_data_is_a_problem_not_a_crash(tmp_path, case):
    shutil.copytree(REPO / "data", tmp_path / "data")
    change, slug = CRASHERS[case]
    change(tmp_path)
    dataset, problems = load(tmp_path / "data")
    problems += validate(dataset, all_programs())
    decide(dataset.notices, all_programs(), dt.date(2026, 11, 30), WorkCalendar(dataset.holidays))
    if slug is None:
        assert problems == [] and any(n.id == "2026-11-25-taoyuan-gs" for n in dataset.notices)
    else:
        assert slug in [p.slug for p in problems]
        assert all(p.message for p in problems)


@pytest.mark.parametrize("case", sorted(CRASHERS))
def test_a_notice_read_from_the_build_cache_is_the_notice_read_from_its_file(tmp_path, case):
    """The cache of read notice files (load._load_notice_cached) gives what reading the files gives,
    odd files and their problems too, and it is read, not parsed again."""
    shutil.copytree(REPO / "data", tmp_path / "data")
    CRASHERS[case][0](tmp_path)
    def read(cache: Cache | None) -> str:
        dataset, problems = load(tmp_path / "data", cache)
        assert sorted(dataset.file_keys) == (sorted(n.id for n in dataset.notices) if cache else [])
        return repr((dataclasses.replace(dataset, file_keys={}), problems))  # repr: YAML's .nan equals itself only by identity

    plain = read(None)
    cold = Cache(tmp_path / "cache")
    assert read(cold) == plain
    cold.prune()  # saves the entries, as a build that succeeded does
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("generator.load._load_notice", lambda *a: pytest.fail("an unchanged file was parsed again"))
        assert read(Cache(tmp_path / "cache")) == plain


def test_the_build_cache_reads_anew_only_a_file_edited_or_moved_and_line_ends_do_not_matter(tmp_path, monkeypatch):
    shutil.copytree(REPO / "data", tmp_path / "data")
    data, gs = tmp_path / "data", tmp_path / GS
    before = load(data)
    gs.write_bytes(gs.read_bytes().replace(b"\n", b"\r\n"))  # as saved by a Windows editor
    assert repr(load(data)) == repr(before)
    cache = Cache(tmp_path / "cache")
    load(data, cache)
    cache.prune()
    from generator import load as load_module

    parsed = []
    real = load_module._load_notice
    monkeypatch.setattr(load_module, "_load_notice", lambda d, path, *a: parsed.append(path.name) or real(d, path, *a))
    sub(tmp_path, GS, "publicity_start: 2026-11-25", "publicity_start: 2026-11-26")
    (data / "notices" / "sub").mkdir()
    moved = data / "notices" / "sub" / "2026-11-24-nanling-gs.yaml"
    (data / "notices" / "2026-11-24-nanling-gs.yaml").rename(moved)
    dataset, _ = load(data, Cache(tmp_path / "cache"))
    assert sorted(parsed) == ["2026-11-24-nanling-gs.yaml", "2026-11-25-taoyuan-gs.yaml"]
    by_id = {n.id: n for n in dataset.notices}
    assert by_id["2026-11-25-taoyuan-gs"].start == dt.date(2026, 11, 26)
    assert by_id["2026-11-24-nanling-gs"].where.file == "data/notices/sub/2026-11-24-nanling-gs.yaml"
    assert {r.where.file for r in by_id["2026-11-24-nanling-gs"].roster} == {by_id["2026-11-24-nanling-gs"].where.file}


def test_a_notice_file_that_is_the_very_file_an_earlier_build_read_is_not_read_again(tmp_path, monkeypatch):
    """load's identity memo (load._Identities, the rule of fileio.IDENTITY_MEMO): a file with the device,
    inode, size, modification and change times it had when a build read it settled is taken from the
    cache unread. Edited in place with its size and modification time put back, it is read (its change
    time moved); so is every file where records expired, were made by another version or are malformed,
    where the notice they name is damaged in the cache, where the change time had not settled, and where
    the memo is off (Windows). Whatever is read or not, the dataset is the one the files give."""
    import os
    import sqlite3
    import time

    from generator import load as load_module

    shutil.copytree(REPO / "data", tmp_path / "data")
    data, root = tmp_path / "data", tmp_path / "cache"
    files = sorted(str(p) for p in (data / "notices").rglob("*.yaml"))
    monkeypatch.setattr(load_module, "SETTLED_NS", 50 * 10**6)
    time.sleep(0.1)
    read: list[str] = []
    real_read, real_stat_read = load_module.read_bytes, load_module.read_bytes_and_stat
    monkeypatch.setattr(load_module, "read_bytes", lambda p, *a: read.append(str(p)) or real_read(p, *a))
    monkeypatch.setattr(load_module, "read_bytes_and_stat", lambda p: read.append(str(p)) or real_stat_read(p))

    def loaded() -> str:
        read.clear()
        cache = Cache(root)
        dataset, problems = load(data, cache)
        cache.prune()
        return repr((dataset, problems))

    def records() -> dict[str, str]:
        with sqlite3.connect(root / "cache.sqlite") as conn:
            found = dict(conn.execute("SELECT key, value FROM entries WHERE kind = 'file-identity'"))
        conn.close()
        return found

    first = loaded()
    assert sorted(read) == files and len(records()) == len(files)
    assert loaded() == first and read == []  # nothing read

    # Edited in place, the same size, its modification time put back: read again, and the edit is seen.
    gs = tmp_path / GS
    st = gs.stat()
    text = gs.read_text(encoding="utf-8")
    gs.write_text(text.replace("publicity_start: 2026-11-25", "publicity_start: 2026-11-26"), encoding="utf-8")
    os.utime(gs, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert gs.stat().st_size == st.st_size and gs.stat().st_mtime_ns == st.st_mtime_ns
    edited = loaded()
    assert read == [str(gs)] and edited != first and "datetime.date(2026, 11, 26)" in edited
    assert records().get(GS) is None  # its change time had not settled: no record yet
    time.sleep(0.1)
    assert loaded() == edited and read == [str(gs)] and GS in records()
    assert loaded() == edited and read == []

    # Expired, from another version of the program, malformed: read past, and made anew.
    monkeypatch.setattr(load_module, "RECORD_NS", 0)
    assert loaded() == edited and sorted(read) == files
    monkeypatch.setattr(load_module, "RECORD_NS", 24 * 3600 * 10**9)
    assert loaded() == edited and read == []
    with sqlite3.connect(root / "cache.sqlite") as conn:
        key, record = conn.execute("SELECT key, value FROM entries WHERE kind = 'file-identity' ORDER BY key").fetchone()
        parts = record.split(" ")
        other = " ".join(parts[:5] + ["0" * 16] + parts[6:])
        conn.execute("UPDATE entries SET value = ? WHERE kind = 'file-identity' AND key = ?", (other, key))
        key2, _ = conn.execute("SELECT key, value FROM entries WHERE kind = 'file-identity' ORDER BY key DESC").fetchone()
        conn.execute("UPDATE entries SET value = 'x y' WHERE kind = 'file-identity' AND key = ?", (key2,))
        # The notice a third record names, damaged in the cache: read from its file.
        key3, record3 = conn.execute("SELECT key, value FROM entries WHERE kind = 'file-identity' ORDER BY key"
                                     ).fetchall()[1]
        conn.execute("UPDATE entries SET value = ? WHERE kind = 'notices' AND key = ?", (b"damaged", record3.split(" ")[7]))
    conn.close()
    assert loaded() == edited and sorted(read) == sorted(str(tmp_path / k) for k in (key, key2, key3))
    assert loaded() == edited and read == []

    # Rows stored damaged under a trusted record are read from the file, if it is still the file keyed;
    # a file written since its stat (during the build) stops the build with a message, never mixes.
    import pickle

    from generator.report import BuildFailed
    from generator.stored import StoredRoster

    def damage_rows() -> None:
        with sqlite3.connect(root / "cache.sqlite") as conn:
            key = records()[GS].split(" ")[7]
            (blob,) = conn.execute("SELECT value FROM entries WHERE kind = 'notices' AND key = ?", (key,)).fetchone()
            notice, problems = pickle.loads(blob)
            damaged = dataclasses.replace(notice, roster=StoredRoster((), b"\x80\x05damaged", notice.roster.facts))
            conn.execute("UPDATE entries SET value = ? WHERE kind = 'notices' AND key = ?",
                         (pickle.dumps((damaged, problems)), key))
        conn.close()

    rows = {n.id: tuple(n.roster) for n in load(data)[0].notices}
    damage_rows()
    cache = Cache(root)
    dataset, _ = load(data, cache)
    assert read == []  # every file trusted
    by_id = {n.id: n for n in dataset.notices}
    assert tuple(by_id["2026-11-25-taoyuan-gs"].roster) == rows["2026-11-25-taoyuan-gs"]
    damage_rows()
    dataset, _ = load(data, Cache(root))
    gs.write_text(text, encoding="utf-8")
    with pytest.raises(BuildFailed) as failed:
        tuple({n.id: n for n in dataset.notices}["2026-11-25-taoyuan-gs"].roster)
    assert [p.file for p in failed.value.problems] == [GS] and "重新生成" in failed.value.problems[0].message

    # Where change times say nothing (Windows): every file read.
    monkeypatch.setattr(load_module, "IDENTITY_MEMO", False)
    loaded()
    assert sorted(read) == files


def test_masked_notices_taken_from_the_build_cache_are_those_masked_anew(tmp_path, monkeypatch):
    from generator import mask as mask_module

    shutil.copytree(REPO / "data", tmp_path / "data")
    programs = all_programs()
    dataset, _ = load(tmp_path / "data")
    expected = mask_module.mask(dataset.notices, programs)
    cache = Cache(tmp_path / "cache")
    dataset, _ = load(tmp_path / "data", cache)
    assert mask_module.mask(dataset.notices, programs, cache, dataset.file_keys) == expected
    cache.prune()
    sub(tmp_path, GS, "publicity_start: 2026-11-25", "publicity_start: 2026-11-26")
    dataset, _ = load(tmp_path / "data")
    expected = mask_module.mask(dataset.notices, programs)
    real, masked = mask_module._mask_notice, []
    monkeypatch.setattr(mask_module, "_mask_notice", lambda n, *a: masked.append(n.id) or real(n, *a))
    cache = Cache(tmp_path / "cache")
    dataset, _ = load(tmp_path / "data", cache)
    assert mask_module.mask(dataset.notices, programs, cache, dataset.file_keys) == expected
    assert masked == ["2026-11-25-taoyuan-gs"]  # only the edited notice; the rest came from the cache


# What a notice's checks depend on besides its own file (validate._check_notice_cached): each change
# below alters the problems of a notice whose file did not change.
CHECK_INPUTS = {
    "division_removed": lambda d: sub(d, "data/divisions.yaml", '      - {code: "990100101201", name: 桃源村}\n', ""),
    # The 3000-yuan 临时救助 (set below) is over a township's limit, and no longer once the township is the site's issuer.
    "site_issuer": lambda d: sub(d, "data/site.yaml", "issuer: 示范县民政局", "issuer: 示范县东湖镇人民政府"),
    "policy_standard": lambda d: sub(d, "data/policy/2021.yaml", "amount: 570", "amount: 5"),
    "named_publicity_moved": lambda d: sub(d, "data/notices/2026-10-20-xinhua-gs.yaml", "division: '990100001002'",
                                           "division: '990100101001'"),
    "not_names": lambda d: sub(d, "data/site.yaml", "issuer: 示范县民政局", "issuer: 示范县民政局\nnot_names: [王小明]"),
}


@pytest.mark.parametrize("case", sorted(CHECK_INPUTS))
def test_checks_taken_from_the_build_cache_follow_every_input_they_depend_on(tmp_path, case):
    shutil.copytree(REPO / "data", tmp_path / "data")
    sub(tmp_path, "data/notices/2026-11-05-taoyuan-cw.yaml", "item: 办公用品,", "item: 支付王小明保洁工资,")
    sub(tmp_path, "data/notices/2026-11-20-donghu-ls-sh.yaml", "amount: 1500.0", "amount: 3000.0")

    def checked(cache: Cache | None) -> list:
        dataset, problems = load(tmp_path / "data", cache)
        return problems + validate(dataset, all_programs(), cache)

    cache = Cache(tmp_path / "cache")
    before = checked(cache)
    assert before == checked(None)
    cache.prune()
    CHECK_INPUTS[case](tmp_path)
    expected = checked(None)
    assert expected != before  # the change matters: a stale cached check would show
    assert checked(Cache(tmp_path / "cache")) == expected


def test_a_broken_header_still_reports_the_unmasked_names_in_its_roster(tmp_path):
    shutil.copytree(REPO / "data", tmp_path / "data")
    sub(tmp_path, GS, "issuer: ", "nobody: ")  # header incomplete …
    sub(tmp_path, GS, "program: dibao_rural", "program: ''")
    sub(tmp_path, GS, "name: 刘*", "name: 刘测试")  # … and an unmasked name
    write(tmp_path, "data/site.yaml", "")  # and the site file broken too
    dataset, problems = load(tmp_path / "data")
    problems += validate(dataset, all_programs())
    slugs = [p.slug for p in problems]
    assert "name-not-masked" in slugs and "missing-field" in slugs and "empty-file" in slugs


def test_every_raw_form_is_refused_and_none_is_printed(project):
    """All at once: each form of a raw value in a different place, one run, nothing raw on screen."""
    sub(project, GS, "household_size: 3", f"household_size: {RAW_ID}")
    sub(project, GS, "group: 一组", f"group: 一组{FULL_WIDTH_ID}")
    sub(project, "data/notices/2026-11-27-songlin-gs.yaml", "group: ", f"group: {RAW_ID[:6]} {RAW_ID[6:14]} {RAW_ID[14:]} #")
    sub(project, "data/notices/2026-11-24-nanling-gs.yaml", "group: ", "group: 139-1234-5678 #")
    sub(project, "data/notices/2026-11-23-xiangyang-gs.yaml", "group: ", "group: +8613912345678 #")
    sub(project, "data/notices/2026-11-16-xinghua-gs.yaml", "issuer: ", "issuer: 联系人１３９１２３４５６７８ ")
    sub(project, "data/notices/2026-11-10-liuxi-gs.yaml", "program: dibao_rural", f"program: '{RAW_ID}'")
    sub(project, "data/notices/2026-11-05-xinhua-gb.yaml", "publicity: 2026-10-20-xinhua-gs", f"publicity: '{RAW_ID}'")
    done = run_generator("build", "--today", "2026-11-30", cwd=project)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    output = done.stdout + done.stderr
    for raw in (RAW_ID, FULL_WIDTH_ID, f"{RAW_ID[:6]} {RAW_ID[6:14]}", "139-1234-5678", "8613912345678",
                "１３９１２３４５６７８", "13912345678"):
        assert raw not in output, raw
    assert output.count("[personal-data-in-field]") >= 5
    assert not (project / "site").exists()


def test_a_broken_manifest_stops_the_build_instead_of_disabling_the_check(project):
    assert run_generator("build", "--today", "2026-11-30", cwd=project).returncode == 0
    (project / "site/manifest.json").write_text('{"notices": []}', encoding="utf-8")
    done = run_generator("build", "--today", "2026-12-01", cwd=project)
    assert done.returncode == 1 and "[manifest-unreadable]" in done.stderr


def test_every_template_mistake_in_one_run(project):
    write(project, "content/bad1.md", "{{ nope }}\n")
    write(project, "content/bad2.md", "# x\n{% if %}\n")
    done = run_generator("build", "--today", "2026-11-30", cwd=project)
    assert "content/bad1.md" in done.stderr and "content/bad2.md" in done.stderr


def test_mkdocs_messages_are_redacted(project):
    sub(project, "content/about.md", "# 关于本站", "# 关于本站\n\n[联系](13912345678.md)")
    done = run_generator("build", "--today", "2026-11-30", cwd=project)
    assert done.returncode == 1 and "13912345678" not in done.stderr and "13*********" in done.stderr


def test_archives_and_utf16_exports_are_caught_by_the_audit(tmp_path):
    from generator.audit import audit

    site = tmp_path / "site"
    site.mkdir()
    (site / "roster.zip").write_bytes(b"PK\x03\x04")
    (site / "roster.txt").write_bytes(f"姓名\t身份证号\n测试\t{RAW_ID}\n".encode("utf-16"))
    kinds = {(f.file, f.kind) for f in audit(site)}
    assert ("roster.zip", "data-file") in kinds and ("roster.txt", "id-number") in kinds


def test_person_keys_in_file_and_folder_names_are_masked_in_the_report(tmp_path):
    from generator.audit import audit

    key = "ab" * 32
    site = tmp_path / "site"
    (site / key).mkdir(parents=True)
    (site / key / "index.html").write_text("<p>x</p>", encoding="utf-8")
    findings = audit(site, person_keys=frozenset({key}))
    assert [f.kind for f in findings] == ["person-key"]  # the folder; the file inside has a clean name
    assert all(key not in f.format() for f in findings)


def test_values_from_data_cannot_inject_links_or_attributes(project):
    sub(project, GS, "issuer: ", "issuer: '[点我](javascript:alert(1)){: onmouseover=alert(2) }' #")
    assert run_generator("build", "--today", "2026-11-30", cwd=project).returncode == 0
    import re

    pages = 0
    for path in (project / "site").rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        pages += "点我" in html
        assert not re.search(r"<a\b[^>]*href=\"javascript:", html), path  # no link was made
        assert not re.search(r"<[^>]+\sonmouseover=", html), path  # no attribute was made
    assert pages > 0  # the text itself is shown, as text


def test_names_the_theme_prints_may_not_hold_markup(tmp_path):
    shutil.copytree(REPO / "data", tmp_path / "data")
    sub(tmp_path, "data/site.yaml", "title: 示范县社会救助公示公开", "title: 示范县<img src=x onerror=alert(4)>公开")
    sub(tmp_path, "data/divisions.yaml", "name: 桃源村", "name: '[桃源村](javascript:x)'")
    _, problems = load(tmp_path / "data")
    assert [p.slug for p in problems].count("markup-in-name") == 2


def test_a_reader_that_stops_early_is_no_internal_error(project):
    import os
    import subprocess
    import sys

    (project / "site-to-audit").mkdir()
    (project / "site-to-audit" / "index.html").write_text("<p>你好</p>", encoding="utf-8")
    read, write = os.pipe()
    os.close(read)  # `audit … | head` where head has already gone
    done = subprocess.run([sys.executable, "-m", "generator", "audit", "site-to-audit"], cwd=project, stdout=write,
                          stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    os.close(write)
    assert "内部错误" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1


def test_notice_files_are_found_as_a_recursive_glob_finds_them(tmp_path):
    """data/notices/ is walked with os.scandir (a county's 15,000 files): the same files, in the same
    order, as sorted(glob("**/*")) less folders: hidden folders entered, links to files kept, folders
    behind links not entered, broken links and odd names passed over or reported as before."""
    import os

    from generator.load import _files_under, _notice_files

    root = tmp_path / "data" / "notices"
    (root / "a" / "b").mkdir(parents=True)
    (root / ".hidden").mkdir()
    for rel in ["x.yaml", "a/y.yaml", "a/b/c.yml", ".hidden/q.yaml", "a/.dot.yaml", "a/b/ä.yaml", "a-b.yaml",
                "a.yaml", "A.yaml", "x..yaml", "名册.xlsx", "noext", "trail.", "a/b/x.yaml"]:
        (root / rel).write_text("x", encoding="utf-8")
    os.symlink(root / "a", root / "linked-folder")
    os.symlink(root / "x.yaml", root / "linked.yaml")
    os.symlink(root / "gone.yaml", root / "broken.yaml")
    by_glob = [p for p in sorted(root.glob("**/*"), key=lambda p: p.parts) if p.is_file()]
    assert [Path(p) for p in _files_under(root)] == by_glob
    problems: list = []
    found = _notice_files(tmp_path / "data", problems)
    assert [Path(f.path).relative_to(root).as_posix() for f in found] == [
        ".hidden/q.yaml", "A.yaml", "a/b/c.yml", "a/b/ä.yaml", "a/y.yaml", "a-b.yaml", "a.yaml", "linked.yaml",
        "x..yaml"]
    assert all(f.rel == "data/notices/" + Path(f.path).relative_to(root).as_posix() and f.stem == Path(f.path).stem
               for f in found)
    assert sorted((p.slug, p.file) for p in problems) == [
        ("duplicate-notice-id", "data/notices/a/b/x.yaml"), ("duplicate-notice-id", "data/notices/x.yaml"),
        ("unexpected-file", "data/notices/noext"), ("unexpected-file", "data/notices/trail."),
        ("unexpected-file", "data/notices/名册.xlsx")]
    assert _files_under(tmp_path / "nowhere") == []


def test_files_are_read_whole_as_path_read_bytes_reads_them(tmp_path):
    """fileio.read_bytes (notice files, audited pages): the same bytes and errors as Path.read_bytes,
    whatever size it was told (a stat made before the file grew or shrank)."""
    from generator.fileio import read_bytes

    for size in (0, 1, 4095, 4096, 1 << 21):
        path = tmp_path / f"f{size}"
        path.write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
        for told in (None, 0, size // 2, size, size + 10):
            assert read_bytes(path, told) == read_bytes(str(path), told) == path.read_bytes()
    for missing in (tmp_path / "missing", tmp_path):  # FileNotFoundError, IsADirectoryError
        with pytest.raises(OSError) as theirs:
            missing.read_bytes()
        with pytest.raises(type(theirs.value)):
            read_bytes(missing)


def test_the_manifest_reads_back_as_written_with_a_notice_a_line(tmp_path):
    """build.write_manifest writes what json.dumps would (read back the same), each notice on its own line."""
    import json

    from generator.build import _manifest_entry, read_manifest, write_manifest

    notices = {f"2026-11-{i:02d}-村-gs": {"digest": "ab" * 32, "kind": "publicity", "last_day": None, "start": "2026-11-01",
                                        "program": "dibao_rural", "note": '含"引号"\\与}{'} for i in range(1, 4)}
    for content in ({"version": 1, "today": "2026-11-30", "notices": notices}, {"notices": {}}, {}):
        write_manifest(tmp_path, content)
        assert read_manifest(tmp_path) == content
    write_manifest(tmp_path, {"version": 1, "notices": notices})
    lines = (tmp_path / "manifest.json").read_text(encoding="utf-8").splitlines()
    assert [line.split('"')[1] for line in lines if line.startswith('  "')] == sorted(notices)

    # Entries as publicity.manifest makes them are written field by field: the encoder's very text.
    one = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
    made = {f"n{i}": {"kind": "result", "start": "2026-11-01", "last_day": last_day, "digest": "ab" * 32,
                      "program": program} for i, (last_day, program) in enumerate(
                          [(None, "dibao"), ("2026-11-09", '低保"\\\n\u2028'), (None, 7)])}
    write_manifest(tmp_path, {"notices": made})
    assert read_manifest(tmp_path) == {"notices": made}
    lines = (tmp_path / "manifest.json").read_text(encoding="utf-8").split("\n")  # U+2028 is a line to splitlines
    assert lines[2:5] == [f"  {one(i)}: {one(entry)}" + ("," if i != "n2" else "") for i, entry in made.items()]
    assert [_manifest_entry(entry) is not None for entry in made.values()] == [True, True, False]
