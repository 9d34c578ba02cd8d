"""Accessibility: axe-core (axe-playwright-python) in Debian's Chromium against a real server.

Home, the form (clean and with errors), a result and library pages must have no serious or
critical violations, at desktop and phone width.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

AXE = Axe()
BLOCKING = {"serious", "critical"}
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=sorted(WIDTHS))
def page(request: Any, chromium: Any, live_server: str) -> Iterator[Any]:
    context = chromium.new_context(viewport=WIDTHS[request.param], base_url=live_server)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def blocking_violations(page: Any) -> list[str]:
    results = AXE.run(page, options={"resultTypes": ["violations"],
                                     "runOnly": {"type": "tag", "values": [
                                         "wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                         "best-practice"]}})
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [", ".join(node["target"]) for node in violation["nodes"]][:5]
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} {targets}")
    return found


def fill_unresectable(page: Any) -> None:
    page.goto("/assess")
    page.get_by_label("Number of liver tumors").fill("4")
    page.get_by_label("Size of the largest tumor (cm)").fill("4.2")
    page.get_by_label("Child-Pugh class").select_option("A")


@pytest.mark.parametrize("path", ["/", "/assess", "/treatments", "/treatments/ablation",
                                  "/treatments/embolization/tace", "/search?q=transplant",
                                  "/about"])
def test_pages_have_no_serious_violations(page: Any, path: str) -> None:
    page.goto(path)
    assert blocking_violations(page) == []


def test_result_page_has_no_serious_violations(page: Any) -> None:
    fill_unresectable(page)  # fitness left unknown: every part of the result page is shown
    page.get_by_role("button", name="Show my options").click()
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("section.fit-group-unknown").count() == 1
    page.locator("details.option-more").first.evaluate("el => { el.open = true; }")
    assert blocking_violations(page) == []


def test_form_with_errors_has_no_serious_violations(page: Any) -> None:
    fill_unresectable(page)
    page.get_by_label("INR").fill("abc") if page.get_by_label("INR").is_visible() else None
    page.get_by_label("Size of the largest tumor (cm)").fill("-4")
    page.get_by_role("button", name="Show my options").click()
    page.wait_for_load_state("domcontentloaded")
    assert page.locator(".error-summary").is_visible()
    assert blocking_violations(page) == []
