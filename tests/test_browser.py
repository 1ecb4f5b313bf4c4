"""The search page in a real Chromium (Debian's, driven by Playwright) against `dari serve`.

Skipped with a reason where no Chromium is installed, except under CI=true where it must run.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import served
from playwright.sync_api import Browser, Page, expect, sync_playwright

from indexer.index import reindex

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + "; CI must run the browser tests")
        pytest.skip(reason)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture()
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A fresh tab with JavaScript off (the page needs none) that fails on any console error."""
    context = browser.new_context(
        base_url=live_server, viewport=DESKTOP, locale="ko-KR", java_script_enabled=False
    )
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
    yield tab
    context.close()
    assert errors == []  # e.g. a CSP violation by our own markup, or a script that ran


def search_from_home(page: Page, query: str) -> None:
    page.goto("/")
    box = page.get_by_role("searchbox")
    expect(box).to_be_focused()
    box.fill(query)
    box.press("Enter")
    page.wait_for_url("**/search?**")


def test_korean_query_shows_marked_passages(page: Page):
    search_from_home(page, "노동 협력")
    expect(page.get_by_role("searchbox")).to_have_value("노동 협력")
    expect(page.locator(".summary")).to_contain_text("결과 5건")  # the English reports via the bridge
    marks = page.locator(".hit").first.locator(".snippet mark")
    expect(marks.first).to_be_visible()
    assert set(marks.all_inner_texts()) == {"노동", "협력"}
    page.screenshot(path=ARTIFACTS / "results-desktop.png", full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=ARTIFACTS / "results-phone.png", full_page=True)
    # Phone width: nothing wider than the screen (no sideways scrolling).
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_mixed_query_marks_both_languages(page: Page):
    search_from_home(page, "ILO 협력")
    expect(page.locator(".hit")).to_have_count(5)
    expect(page.locator(".hit").first.locator("mark").first).to_be_visible()
    assert {"ILO", "협력"} <= set(page.locator(".hit mark").all_inner_texts())
    page.screenshot(path=ARTIFACTS / "results-mixed-desktop.png", full_page=True)


def test_language_filter(page: Page):
    search_from_home(page, "ILO")
    expect(page.locator(".hit")).to_have_count(5)
    page.get_by_role("link", name="English", exact=True).click()
    expect(page.get_by_role("link", name="English", exact=True)).to_have_attribute("aria-current", "page")
    expect(page.locator(".hit")).to_have_count(4)
    expect(page.locator(".hit .badge")).to_have_text(["English"] * 4)
    page.get_by_role("link", name="한국어", exact=True).click()
    expect(page.locator(".hit")).to_have_count(1)
    # A new search from this page keeps the filter.
    page.get_by_role("searchbox").fill("AI")
    page.get_by_role("searchbox").press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=AI&lang=ko$"))


def test_page_forward_and_back(page: Page):
    page.goto("/search?q=ILO&per_page=2")
    first_page = page.locator(".hit h2").all_inner_texts()
    page.get_by_role("link", name="다음 Next →").click()
    expect(page.locator(".pager [aria-current=page]")).to_have_text("2")
    second_page = page.locator(".hit h2").all_inner_texts()
    assert len(second_page) == 2 and not set(first_page) & set(second_page)
    page.get_by_role("link", name="← 이전 Prev").click()
    expect(page.locator(".pager [aria-current=page]")).to_have_text("1")


def test_open_a_document_and_go_back(page: Page):
    search_from_home(page, "노동")
    page.locator(".hit h2 a").first.click()
    expect(page.locator("article h1")).to_contain_text("국제노동기구")
    assert page.locator(".doctext mark").count() >= 10
    page.get_by_role("link", name="← 검색 결과 · Back to results").click()
    expect(page.get_by_role("searchbox")).to_have_value("노동")
    expect(page.locator(".hit")).to_have_count(5)  # the Korean release, and the English via the bridge


def test_xss_query_is_shown_as_text(browser: Browser, live_server: str):
    """With JavaScript on, an injected script or handler would open a dialog or change the title."""
    context = browser.new_context(base_url=live_server)
    tab = context.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    payload = '"><script>alert(1)</script><img src=x onerror="alert(2)">'
    tab.goto("/")
    tab.get_by_role("searchbox").fill(payload)
    tab.get_by_role("searchbox").press("Enter")
    expect(tab).to_have_title(f"{payload} – dari · 다리")
    expect(tab.get_by_role("searchbox")).to_have_value(payload)
    assert tab.locator("main img, main script").count() == 0
    assert dialogs == []
    context.close()


def test_bridge_toggle(page: Page):
    search_from_home(page, "labor policy")
    expect(page.locator(".bridged")).to_contain_text("노동")
    expect(page.locator(".hit .badge", has_text="한국어")).to_have_count(1)
    page.get_by_role("link", name="Typed words only").click()
    expect(page).to_have_url(re.compile(r"bridge=off"))
    expect(page.locator(".bridged")).to_have_count(0)
    expect(page.locator(".hit .badge", has_text="한국어")).to_have_count(0)


def test_sort_and_facet_chips_narrow_the_results(page: Page):
    page.goto("/search?q=ILO&per_page=2&page=2")
    expect(page.locator(".summary")).to_contain_text("3–4 of 5 results")
    page.get_by_role("link", name="최신 · Newest").click()
    expect(page.locator(".sort [aria-current=true]")).to_have_text("최신 · Newest")
    expect(page.locator(".summary")).to_contain_text("1–2 of 5 results")  # a new order starts at page one
    page.locator(".facet-type .chip", has_text="txt").click()
    expect(page).to_have_url(re.compile(r"type=txt"))
    expect(page.locator(".facet-type .chip[aria-current=true]")).to_contain_text("×")
    page.locator(".facet-type .chip[aria-current=true]").click()  # × removes the filter again
    expect(page).not_to_have_url(re.compile(r"type="))


def test_hangul_renders_as_glyphs_not_tofu(page: Page):
    """The search box, in the page's own fonts, holding one character at a time: two code points
    no font has draw the same box (tofu), so a Hangul syllable that drew the same, or the same as
    another syllable, would have no font either."""

    def drawn(text: str) -> bytes:
        page.goto("/search?" + urllib.parse.urlencode({"q": text, "fuzzy": "off", "bridge": "off"}))
        return page.get_by_role("searchbox").screenshot(caret="hide", animations="disabled")

    tofu = drawn("\U00040000")  # plane 4: unassigned
    assert drawn("\U00050000") == tofu  # the method sees tofu as tofu
    han, geul = drawn("한"), drawn("글")
    assert han != tofu and geul != tofu and han != geul
    (ARTIFACTS / "hangul-han.png").write_bytes(han)
    (ARTIFACTS / "hangul-tofu.png").write_bytes(tofu)


@pytest.fixture(scope="module")
def reading_server(tmp_path_factory) -> Iterator[str]:
    """`dari serve` over three parts of one report and a Markdown note."""
    root = tmp_path_factory.mktemp("reading")
    for part in range(3):
        (root / f"part{part}.txt").write_text(
            f"협력 보고서\n{'협력 ' * (3 - part)}part {part}", encoding="utf-8"
        )
    (root / "note.md").write_text(
        "# 회의 *노트*\n\n- 국제 **협력** 강화\n  - 세부 안건\n\n```\n협력 = 1\n```\n", encoding="utf-8"
    )
    index_dir = tmp_path_factory.mktemp("reading-index")
    reindex([root], index_dir)
    with served(index_dir, index_dir.parent / "reading-serve.log") as base:
        yield base


def test_parts_of_one_source_unfold_and_markdown_reads_as_a_document(browser: Browser, reading_server: str):
    context = browser.new_context(base_url=reading_server, viewport=PHONE, java_script_enabled=False)
    tab = context.new_page()
    tab.goto("/search?q=협력")
    expect(tab.locator(".summary")).to_contain_text("결과 4건")
    folded = tab.locator(".more .hit")
    expect(folded).to_have_count(2)
    expect(folded.first).to_be_hidden()
    tab.get_by_text("2 more from this document").click()  # <details>: no script
    expect(folded.first).to_be_visible()
    expect(folded.first.locator(".docid")).to_have_text("part1.txt")
    tab.screenshot(path=ARTIFACTS / "results-folded-phone.png", full_page=True)
    tab.get_by_role("link", name="회의 노트").click()
    expect(tab.locator(".doctext h2")).to_have_text("회의 노트")
    expect(tab.locator(".doctext .li mark strong")).to_have_text("협력")
    expect(tab.locator(".doctext pre mark")).to_have_text("협력")
    assert "#" not in tab.locator(".doctext").inner_text() and "*" not in tab.locator(".doctext").inner_text()
    tab.get_by_role("link", name="2", exact=True).click()  # jump to the second match
    expect(tab).to_have_url(re.compile("#m2$"))
    tab.screenshot(path=ARTIFACTS / "markdown-phone.png", full_page=True)
    context.close()
