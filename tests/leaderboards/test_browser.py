"""The leaderboard in a real headless browser (Debian's chromium driven by Selenium's chromedriver).

Built from the demo results (three models, one named <script>alert(1)</script>) plus one real
`bench eval` run of the embedded model, then opened from file:// with no network: no console
errors, header clicks sort the rows, the hostile name is inert text, and screenshots are saved
(under the test's tmp folder, or $BENCH_SCREENSHOT_DIR when set, e.g. for CI artifacts).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench.harness.results import load_result
from bench.leaderboards.collection import model_page_slug
from bench.leaderboards.site import build_site
from conftest import run_bench
from result_builder import HOSTILE, demo_results

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("BENCH_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("BENCH_CHROMEDRIVER", "/usr/bin/chromedriver")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("leaderboard")
    results = demo_results(root / "results")
    real = run_bench("eval", "--model", "smollm2", "--tasks", "arithmetic_dialogue", "--limit", "2", "--no-progress",
                     "--output-path", str(results / "real"), "--cache-path", str(root / "cache.sqlite"),
                     env={"OMP_NUM_THREADS": "1"})
    assert real.returncode == 0, real.stderr
    path = re.search(r"^result: (.+)$", real.stdout, re.MULTILINE).group(1)
    assert load_result(path)["model"]["name"] == "smollm2"
    build_site(results, root / "site")
    return root / "site"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={profile}", "--window-size=1400,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def open_page(browser, page: Path) -> list[dict]:
    browser.get(page.resolve().as_uri())
    return browser.get_log("browser")


def column_texts(browser, table_id: str, index: int) -> list[str]:
    rows = browser.find_elements("css selector", f"#{table_id} tbody tr")
    return [row.find_elements("css selector", "td")[index].text.split("\n")[0] for row in rows]


def test_every_page_loads_from_file_urls_without_console_errors(browser, site: Path) -> None:
    pages = sorted(site.glob("*.html"))
    assert len(pages) == 1 + 4 + 4  # overview, 4 task columns, 4 models
    for page in pages:
        logs = open_page(browser, page)
        problems = [entry for entry in logs if entry["level"] in ("SEVERE", "WARNING")]
        assert problems == [], f"{page.name}: {problems}"
        broken = browser.execute_script(
            "return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
        assert broken == [], f"{page.name}: images not loaded: {broken}"


def test_clicking_headers_sorts_the_overview(browser, site: Path) -> None:
    open_page(browser, site / "index.html")
    headers = browser.find_elements("css selector", "#overview thead th")
    labels = [h.text.split("\n")[0] for h in headers]
    uno = labels.index("uno")
    headers[uno].click()  # higher is better: the first click puts the best first
    assert column_texts(browser, "overview", uno) == ["0.55", "0.25", "0.1", "–"]
    assert headers[uno].get_attribute("aria-sort") == "descending"
    headers[uno].click()
    assert column_texts(browser, "overview", uno) == ["0.1", "0.25", "0.55", "–"]  # missing stays last
    headers[0].click()
    assert column_texts(browser, "overview", 0) == sorted(column_texts(browser, "overview", 0), key=str.lower)


def test_clicking_a_lower_is_better_header_puts_the_smallest_first(browser, site: Path) -> None:
    open_page(browser, site / "task-uno-v1.html")
    headers = browser.find_elements("css selector", "#metrics thead th")
    fb = [h.text for h in headers].index("fb_score ↓")
    headers[fb].click()
    assert column_texts(browser, "metrics", fb) == ["0.1", "0.3", "0.9"]


def test_hostile_model_name_is_inert_text(browser, site: Path) -> None:
    for page in (site / "index.html", site / f"model-{model_page_slug(HOSTILE)}.html", site / "task-uno-v1.html"):
        open_page(browser, page)
        assert browser.execute_script("return document.querySelectorAll('script').length") == 1
        links = [a.text for a in browser.find_elements("css selector", "a")]
        if page.name != f"model-{model_page_slug(HOSTILE)}.html":
            assert HOSTILE in links
        from selenium.common.exceptions import NoAlertPresentException

        with pytest.raises(NoAlertPresentException):
            browser.switch_to.alert.text  # noqa: B018 - no alert() ever ran
    open_page(browser, site / f"model-{model_page_slug(HOSTILE)}.html")
    assert browser.find_element("css selector", "h1").text == HOSTILE


def test_screenshots_are_taken(browser, site: Path, tmp_path: Path) -> None:
    target = Path(os.environ.get("BENCH_SCREENSHOT_DIR", tmp_path))
    target.mkdir(parents=True, exist_ok=True)
    for page in ("index.html", "task-uno-v1.html", "task-arithmetic_dialogue-v1.html"):
        open_page(browser, site / page)
        shot = target / f"leaderboard-{page.removesuffix('.html')}.png"
        assert browser.save_screenshot(str(shot))
        assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 20_000
