"""Real-browser checks of what a villager sees, in Debian's Chromium driven by Playwright.

Run by `make test`, which installs Chromium and axe-core; outside CI they are skipped when Chromium is
missing. Screenshots are kept in tests/artifacts/ for people to look at.
"""

import os
import shutil
import socket
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import DEMO_TODAY, PROJECT_PARTS, REPO, run_generator

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
AXE = REPO / ".venv/npm/node_modules/axe-core/axe.min.js"
ARTIFACTS = REPO / "tests/artifacts"
NOTICE = "notices/2026-11-25-taoyuan-gs/"
VILLAGE = "villages/990100101201/"

pytestmark = pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"),
                                reason="Chromium is installed by `make test` (Debian package chromium)")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    assert CHROMIUM, "CI must have Debian's chromium (make system-deps)"
    root = tmp_path_factory.mktemp("browser")
    for part in PROJECT_PARTS:
        (shutil.copytree if (REPO / part).is_dir() else shutil.copy2)(REPO / part, root / part)
    done = run_generator("build", "--today", DEMO_TODAY, cwd=root)
    assert done.returncode == 0, done.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    httpd = ThreadingHTTPServer(("127.0.0.1", port), partial(_Quiet, directory=str(root / "site")))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def phone(browser, server):
    """A 360 px wide phone; every request the pages make is recorded."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, locale="zh-CN")
    page = context.new_page()
    page.requests = []
    page.on("request", lambda request: page.requests.append(request.url))
    yield page
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("path", ["", VILLAGE, NOTICE])
def test_pages_fit_a_360px_phone_without_sideways_scrolling(phone, server, path):
    phone.goto(server + path)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    shot(phone, "phone-" + (path.strip("/").replace("/", "-") or "home"))
    if path == NOTICE:  # a wide roster scrolls inside its own box, with its header
        assert phone.locator(".roster thead th").first.is_visible()


def test_no_request_leaves_the_site(phone, server):
    for path in ("", VILLAGE, NOTICE, "explainers/dibao/"):
        phone.goto(server + path)
        phone.wait_for_load_state("networkidle")
    assert phone.requests and all(url.startswith(server) for url in phone.requests), \
        [u for u in phone.requests if not u.startswith(server)]


def body_font_px(page) -> float:
    return page.evaluate("parseFloat(getComputedStyle(document.querySelector('.md-typeset p')).fontSize)")


def test_readable_type_and_a_remembered_large_text_mode(phone, server):
    phone.goto(server + NOTICE)
    assert body_font_px(phone) >= 18
    line_height = phone.evaluate("parseFloat(getComputedStyle(document.querySelector('.md-typeset p')).lineHeight)")
    assert line_height / body_font_px(phone) >= 1.3
    phone.click(".large-text-toggle")
    assert body_font_px(phone) >= 22
    assert phone.get_attribute(".large-text-toggle", "aria-pressed") == "true"
    phone.goto(server + VILLAGE)  # another page: still large
    assert body_font_px(phone) >= 22
    shot(phone, "phone-large-text-village")
    phone.click(".large-text-toggle")
    assert body_font_px(phone) < 22


def test_the_printed_qr_code_reads_back_as_the_page_address(browser, server, tmp_path):
    import subprocess

    if not shutil.which("zbarimg"):
        if os.environ.get("CI"):
            pytest.fail("zbarimg missing: make system-deps installs zbar-tools")
        pytest.skip("zbarimg (zbar-tools) not installed")
    page = browser.new_page(viewport={"width": 794, "height": 1123}, device_scale_factor=2)
    page.goto(server + NOTICE)
    page.emulate_media(media="print")
    address = page.locator(".print-qr p").inner_text().split("\n")[-1].strip()
    assert address.endswith(f"/{NOTICE}")
    image = tmp_path / "qr.png"
    page.locator(".print-qr").screenshot(path=str(image))  # as printed: 25 mm, the whole symbol
    page.close()
    done = subprocess.run(["zbarimg", "--raw", "-q", str(image)], capture_output=True, text=True)
    assert done.stdout.strip() == address, done.stderr


def test_print_shows_the_qr_code_and_hides_the_site_chrome(browser, server):
    page = browser.new_page(viewport={"width": 794, "height": 1123})
    page.goto(server + NOTICE)
    assert not page.locator(".print-qr svg").is_visible()  # on screen: not shown
    page.emulate_media(media="print")
    assert page.locator(".print-qr svg").is_visible()
    assert not page.locator(".md-header").is_visible()
    assert page.locator(".roster thead").evaluate("e => getComputedStyle(e).display") == "table-header-group"
    shot(page, "print-notice")
    page.close()


def test_the_pdf_is_linked_and_served(phone, server):
    phone.goto(server + NOTICE)
    href = phone.get_attribute(".pdf-link", "href")
    response = phone.request.get(server + NOTICE + href)
    assert response.ok and response.body()[:5] == b"%PDF-"


@pytest.mark.parametrize("path", ["", VILLAGE, NOTICE, "explainers/dibao/", "archive/"])
def test_no_serious_accessibility_violations(phone, server, path):
    assert AXE.is_file(), "axe-core is installed by `make test` (npm)"
    phone.goto(server + path)
    phone.add_script_tag(path=str(AXE))
    result = phone.evaluate("axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']})")
    serious = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
               for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []


def test_a_chinese_search_for_a_village_finds_its_page(phone, server):
    phone.goto(server)
    phone.click("label[for='__search']")
    phone.locator("input.md-search__input").press_sequentially("桃源村", delay=50)
    phone.keyboard.press("End")  # an input method ends with a key event; insertText alone sends none
    first = phone.locator(".md-search-result__item a").first
    first.wait_for(timeout=15000)
    links = phone.locator(".md-search-result__item a").evaluate_all("els => els.map(e => e.href)")
    assert any(VILLAGE in link for link in links), links
    shot(phone, "phone-search")
