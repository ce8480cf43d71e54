"""Golden pages: the demo county rendered on the demo day, compared page by page.

After an intended change to templates, content or demo data, regenerate with
`make golden` (pytest tests/test_golden.py --update-golden) and review the diff.
The golden files are the render stage's output (Markdown with HTML rosters; notice pages HTML),
which is ours; the theme's HTML around it belongs to MkDocs Material.
"""

import datetime as dt
import shutil

from conftest import DEMO_TODAY, REPO
from generator.load import load
from generator.mask import mask
from generator.programs import all_programs
from generator.publicity import decide
from generator.render import render
from generator.validate import validate
from generator.workdays import WorkCalendar

GOLDEN = REPO / "tests" / "golden"


def render_demo() -> dict[str, str]:
    programs = all_programs()
    dataset, problems = load(REPO / "data")
    assert problems == [] and validate(dataset, programs) == []
    decisions, problems = decide(dataset.notices, programs, dt.date.fromisoformat(DEMO_TODAY),
                                 WorkCalendar(dataset.holidays))
    assert [p.slug for p in problems] == ["disclosure-overdue"]  # the demo's late 双公示 decision
    public, _ = mask(dataset.notices, programs)
    rendered = render(dataset, public, decisions, programs, REPO / "templates", REPO / "content",
                      dt.date.fromisoformat(DEMO_TODAY))
    # Notice pages are HTML put into the theme's page (generator/notice_pages.py), not Markdown.
    return {**{rel: rendered.with_blocks(text) for rel, text in rendered.pages.items()},
            **{f"notices/{i}.html": page.html for i, page in rendered.notices.items()}}


def test_demo_pages_match_golden(request):
    pages = render_demo()
    if request.config.getoption("--update-golden"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for rel, text in pages.items():
            (GOLDEN / rel).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / rel).write_text(text, encoding="utf-8")
    golden = {p.relative_to(GOLDEN).as_posix(): p.read_text(encoding="utf-8") for p in GOLDEN.rglob("*") if p.is_file()}
    assert sorted(pages) == sorted(golden), "pages added or removed: run `make golden` and review the diff"
    for rel in sorted(pages):
        assert pages[rel] == golden[rel], f"{rel} differs from tests/golden: run `make golden` and review the diff"
