"""The audit finds planted personal data, passes clean output, and never prints a raw value."""

import gzip
import json
from pathlib import Path

import pytest

from conftest import fake_id, run_generator
from generator.audit import audit
from generator.detect import find_personal_data

RAW_ID = fake_id(123)
RAW_MOBILE = "13800000000"  # synthetic


def site_with(tmp_path: Path, name: str, content: str | bytes) -> Path:
    root = tmp_path / "site"
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    (root / "index.html").write_text("<p>干净的页面</p>", encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("notices/a/index.html", f"<td>{RAW_ID}</td>", "id-number"),
        ("notices/a/index.html", f"<td>{RAW_ID[:17]}x</td>" if RAW_ID.endswith("X") else f"<td>{RAW_ID}</td>",
         "id-number"),
        ("search/search_index.json", json.dumps({"docs": [{"text": f"身份证{RAW_ID}"}]}), "id-number"),
        ("sitemap.xml.gz", gzip.compress(f"<loc>{RAW_ID}</loc>".encode()), "id-number"),
        ("feed.xml", f"<summary>电话{RAW_MOBILE}</summary>", "mobile"),
        ("assets/page.js", f'var phone="{RAW_MOBILE}";', "mobile"),
        (f"files/{RAW_ID}.html", "<p>文件名里有身份证号</p>", "id-number"),
        (f"notices/{RAW_ID}/index.html", "<p>目录名里有身份证号</p>", "id-number"),
        ("downloads/roster.xlsx", b"PK\x03\x04", "data-file"),
        ("downloads/roster.csv", "组,姓名\n", "data-file"),
        ("data.yaml", "a: 1\n", "data-file"),
    ],
)
def test_planted_leaks_are_found(tmp_path, name, content, kind):
    findings = audit(site_with(tmp_path, name, content))
    assert kind in [f.kind for f in findings]
    assert all(RAW_ID not in f.format() and RAW_MOBILE not in f.format() for f in findings)


@pytest.mark.parametrize(
    "false_friend",
    [
        "东政民公〔2026〕31号",  # document number
        "月保障金 1675.00 元",  # amount
        "2026-11-30",  # date
        "990100101201",  # 12-digit division code
        RAW_ID[:17] + ("0" if RAW_ID[17] != "0" else "1"),  # 18 digits, wrong check character
        "0000-1234567",  # the published hotline
        "12345678901234567890123",  # a long number that is not an ID
    ],
)
def test_false_friends_are_not_flagged(false_friend):
    assert list(find_personal_data(f"<p>{false_friend}</p>", allowed=frozenset({"00001234567"}))) == []


def test_a_published_hotline_that_is_a_mobile_is_allowed(tmp_path):
    root = site_with(tmp_path, "index2.html", f"监督电话 {RAW_MOBILE}")
    assert audit(root, allowed=frozenset({RAW_MOBILE})) == []
    assert [f.kind for f in audit(root)] == ["mobile"]


def test_person_keys_are_found(tmp_path):
    key = "ab" * 32
    root = site_with(tmp_path, "x.html", f"<span data-k='{key}'>")
    assert [f.kind for f in audit(root, person_keys=frozenset({key}))] == ["person-key"]


def test_audit_command_fails_on_a_planted_id_without_printing_it(tmp_path):
    root = site_with(tmp_path, "notices/a/index.html", f"<p>第一行</p>\n<td>{RAW_ID}</td>")
    done = run_generator("audit", str(root), "--data", str(tmp_path / "no-data"), cwd=tmp_path)
    assert done.returncode == 1
    assert "审计未通过" in done.stdout and "notices/a/index.html 第2行" in done.stdout
    assert RAW_ID not in done.stdout + done.stderr
    assert RAW_ID[:2] + "*" * 16 in done.stdout


def test_audit_command_passes_a_clean_folder(tmp_path):
    root = site_with(tmp_path, "a.html", "<p>没有个人信息</p>")
    done = run_generator("audit", str(root), "--data", str(tmp_path / "no-data"), cwd=tmp_path)
    assert done.returncode == 0 and "审计通过" in done.stdout
