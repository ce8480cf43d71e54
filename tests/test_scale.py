"""County scale, checked small: synthetic counties, the build cache, one new approval, a province.

The county-year benchmark itself (15,000 notices) is bench/county.py, never a test.
"""

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import PROJECT_PARTS, REPO, fake_id, run_generator, tree_bytes
from generator.demo import approval_text, write_demo
from generator.load import load
from generator.mask import is_masked_name
from generator.programs import all_programs
from generator.publicity import decide
from generator.report import Severity
from generator.validate import validate
from generator.workdays import WorkCalendar

TODAY = "2026-12-31"


def build(data: Path, out: Path, *extra: str):
    done = run_generator("build", "--data", str(data), "--content", str(REPO / "content"), "--templates",
                         str(REPO / "templates"), "--config", str(REPO / "mkdocs.yml"), "--out", str(out),
                         "--today", TODAY, *extra, cwd=REPO)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("county") / "data"
    write_demo(data, villages=8, months=2)
    return data


def test_the_synthetic_county_passes_every_rule(county):
    programs = all_programs()
    dataset, problems = load(county)
    assert problems == []
    assert validate(dataset, programs) == []
    decisions, problems = decide(dataset.notices, programs, dt.date.fromisoformat(TODAY), WorkCalendar())
    assert [p for p in problems if p.severity.value == "error"] == []
    kinds = {(n.program, n.kind.value, bool(n.post_hoc_reason)) for n in dataset.notices}
    village_programs = {c for c, s in programs.items() if s.level == "village" and not s.never_posted}
    assert {p for p, kind, _ in kinds if kind == "result"} >= village_programs  # every program gets a 公布
    assert ("tekun", "termination", False) in kinds and ("temporary_aid", "result", True) in kinds
    names = [r.fields["name"] for n in dataset.notices for r in n.roster if "name" in r.fields]
    assert names and all(is_masked_name(name) for name in names)


def test_the_synthetic_county_is_the_same_for_the_same_arguments(tmp_path, county):
    write_demo(tmp_path / "again", villages=8, months=2)
    assert tree_bytes(tmp_path / "again") == tree_bytes(county)
    write_demo(tmp_path / "other", villages=8, months=2, seed=1)
    assert tree_bytes(tmp_path / "other") != tree_bytes(county)


def test_demo_command_writes_a_county(tmp_path):
    done = run_generator("demo", "--villages", "3", "--months", "1", "--out", str(tmp_path / "d"), cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "数据全部虚构" in done.stderr and (tmp_path / "d/divisions.yaml").is_file()
    again = run_generator("demo", "--villages", "3", "--months", "1", "--out", str(tmp_path / "d"), cwd=REPO)
    assert again.returncode == 2  # never mixed into an existing county


def test_cached_and_cold_builds_are_byte_identical_and_one_approval_updates_every_page(tmp_path, county):
    data = tmp_path / "data"
    shutil.copytree(county, data)
    site = tmp_path / "live" / "site"
    build(data, site)
    assert (tmp_path / "live" / ".site.cache").is_dir() and not (site / ".site.cache").exists()
    first = tree_bytes(site)
    build(data, site)  # warm cache, nothing changed
    assert tree_bytes(site) == first

    pending = [n.id for n in load(data)[0].notices if n.kind.value == "publicity"
               and not (data / "notices" / f"{n.id[:-2]}gb.yaml").exists()]
    new_id, text = approval_text(data, pending[0])
    (data / "notices" / f"{new_id}.yaml").write_text(text, encoding="utf-8")
    build(data, site)  # incremental: the cache holds every other page
    cold = tmp_path / "cold" / "site"
    build(data, cold)
    assert tree_bytes(site) == tree_bytes(cold)  # nothing stale, nothing missing

    village = re.search(r"^division: \"([0-9]+)\"", text, re.M).group(1)
    month = new_id[:7]
    for page in (f"villages/{village}/index.html", f"archive/{month}/index.html", "feed.xml", "sitemap.xml"):
        assert f"notices/{new_id}/" in (site / page).read_text(encoding="utf-8"), page
    assert f"notices/{new_id}/" in (site / "search/search_index.json").read_text(encoding="utf-8")


def test_unchanged_notice_pages_are_linked_from_the_published_site_and_an_edited_one_is_written_anew(tmp_path, county):
    site = tmp_path / "site"
    build(county, site)
    pages = sorted(site.glob("notices/*/index.html"))
    before = {p: p.stat().st_ino for p in pages}
    build(county, site)  # nothing changed: every notice page is the very file published before
    assert {p: p.stat().st_ino for p in pages} == before
    edited = pages[0]
    good = edited.read_bytes()
    edited.write_bytes(good.replace(b"</body>", b"<!-- edited by hand --></body>"))
    build(county, site)
    assert edited.read_bytes() == good  # rewritten from data, not linked
    assert edited.stat().st_ino != before[edited]
    assert all(p.stat().st_ino == before[p] for p in pages[1:])


def test_a_live_page_edited_in_place_with_its_size_and_time_kept_is_still_audited(tmp_path, county):
    import os

    site = tmp_path / "site"
    build(county, site)
    page = sorted(site.glob("notices/*/index.html"))[0]
    stat = page.stat()
    text = page.read_bytes()
    old = b'<meta charset="utf-8">'
    assert old in text
    with open(page, "r+b") as fh:  # same inode, same size
        fh.write(text.replace(old, fake_id(3).encode() + b" " * (len(old) - 18), 1))
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    done = run_generator("build", "--data", str(county), "--content", str(REPO / "content"), "--templates",
                         str(REPO / "templates"), "--config", str(REPO / "mkdocs.yml"), "--out", str(site),
                         "--today", TODAY, cwd=REPO)
    assert done.returncode == 1 and "身份证号" in done.stderr and fake_id(3) not in done.stderr + done.stdout


def test_a_failed_build_leaves_site_and_cache_usable(tmp_path, county):
    data = tmp_path / "data"
    shutil.copytree(county, data)
    site = tmp_path / "site"
    build(data, site)
    before = tree_bytes(site)
    victim = sorted((data / "notices").glob("*-gs.yaml"))[0]
    good = victim.read_text(encoding="utf-8")
    victim.write_text(re.sub(r'name: "(.)\*+"', r'name: "\1三"', good, count=1), encoding="utf-8")
    done = run_generator("build", "--data", str(data), "--content", str(REPO / "content"), "--templates",
                         str(REPO / "templates"), "--config", str(REPO / "mkdocs.yml"), "--out", str(site),
                         "--today", TODAY, cwd=REPO)
    assert done.returncode == 1 and "name-not-masked" in done.stderr
    assert tree_bytes(site) == before
    victim.write_text(good, encoding="utf-8")
    build(data, site)
    assert tree_bytes(site) == before


def test_every_link_in_a_county_site_resolves(tmp_path, county):
    site = tmp_path / "site"
    build(county, site)
    broken = []
    for page in site.rglob("*.html"):
        if page.name == "404.html":
            continue  # absolute links: served from any depth
        for href in re.findall(r'href="([^"#?]+)', page.read_text(encoding="utf-8")):
            if re.match(r"^(https?:|tel:|mailto:|//)", href):
                continue
            target = (page.parent / urllib.parse.unquote(href)).resolve()
            if not (target.is_file() or (target / "index.html").is_file()):
                broken.append((page.relative_to(site).as_posix(), href))
    assert broken == []


def test_a_large_county_lists_towns_in_the_nav_and_villages_on_town_pages(tmp_path):
    from generator.mask import mask
    from generator.render import NAV_VILLAGES_MAX, render

    data = tmp_path / "data"
    write_demo(data, villages=NAV_VILLAGES_MAX + 1, months=1)
    programs = all_programs()
    dataset, _ = load(data)
    today = dt.date.fromisoformat(TODAY)
    decisions, _ = decide(dataset.notices, programs, today, WorkCalendar())
    public, _ = mask(dataset.notices, programs)
    rendered = render(dataset, public, decisions, programs, REPO / "templates", REPO / "content", today, False)
    towns = next(item for item in rendered.nav if "各乡镇、村（社区）" in item)["各乡镇、村（社区）"]
    assert all(isinstance(path, str) and path.startswith("towns/") for t in towns for path in t.values())
    town = dataset.divisions.towns[0]
    page = rendered.pages[f"towns/{town.code}/index.md"]
    assert all(f"villages/{v.code}.md" in page for v in town.villages)


def test_a_province_builds_its_counties_in_parallel_and_one_failure_stops_only_itself(tmp_path):
    province, sites = tmp_path / "province", tmp_path / "sites"
    done = run_generator("demo", "--villages", "4", "--months", "1", "--counties", "3", "--out", str(province),
                         cwd=REPO)
    assert done.returncode == 0, done.stderr
    counties = sorted(p.name for p in province.iterdir())
    assert counties == ["990100", "990200", "990300"]
    args = ("build-many", str(province), "--out", str(sites), "--jobs", "2", "--today", TODAY, "--content",
            str(REPO / "content"), "--templates", str(REPO / "templates"), "--config", str(REPO / "mkdocs.yml"))
    done = run_generator(*args, cwd=REPO)
    assert done.returncode == 0, done.stderr
    titles = {c: (sites / c / "index.html").read_text(encoding="utf-8") for c in counties}
    assert "示范县" in titles["990100"] and "示范一县" in titles["990200"] and "示范二县" in titles["990300"]
    # The same county built alone gives the same bytes.
    alone = tmp_path / "alone"
    build(province / "990200", alone)
    assert tree_bytes(alone) == tree_bytes(sites / "990200")

    before = {c: tree_bytes(sites / c) for c in counties}
    broken = sorted((province / "990300" / "notices").glob("*.yaml"))[0]
    broken.write_text(broken.read_text(encoding="utf-8").replace('kind: "', 'kind: "x'), encoding="utf-8")
    done = run_generator(*args, cwd=REPO)
    assert done.returncode == 1 and "990300" in done.stderr and "失败 1 个" in done.stderr
    assert {c: tree_bytes(sites / c) for c in counties} == before


def _modules(svg: str) -> list[list[bool]]:
    """Our QR SVG's dark modules, read back from its path of runs (M x y.5 h w, then m dx dy h w ...)."""
    size = int(re.search(r'd="M0 0h([0-9]+)v', svg).group(1))
    path = re.search(r'class="qrline" stroke="#000" d="([^"]+)"', svg).group(1)
    grid = [[False] * size for _ in range(size)]
    x = y = 0.0
    for op, a, b in re.findall(r"([Mmh])(-?[0-9.]+)(?: (-?[0-9.]+))?", path):
        if op == "M":
            x, y = float(a), float(b) - 0.5
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            for i in range(int(a)):
                grid[int(y)][int(x) + i] = True
            x += int(a)
    return grid


@pytest.mark.parametrize("notice_id", ["2026-11-25-taoyuan-gs", "2026-12-101001-dibaourban-gs", "a", "x" * 48])
def test_our_qr_svg_decodes_to_the_page_address(notice_id):
    import numpy
    import zxingcpp

    from generator.notice_pages import notice_url, qr_svg

    url = notice_url("https://gongshi.example.org/", notice_id)
    svg = qr_svg(url)
    grid = _modules(svg)
    assert all(not any(row) for row in grid[:4] + grid[-4:]) and not any(row[0] or row[-1] for row in grid)
    image = numpy.kron(numpy.where(numpy.array(grid), 0, 255).astype(numpy.uint8), numpy.ones((4, 4), numpy.uint8))
    found = zxingcpp.read_barcode(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert found is not None and found.text == url and found.ec_level == "M"
    assert svg.startswith(f'<svg width="{len(grid) * 3}" height="{len(grid) * 3}"') and "扫码查看网上公示" in svg


QR_WITHOUT_NUMPY = """
import json, sys
from generator.notice_pages import notice_url, qr_svg
svgs = [qr_svg(notice_url("https://gongshi.example.org/", "x" * n)) for n in range(0, 200, 7)]
print(json.dumps({"numpy": "numpy" in sys.modules, "svgs": svgs}))
"""


def test_qr_codes_are_the_same_made_with_numpy_or_without_it():
    """One approval's page makes its QR code without loading numpy (0.065 s); a build making many loads it
    before its workers fork. The same SVG either way, for symbols of every size up to the longest addresses."""
    import numpy  # noqa: F401 - loaded here: qr_svg below takes the numpy path

    from generator.notice_pages import notice_url, qr_svg

    done = subprocess.run([sys.executable, "-c", QR_WITHOUT_NUMPY], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    without = json.loads(done.stdout)
    assert without["numpy"] is False
    assert without["svgs"] == [qr_svg(notice_url("https://gongshi.example.org/", "x" * n)) for n in range(0, 200, 7)]
    assert len({len(svg) for svg in without["svgs"]}) > 10


@pytest.mark.parametrize("mistake, slug", [("{{ notice.no_such_field }}", "template-undefined"),
                                           ("{% for row in %}", "template-syntax")])
def test_a_mistake_in_a_body_template_is_reported_and_publishes_nothing(project, mistake, slug):
    roster = project / "templates" / "_roster.html.j2"
    roster.write_text(roster.read_text(encoding="utf-8") + mistake + "\n", encoding="utf-8")
    done = run_generator("build", "--today", "2026-11-30", cwd=project)
    assert done.returncode == 1 and f"[{slug}] templates/" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and not (project / "site").exists()


# -- found in review: what a cached page or PDF must never outlive --------------------------------------

def _project_build(project: Path, today: str = "2026-11-30"):
    return run_generator("build", "--today", today, cwd=project)


def test_a_renamed_village_is_renamed_on_every_cached_page(project):
    assert _project_build(project).returncode == 0
    divisions = project / "data/divisions.yaml"
    divisions.write_text(divisions.read_text(encoding="utf-8").replace("name: 柳溪村}", "name: 柳河村}"), encoding="utf-8")
    assert _project_build(project).returncode == 0  # warm: the cache holds the old pages
    counts = (project / "site/notices/2026-11-10-county-ge-gk/index.html").read_text(encoding="utf-8")
    assert "柳河村" in counts and "柳溪村" not in counts


def test_a_build_that_fails_the_audit_puts_none_of_its_pdfs_in_the_cache(project):
    from generator.pdf import has_chinese_font

    if not has_chinese_font():
        pytest.skip("no Chinese font: no PDFs (make system-deps installs one)")
    assert _project_build(project).returncode == 0
    cache = project / ".site.cache" / "pdf"
    before = sorted(p.name for p in cache.rglob("*") if p.is_file())
    assert before
    template = project / "templates/notice.html.j2"
    template.write_text(template.read_text(encoding="utf-8").replace(
        '<h2 id="objection">如何反映意见</h2>', f'<h2 id="objection">如何反映意见</h2><p>{fake_id(9)}</p>'), encoding="utf-8")
    done = _project_build(project)
    assert done.returncode == 1 and "审计" in done.stderr
    assert sorted(p.name for p in cache.rglob("*") if p.is_file()) == before  # nothing the failed build made


def test_a_damaged_cache_is_rebuilt_and_the_site_is_the_same(project):
    assert _project_build(project).returncode == 0
    first = tree_bytes(project / "site")
    entries = project / ".site.cache" / "cache.sqlite"
    entries.write_bytes(b"not a database" * 100)
    assert _project_build(project).returncode == 0
    assert tree_bytes(project / "site") == first
    entries.write_bytes(entries.read_bytes()[:4096])  # a database cut short
    done = _project_build(project)
    assert done.returncode == 0 or "[cache-not-saved]" in done.stderr
    assert tree_bytes(project / "site") == first and "Traceback" not in done.stderr


def test_a_damaged_cache_entry_is_computed_anew_and_replaced(tmp_path):
    import sqlite3

    from generator.notice_pages import Cache

    def fits(value) -> bool:
        return isinstance(value, list)

    cache = Cache(tmp_path)
    assert cache.remembered("kind", "key", cache.entries("kind"), lambda: ["first"], fits) == ["first"]
    cache.prune()
    with sqlite3.connect(tmp_path / "cache.sqlite") as conn:
        conn.execute("UPDATE entries SET value = ? WHERE kind = 'kind'", (b"\x80\x05damaged",))
    conn.close()
    cache = Cache(tmp_path)
    assert cache.remembered("kind", "key", cache.entries("kind"), lambda: ["again"], fits) == ["again"]
    cache.prune()
    cache = Cache(tmp_path)
    assert cache.remembered("kind", "key", cache.entries("kind"), lambda: pytest.fail("not replaced"), fits) == ["again"]


def test_the_cache_keeps_what_a_build_used_and_drops_the_rest(tmp_path):
    """Saving writes this build's new entries and deletes the ones it did not use, kind by kind, whether
    the build read a kind whole (`entries`, whose keys are then not asked for again) or key by key."""
    import sqlite3

    from generator.cache import Cache

    def stored() -> dict[str, set[str]]:
        with contextlib.closing(sqlite3.connect(tmp_path / "cache.sqlite")) as conn:
            found: dict[str, set[str]] = {}
            for kind, key in conn.execute("SELECT kind, key FROM entries"):
                found.setdefault(kind, set()).add(key)
            return found

    cache = Cache(tmp_path)
    for kind in ("whole", "by-key", "unused"):
        for key in ("a", "b"):
            cache.remember(kind, key, f"{kind}-{key}")
    cache.prune()
    assert stored() == {"whole": {"a", "b"}, "by-key": {"a", "b"}, "unused": {"a", "b"}}

    cache = Cache(tmp_path)
    known = cache.entries("whole")
    assert known == {"a": "whole-a", "b": "whole-b"}
    cache.remember("whole", "a", known["a"])
    cache.remember("whole", "c", "whole-c")
    assert cache.lookup("by-key", "b") == "by-key-b"
    cache.remember("by-key", "b", "by-key-b")
    cache.remember("by-key", "c", "by-key-c")
    cache.prune()
    assert stored() == {"whole": {"a", "c"}, "by-key": {"b", "c"}, "unused": {"a", "b"}}
    cache = Cache(tmp_path)
    assert cache.entries("whole")["c"] == "whole-c" and cache.lookup("by-key", "c") == "by-key-c"


def test_a_kinds_keys_are_listed_from_an_index_of_keys_alone(tmp_path):
    """Cache.keys reads an index of (kind, key), not the values beside the keys: a cache saved without the
    index (an earlier version's) gets it at its next save, with the same keys listed."""
    import sqlite3

    from generator.cache import Cache

    with contextlib.closing(sqlite3.connect(tmp_path / "cache.sqlite")) as conn:
        conn.execute("CREATE TABLE entries (kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, "
                     "PRIMARY KEY (kind, key)) WITHOUT ROWID")
        conn.executemany("INSERT INTO entries VALUES (?, ?, ?)", [("qr", f"k{i}", "x" * 5000) for i in range(50)])
        conn.commit()
    cache = Cache(tmp_path)
    assert cache.keys("qr") == {f"k{i}" for i in range(50)}
    for i in range(50):
        cache.keep_stored("qr", f"k{i}")
    cache.remember("qr", "new", "y")
    cache.prune()
    with contextlib.closing(sqlite3.connect(tmp_path / "cache.sqlite")) as conn:
        plan = " ".join(str(row) for row in conn.execute("EXPLAIN QUERY PLAN SELECT key FROM entries WHERE kind = ?",
                                                          ("qr",)))
    assert "COVERING INDEX entry_keys" in plan
    assert Cache(tmp_path).keys("qr") == {f"k{i}" for i in range(50)} | {"new"}


def test_the_audit_scanners_are_kept_in_the_cache_and_a_damaged_one_is_replaced(tmp_path, monkeypatch):
    """Blobs (the build's store for the audit's compiled scanners): what one build saved the next loads;
    an entry the prefilter finds damaged is compiled anew and written over the stored one."""
    import sqlite3

    from generator import audit_scan
    from generator.audit import make_prefilter
    from generator.cache import Cache

    keys = frozenset({"ab" * 32})
    cache = Cache(tmp_path)
    assert cache.blobs("scanners").load("nothing") is None
    make_prefilter(frozenset(), keys, None, cache.blobs("scanners"))
    cache.prune()
    with contextlib.closing(sqlite3.connect(tmp_path / "cache.sqlite")) as conn:
        (key, good), = conn.execute("SELECT key, value FROM entries WHERE kind = 'scanners'")
        conn.execute("UPDATE entries SET value = ? WHERE kind = 'scanners'", (good[:-1] + bytes([good[-1] ^ 1]),))
        conn.commit()

    compiled = []
    original = audit_scan.hyperscan.Database

    class Counting(original):
        def compile(self, *args, **kwargs):
            compiled.append(1)
            return super().compile(*args, **kwargs)

    monkeypatch.setattr(audit_scan.hyperscan, "Database", Counting)
    cache = Cache(tmp_path)
    make_prefilter(frozenset(), keys, None, cache.blobs("scanners"))
    assert compiled == [1]
    cache.prune()
    cache = Cache(tmp_path)
    assert cache.blobs("scanners").load(key) == good
    prefilter = make_prefilter(frozenset(), keys, None, cache.blobs("scanners"))
    assert compiled == [1]
    assert not prefilter.clean(f"<p data-k='{'AB' * 32}'>".encode(), ".html", True)
    assert prefilter.clean(f"<p data-k='{'cd' * 32}'>".encode(), ".html", True)
    cache.prune()  # used: kept
    assert Cache(tmp_path).blobs("scanners").load(key) == good


def test_a_cache_that_cannot_be_saved_is_a_warning_after_the_site_is_published(project):
    assert _project_build(project).returncode == 0
    entries = project / ".site.cache" / "cache.sqlite"
    entries.unlink()
    (entries / "x").mkdir(parents=True)  # writing the entries now fails
    done = _project_build(project, "2026-12-01")
    assert done.returncode == 0, done.stderr
    assert "[cache-not-saved]" in done.stderr
    assert '"today": "2026-12-01"' in (project / "site/manifest.json").read_text(encoding="utf-8")



def test_a_pdf_is_made_again_when_the_renderer_changes(project, monkeypatch):
    """The fingerprint is part of each cached PDF's key: a build with another renderer makes every PDF anew."""
    from generator import pdf
    from generator.build import Paths, build

    if not pdf.has_chinese_font():
        pytest.skip("no Chinese font: no PDFs (make system-deps installs one)")
    paths = Paths(project / "data", project / "content", project / "templates", project / "mkdocs.yml",
                  project / "site")
    made: list[str] = []
    make = pdf._make_pdf
    monkeypatch.setattr(pdf, "PDF_WORKER_MIN", 10**6)  # in this process, so the calls can be counted
    monkeypatch.setattr(pdf, "_make_pdf", lambda item: made.append(item[2].name) or make(item))
    for fingerprint, expected_new in (("renderer A", True), ("renderer A", False), ("renderer B", True)):
        monkeypatch.setattr(pdf, "renderer_fingerprint", lambda value=fingerprint: value)
        made.clear()
        build(paths, dt.date(2026, 11, 30), pdfs=True)
        assert bool(made) is expected_new, (fingerprint, made)


def test_a_build_whose_pdfs_all_come_from_the_cache_does_not_load_weasyprint(project):
    """WeasyPrint takes ~0.9 s to import: a rebuild whose PDFs are all cached (the same renderer
    fingerprint, Pango's version read without it) does without it and gives the same bytes; PDFs the
    cache does not hold still load it and are made, the same bytes again."""
    from generator.pdf import has_chinese_font

    if not has_chinese_font():
        pytest.skip("no Chinese font: no PDFs (make system-deps installs one)")
    assert _project_build(project).returncode == 0
    first = tree_bytes(project / "site")
    assert any(name.startswith("pdf/") for name in first)
    script = ("import datetime as dt, sys; from pathlib import Path; from generator.build import Paths, build; "
              "p = Path(sys.argv[1]); build(Paths(p / 'data', p / 'content', p / 'templates', p / 'mkdocs.yml', "
              "p / 'site'), dt.date(2026, 11, 30)); print('weasyprint' in sys.modules)")

    def rebuild() -> str:
        done = subprocess.run([sys.executable, "-c", script, str(project)], cwd=REPO, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert rebuild() == "False"
    assert tree_bytes(project / "site") == first
    shutil.rmtree(project / ".site.cache" / "pdf")  # PDFs to make again
    assert rebuild() == "True"
    assert tree_bytes(project / "site") == first


def test_a_cached_pdf_is_not_reused_once_a_font_changes(tmp_path, monkeypatch):
    """The PDF cache key holds the font files fontconfig offers (and the libraries' versions): a new or
    updated font makes new PDFs, as a first build on the machine would (same input, same bytes)."""
    import shutil as sh
    import subprocess

    from generator.pdf import renderer_fingerprint

    if not sh.which("fc-list"):
        pytest.skip("no fontconfig")
    fonts = [f for f in subprocess.run(["fc-list", "--format", "%{file}\n"], capture_output=True, text=True)
             .stdout.splitlines() if f.endswith((".ttf", ".ttc", ".otf"))]
    if not fonts:
        pytest.skip("no font installed")
    (tmp_path / "fonts").mkdir()
    font = Path(sh.copy(fonts[0], tmp_path / "fonts"))
    conf = tmp_path / "fonts.conf"
    conf.write_text(f"<?xml version='1.0'?><fontconfig><dir>{tmp_path / 'fonts'}</dir>"
                    f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>", encoding="utf-8")
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))
    before = renderer_fingerprint()
    assert str(font) in before and "weasyprint=" in before and "pango=" in before
    assert renderer_fingerprint() == before
    stat = font.stat()
    os.utime(font, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # the font package was updated
    updated = renderer_fingerprint()
    assert updated != before
    rule = tmp_path / "99-prefer.conf"  # a rule that maps one family to another: same files, other PDFs
    rule.write_text("<?xml version='1.0'?><fontconfig></fontconfig>", encoding="utf-8")
    conf.write_text(conf.read_text(encoding="utf-8").replace("</fontconfig>", f"<include>{rule}</include></fontconfig>"),
                    encoding="utf-8")
    assert renderer_fingerprint() != updated


def test_a_rebuild_checks_only_free_texts_it_has_not_seen_for_names(project, monkeypatch):
    """Texts an earlier build found free of names are remembered (by digest) in the cache, so a rebuild
    need not load jieba's model for them; a new text is still checked, and a name still found."""
    from generator import detect
    from generator.build import Paths, build

    paths = Paths(project / "data", project / "content", project / "templates", project / "mkdocs.yml",
                  project / "site")
    today = dt.date(2026, 11, 30)
    log = project / "checked.txt"  # a file: validation may run in a forked process (build._validate_beside)
    find = detect.find_possible_names

    def spied(text: str):
        with open(log, "a", encoding="utf-8") as out:
            out.write(text + "\n")
        return find(text)

    monkeypatch.setattr(detect, "find_possible_names", spied)

    def rebuild() -> list:
        detect.possible_names.cache_clear()
        detect._known_clean.clear()
        detect._clean_used.clear()
        log.write_text("", encoding="utf-8")
        return build(paths, today, pdfs=False).warnings

    def checked() -> list[str]:
        return log.read_text(encoding="utf-8").splitlines()

    rebuild()
    assert checked()  # the demo's 村务公开 items
    rebuild()
    assert checked() == []
    finance = project / "data/notices/2026-11-05-taoyuan-cw.yaml"
    finance.write_text(finance.read_text(encoding="utf-8").replace("item: 办公用品,", "item: 支付王小明保洁工资,"),
                       encoding="utf-8")
    warnings = rebuild()
    assert checked() == ["支付王小明保洁工资"]
    assert "possible-name-in-text" in [w.slug for w in warnings]


def test_name_warnings_are_the_same_built_twice_in_one_process_or_without_a_cache(project):
    """A second build in the same process (after MkDocs' search plugin gave jieba the site's place names)
    and a build without a cache warn about exactly the same texts."""
    from generator.build import Paths, build, cache_dir

    paths = Paths(project / "data", project / "content", project / "templates", project / "mkdocs.yml",
                  project / "site")
    finance = project / "data/notices/2026-11-05-taoyuan-cw.yaml"
    finance.write_text(finance.read_text(encoding="utf-8").replace("item: 办公用品,", "item: 支付王小明保洁工资,"),
                       encoding="utf-8")

    def names() -> list[tuple]:
        warnings = build(paths, dt.date(2026, 11, 30), pdfs=False).warnings
        return [(w.file, w.line, w.message) for w in warnings if w.slug == "possible-name-in-text"]

    first = names()
    assert len(first) == 1
    assert names() == first
    shutil.rmtree(cache_dir(paths.out))
    assert names() == first


# A build whose swap first checks that no file of the published site was written (not even with the
# same bytes: its modification time would change) since the build started.
SWAP_CHECKED_BUILD = """
import datetime as dt, sys
from pathlib import Path
import generator.build as b

data, site, today = Path(sys.argv[1]), Path(sys.argv[2]), dt.date.fromisoformat(sys.argv[3])
repo = Path(b.__file__).resolve().parent.parent

def written(root):
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file()}

published = written(site)
swap = b.swap_into_place

def checked_swap(new_site, out):
    if written(out) != published:
        sys.exit("the published site was written to before the swap")
    swap(new_site, out)

b.swap_into_place = checked_swap
b.build(b.Paths(data, repo / "content", repo / "templates", repo / "mkdocs.yml", site), today)
"""


def test_the_spare_notice_folders_give_the_site_a_fresh_build_gives_and_the_live_site_never_changes(
        tmp_path, county):
    """The notices folder of the site before the published one is taken over by the next build
    (15,000 folders not made again); whatever it holds, the new site is the one a cold build makes,
    and the published site is not touched before the swap, though its pages share files with it."""
    from generator.build import spare_dir

    data = tmp_path / "data"
    shutil.copytree(county, data)
    site = tmp_path / "live" / "site"
    build(data, site)
    assert not spare_dir(site).exists()
    build(data, site)
    spare = spare_dir(site)
    assert spare.is_dir() and not (spare.parent / "site" / ".site.spare-notices").exists()
    folders = sorted(p for p in spare.iterdir())
    page = folders[0] / "index.html"
    shared = page.stat().st_ino == (site / "notices" / folders[0].name / "index.html").stat().st_ino
    assert shared  # an unchanged page is one file in both
    # What a spare may hold that a fresh build must not: stray files and folders, an older page.
    (folders[1] / "stray.html").write_text("old", encoding="utf-8")
    (folders[1] / "sub").mkdir()
    (folders[2] / "index.html").unlink()
    (folders[2] / "index.html").write_text("an older page", encoding="utf-8")
    (folders[3] / "index.html").unlink()
    (folders[3] / "index.html").mkdir()
    (spare / "2020-01-990100000000-gone-gb").mkdir()
    (spare / "2020-01-990100000000-gone-gb" / "index.html").write_text("withdrawn", encoding="utf-8")
    (spare / "stray.txt").write_text("x", encoding="utf-8")
    os.symlink(folders[4], spare / "a-link")
    with open(folders[6] / "index.html", "r+b") as edited:  # in place: the file both sites hold, its size kept
        edited.write(b"<!-- edited -->")
    # A page shared with the published site but not on record (a lost cache entry) is written anew:
    # into a new file, never into the one both sites hold.
    records = tmp_path / "live" / ".site.cache" / "pages.json"
    written = json.loads(records.read_text(encoding="utf-8"))
    del written["pages"][folders[5].name]
    records.write_text(json.dumps(written), encoding="utf-8")

    pending = [n.id for n in load(data)[0].notices if n.kind.value == "publicity"
               and not (data / "notices" / f"{n.id[:-2]}gb.yaml").exists()]
    new_id, text = approval_text(data, pending[0])
    (data / "notices" / f"{new_id}.yaml").write_text(text, encoding="utf-8")
    # In a process of its own, as the command line (jieba keeps the words of earlier builds in a process).
    done = subprocess.run([sys.executable, "-c", SWAP_CHECKED_BUILD, str(data), str(site), TODAY], cwd=REPO,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    cold = tmp_path / "cold" / "site"
    build(data, cold)
    assert tree_bytes(site) == tree_bytes(cold)
    assert spare_dir(site).is_dir()  # kept again for the next build


@pytest.mark.parametrize("change", ["theme", "config", "content", "included", "sidebar", "nothing"])
def test_theme_pages_from_the_build_cache_follow_the_theme_the_config_and_the_content(project, change):
    """Home, town, village, archive and explainer pages are taken from the cache only where nothing they
    are made from changed: each change below shows on the pages a cold build makes, with or without a cache.
    "included": a file a Markdown extension (pymdownx.snippets) pulls into a page, outside the content.
    "sidebar": one page's front matter, which the theme shows in every page's menu (a status); and front
    matter whose keys are not all text builds (a YAML year)."""
    paths = ["--data", "data", "--content", "content", "--templates", "templates", "--config", "mkdocs.yml",
             "--today", "2026-11-30"]
    config, about, part = project / "mkdocs.yml", project / "content" / "about.md", project / "parts" / "part.md"
    if change == "included":
        config.write_text(config.read_text(encoding="utf-8").replace(
            "      permalink: false\n", "      permalink: false\n  - pymdownx.snippets:\n      base_path: [parts]\n"),
            encoding="utf-8")
        part.parent.mkdir()
        part.write_text("收录的段落。\n", encoding="utf-8")
        about.write_text(about.read_text(encoding="utf-8") + '\n--8<-- "part.md"\n', encoding="utf-8")
    explainer = project / "content" / "explainers" / "dibao.md"
    if change == "sidebar":
        about.write_text(about.read_text(encoding="utf-8").replace("title: 关于本站\n", "title: 关于本站\n2026: 年度\n"),
                         encoding="utf-8")
    first = run_generator("build", *paths, "--out", "site", cwd=project)
    assert first.returncode == 0, first.stderr
    if change == "theme":
        main = project / "site_overrides" / "main.html"
        main.write_text(main.read_text(encoding="utf-8").replace(
            "{% block announce %}", "{% block announce %}<!-- theme changed -->"), encoding="utf-8")
    elif change == "config":
        config.write_text(config.read_text(encoding="utf-8").replace("    - navigation.top\n", ""), encoding="utf-8")
    elif change == "content":
        about.write_text(about.read_text(encoding="utf-8") + "\n内容已修改。\n", encoding="utf-8")
    elif change == "included":
        part.write_text("收录的段落。内容已修改。\n", encoding="utf-8")
    elif change == "sidebar":
        explainer.write_text(explainer.read_text(encoding="utf-8").replace("---\ntitle:", "---\nstatus: new\ntitle:", 1),
                             encoding="utf-8")
    warm = run_generator("build", *paths, "--out", "site", cwd=project)
    assert warm.returncode == 0, warm.stderr
    cold = run_generator("build", *paths, "--out", "cold/site", cwd=project)
    assert cold.returncode == 0, cold.stderr
    assert tree_bytes(project / "site") == tree_bytes(project / "cold" / "site")
    home = (project / "site" / "index.html").read_text(encoding="utf-8")
    assert ("<!-- theme changed -->" in home) is (change == "theme")
    assert ("md-top" in home) is (change != "config")
    assert ("md-status--new" in home) is (change == "sidebar")
    assert ("内容已修改" in (project / "site" / "about" / "index.html").read_text(encoding="utf-8")) is (
        change in ("content", "included"))


@pytest.mark.parametrize("change", ["content twice", "address in the footer"])
def test_a_page_template_notice_pages_cannot_be_made_from_fails_the_build_in_chinese(project, change):
    """A changed main.html in site_overrides/ that does not hold the page content once, or writes the
    page's address where a notice page's own cannot be put: the build fails, saying in Chinese which
    template and what to do, and the site built before stays as it was."""
    paths = ["--data", "data", "--content", "content", "--templates", "templates", "--config", "mkdocs.yml",
             "--today", "2026-11-30", "--out", "site"]
    first = run_generator("build", *paths, cwd=project)
    assert first.returncode == 0, first.stderr
    before = tree_bytes(project / "site")
    main = project / "site_overrides" / "main.html"
    block = ("{% block content %}{{ super() }}{{ page.content }}{% endblock %}" if change == "content twice" else
             "{% block footer %}{{ super() }}<a href='{{ page.canonical_url }}'>本页</a>{% endblock %}")
    main.write_text(main.read_text(encoding="utf-8") + block + "\n", encoding="utf-8")
    done = run_generator("build", *paths, cwd=project)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and "the theme's" not in done.stderr
    assert "主题的页面模板（main.html）" in done.stderr
    assert "请检查改过的主题模板（site_overrides/404.html、site_overrides/main.html）最近的改动，改回原样" in done.stderr
    assert ("正文恰好放一次" in done.stderr) is (change == "content twice")
    assert tree_bytes(project / "site") == before


def test_a_sitemap_template_the_notices_cannot_be_listed_with_is_refused_in_chinese(tmp_path):
    """The sitemap refusals name the template, in Chinese; the advice names the county's copies of the
    theme's templates (any may be the one that changed: main.html extends and includes others), or, where
    there are none (assets are not templates), says to install the theme again."""
    import jinja2
    from mkdocs.config import load_config

    from generator.mkdocs_notices import SITEMAP_STAND_INS, ShellError, sitemap_with_notices
    from generator.site import _shell_advice

    (tmp_path / "docs").mkdir()
    config = load_config(str(REPO / "mkdocs.yml"), docs_dir=str(tmp_path / "docs"), site_dir=str(tmp_path / "site"))
    advice = _shell_advice(config, REPO / "mkdocs.yml", "sitemap.xml")
    assert "（site_overrides/404.html、site_overrides/main.html）" in advice and "assets" not in advice
    (tmp_path / "overrides" / "assets").mkdir(parents=True)
    (tmp_path / "overrides" / "assets" / "x.html").write_text("<p>", encoding="utf-8")
    config = load_config(str(REPO / "mkdocs.yml"), docs_dir=str(tmp_path / "docs"), site_dir=str(tmp_path / "site"),
                         theme={"name": "material", "custom_dir": str(tmp_path / "overrides")})
    assert "重新安装" in _shell_advice(config, REPO / "mkdocs.yml", "main.html")

    for body in ("{{ u }}", "n={{ loop.index }} {{ u|e }}"):
        template = jinja2.Template("<x>{% for u in pages %}<a>" + body + "</a>{% endfor %}</x>")
        with pytest.raises(ShellError) as refused:
            sitemap_with_notices(template.render(pages=SITEMAP_STAND_INS), ["u"])
        assert str(refused.value).startswith("主题的站点地图模板（sitemap.xml）") and refused.value.template == "sitemap.xml"


@pytest.mark.parametrize("fails", ["here", "everywhere", "in the child"])
def test_a_spare_notices_folder_that_cannot_be_cleaned_is_put_aside_whole(tmp_path, monkeypatch, fails):
    """Where the spare cannot be made like a fresh folder (here: a folder in it cannot be emptied), it goes
    back where it was claimed, untouched from then on, and the notices folder starts empty; also where
    half of the folders are tidied in a forked process ("everywhere"). Where only the forked process
    fails, its half is tidied here and the spare is taken over."""
    import generator.mkdocs_notices as mn

    if fails != "here":
        monkeypatch.setattr(mn, "ADOPT_BESIDE_MIN", 1)
    spare = tmp_path / "work" / "spare-notices"
    for name in "ab":
        (spare / name / "extra").mkdir(parents=True)
        (spare / name / "index.html").write_text("published page", encoding="utf-8")
    (spare / "gone").mkdir()
    parent, real = os.getpid(), mn._only_the_page

    def cannot(folder):
        if fails == "in the child" and os.getpid() == parent:
            return real(folder)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(mn, "_only_the_page", cannot)
    plugin = mn.NoticePagesPlugin(dict.fromkeys("ab"), links=mn.PageLinks(None, {}, spare=str(spare)))
    notices = tmp_path / "work" / "site" / "notices"
    notices.parent.mkdir()
    if fails == "in the child":
        assert plugin._adopt_spare(str(notices)) == {"a", "b"}
        assert sorted(str(p.relative_to(notices)) for p in notices.rglob("*")) == [
            "a", "a/index.html", "b", "b/index.html"]
        return
    assert plugin._adopt_spare(str(notices)) == set()
    assert notices.is_dir() and not any(notices.iterdir())
    assert all((spare / n / "index.html").read_text(encoding="utf-8") == "published page" for n in "ab")


def test_half_of_the_spare_folders_are_tidied_in_a_forked_process_as_they_would_be_here(tmp_path, monkeypatch):
    """A county's 15,000 adopted folders: half of them are tidied (mode, and nothing but the page) in a
    forked process while this one does the other half; the folders end up as one process leaves them."""
    import stat

    import generator.mkdocs_notices as mn

    def spare_with_strays(root):
        spare = root / "spare-notices"
        for name in "abcdef":
            (spare / name / "sub").mkdir(parents=True)
            (spare / name / "index.html").write_text(f"page {name}", encoding="utf-8")
            (spare / name / "stray.pdf").write_bytes(b"%PDF")
            (spare / name).chmod(0o500 if name in "ae" else 0o700)
        (spare / "gone").mkdir()
        (root / "site").mkdir()
        (root / "site").chmod(0o755)
        return spare

    tidied_by = tmp_path / "tidied-by"
    real_tidy = mn._tidy

    def spying_tidy(folders, mode):
        with open(tidied_by, "a", encoding="utf-8") as out:
            out.write("".join(f"{os.getpid()} {os.path.basename(f)}\n" for f in folders))
        return real_tidy(folders, mode)

    monkeypatch.setattr(mn, "_tidy", spying_tidy)
    results = []
    for beside in (True, False):
        root = tmp_path / ("beside" if beside else "here")
        root.mkdir()
        spare = spare_with_strays(root)
        monkeypatch.setattr(mn, "ADOPT_BESIDE_MIN", 1 if beside else 10**9)
        plugin = mn.NoticePagesPlugin(dict.fromkeys("abcdef"), links=mn.PageLinks(None, {}, spare=str(spare)))
        notices = root / "site" / "notices"
        assert plugin._adopt_spare(str(notices)) == set("abcdef")
        results.append(sorted((str(p.relative_to(notices)), stat.S_IMODE(p.stat().st_mode)) for p in notices.rglob("*")))
        # Each kept page's stat, from either process, for _reuse to keep it without another look.
        assert plugin.adopted_pages == {n: [st.st_ino, st.st_size, st.st_mtime_ns, st.st_mode] for n in "abcdef"
                                        for st in [os.lstat(notices / n / "index.html")]}
        pids = {line.split()[0] for line in tidied_by.read_text(encoding="utf-8").splitlines()}
        assert (str(os.getpid()) in pids) and (len(pids) == 2) is beside
        tidied_by.unlink()
    assert results[0] == results[1]
    assert [p for p, _ in results[0]] == [f"{n}{s}" for n in "abcdef" for s in ("", "/index.html")]
    assert {m for p, m in results[0] if "/" not in p} == {0o755}


@pytest.mark.parametrize("scanned", [False, True], ids=["read-here", "read-beside"])
def test_spare_folders_unchanged_since_their_build_finished_them_are_taken_as_they_are_and_the_others_tidied(
        tmp_path, monkeypatch, scanned):
    """With the time by which the spare's build had finished its notice folders (`spare_done`), a folder
    whose status has not changed since, with a fresh folder's mode and its page a regular file, is taken
    with its page's stat and not listed; one where anything was made, removed or renamed since, or that
    was chmod-ed, or whose page is not a regular file, is tidied. A page edited in place shows its new stat.
    The same where the spare was read by a process of its own while MkDocs built (`spare_scan`)."""
    import stat
    import time

    import generator.mkdocs_notices as mn
    from generator.folders import Beside

    spare = tmp_path / "work" / "spare-notices"
    (tmp_path / "work" / "site").mkdir(parents=True)
    (tmp_path / "work" / "site").chmod(0o755)
    names = "abcdefg"
    for name in names:
        (spare / name).mkdir(parents=True)
        (spare / name).chmod(0o755)
        (spare / name / "index.html").write_text(f"page {name}", encoding="utf-8")
    (spare / "g" / "index.html").unlink()
    os.symlink("elsewhere.html", spare / "g" / "index.html")  # a build leaves a regular file: tidied
    time.sleep(0.05)  # a file system's clock ticks every few milliseconds (or every second: then slower)
    (tmp_path / "done").touch()
    done = (tmp_path / "done").stat().st_ctime_ns  # as the build takes it: a file's ctime (_finished)
    time.sleep(0.05)
    (spare / "b" / "stray.html").write_text("added since", encoding="utf-8")
    (spare / "c").chmod(0o700)
    (spare / "c").chmod(0o755)  # its mode back as it was: its ctime says it changed
    (spare / "d" / "index.html").unlink()
    (spare / "d" / "index.html").write_text("page d, a new file", encoding="utf-8")
    with open(spare / "e" / "index.html", "r+b") as edited:  # in place: the folder unchanged
        edited.write(b"PAGE")
    tidied = []
    monkeypatch.setattr(mn, "_only_the_page", lambda folder, real=mn._only_the_page: tidied.append(
        os.path.basename(folder)) or real(folder))
    monkeypatch.setattr(mn, "ADOPT_BESIDE_MIN", 10**9)
    scan = Beside("spare", spare) if scanned else None
    plugin = mn.NoticePagesPlugin(dict.fromkeys(names), links=mn.PageLinks(None, {}, spare=str(spare), spare_done=done,
                                                                           spare_scan=scan))
    notices = tmp_path / "work" / "site" / "notices"
    read_here = []
    monkeypatch.setattr(mn, "spare_listing", lambda *a, real=mn.spare_listing, **k: read_here.append(a) or real(*a, **k))
    assert plugin._adopt_spare(str(notices)) == set(names)
    assert len(read_here) == (0 if scanned else 1)  # read beside: the process's listing, not one read here
    assert sorted(tidied) == ["b", "c", "d", "g"]
    assert sorted(str(p.relative_to(notices)) for p in notices.rglob("*")) == [
        f"{n}{s}" for n in names for s in ("", "/index.html") if (n, s) != ("g", "/index.html")]
    assert plugin.adopted_pages == {n: [st.st_ino, st.st_size, st.st_mtime_ns, st.st_mode] for n in names if n != "g"
                                    for st in [os.lstat(notices / n / "index.html")]}
    assert stat.S_ISREG(plugin.adopted_pages["e"][3]) and (notices / "e" / "index.html").read_bytes() == b"PAGE e"

    # Without the time (no record, or not of this folder), every folder is tidied, as before.
    notices.rename(spare.parent / "again")
    tidied.clear()
    plugin = mn.NoticePagesPlugin(dict.fromkeys(names), links=mn.PageLinks(None, {}, spare=str(spare.parent / "again")))
    assert plugin._adopt_spare(str(notices)) == set(names)
    assert sorted(tidied) == sorted(names)


def test_a_rebuild_takes_the_spare_folders_its_build_left_unchanged_without_tidying_them(project, monkeypatch):
    """The third build of a site (the first that finds a spare notices folder with its record) lists
    none of the folders it takes over; a folder changed since is tidied. A record of another folder, or
    one kept a day ago, is not used; nor is one of a site whose notices folder was replaced while it was
    live (a copy moved in, holding a stray file): its stray file is not published. The site is always the
    one a cold build makes."""
    import generator.build as gb
    import generator.mkdocs_notices as mn

    paths = gb.Paths(project / "data", project / "content", project / "templates", project / "mkdocs.yml",
                     project / "site")
    today = dt.date(2026, 11, 30)
    tidied = []
    monkeypatch.setattr(mn, "_only_the_page", lambda folder, real=mn._only_the_page: tidied.append(
        os.path.basename(folder)) or real(folder))
    monkeypatch.setattr(mn, "ADOPT_BESIDE_MIN", 10**9)
    cold = project / "cold" / "site"
    gb.build(replace(paths, out=cold), today, pdfs=False)

    def build_and_tidied() -> list[str]:
        tidied.clear()
        gb.build(paths, today, pdfs=False)
        assert tree_bytes(paths.out) == tree_bytes(cold)
        return sorted(tidied)

    record_file = gb.cache_dir(paths.out) / gb.SPARE_FILE
    build_and_tidied()
    build_and_tidied()
    record = json.loads(record_file.read_text(encoding="utf-8"))
    spare = gb.spare_dir(paths.out)
    folders = sorted(p.name for p in spare.iterdir())
    assert len(folders) > 3
    assert build_and_tidied() == []
    (spare / folders[1] / "stray.txt").write_text("x", encoding="utf-8")
    assert build_and_tidied() == [folders[1]]
    # The record of another folder (an earlier spare), or one kept a day ago: every folder is tidied.
    for stale in (record, {**json.loads(record_file.read_text(encoding="utf-8")), "kept": time_ns_a_day_ago()}):
        record_file.write_text(json.dumps(stale), encoding="utf-8")
        assert build_and_tidied() == folders
    # A copy of the notices folder, made before the next build, moved into the live site after it.
    copy = project / "copy"
    shutil.copytree(paths.out / "notices", copy / "notices", symlinks=True)
    (copy / "notices" / folders[2] / "attachment.html").write_text("not a page of this site", encoding="utf-8")
    build_and_tidied()
    shutil.rmtree(paths.out / "notices")
    (copy / "notices").rename(paths.out / "notices")
    build_and_tidied()  # swaps that site out: its notices folder is the spare now, without a record
    assert (spare / folders[2] / "attachment.html").exists() and not record_file.exists()
    assert build_and_tidied() == folders
    assert build_and_tidied() == []


def test_the_time_a_build_finished_its_notice_folders_is_one_less_where_the_file_system_clock_had_not_moved_on(
        tmp_path):
    """A change made after the swap must have a later ctime than the recorded time: where the file
    system's clock has not ticked since (a coarse clock, or a clock set back), the time is made one less."""
    import generator.mkdocs_notices as mn

    now = mn.file_system_now(str(tmp_path))
    assert isinstance(now, int) and now <= mn.file_system_now(str(tmp_path))
    assert mn.settled(now - 10**9, str(tmp_path)) == now - 10**9  # a second ago: the clock has moved on
    assert mn.settled(now + 10**12, str(tmp_path)) == now + 10**12 - 1  # not yet reached
    assert mn.settled(None, str(tmp_path)) is None
    assert mn.settled(now - 10**9, str(tmp_path / "missing")) == now - 10**9 - 1  # no file can be made there


def time_ns_a_day_ago() -> int:
    import time

    return time.time_ns() - 24 * 3600 * 10**9


@pytest.mark.parametrize("line", ["INHERIT: base.yml", "site_author: !ENV [AUTHOR, 县民政局]",
                                  "  - pymdownx.superfences:\n      preserve_tabs: !!python/name:builtins.True"])
def test_theme_pages_are_not_remembered_where_the_config_file_does_not_hold_all_the_config(tmp_path, line):
    from mkdocs.config import load_config

    from generator.mkdocs_pages import site_key

    (tmp_path / "docs").mkdir()
    (tmp_path / "base.yml").write_text("site_description: 示范\n", encoding="utf-8")
    config_file = tmp_path / "mkdocs.yml"
    config_file.write_text("site_name: 示范县\nmarkdown_extensions:\n  - toc\n", encoding="utf-8")
    assert site_key(load_config(str(config_file)), None) is not None
    config_file.write_text(f"site_name: 示范县\nmarkdown_extensions:\n  - toc\n{line}\n", encoding="utf-8")
    assert site_key(load_config(str(config_file)), None) is None


def test_the_staging_folder_of_a_killed_build_is_swept_by_the_next_and_a_running_ones_is_not(project):
    """A build killed mid-way (SIGKILL: no clean-up runs) leaves its staging folder, with the site it was
    making and the spare notices folder it claimed; the next build deletes it. A folder whose build still
    holds its lock, and one just made (no lock yet), are left alone."""
    import fcntl
    import signal
    import time

    from generator.build import STAGING_LOCK

    args = ["build", "--data", "data", "--content", "content", "--templates", "templates", "--config",
            "mkdocs.yml", "--today", "2026-11-30", "--out", "site"]
    assert run_generator(*args, cwd=project).returncode == 0
    assert run_generator(*args, cwd=project).returncode == 0  # a spare notices folder now waits
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("GENERATOR_DEBUG", None)
    killed = subprocess.Popen([sys.executable, "-m", "generator", *args], cwd=project, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(project.glob(".site.build-*/spare-notices")) and killed.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    left = list(project.glob(".site.build-*"))
    assert len(left) == 1 and (left[0] / STAGING_LOCK).is_file()  # the spare claimed, then killed
    running = project / ".site.build-running"
    running.mkdir()
    held = os.open(running / STAGING_LOCK, os.O_RDWR | os.O_CREAT)
    fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
    fresh = project / ".site.build-fresh"
    fresh.mkdir()
    try:
        done = run_generator(*args, cwd=project)
        assert done.returncode == 0, done.stderr
        assert sorted(p.name for p in project.glob(".site.build-*")) == [".site.build-fresh", ".site.build-running"]
    finally:
        os.close(held)
    cold = run_generator(*args[:-1], "cold/site", cwd=project)
    assert cold.returncode == 0
    assert tree_bytes(project / "site") == tree_bytes(project / "cold" / "site")


def _modes(root: Path) -> dict[str, int]:
    import stat

    return {p.relative_to(root).as_posix(): stat.S_IMODE(p.lstat().st_mode) for p in root.rglob("*")}


def test_pages_and_folders_taken_over_from_earlier_builds_get_the_permissions_of_a_fresh_build(project):
    """A build run with a strict umask (077: pages readable by the clerk alone) must not leave its
    permissions to later builds through linked pages or the spare notices folder: the web server
    could no longer read them. Nor may a spare folder someone made read-only stop a build."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("GENERATOR_DEBUG", None)

    def build_with(umask: int, out: str = "site") -> None:
        done = subprocess.run([sys.executable, "-m", "generator", "build", "--today", "2026-11-30", "--out", out],
                              cwd=project, env=env, capture_output=True, text=True, timeout=300,
                              preexec_fn=lambda: os.umask(umask))
        assert done.returncode == 0, done.stderr[-2000:]

    build_with(0o077)
    assert {m for m in _modes(project / "site/notices").values()} <= {0o700, 0o600}
    build_with(0o022)  # pages linked from the 077 site, unless written anew
    spare = project / ".site.spare-notices"
    folders = sorted(p for p in spare.iterdir())
    assert folders and all(p.stat().st_mode & 0o777 == 0o700 for p in folders)  # the 077 site's folders
    folders[0].chmod(0o555)
    build_with(0o022)  # takes over the 077 folders
    build_with(0o022, "cold/site")
    assert _modes(project / "site") == _modes(project / "cold/site")
    assert tree_bytes(project / "site") == tree_bytes(project / "cold/site")


def test_a_page_is_not_linked_where_the_published_one_was_replaced_meanwhile(tmp_path, monkeypatch):
    """`_reuse` checks the published page and then links it, both by path: a build that swapped its site
    in between makes the path another build's page, which must not be published by this one."""
    import generator.mkdocs_notices as mn

    published = tmp_path / "published"
    (published / "notices" / "a").mkdir(parents=True)
    page = published / "notices" / "a" / "index.html"
    page.write_text("the page this build's record is of", encoding="utf-8")
    other = tmp_path / "other.html"
    other.write_text("another build's page", encoding="utf-8")
    st = page.stat()
    plugin = mn.NoticePagesPlugin({"a": None}, links=mn.PageLinks(str(published), {"a": ["key", st.st_ino, st.st_size,
                                                                                       st.st_mtime_ns]}))
    plugin.page_mode = st.st_mode & 0o777
    dest = tmp_path / "new" / "index.html"
    dest.parent.mkdir()
    assert plugin._reuse("a", "key", str(dest)) and dest.stat().st_ino == st.st_ino
    dest.unlink()
    link = os.link
    monkeypatch.setattr(mn.os, "link", lambda src, dst: link(other, dst))  # the swap, between stat and link
    assert not plugin._reuse("a", "key", str(dest)) and not dest.exists()


def test_a_build_without_its_staging_lock_does_not_claim_the_spare_notices_folder(project, monkeypatch):
    """Without the lock a killed build's staging folder is never swept: the spare (~900 MB for a county)
    must not be in it."""
    import datetime as dt

    import generator.build as gb

    def paths() -> gb.Paths:
        return gb.Paths(project / "data", project / "content", project / "templates", project / "mkdocs.yml",
                        project / "site")

    for _ in range(2):
        gb.build(paths(), dt.date(2026, 11, 30), pdfs=False)
    assert gb.spare_dir(project / "site").is_dir()
    monkeypatch.setattr(gb, "hold_staging", lambda work: None)
    monkeypatch.setattr(gb, "claim_spare", lambda *args: pytest.fail("claimed without the lock"))
    gb.build(paths(), dt.date(2026, 11, 30), pdfs=False)


def test_a_rebuild_loads_jieba_only_for_text_no_kept_build_cut(project, monkeypatch):
    """The search plugin's jieba (mkdocs_jieba.LazyJieba) loads its dictionary (~1 s) only where a
    page holds a run of Chinese characters that no earlier build cut; cuts of pages taken from the cache
    are kept with them, so a page rebuilt from text seen before loads nothing. The site is the one a
    build without a cache makes."""
    from generator import mkdocs_jieba
    from generator.build import Paths, build

    paths = Paths(project / "data", project / "content", project / "templates", project / "mkdocs.yml",
                  project / "site")
    loads: list[int] = []
    real = mkdocs_jieba.LazyJieba._jieba

    def counted(self):
        if not self.loaded:
            loads.append(1)
        return real(self)

    monkeypatch.setattr(mkdocs_jieba.LazyJieba, "_jieba", counted)

    def loaded() -> bool:
        loads.clear()
        assert build(paths, dt.date(2026, 11, 30), pdfs=False).pages  # failed builds raise
        return bool(loads)

    assert loaded()  # cold: every run is cut
    assert not loaded()  # nothing changed
    assert not loaded()  # the cuts of pages taken from the cache were kept by the build before
    about = project / "content/about.md"
    text = about.read_text(encoding="utf-8")
    seen = "名单上只显示姓氏，名字用“*”代替；不公开身份证号、电话、住址、银行账号、疾病和残疾情况。"
    assert seen in text
    about.write_text(text.replace("## 打印", f"{seen}\n\n## 打印"), encoding="utf-8")
    assert not loaded()  # the about page is built anew from runs cut before
    about.write_text(text.replace("## 打印", "蓦然回首，那人却在灯火阑珊处。\n\n## 打印"), encoding="utf-8")
    assert loaded()
    assert not loaded()
    index = json.dumps(json.loads((project / "site/search/search_index.json").read_text(encoding="utf-8")),
                       ensure_ascii=False)
    assert "\u200b那人\u200b却\u200b在\u200b" in index  # cut into words
    monkeypatch.undo()
    shutil.rmtree(project / ".site.cache")
    cached = tree_bytes(project / "site")
    build(paths, dt.date(2026, 11, 30), pdfs=False)
    assert tree_bytes(project / "site") == cached


@pytest.mark.parametrize("text", ["关于本站", "2026年12月前林村城市低保对象公布", "A 组：县民政局（123）", "",
                                  "ABC", "\u200b西\u200b山\u200b", "第1次 临时救助 ——审核意见公示！", "𠮷野家"])
def test_notice_search_text_is_cut_as_the_search_plugin_cuts_it(text):
    from material.plugins.search.plugin import SearchIndex

    from generator import mkdocs_jieba

    index = SearchIndex(lang=["zh"], separator=r"[\s\-]+", pipeline=[], fields={}, jieba_dict=None,
                        jieba_dict_user=None)
    assert mkdocs_jieba.segmenter()(text) == index._segment_chinese(text)


def test_one_segmenter_cuts_every_text_as_the_search_plugin_cuts_it():
    """A build's segmenter makes each run's replacement once: texts sharing runs, in any order, are cut
    as the plugin cuts each."""
    from material.plugins.search.plugin import SearchIndex

    from generator import mkdocs_jieba

    index = SearchIndex(lang=["zh"], separator=r"[\s\-]+", pipeline=[], fields={}, jieba_dict=None,
                        jieba_dict_user=None)
    texts = ["2026年12月前林村城市低保对象公布", "前林村", "示范县下田镇人民政府 下田政民公〔2026〕13165号",
             "下田镇前林村特困人员审核意见公示", "前林村城市低保"]
    segment = mkdocs_jieba.segmenter()
    assert [segment(t) for t in texts + texts[::-1]] == [index._segment_chinese(t) for t in texts + texts[::-1]]


def test_a_notice_file_is_the_file_mkdocs_makes_from_the_same_arguments():
    """NoticeFile sets File's attributes itself (without File.__init__'s path conversion): MkDocs sees
    the same file as File would make, in every attribute it reads."""
    from mkdocs.structure.files import File, InclusionLevel

    from generator.mkdocs_notices import NoticeFile

    ours = NoticeFile("2026-12-101001-dibaourban-gb", "/srv/site")
    theirs = NoticeFile.__new__(NoticeFile)
    File.__init__(theirs, "notices/2026-12-101001-dibaourban-gb.md", src_dir=None, dest_dir="/srv/site",
                  use_directory_urls=True, dest_uri="notices/2026-12-101001-dibaourban-gb/index.html",
                  inclusion=InclusionLevel.NOT_IN_NAV)
    theirs.notice_id = "2026-12-101001-dibaourban-gb"
    assert vars(ours) == vars(theirs)
    for name in ["src_uri", "src_path", "dest_uri", "dest_path", "url", "abs_dest_path", "abs_src_path", "name",
                 "inclusion", "edit_uri", "use_directory_urls", "generated_by"]:
        assert getattr(ours, name) == getattr(theirs, name), name
    assert vars(ours) == vars(theirs)  # and as they are once MkDocs has read them


def test_the_theme_files_are_those_mkdocs_adds_without_walking_hidden_folders(tmp_path):
    """mkdocs_pages.VisibleTemplates skips hidden folders (Material's 14,000 icons) when MkDocs lists the theme's
    files to copy: the same files, in the same order, from the same folders, with and without a custom_dir
    holding hidden and visible files of its own (one shadowing a theme file)."""
    from mkdocs.config import load_config
    from mkdocs.structure.files import Files

    from generator.mkdocs_pages import VisibleTemplates, theme_files_listed_visibly

    overrides = tmp_path / "overrides"
    for rel in ("main.html", "assets/x.css", "assets/.hidden/y.css", ".git/config", "a/.b/c.js", "a/.d.js",
                "assets/stylesheets/extra.css", "assets/javascripts/bundle.a5f9d56c.min.js"):
        (overrides / rel).parent.mkdir(parents=True, exist_ok=True)
        (overrides / rel).write_text("x", encoding="utf-8")
    (tmp_path / "docs").mkdir()
    for custom in (None, str(REPO / "site_overrides"), str(overrides)):
        config = load_config(str(REPO / "mkdocs.yml"), docs_dir=str(tmp_path / "docs"), site_dir=str(tmp_path / "site"))
        if custom is not None:
            config.theme.dirs.insert(0, custom)
        listings = []
        for visibly in (False, True):
            files = Files([])
            with theme_files_listed_visibly() if visibly else contextlib.nullcontext():
                files.add_files_from_theme(config.theme.get_env(), config)
            listings.append([(f.src_uri, f.abs_src_path, f.dest_uri) for f in files])
        assert listings[0] == listings[1] and len(listings[0]) > 40
        assert all("/." not in uri and not uri.startswith(".") for uri, _, _ in listings[1])
    assert any(path.startswith(str(overrides)) for _, path, _ in listings[1])
    # A filter that would keep hidden files gets the whole listing.
    env = config.theme.get_env()
    assert VisibleTemplates(env).list_templates(filter_func=lambda name: True) == env.list_templates()


def test_the_sitemap_made_from_stand_ins_is_the_one_the_template_renders(tmp_path):
    """mkdocs_notices.sitemap_with_notices: the theme's sitemap template rendered with an entry per notice
    and rendered with the stand-ins then filled in are the same text (an address that needs escaping too);
    a template that writes the address twice, unescaped or changed, or anything else that differs from
    entry to entry, is refused."""
    from types import SimpleNamespace

    import jinja2
    from mkdocs.config import load_config

    from generator.mkdocs_notices import SITEMAP_STAND_INS, ShellError, sitemap_with_notices

    (tmp_path / "docs").mkdir()
    config = load_config(str(REPO / "mkdocs.yml"), docs_dir=str(tmp_path / "docs"), site_dir=str(tmp_path / "site"))
    template = config.theme.get_env().get_template("sitemap.xml")

    def entry(url: str, date="2026-11-30"):
        return SimpleNamespace(page=SimpleNamespace(is_link=False, abs_url=None, update_date=date, canonical_url=url))

    docs = [entry("https://x.example/"), entry("https://x.example/villages/990100101201/"),
            SimpleNamespace(page=SimpleNamespace(is_link=True, abs_url="/x", update_date=None, canonical_url=None))]
    for urls in (["https://x.example/notices/2026-11-101001-dibaourban-gs/"],
                 [f"https://x.example/a&b<c>/notices/2026-{m:02d}-10100{m}-dibaourban-gb/" for m in range(1, 13)]):
        expected = template.render(pages=docs + [entry(u) for u in urls])
        assert "<loc>" + urls[0].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in expected
        made = template.render(pages=docs + [entry(s) for s in SITEMAP_STAND_INS])
        assert sitemap_with_notices(made, urls) == expected
    # Templates whose entries are not the escaped address between the same texts are refused.
    for body in ("{{ u|e }}{{ u|e }}", "{{ u }}", "{{ u|lower|e }}", "n={{ loop.index }} {{ u|e }}"):
        other = jinja2.Template("<x>{% for f in pages %}{% set u = f.page.canonical_url %}<a>" + body +
                                "</a>{% endfor %}</x>")
        with pytest.raises(ShellError):
            sitemap_with_notices(other.render(pages=[entry(s) for s in SITEMAP_STAND_INS]), ["u"])
    plain = jinja2.Template("<x>{% for f in pages %}<a>{{ f.page.canonical_url|e }}</a>{% endfor %}</x>")
    assert sitemap_with_notices(plain.render(pages=[entry(s) for s in SITEMAP_STAND_INS]), ["p&q", "r"]) == \
        "<x><a>p&amp;q</a><a>r</a></x>"


def test_list_pages_are_rendered_again_only_where_what_they_show_changed(tmp_path, monkeypatch):
    """The list pages (home, archive, towns, villages) come from the build cache unless something they
    show changed: one approval renders its village, town, month, the archive and the home page again, no
    other (not the other town's page); a renamed village renders every page again. The site is the one a
    cold build makes."""
    import generator.render as render
    from generator.build import Paths, build as build_in_process

    data = tmp_path / "data"
    write_demo(data, villages=20, months=1)  # two towns
    paths = Paths(data, REPO / "content", REPO / "templates", REPO / "mkdocs.yml", tmp_path / "site")
    rendered: list[str] = []
    key, found = render._PageMemo.key, render._PageMemo.found

    def keyed(self, path, template, context):
        self.path = path
        return key(self, path, template, context)

    def looked_up(self, page_key):
        hit = found(self, page_key)
        if hit is None:
            rendered.append(self.path)
        return hit

    monkeypatch.setattr(render._PageMemo, "key", keyed)
    monkeypatch.setattr(render._PageMemo, "found", looked_up)

    def rebuild() -> set[str]:
        rendered.clear()
        build_in_process(paths, dt.date.fromisoformat(TODAY), pdfs=False)
        return set(rendered)

    every = rebuild()
    assert {"index.md", "archive.md"} < every and len(every) > 10
    assert rebuild() == set()
    pending = [n.id for n in load(data)[0].notices if n.kind.value == "publicity"
               and not (data / "notices" / f"{n.id[:-2]}gb.yaml").exists()]
    new_id, text = approval_text(data, pending[0])
    (data / "notices" / f"{new_id}.yaml").write_text(text, encoding="utf-8")
    village = re.search(r"^division: \"([0-9]+)\"", text, re.M).group(1)
    town = village[:9] + "000"
    assert rebuild() <= {"index.md", "archive.md", f"archive/{new_id[:7]}.md", f"towns/{town}/index.md",
                         f"villages/{village}.md"}
    assert f"villages/{village}.md" in rendered and f"towns/{town}/index.md" in rendered
    assert len([p for p in every if p.startswith("towns/")]) == 2
    divisions = data / "divisions.yaml"
    entry = re.search(rf"code: '{village}'\n\s+name: \S+", divisions.read_text(encoding="utf-8")).group(0)
    divisions.write_text(divisions.read_text(encoding="utf-8").replace(
        entry, entry[:entry.rindex(" ") + 1] + "改名测试村"), encoding="utf-8")
    assert rebuild() == every
    assert "改名测试村" in (tmp_path / "site" / "towns" / town / "index.html").read_text(encoding="utf-8")
    monkeypatch.undo()
    cold = Paths(data, REPO / "content", REPO / "templates", REPO / "mkdocs.yml", tmp_path / "cold" / "site")
    build_in_process(cold, dt.date.fromisoformat(TODAY), pdfs=False)
    assert tree_bytes(tmp_path / "site") == tree_bytes(tmp_path / "cold" / "site")


@pytest.mark.parametrize("damage", ["'null'", "'5'", "X'00ff'", "'[\"text\", [[\"a\"]]]'", "'garbage'"])
def test_a_damaged_list_page_entry_is_rendered_anew_and_replaced(project, damage):
    """Whatever a list page's cache entry was damaged to, the build renders the page anew (no internal
    error) and the next build finds it repaired."""
    import sqlite3

    assert _project_build(project).returncode == 0
    first = tree_bytes(project / "site")
    entries = project / ".site.cache" / "cache.sqlite"
    with contextlib.closing(sqlite3.connect(entries)) as conn, conn:
        assert conn.execute(f"UPDATE entries SET value = {damage} WHERE kind = 'list-pages'").rowcount > 0
    done = _project_build(project)
    assert done.returncode == 0, done.stderr
    assert tree_bytes(project / "site") == first
    with contextlib.closing(sqlite3.connect(entries)) as conn:
        values = [v for (v,) in conn.execute("SELECT value FROM entries WHERE kind = 'list-pages'")]
    assert values and all(isinstance(v, str) and isinstance(json.loads(v), list) and len(json.loads(v)) == 2
                          for v in values)


def test_theme_pages_follow_an_edit_of_the_jieba_dictionary_the_search_plugin_names(project):
    """`search.jieba_dict` (a whole dictionary in place of jieba's own): an edit of the file changes how
    the search index is cut, with or without the build cache."""
    import jieba

    dictionary = project / "mydict.txt"
    shutil.copy(Path(jieba.__file__).parent / "dict.txt", dictionary)
    config = project / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("      lang: zh\n",
                                                                 "      lang: zh\n      jieba_dict: mydict.txt\n"),
                      encoding="utf-8")
    assert "jieba_dict: mydict.txt" in config.read_text(encoding="utf-8")
    assert _project_build(project).returncode == 0
    with dictionary.open("a", encoding="utf-8") as fh:
        fh.write("名单正在公示 9999999 n\n")
    assert _project_build(project).returncode == 0
    index = json.loads((project / "site/search/search_index.json").read_text(encoding="utf-8"))
    assert any("名单正在公示" in doc["text"] for doc in index["docs"])
    done = run_generator("build", "--today", "2026-11-30", "--out", "cold/site", cwd=project)
    assert done.returncode == 0, done.stderr
    assert tree_bytes(project / "site") == tree_bytes(project / "cold" / "site")


def test_compiled_templates_are_remembered_and_follow_their_source(project, monkeypatch):
    """Our templates and the theme's are compiled once and their code taken from the build cache after;
    an edited template is compiled again and shows, and a damaged entry is compiled anew and replaced.
    The site equals one built without a cache."""
    import sqlite3

    import jinja2

    from generator.build import Paths, build, cache_dir

    paths = Paths(project / "data", project / "content", project / "templates", project / "mkdocs.yml",
                  project / "site")
    compiled: list[str] = []
    compile_ = jinja2.Environment.compile

    def counting(self, source, name=None, *args, **kwargs):
        compiled.append(name)
        return compile_(self, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)

    def rebuild() -> list[str]:
        compiled.clear()
        build(paths, dt.date(2026, 11, 30), pdfs=False)
        return [name for name in compiled if name]  # content pages are compiled from their text, unnamed

    first = rebuild()
    assert {"village.md.j2", "main.html", "base.html", "partials/nav-item.html"} <= set(first)
    # Only what the search plugin compiles in an environment of its own, for its language.
    assert set(rebuild()) <= {"partials/language.html", "partials/languages/zh.html", "partials/languages/en.html"}
    village = project / "templates" / "village.md.j2"
    village.write_text(village.read_text(encoding="utf-8") + "\n模板已修改。\n", encoding="utf-8")
    again = rebuild()
    assert "village.md.j2" in again and "notice.html.j2" not in again and "base.html" not in again
    assert "模板已修改" in (project / "site/villages/990100101001/index.html").read_text(encoding="utf-8")
    # The theme's templates are keyed by its site key, which holds the overrides: all compiled again.
    overrides = project / "site_overrides" / "main.html"
    overrides.write_text(overrides.read_text(encoding="utf-8").replace(
        "{% block announce %}", "{% block announce %}<!-- theme changed -->"), encoding="utf-8")
    again = rebuild()
    assert {"main.html", "base.html"} <= set(again) and "notice.html.j2" not in again
    assert "<!-- theme changed -->" in (project / "site/index.html").read_text(encoding="utf-8")
    with sqlite3.connect(cache_dir(paths.out) / "cache.sqlite") as conn:
        damaged = conn.execute("UPDATE entries SET value = ? WHERE kind = 'jinja-code'", (b"damaged",)).rowcount
    conn.close()
    assert damaged > 30
    assert "base.html" in rebuild()
    assert "base.html" not in rebuild()  # replaced
    warm = tree_bytes(paths.out)
    shutil.rmtree(cache_dir(paths.out))
    rebuild()
    assert tree_bytes(paths.out) == warm


def _stored(out: Path, kind: str) -> int:
    """How many entries of a kind the build cache of the site at `out` holds."""
    import sqlite3

    from generator.build import cache_dir

    with sqlite3.connect(cache_dir(out) / "cache.sqlite") as conn:
        count = conn.execute("SELECT count(*) FROM entries WHERE kind = ?", (kind,)).fetchone()[0]
    conn.close()
    return count


def test_qr_codes_are_kept_without_being_read_and_looked_up_for_a_page_made_anew(project, monkeypatch):
    """A rebuild reads no QR code (they are inside the cached pages) but keeps them all; a page made
    anew takes its QR code from the cache, and makes it only where the cache lost it. The site is the
    one a build without a cache makes."""
    import sqlite3

    from generator import notice_pages
    from generator.build import Paths, build, cache_dir

    paths = Paths(project / "data", project / "content", project / "templates", project / "mkdocs.yml",
                  project / "site")
    made: list[str] = []
    make = notice_pages.qr_svg
    monkeypatch.setattr(notice_pages, "qr_svg", lambda url: made.append(url) or make(url))
    read: list[str] = []  # QR codes read from the cache
    entries, lookup = notice_pages.Cache.entries, notice_pages.Cache.lookup
    monkeypatch.setattr(notice_pages.Cache, "entries", lambda self, kind: (
        read.append("all") if kind == "qr" else None) or entries(self, kind))
    monkeypatch.setattr(notice_pages.Cache, "lookup", lambda self, kind, key: (
        read.append(key) if kind == "qr" else None) or lookup(self, kind, key))
    template = project / "templates" / "notice.html.j2"

    def rebuild(edit: bool = False) -> int:
        if edit:  # every notice page made anew
            template.write_text(template.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        made.clear()
        read.clear()
        build(paths, dt.date(2026, 11, 30), pdfs=False)
        return _stored(paths.out, "qr")

    count = rebuild()
    assert count > 20 and len(made) == count
    assert rebuild() == count and made == [] and read == []
    assert rebuild(edit=True) == count and made == [] and len(read) == count and "all" not in read
    with sqlite3.connect(cache_dir(paths.out) / "cache.sqlite") as conn:
        conn.execute("DELETE FROM entries WHERE kind = 'qr' AND key LIKE '%/notices/2026-11-25-taoyuan-gs/'")
    conn.close()
    assert rebuild(edit=True) == count and made == ["https://gongshi.example.org/notices/2026-11-25-taoyuan-gs/"]
    warm = tree_bytes(paths.out)
    shutil.rmtree(cache_dir(paths.out))
    rebuild()
    assert tree_bytes(paths.out) == warm


def test_cached_notice_pages_are_read_only_where_the_site_needs_them(project, monkeypatch):
    """Page fragments are not read whole: a rebuild that links every notice page from the published site
    reads none; without a published site each is read from the cache (none rendered); one the cache
    lost between render and site is rendered again, as it was, and saved again. Always the site a build
    without a cache makes."""
    import sqlite3

    from generator import notice_pages
    from generator.build import Paths, build, cache_dir

    paths = Paths(project / "data", project / "content", project / "templates", project / "mkdocs.yml",
                  project / "site")
    read: list[str] = []
    entries, lookup = notice_pages.Cache.entries, notice_pages.Cache.lookup
    lost: set[str] = set()

    def looking_up(self, kind, key):
        if kind == "fragments":
            read.append(key)
            if key in lost:
                return None
        return lookup(self, kind, key)

    monkeypatch.setattr(notice_pages.Cache, "entries", lambda self, kind: (
        read.append("all") if kind == "fragments" else None) or entries(self, kind))
    monkeypatch.setattr(notice_pages.Cache, "lookup", looking_up)
    rendered: list[str] = []
    render_one = notice_pages._render_one
    monkeypatch.setattr(notice_pages, "_render_one", lambda index, job=None: (
        lambda found: found[2] is not None and rendered.append(found[0]) or found)(render_one(index, job)))

    def rebuild() -> int:
        read.clear()
        rendered.clear()
        build(paths, dt.date(2026, 11, 30), pdfs=False)
        return _stored(paths.out, "fragments")

    count = rebuild()
    assert count > 20 and len(rendered) == count and read == []
    first = tree_bytes(paths.out)
    assert rebuild() == count and rendered == [] and read == []
    shutil.rmtree(paths.out)
    assert rebuild() == count and rendered == [] and len(read) == count and "all" not in read
    assert tree_bytes(paths.out) == first
    shutil.rmtree(paths.out)
    with sqlite3.connect(cache_dir(paths.out) / "cache.sqlite") as conn:
        lost.add(conn.execute("SELECT key FROM entries WHERE kind = 'fragments' ORDER BY key").fetchone()[0])
    conn.close()
    assert rebuild() == count and len(rendered) == 1 and len(read) == count
    assert tree_bytes(paths.out) == first
    lost.clear()
    assert rebuild() == count and rendered == []


def test_compiled_templates_are_kept_apart_by_what_compiled_them(tmp_path):
    """Compiled code holds the environment's options (here trim_blocks), not only the template: an
    entry made under one scope (our code and Jinja's version, or the theme's site key) is never used
    under another, and each scope gets what a fresh compile gives."""
    import jinja2

    from generator.notice_pages import Cache, TemplateCode

    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "page.j2").write_text("{% if true %}\n甲\n{% endif %}\n乙\n", encoding="utf-8")

    def render(scope: str, trim: bool) -> str:
        cache = Cache(tmp_path / "cache")
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), trim_blocks=trim,
                                 bytecode_cache=TemplateCode(cache, scope))
        text = env.get_template("page.j2").render()
        cache.prune()
        return text

    def fresh(trim: bool) -> str:
        return jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), trim_blocks=trim).get_template(
            "page.j2").render()

    assert fresh(True) != fresh(False)
    assert render("code A", True) == fresh(True)
    assert render("code B", False) == fresh(False)
    assert render("code A", True) == fresh(True)


def test_public_rows_from_the_cache_are_read_only_where_a_page_needs_them(project, monkeypatch):
    """Unchanged notices' public forms come from the build cache with their rows unread: equal to, and
    with the digests of, the forms masked without a cache; the same masking report. Stored rows that
    cannot be read are masked anew when a page reads them, and the entry is replaced for the next build."""
    import pickle
    import sqlite3

    from generator import mask as masking
    from generator.digests import digest
    from generator.notice_pages import Cache

    programs = all_programs()
    root = project / ".cache"

    def masked() -> tuple[list, list, Cache]:
        cache = Cache(root)
        dataset, _ = load(project / "data", cache)
        public, record = masking.mask(dataset.notices, programs, cache, dataset.file_keys)
        return public, record, cache

    plain, plain_record = masking.mask(load(project / "data")[0].notices, programs)
    first, record, cache = masked()
    cache.prune()
    assert first == plain and record == plain_record
    again, record, cache = masked()
    assert len(again) > 20 and all(p.rows.pending for p in again)
    assert [digest(p) for p in again] == [digest(p) for p in plain] and record == plain_record
    assert again == plain and not any(p.rows.pending for p in again)
    cache.prune()

    with sqlite3.connect(root / "cache.sqlite") as conn:
        key, blob = conn.execute("SELECT key, value FROM entries WHERE kind = 'masked' ORDER BY key").fetchone()
        damaged = pickle.dumps(replace(pickle.loads(blob), rows=masking.StoredRows(blob=b"\x80\x05damaged")))
        conn.execute("UPDATE entries SET value = ? WHERE kind = 'masked' AND key = ?", (damaged, key))
    conn.close()
    again, _, cache = masked()
    assert again == plain  # the damaged rows masked anew
    cache.prune()
    monkeypatch.setattr(masking, "_remake", lambda *args: pytest.fail("the damaged entry was not replaced"))
    again, _, cache = masked()
    assert again == plain
    monkeypatch.undo()

    # The operator counts: their keys stored once an entry, as a pickle shared by alike notices. Keys that
    # cannot be read, or fewer than the counts, make that notice masked anew (and its entry replaced).
    with sqlite3.connect(root / "cache.sqlite") as conn:
        entries = conn.execute("SELECT key, value FROM entries WHERE kind = 'masked' ORDER BY key").fetchall()
        stored, second = pickle.loads(entries[0][1]), pickle.loads(entries[1][1])
        assert stored.counts and len(pickle.loads(stored.count_keys)) == len(stored.counts)
        assert second.counts and len(pickle.loads(second.count_keys)) == len(second.counts)
        # Its own keys less one (another notice's keys could be as many as its counts: the entries taken
        # here depend on the code digest in their keys).
        shorter = pickle.dumps(pickle.loads(second.count_keys)[:-1])
        conn.execute("UPDATE entries SET value = ? WHERE kind = 'masked' AND key = ?",
                     (pickle.dumps(replace(stored, count_keys=b"\x80\x05damaged")), entries[0][0]))
        conn.execute("UPDATE entries SET value = ? WHERE kind = 'masked' AND key = ?",
                     (pickle.dumps(replace(second, count_keys=shorter)), entries[1][0]))
    conn.close()
    made = []
    original = masking._mask_notice
    monkeypatch.setattr(masking, "_mask_notice", lambda notice, *a: made.append(notice.id) or original(notice, *a))
    again, record, cache = masked()
    assert again == plain and record == plain_record and len(made) == 2
    cache.prune()
    made.clear()
    again, record, cache = masked()
    assert again == plain and record == plain_record and made == []  # replaced


def _yaml_edit(project: Path, name: str, change, copy_to: str | None = None) -> None:
    import yaml

    body = yaml.safe_load((project / "data/notices" / name).read_text(encoding="utf-8"))
    change(body)
    (project / "data/notices" / (copy_to or name)).write_text(yaml.safe_dump(body, allow_unicode=True, sort_keys=False),
                                                              encoding="utf-8")


def _tekun_key() -> str:
    import yaml

    return yaml.safe_load((REPO / "data/notices/2026-11-13-baiyun-tk-gb.yaml").read_text(encoding="utf-8")
                          )["roster"][0]["person_key"]


# Each breaks one rule across notices (validate._listed_twice, _granted_twice, _excluded; publicity's
# person checks) in the demo data, as tests/test_validate.py and test_programs.py do one by one.
ACROSS_NOTICES = {
    "already-listed-this-month": lambda p: _yaml_edit(p, "2026-11-23-liuxi-gb.yaml", lambda b: b.update(
        document_number="示民发〔2026〕89号"), "2026-11-24-liuxi-gb2.yaml"),
    "granted-twice": lambda p: _yaml_edit(p, "2026-11-18-baiyun-bz-gb.yaml", lambda b: b.update(
        document_number="示民发〔2026〕58号", approved_on=dt.date(2026, 11, 23), published_on=dt.date(2026, 11, 25),
        roster=[{**b["roster"][0], "amount": 800.0}]), "2026-11-25-baiyun-bz-gb.yaml"),
    "excluded-by-other-program": lambda p: _yaml_edit(p, "2026-11-20-xinghua-lx-gb.yaml", lambda b: b["roster"][0].update(
        person_key=_tekun_key())),
    "excluded-by-other-program-warning": lambda p: _yaml_edit(p, "2026-11-20-xinghua-lx-gb.yaml", lambda b: (b.update(
        document_number="示民发〔2026〕3号", approved_on=dt.date(2026, 1, 18), published_on=dt.date(2026, 1, 20)),
        b["roster"][0].update(person_key=_tekun_key())), "2026-01-20-xinghua-lx-gb.yaml"),
    "person-not-in-publicity": lambda p: _yaml_edit(p, "2026-11-23-liuxi-gb.yaml", lambda b: b["roster"][1].update(
        person_key="b" * 64)),
}


@pytest.mark.parametrize("rule", ACROSS_NOTICES)
def test_rules_across_notices_find_the_same_with_rosters_from_the_cache_read_only_at_a_row_they_report(project, rule):
    """Unchanged notices come from the build cache with their rows unread (stored.StoredRoster): the rules
    across notices read the facts kept beside them, and the rows only of a row they report (its line, its
    masked name). The problems are those found without a cache, in the same order, where each rule fires."""
    from generator.notice_pages import Cache

    programs, today = all_programs(), dt.date(2026, 11, 30)
    ACROSS_NOTICES[rule](project)

    def problems(cache=None):
        dataset, found = load(project / "data", cache)
        found += validate(dataset, programs, cache)
        found += decide(dataset.notices, programs, today, WorkCalendar(dataset.holidays))[1]
        return dataset, [(p.slug, p.file, p.line, p.column, p.message, p.severity) for p in found]

    _, plain = problems()
    assert (rule.removesuffix("-warning"), Severity.WARNING if rule.endswith("-warning") else Severity.ERROR) in {
        (slug, severity) for slug, *_, severity in plain}
    cache = Cache(project / ".cache")
    assert problems(cache)[1] == plain
    cache.prune()
    dataset, again = problems(Cache(project / ".cache"))
    assert again == plain
    read = {n.where.file for n in dataset.notices if not n.roster.pending}
    assert read and all(any(file == p[1] or file in p[4] for p in plain) for file in read), read
    assert sum(1 for n in dataset.notices if n.roster.pending) > 20


def test_stored_rosters_that_cannot_be_read_are_read_anew_from_the_file_and_replaced(project, monkeypatch):
    import pickle
    import sqlite3

    from generator import load as loading
    from generator.notice_pages import Cache
    from generator.stored import StoredRoster

    plain = {n.id: n for n in load(project / "data")[0].notices}
    cache = Cache(project / ".cache")
    load(project / "data", cache)
    cache.prune()
    with sqlite3.connect(project / ".cache" / "cache.sqlite") as conn:
        damaged = 0
        for key, blob in conn.execute("SELECT key, value FROM entries WHERE kind = 'notices'").fetchall():
            notice, found = pickle.loads(blob)
            if notice is not None and notice.roster:
                roster = StoredRoster(blob=b"\x80\x05damaged", facts=notice.roster.facts)
                blob = pickle.dumps((replace(notice, roster=roster), found))
                conn.execute("UPDATE entries SET value = ? WHERE kind = 'notices' AND key = ?", (blob, key))
                damaged += 1
    conn.close()
    assert damaged > 20

    def rosters() -> dict:
        cache = Cache(project / ".cache")
        dataset, _ = load(project / "data", cache)
        assert all(n.roster.pending for n in dataset.notices)
        read = {n.id: tuple(n.roster) for n in dataset.notices}
        cache.prune()
        return read

    assert rosters() == {i: tuple(n.roster) for i, n in plain.items()}  # read anew from each file
    monkeypatch.setattr(loading, "_roster_anew", lambda *args: pytest.fail("the damaged entry was not replaced"))
    assert rosters() == {i: tuple(n.roster) for i, n in plain.items()}


def test_a_build_hands_what_it_kept_from_the_cycle_collector_back_whether_it_succeeds_or_fails(project):
    """The build keeps its long-lived data (dataset, public notices, pages) from the cycle collector;
    a process that builds many times (build-many, a test run) gets all of it back after each build."""
    import gc

    from generator.build import BuildFailed, Paths, build

    paths = Paths(project / "data", project / "content", project / "templates", project / "mkdocs.yml",
                  project / "site")
    assert gc.isenabled() and gc.get_freeze_count() == 0
    build(paths, dt.date(2026, 11, 30), pdfs=False)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    (paths.templates / "notice.html.j2").write_text("{{ nothing.here }}", encoding="utf-8")
    with pytest.raises(BuildFailed):
        build(paths, dt.date(2026, 11, 30), pdfs=False)
    assert gc.isenabled() and gc.get_freeze_count() == 0


@pytest.mark.parametrize("kind", ["fragments", "qr"])
def test_a_damaged_page_fragment_or_qr_code_is_made_anew_once_and_replaced(project, monkeypatch, kind):
    """An entry the cache holds as something other than text is made anew, and replaced when the build is
    saved: the next build makes nothing. The site is the one a build without a cache makes."""
    import sqlite3

    from generator import notice_pages
    from generator.build import Paths, build, cache_dir

    paths = Paths(project / "data", project / "content", project / "templates", project / "mkdocs.yml",
                  project / "site")
    made: list[str] = []
    make = notice_pages.qr_svg
    monkeypatch.setattr(notice_pages, "qr_svg", lambda url: made.append(url) or make(url))
    rendered: list[str] = []
    render_one = notice_pages._render_one
    monkeypatch.setattr(notice_pages, "_render_one", lambda index, job=None: (
        lambda found: found[2] is not None and rendered.append(found[0]) or found)(render_one(index, job)))
    template = project / "templates" / "notice.html.j2"

    def rebuild() -> tuple[list[str], list[str]]:
        made.clear()
        rendered.clear()
        if kind == "qr":  # every notice page made anew, with the QR codes from the cache
            template.write_text(template.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        build(paths, dt.date(2026, 11, 30), pdfs=False)
        return list(made), list(rendered)

    rebuild()
    rebuild()
    with sqlite3.connect(cache_dir(paths.out) / "cache.sqlite") as conn:
        key = conn.execute("SELECT key FROM entries WHERE kind = ? ORDER BY key", (kind,)).fetchone()[0]
        conn.execute("UPDATE entries SET value = ? WHERE kind = ? AND key = ?", (b"\x00\xff", kind, key))
    conn.close()
    made_now, rendered_now = rebuild()
    assert (len(made_now), len(rendered_now)) == ((1, len(rendered_now)) if kind == "qr" else (0, 1))
    made_now, rendered_now = rebuild()
    assert made_now == [] and (kind == "qr" or rendered_now == [])
    warm = tree_bytes(paths.out)
    shutil.rmtree(cache_dir(paths.out))
    rebuild() if kind == "fragments" else build(paths, dt.date(2026, 11, 30), pdfs=False)
    assert tree_bytes(paths.out) == warm


def test_body_templates_get_the_rows_as_a_tuple_whether_masked_now_or_taken_from_the_cache(project):
    """A page made anew from a public notice the cache held (its rows unread until then) sees the rows
    as a template saw them before: a tuple (|tojson, +). The site is the one a cold build makes."""
    from generator.build import Paths, build, cache_dir

    paths = Paths(project / "data", project / "content", project / "templates", project / "mkdocs.yml",
                  project / "site")
    roster = project / "templates" / "_roster.html.j2"
    roster.write_text(roster.read_text(encoding="utf-8")
                      + "<!-- {{ (notice.rows + ())|tojson|length }} -->\n", encoding="utf-8")
    build(paths, dt.date(2026, 11, 30), pdfs=False)
    template = project / "templates" / "notice.html.j2"
    template.write_text(template.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # every page anew
    build(paths, dt.date(2026, 11, 30), pdfs=False)
    warm = tree_bytes(paths.out)
    assert any(re.search(rb"<!-- [1-9][0-9]* -->", page) for page in warm.values())
    shutil.rmtree(cache_dir(paths.out))
    build(paths, dt.date(2026, 11, 30), pdfs=False)
    assert tree_bytes(paths.out) == warm


def test_stored_rows_that_cannot_be_read_are_masked_anew_and_replaced_when_pages_are_made_on_every_core(
        project, monkeypatch):
    import pickle
    import sqlite3

    from generator import mask as masking
    from generator import notice_pages
    from generator.build import Paths, build, cache_dir

    monkeypatch.setattr(notice_pages, "WORKER_MIN_NOTICES", 1)  # pages made in forked workers
    paths = Paths(project / "data", project / "content", project / "templates", project / "mkdocs.yml",
                  project / "site")
    template = project / "templates" / "notice.html.j2"
    original = template.read_text(encoding="utf-8")

    def rebuild(blank_lines: int) -> dict[str, bytes]:
        template.write_text(original + "\n" * blank_lines, encoding="utf-8")  # another: every page anew
        build(paths, dt.date(2026, 11, 30), pdfs=False)
        return tree_bytes(paths.out)

    rebuild(1)
    with sqlite3.connect(cache_dir(paths.out) / "cache.sqlite") as conn:
        damaged = 0
        for key, blob in conn.execute("SELECT key, value FROM entries WHERE kind = 'masked'").fetchall():
            masked = pickle.loads(blob)
            if masked.rows:
                blob = pickle.dumps(replace(masked, rows=masking.StoredRows(blob=b"\x80\x05damaged")))
                conn.execute("UPDATE entries SET value = ? WHERE kind = 'masked' AND key = ?", (blob, key))
                damaged += 1
    conn.close()
    assert damaged > 20
    remade = rebuild(2)

    def not_again(*args):  # an Exception (not pytest's): a worker's failure must reach the build, not hang it
        raise AssertionError("a damaged entry was not replaced")

    monkeypatch.setattr(masking, "_remake", not_again)
    warm = rebuild(1)
    shutil.rmtree(cache_dir(paths.out))
    assert rebuild(1) == warm and rebuild(2) == remade


# -- validation beside the publicity rules, on a second core (beside.py) ------------------------------

def test_run_beside_gives_what_one_after_the_other_gives_and_runs_the_first_here_where_the_child_fails(monkeypatch):
    from generator import beside

    here = os.getpid()
    assert beside.run_beside(lambda: (os.getpid() != here, [1, "二"]), lambda: os.getpid() == here) == (
        (beside.can_fork(), [1, "二"]), True)

    def dies():  # killed, in the child; here it gives its result
        if os.getpid() != here:
            os._exit(9)
        return "here"

    assert beside.run_beside(dies, lambda: 2) == ("here", 2)
    with pytest.raises(KeyError, match="raised"):  # raised where it ran here: the same exception
        beside.run_beside(lambda: {}["raised"], lambda: None)
    ran = []
    with pytest.raises(ZeroDivisionError):  # the second's exception, and the child waited for
        beside.run_beside(lambda: ran.append(1), lambda: 1 / 0)
    waitpid = os.waitpid

    def reaped_already(pid, options):  # as where SIGCHLD is ignored: the child's data tells
        waitpid(pid, options)
        raise ChildProcessError(10, "No child processes")

    monkeypatch.setattr(os, "waitpid", reaped_already)
    assert beside.run_beside(lambda: os.getpid() != here, lambda: 4) == (beside.can_fork(), 4)
    monkeypatch.setattr(os, "waitpid", waitpid)

    def no_fork():
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(os, "fork", no_fork)
    assert beside.run_beside(lambda: os.getpid(), lambda: 5) == (here, 5)
    monkeypatch.setattr(beside, "can_fork", lambda: False)
    assert beside.run_beside(lambda: os.getpid(), lambda: 3) == (here, 3)


def test_cache_changes_since_a_mark_hold_new_entries_and_those_made_anew_for_a_damaged_one(tmp_path):
    """What validation in a forked process remembered reaches the build's own cache (Cache.take), an entry
    made anew for a damaged one too (its value replaces the damaged one when the cache is saved)."""
    from generator.cache import Cache

    cache = Cache(tmp_path)
    cache.remember("notices", "kept", b"old")
    cache.remember("notices", "damaged", b"damaged")
    mark = cache.mark()
    cache.remember("notices", "damaged", b"made anew")
    cache.replace("notices", "damaged")
    cache.remember("checked", "new", b"checks")
    changes = cache.changes_since(mark)
    assert changes[0] == {"notices": {"damaged": b"made anew"}, "checked": {"new": b"checks"}}
    assert changes[1] == {("notices", "damaged")}
    other = Cache(tmp_path)
    other.remember("notices", "kept", b"old")
    other.remember("notices", "damaged", b"damaged")
    other.take(changes)
    other.prune()
    assert Cache(tmp_path).entries("notices") == {"kept": b"old", "damaged": b"made anew"}


@pytest.mark.skipif(not __import__("generator.beside").beside.can_fork(), reason="one core or no fork")
def test_validation_beside_the_rules_gives_the_problems_site_and_cache_of_one_after_the_other(tmp_path, monkeypatch):
    """A build validates in a forked process while it decides the rules (build._validate_beside): what
    validation remembers (its checks, the name check's memo) reaches the cache as if it ran in the build's
    own process, and a build whose validation fails reports the same, in the same order."""
    import sqlite3

    import generator.build as gb
    from generator.build import Paths, cache_dir

    here, ran_here = os.getpid(), []
    validate_now = gb.validate

    def validate_spied(*args):
        if os.getpid() == here:
            ran_here.append(1)
        return validate_now(*args)

    monkeypatch.setattr(gb, "validate", validate_spied)

    def project(name: str) -> Paths:
        root = tmp_path / name
        for part in PROJECT_PARTS:
            (shutil.copytree if (REPO / part).is_dir() else shutil.copy2)(REPO / part, root / part)
        return Paths(root / "data", root / "content", root / "templates", root / "mkdocs.yml", root / "site")

    def built(paths: Paths) -> tuple:
        try:
            gb.build(paths, dt.date(2026, 11, 30), pdfs=False)
            outcome = "built"
        except gb.BuildFailed as failure:
            outcome = [(p.slug, p.file, p.line, p.message) for p in failure.problems]
        # Compiled templates are keyed by their path, and notice files' identities (load._Identities) hold
        # each copy's own inodes and times: the rest must be the same.
        with sqlite3.connect(cache_dir(paths.out) / "cache.sqlite") as conn:
            entries = {(kind, key): value for kind, key, value in conn.execute("SELECT * FROM entries")
                       if kind not in ("jinja-code", "file-identity")}
        conn.close()
        names = (cache_dir(paths.out) / "clean-texts.json").read_text(encoding="utf-8")
        return outcome, tree_bytes(paths.out), entries, names

    beside_paths, alone_paths = project("beside"), project("alone")
    results = {}
    for name, paths, most in (("beside", beside_paths, gb.BESIDE_MAX_NEW), ("alone", alone_paths, -1)):
        monkeypatch.setattr(gb, "BESIDE_MAX_NEW", most)
        ran_here.clear()
        first = built(paths)  # the demo's 30 notices, all read anew
        (paths.data / "notices" / "2026-11-28-taoyuan-extra.yaml").write_text(
            (paths.data / "notices" / "2026-11-23-liuxi-gb.yaml").read_text(encoding="utf-8").replace(
                "示民发〔2026〕88号", "示民发〔2026〕89号"), encoding="utf-8")  # listed twice this month
        failed = built(paths)
        (paths.data / "notices" / "2026-11-28-taoyuan-extra.yaml").unlink()
        # Masked beside validation too: a program masking does not know makes it raise, and validation says why.
        (paths.data / "notices" / "2026-11-28-taoyuan-other.yaml").write_text(
            (paths.data / "notices" / "2026-11-25-taoyuan-gs.yaml").read_text(encoding="utf-8").replace(
                "program: dibao_rural", "program: no_such_program"), encoding="utf-8")
        unknown = built(paths)
        (paths.data / "notices" / "2026-11-28-taoyuan-other.yaml").unlink()
        results[name] = (first, failed, built(paths), unknown, len(ran_here))
    beside, alone = results["beside"], results["alone"]
    assert beside[4] == 0 and alone[4] == 4  # validated in the forked process, or here
    assert beside[1][0] != "built" and "already-listed-this-month" in {slug for slug, *_ in beside[1][0]}
    assert "unknown-program" in {slug for slug, *_ in beside[3][0]}
    for one, other in zip(beside[:4], alone[:4]):
        assert one == other
    assert any(kind == "checked" for kind, _ in beside[2][2]) and '"clean"' in beside[2][3]


JIEBA_AS_IMPORTED = """
import json, os, sys
if sys.argv[1] == "ours":
    from generator.mkdocs_jieba import import_jieba
    import_jieba()
import jieba, jieba.posseg, jieba._compat
files = {name: jieba._compat.get_module_res(*name.split("/")).read().hex()[:2000] + str(len(
    jieba._compat.get_module_res(*name.split("/")).read())) for name in ["dict.txt", "finalseg/prob_emit.p",
                                                                          "posseg/char_state_tab.p"]}
text = "示范县下田镇前林村2026年12月城市最低生活保障对象公示，张伟、李秀英、欧阳娜娜"
print(json.dumps({"pkg_resources": "pkg_resources" in sys.modules, "files": files,
                  "cut": jieba.lcut(text), "tags": [tuple(p) for p in jieba.posseg.lcut(text)],
                  "data": [len(jieba.finalseg.start_P), sorted(jieba.finalseg.emit_P["B"].items())[:50]]},
                 ensure_ascii=False))
"""


def test_jieba_imported_without_pkg_resources_reads_the_same_files_and_cuts_the_same():
    """jieba imports pkg_resources (0.05 s) only to open its data files, and opens them by path without it:
    imported so (mkdocs_jieba.import_jieba), it reads the same files and cuts and tags as imported as usual."""
    seen = {}
    for how in ("ours", "usual"):
        done = subprocess.run([sys.executable, "-c", JIEBA_AS_IMPORTED, how], cwd=REPO, capture_output=True,
                              text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        seen[how] = json.loads(done.stdout)
    assert seen["ours"]["pkg_resources"] is False
    ours, usual = ({k: v for k, v in seen[h].items() if k != "pkg_resources"} for h in ("ours", "usual"))
    assert ours == usual and len(ours["cut"]) > 10


def test_a_jieba_tokenizer_of_ours_loads_without_jieba_s_english_log_lines():
    """The search cut (mkdocs_jieba) and the name tagger (detect) load their own tokenizers, in whichever
    process needs one (validation may run in a forked one): neither prints jieba's log to the clerk."""
    code = "from generator.detect import new_tokenizer; new_tokenizer().initialize(); print('ok')"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok" and done.stderr == "", done.stderr
