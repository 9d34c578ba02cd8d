"""The form's wording (issue 12): a "before you start", "cancer came back" asked before "where
it came back", and help texts that tell two look-alike boxes apart. Through the real ASGI app."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from bs4 import BeautifulSoup

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from livertx.web.app import Settings, create_app


@pytest.fixture(scope="module")
def form() -> BeautifulSoup:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client: Any = TestClient(create_app(Settings()))
    return BeautifulSoup(client.get("/assess").text, "html.parser")


def test_before_you_start_says_how_long_and_what_to_have_at_hand(form: BeautifulSoup) -> None:
    box = form.find(id="before-start-title").find_parent("section")
    text = " ".join(box.get_text(" ").split())
    assert "5 minutes" in text
    assert "scan report" in text and "blood tests" in text and "Child-Pugh class" in text
    # It comes before the first question.
    assert box.find_next("form", class_="assess-form") is not None


def test_cancer_came_back_is_asked_before_where_it_came_back(form: BeautifulSoup) -> None:
    ids = [tag["id"] for tag in form.select("input[id], select[id]")]
    assert ids.index("f-recurrent") < ids.index("f-recurrence_site")


def test_hard_to_remove_and_near_major_structures_are_told_apart(form: BeautifulSoup) -> None:
    hard = form.find(id="h-hard_to_remove_location").get_text(" ", strip=True)
    near = form.find(id="h-near_major_structures").get_text(" ", strip=True)
    assert "surgery" in hard and "transplant" in hard
    assert "ablation" in near and "diaphragm" in near
    assert "does not by itself rule out surgery" in near
    assert hard != near
