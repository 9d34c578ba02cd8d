"""A person in a real browser (Debian's Chromium via Playwright) against a real `livertx serve`:
filling the form for three patients, leaving things unknown, making a mistake, printing.

Screenshots of the form and result at desktop and phone width go to screenshots/ (git-ignored);
the README's picture is drawn by scripts/readme_screenshot.py, not here: no test writes into a
tracked file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture()
def page(chromium: Any, live_server: str) -> Iterator[Any]:
    context = chromium.new_context(viewport=DESKTOP, base_url=live_server)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def group(page: Any, legend: str) -> Any:
    """A yes/no question, found the way a screen reader names it (by its legend)."""
    return page.get_by_role("group", name=legend, exact=True)


def answer(page: Any, legend: str, choice: str) -> None:
    group(page, legend).get_by_label(choice, exact=True).check()


def start_from_home(page: Any) -> None:
    page.goto("/")
    page.get_by_role("link", name="Start: check my options").click()
    page.wait_for_url("**/assess")


def submit(page: Any) -> None:
    page.get_by_role("button", name="Show my options").click()
    page.wait_for_load_state("domcontentloaded")


def section_options(page: Any, heading: str) -> list[str]:
    section = page.locator("section.fit-group").filter(has=page.get_by_role("heading", name=heading))
    return section.locator("article h3 a, article .option-name").all_inner_texts()


def fill_spread(page: Any, vessels: str = "No", nodes: str = "No", organs: str = "No") -> None:
    answer(page, "Tumor has grown into blood vessels", vessels)
    answer(page, "Spread to lymph nodes", nodes)
    answer(page, "Spread to other organs", organs)


def no_sideways_scroll(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_early_cancer_from_home_page_to_result(page: Any) -> None:
    start_from_home(page)
    page.get_by_label("Number of liver tumors").fill("1")
    page.get_by_label("Size of the largest tumor (cm)").fill("2.5")
    fill_spread(page)
    answer(page, "Cirrhosis", "No")
    page.get_by_label("Child-Pugh class").select_option(label="A (the liver works well)")
    answer(page, "Healthy enough for a major operation", "Yes")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / "form-desktop.png", full_page=True)
    submit(page)
    assert "Cancer that may be removed with surgery" in page.locator("#situation-heading").inner_text()
    assert section_options(page, "Main options") == [
        "Surgery to remove part of the liver (partial hepatectomy)"]
    assert "Liver transplant" in section_options(page, "Other options")
    assert page.get_by_role("heading", name="Questions to ask your care team").is_visible()
    assert page.get_by_role("button", name="Print this page").is_visible()  # shown by the script
    page.screenshot(path=SHOTS / "result-desktop.png", full_page=True)
    page.screenshot(path=SHOTS / "result-desktop-top.png", full_page=True,
                    clip={"x": 0, "y": 0, "width": 1280, "height": 1600})


def test_unresectable_cancer_with_a_tumor_list_and_lab_values(page: Any) -> None:
    page.goto("/assess")
    page.get_by_text("Or list each tumor's size", exact=True).click()
    for index, size in enumerate(["4.2", "3", "2"]):
        page.get_by_label(f"Tumor {index + 1} size (cm)").fill(size)
    page.get_by_role("button", name="Add another tumor").click()
    page.get_by_label("Tumor 4 size (cm)").fill("1.5")
    fill_spread(page)
    answer(page, "Cirrhosis", "Yes")
    page.get_by_text("Or give the blood tests and signs behind the class", exact=True).click()
    page.get_by_label("Total bilirubin", exact=True).fill("17")
    page.get_by_label("Unit for total bilirubin").select_option("umol/L")
    page.get_by_label("Albumin", exact=True).fill("38")
    page.get_by_label("Unit for albumin").select_option("g/L")
    page.get_by_label("INR").fill("1.1")
    page.get_by_label("Ascites (fluid in the belly)").select_option("none")
    page.get_by_label("Hepatic encephalopathy").select_option("none")
    answer(page, "Healthy enough for a major operation", "Yes")
    submit(page)
    assert "cannot be removed safely" in page.locator("#situation-heading").inner_text()
    assert "Tumor embolization" in section_options(page, "Main options")
    not_advised = section_options(page, "Not usually advised in this situation")
    assert "Surgery to remove part of the liver (partial hepatectomy)" in not_advised
    assert "Tumor ablation" in not_advised  # four tumours: more than a few (issue 9)
    measures = page.locator("section.measures").inner_text()
    assert "Class A5 (class A, score 5 of 15" in " ".join(measures.split())  # "A5": issue 12
    with page.expect_download() as download:
        page.get_by_role("button", name="Download JSON").click()
    data = json.loads(Path(download.value.path()).read_text())
    assert data["patient"]["tumor_count"] == 4 and data["category"]["id"] == "unresectable"


def test_advanced_cancer_on_a_phone(page: Any) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/assess")
    assert no_sideways_scroll(page)
    page.screenshot(path=SHOTS / "form-phone.png", full_page=True)
    page.get_by_label("Number of liver tumors").fill("2")
    page.get_by_label("Size of the largest tumor (cm)").fill("6")
    fill_spread(page, vessels="Yes", organs="Yes")
    page.get_by_label("Child-Pugh class").select_option("A")
    page.get_by_label("Sorafenib so far").select_option(label="Never taken it")
    submit(page)
    assert "Advanced cancer" in page.locator("#situation-heading").inner_text()
    assert "Sorafenib (Nexavar)" in section_options(page, "Main options")
    assert no_sideways_scroll(page)
    page.screenshot(path=SHOTS / "result-phone.png", full_page=True)


def test_unknown_fitness_shows_what_the_answer_depends_on(page: Any) -> None:
    page.goto("/assess")
    page.get_by_label("Number of liver tumors").fill("1")
    page.get_by_label("Size of the largest tumor (cm)").fill("3")
    fill_spread(page)
    answer(page, "Cirrhosis", "No")
    assert group(page, "Healthy enough for a major operation").get_by_label("Don't know").is_checked()
    submit(page)
    assert "not clear yet" in page.locator("#situation-heading").inner_text()
    candidates = page.locator("ul.candidates").inner_text()
    assert "healthy enough for a major operation: yes" in candidates
    depends = page.locator("section.fit-group-unknown")
    assert depends.get_by_role("heading", name="Depends on what we don't know yet").is_visible()
    # One grid since issue 12: "depends on" said once, the fit per possible situation.
    assert "whether you are healthy enough for surgery" in depends.locator(".depends-once").inner_text()
    surgery = depends.locator("#option-partial_hepatectomy").inner_text()
    assert "main option" in surgery


def test_a_mistake_is_shown_next_to_the_field_and_nothing_is_lost(page: Any) -> None:
    page.goto("/assess")
    page.get_by_label("Number of liver tumors").fill("1")
    page.get_by_label("Size of the largest tumor (cm)").fill("35")
    answer(page, "Cirrhosis", "Yes")
    page.get_by_label("Child-Pugh class").select_option("B")
    submit(page)
    size = page.get_by_label("Size of the largest tumor (cm)")
    assert size.input_value() == "35" and size.get_attribute("aria-invalid") == "true"
    error = page.locator("#e-largest_tumor_cm")
    assert "at most 30" in error.inner_text()
    assert page.locator(".error-summary").evaluate("el => el === document.activeElement")
    assert page.get_by_label("Number of liver tumors").input_value() == "1"
    assert group(page, "Cirrhosis").get_by_label("Yes").is_checked()
    assert page.get_by_label("Child-Pugh class").input_value() == "B"
    page.get_by_role("link", name="Size of the largest tumor (cm): “35” is out of range").click()
    assert size.evaluate("el => el === document.activeElement")
    size.fill("3")
    submit(page)
    assert page.get_by_role("heading", name="Your treatment options").is_visible()


def test_keyboard_only_and_without_javascript(chromium: Any, live_server: str) -> None:
    context = chromium.new_context(viewport=DESKTOP, base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/assess")
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to main content")
        assert skip.evaluate("el => el === document.activeElement")
        assert skip.evaluate("el => getComputedStyle(el).outlineStyle !== 'none' "
                             "|| getComputedStyle(el).boxShadow !== 'none' || el.getBoundingClientRect().top >= 0")
        page.get_by_label("Number of liver tumors").focus()
        page.keyboard.type("1")
        page.keyboard.press("Tab")
        page.keyboard.type("4")
        outline = page.get_by_label("Size of the largest tumor (cm)").evaluate(
            "el => getComputedStyle(el).outlineStyle")
        assert outline != "none"  # focus is visible
        assert page.get_by_role("button", name="Add another tumor").is_hidden()  # needs the script
        assert page.get_by_label("Tumor 3 size (cm)").count() == 1  # rows are there without it
        page.get_by_label("Size of the largest tumor (cm)").focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")  # submits the form from the keyboard
        assert page.get_by_role("heading", name="Your treatment options").is_visible()
        assert page.get_by_text("To print, use your browser's Print command").is_visible()
    finally:
        context.close()


def test_print_view_is_a_clean_handout(page: Any) -> None:
    page.goto("/assess")
    page.get_by_label("Number of liver tumors").fill("4")
    page.get_by_label("Size of the largest tumor (cm)").fill("4.2")
    fill_spread(page)
    answer(page, "Cirrhosis", "Yes")
    page.get_by_label("Child-Pugh class").select_option("A")
    answer(page, "Healthy enough for a major operation", "Yes")
    submit(page)
    page.emulate_media(media="print")
    for hidden in ("nav[aria-label='Main']", ".toolbar", "#print-button"):
        assert page.locator(hidden).first.is_hidden(), hidden
    assert page.locator("#option-ablation").is_visible()
    assert page.locator("#notice").is_visible()  # disclaimer, dates, newer treatments (once)
    assert page.locator("section.questions").is_visible()
    pdf = page.pdf(format="A4")
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert 2 <= pages <= 4, pages
    page.screenshot(path=SHOTS / "result-print.png", full_page=True)


def test_at_200_percent_zoom_nothing_is_cut_off(chromium: Any, live_server: str) -> None:
    # 200% zoom of a 1280-wide window is a 640-wide layout at twice the pixel density.
    context = chromium.new_context(viewport={"width": 640, "height": 450}, device_scale_factor=2,
                                   base_url=live_server)
    page = context.new_page()
    try:
        for path in ("/", "/assess", "/treatments/ablation", "/about"):
            page.goto(path)
            assert no_sideways_scroll(page), path
    finally:
        context.close()
