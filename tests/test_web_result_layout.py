"""The answer first (issue 12), measured in Debian's Chromium against a real `livertx serve`:
for each example in examples/, at desktop (1280x900) and phone (390x844) size, where the
first main option appears, how long the page is, how many Letter pages the handout prints,
that what was entered is shown, that axe-core finds nothing serious, and that /docs works
with the network blocked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import submit_example
from test_web_a11y import blocking_violations

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = {p.stem: json.loads(p.read_text()) for p in sorted((ROOT / "examples").glob("*.json"))}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# Page length budgets in desktop screens (issue 12); the examples not named have none.
BUDGET = {"early": 6, "advanced": 7, "unknown-fitness": 8}
MAX_HANDOUT_PAGES = 4
# What each example's "Your answers" must say, in words (values at a sensible precision).
ENTERED = {"early": ["Total bilirubin: 0.88 mg/dL", "Cirrhosis: yes",
                     "Healthy enough for a major operation: yes"],
           "advanced": ["Number of liver tumors: 2", "Albumin: 3.3 g/dL",
                        "Sorafenib so far: Never taken it"],
           "unknown-fitness": ["Size of the largest tumor: 3.5 cm", "Cirrhosis: no"],
           "unresectable": ["Child-Pugh class: A (the liver works well)",
                            "Healthy enough for a major operation: yes"],
           "compare_patient": ["Child-Pugh class: A (the liver works well)",
                               "Healthy enough for a major operation: yes"]}


@pytest.fixture()
def context(chromium: Any, live_server: str) -> Iterator[Any]:
    ctx = chromium.new_context(viewport=DESKTOP, base_url=live_server)
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


def top(page: Any, selector: str) -> float:
    """Distance from the top of the page to the element, in CSS pixels."""
    return float(page.locator(selector).first.evaluate(
        "el => el.getBoundingClientRect().top + window.scrollY"))


def pdf_pages(pdf: bytes) -> int:
    return pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")


def first_main(page: Any) -> str:
    """The first main option in the summary at the top, or, when there is none yet, the
    line saying so (the unknown-fitness example has no main option until more is known)."""
    return ".glance ul.glance-main li" if page.locator(".glance ul.glance-main li").count() \
        else ".glance .glance-main"


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_first_main_option_is_on_the_first_screen(context: Any, name: str) -> None:
    page = context.new_page()
    for viewport, screens in ((DESKTOP, 1.0), (PHONE, 1.5)):
        page.set_viewport_size(viewport)
        submit_example(page, EXAMPLES[name])
        selector = first_main(page)
        bottom = top(page, selector) + page.locator(selector).first.bounding_box()["height"]
        assert bottom <= viewport["height"] * screens, (name, viewport, bottom)
        # The summary comes before the buttons, the answers and the details.
        assert top(page, ".glance") < top(page, ".answers") < top(page, ".situation")
        if page.locator("section.fit-group-primary").count():
            first_card = page.locator("section.fit-group-primary article h3 a").first.inner_text()
            assert page.locator(selector).locator("a").first.inner_text() == first_card


@pytest.mark.parametrize("name", sorted(BUDGET))
def test_page_length_within_budget(context: Any, name: str) -> None:
    page = context.new_page()
    submit_example(page, EXAMPLES[name])
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= BUDGET[name] * DESKTOP["height"], (name, height / DESKTOP["height"])
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_handout_prints_on_at_most_four_letter_pages(context: Any, name: str) -> None:
    page = context.new_page()
    submit_example(page, EXAMPLES[name])
    page.emulate_media(media="print")
    web = pdf_pages(page.pdf(format="Letter"))
    # The same page from the command line: `livertx assess FILE --format html`.
    html = subprocess.run([str(Path(sys.executable).with_name("livertx")), "assess",
                           str(ROOT / "examples" / f"{name}.json"), "--format", "html"],
                          capture_output=True, text=True, check=True).stdout
    handout = context.new_page()  # a blank page: the server's policy forbids inline styles
    handout.set_content(html)
    handout.emulate_media(media="print")
    standalone = pdf_pages(handout.pdf(format="Letter"))
    assert 1 <= web <= MAX_HANDOUT_PAGES and 1 <= standalone <= MAX_HANDOUT_PAGES, (web, standalone)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_what_was_entered_is_on_the_page_and_the_handout(context: Any, name: str) -> None:
    page = context.new_page()
    submit_example(page, EXAMPLES[name])
    answers = " ".join(page.locator("section.answers").inner_text().split())
    for words in ENTERED[name]:
        assert words in answers, (name, words)
    assert page.get_by_role("button", name="Change my answers").is_visible()
    page.emulate_media(media="print")
    assert page.locator("section.answers dl").is_visible()
    printed = " ".join(page.locator("section.answers").inner_text().split())
    assert "Made on " in printed and "To change an answer" in printed
    assert page.locator("section.notes-space").is_visible()  # room for notes on paper
    assert page.locator("#notice").is_visible()  # the full notice, once, at the end
    page.emulate_media(media="screen")
    assert page.locator("section.notes-space").is_hidden()


def test_unknowns_are_one_grid_in_the_packs_display_order(context: Any) -> None:
    page = context.new_page()
    submit_example(page, EXAMPLES["unknown-fitness"])
    grid = page.locator("section.unknown-grid table.grid")
    headers = grid.locator("thead th abbr").evaluate_all("els => els.map(e => e.title)")
    assert headers == ["Cancer that may be removed with surgery",
                       "Cancer that may be treated with a liver transplant",
                       "Cancer only in the liver, in a person not well enough for surgery"]
    surgery = grid.locator("#option-partial_hepatectomy td").all_inner_texts()
    assert surgery == ["main option", "depends", "not usually advised"]
    # "Depends on" is said once for the page, not once per option.
    assert page.get_by_text("These options depend on", exact=False).count() == 1
    assert page.locator("article.option-unknown").count() == 0
    assert "newer options exist" in grid.locator("#option-sorafenib th").inner_text()


def test_not_advised_options_are_one_line_each_open_on_demand(context: Any) -> None:
    page = context.new_page()
    submit_example(page, EXAMPLES["early"])
    line = page.locator("#option-sorafenib > details.option-line")
    assert line.locator("> summary").inner_text().startswith("Sorafenib (Nexavar)")
    assert "newer options exist" in line.locator("> summary").inner_text()
    summary_box = line.locator("> summary").bounding_box()
    assert summary_box["height"] < 60  # one line with its reason (two at most when it wraps)
    assert not line.evaluate("el => el.open")
    line.locator("> summary").click()
    assert line.evaluate("el => el.open")
    assert line.get_by_role("link", name="About Sorafenib (Nexavar)").is_visible()


def test_the_advanced_summary_leads_with_what_changed(context: Any) -> None:
    page = context.new_page()
    submit_example(page, EXAMPLES["advanced"])
    glance = page.locator("section.glance")
    first_text = glance.locator("p").first.inner_text()
    assert first_text.startswith("What changed since 2017:") and "May 29, 2020" in first_text
    card = page.locator("#option-sorafenib")
    assert "newer options exist" in card.locator("h3").inner_text()
    # The note on what changed comes right after the heading, before the why and side effects.
    assert top(page, "#option-sorafenib .currency") < top(page, "#option-sorafenib .reasons")
    measures = " ".join(page.locator("section.measures").inner_text().split())
    assert "Class B7" in measures


def test_milan_line_names_what_is_missing(context: Any) -> None:
    page = context.new_page()
    submit_example(page, {"tumor_count": 2, "vascular_invasion": False,
                          "lymph_node_spread": False, "distant_spread": False})
    milan = " ".join(page.locator("section.measures").inner_text().split())
    assert "it needs the size of the largest tumor" in milan
    assert "how many tumors" not in milan.split("Milan rule for a transplant")[1]


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_result_pages_have_no_serious_accessibility_violations(
        context: Any, name: str, size: str) -> None:
    page = context.new_page()
    page.set_viewport_size(DESKTOP if size == "desktop" else PHONE)
    submit_example(page, EXAMPLES[name])
    page.locator("details").evaluate_all("els => els.forEach(d => { d.open = true; })")
    assert blocking_violations(page) == []


def test_api_docs_render_with_the_network_blocked(chromium: Any, live_server: str) -> None:
    ctx = chromium.new_context(viewport=DESKTOP, base_url=live_server)
    outside: list[str] = []

    def only_this_server(route: Any) -> None:
        if route.request.url.startswith(live_server):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    ctx.route("**/*", only_this_server)
    try:
        page = ctx.new_page()
        page.goto("/docs")
        page.locator(".opblock-summary-path", has_text="/api/assess").first.wait_for(timeout=15_000)
        assert page.locator(".swagger-ui .info .title").inner_text().startswith("livertx")
        page.goto("/redoc")
        page.get_by_text("/api/assess", exact=False).first.wait_for(timeout=15_000)
        assert outside == []
    finally:
        ctx.close()
