"""The exported pages in headless Chromium with the network cut off, as an evaluator on an
intranet sees them: charts drawn, Chinese drawn with the embedded font, no request leaves
the machine, and submitted markup shows as text without running.

Needs Debian's `chromium` and `chromium-driver` (.ci/run installs them, so CI always runs this
test); elsewhere it is skipped with a message saying what to install.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
if not (CHROMIUM and CHROMEDRIVER):
    message = "headless Chromium not found: apt-get install chromium chromium-driver"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser test; {message}", pytrace=False)
    pytest.skip(message, allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402

CJK = "[\\u3400-\\u9fff]"


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        # Any request that did leave would go to a closed port on this machine.
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
        "--window-size=1200,1600",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0},
    )
    yield driver
    driver.quit()


def open_page(driver, path) -> list[str]:
    """Load a page; return the URL of every request it made."""
    driver.get_log("performance")  # drop what earlier pages logged
    driver.get(path.as_uri())
    driver.execute_script("return document.fonts.ready")
    requests = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requests.append(message["params"]["request"]["url"])
    return requests


def fonts_used(driver, selector: str) -> dict[str, int]:
    """family -> glyphs drawn, for the text of the first element matching `selector`."""
    driver.execute_cdp_cmd("DOM.enable", {})
    driver.execute_cdp_cmd("CSS.enable", {})
    root = driver.execute_cdp_cmd("DOM.getDocument", {"depth": -1, "pierce": True})
    node = driver.execute_cdp_cmd(
        "DOM.querySelector", {"nodeId": root["root"]["nodeId"], "selector": selector}
    )
    fonts = driver.execute_cdp_cmd("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})
    return {
        (f["familyName"] if f["isCustomFont"] else f"system:{f['familyName']}"): f["glyphCount"]
        for f in fonts["fonts"]
    }


def assert_offline(requests, page):
    assert requests, "the performance log recorded nothing"
    for url in requests:
        assert url == page.as_uri() or url.startswith("data:"), url


def test_overview_draws_its_charts_and_chinese_with_the_shipped_font(browser, report_dir):
    page = report_dir / "overview.html"
    assert_offline(open_page(browser, page), page)
    sizes = browser.execute_script(
        "return [...document.querySelectorAll('.jinlin-chart svg')]"
        ".map(s => [s.getBoundingClientRect().width, s.getBoundingClientRect().height])"
    )
    assert sizes and all(w > 200 and h > 100 for w, h in sizes), sizes
    labels = browser.execute_script(
        "return [...document.querySelectorAll('.jinlin-chart svg text')].map(t => t.textContent)"
    )
    assert "儿童与健康" in labels and "各领域量化目标的进展状态" in labels
    body = browser.execute_script("return document.body.innerText")
    assert "2024年度监测报告：总览与预警" in body and "示例数据（模拟）" in body
    for selector in ("h1", ".jinlin-banner", ".jinlin-chart svg text", "table.jinlin-table td"):
        used = fonts_used(browser, selector)
        assert used.get("Jinlin Sans", 0) > 0, (selector, used)
        assert not [f for f in used if f.startswith("system:")], (selector, used)


def test_every_page_loads_offline_and_shows_chinese(browser, report_dir):
    for page in sorted(report_dir.glob("*.html")):
        assert_offline(open_page(browser, page), page)
        body = browser.execute_script("return document.body.innerText")
        assert "示例数据（模拟）" in body, page.name
        assert browser.execute_script(f"return /{CJK}/.test(document.title)"), page.name
        errors = [e for e in browser.get_log("browser") if _real_error(e, report_dir)]
        assert errors == [], (page.name, errors)


def _real_error(entry: dict, report_dir) -> bool:
    """SEVERE console entries, except Chromium's note that one report page (a file: URL)
    may not load another: it logs this now and then when the test moves between pages,
    and the performance log above already proves that no page requested anything."""
    if entry["level"] != "SEVERE":
        return False
    message = entry["message"]
    own_pages = message.startswith(report_dir.as_uri())
    return not (own_pages and "'file:' URLs are treated as unique security origins" in message)


def test_submitted_markup_shows_as_text_and_runs_nothing(browser, submissions_page):
    assert_offline(open_page(browser, submissions_page), submissions_page)
    assert browser.execute_script("return window.jinlinPwned") is None
    assert browser.execute_script("return document.querySelectorAll('script, img').length") == 0
    body = browser.execute_script("return document.body.innerText")
    assert "<script>window.jinlinPwned = 1</script>" in body
    assert "报表_[最终]*版*_$1$.xlsx" in body
    assert "写给读者的说明" in body
    assert "stderr" not in body and "warning" not in body.lower()
    chart_text = browser.execute_script(
        "return [...document.querySelectorAll('svg text')].map(t => t.textContent).join('|')"
    )
    assert "<script>window.jinlinPwned = 1</script>" in chart_text or "<script>" in chart_text
