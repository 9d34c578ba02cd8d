"""The glossary: pack data (glossary.yaml), the /glossary page through the real ASGI app, a
link to it from every page's footer and from the form, and `livertx glossary [TERM]`."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from bs4 import BeautifulSoup
from typer.testing import CliRunner

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from livertx.cli import app as cli
from livertx.knowledge import load_pack
from livertx.web.app import Settings, create_app

PACK = load_pack()
runner = CliRunner()


@pytest.fixture(scope="module")
def client() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return TestClient(create_app(Settings()))


def test_the_pack_explains_the_words_its_pages_use() -> None:
    for word in ("cirrhosis", "Child-Pugh", "ablation", "embolization", "TACE", "Milan",
                 "bilirubin", "ascites", "ECOG", "lymph nodes", "medical oncologist"):
        term = PACK.glossary_term(word)
        assert term is not None, word
        assert term.explanation and term.source in (*PACK.sections, *PACK.references)


def test_glossary_page_lists_every_term_with_an_anchor_and_its_source(client: Any) -> None:
    response = client.get("/glossary")
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    assert page.find("h1").get_text(strip=True) == "Words explained"
    for term in PACK.glossary:
        entry = page.find(id=term.anchor)
        assert entry is not None and term.term in entry.get_text()
        assert term.explanation.split(".")[0] in entry.find_next("dd").get_text(" ", strip=True)
    terms = [dt.get_text(" ", strip=True) for dt in page.select("dl.glossary dt")]
    assert terms == sorted(terms, key=str.lower)  # A to Z


@pytest.mark.parametrize("path", ["/", "/assess", "/treatments/sorafenib", "/about", "/glossary"])
def test_every_page_links_to_the_glossary_from_its_footer(client: Any, path: str) -> None:
    page = BeautifulSoup(client.get(path).text, "html.parser")
    assert page.find("footer").find("a", href="/glossary") is not None


def test_the_result_page_links_to_the_glossary(client: Any) -> None:
    form = BeautifulSoup(client.get("/assess").text, "html.parser")
    token = form.find("input", attrs={"name": "csrf_token"})["value"]
    response = client.post("/assess", data={"csrf_token": token, "tumor_count": "1",
                                            "largest_tumor_cm": "2", "child_pugh_class": "A"})
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    assert page.find("a", href="/glossary") is not None


def test_cli_glossary_explains_a_word_in_any_case_or_short_form() -> None:
    done = runner.invoke(cli, ["glossary", "tace"])
    assert done.exit_code == 0, done.output
    text = " ".join(done.stdout.split())
    assert "Chemoembolization" in text and "Embolization with a chemo drug" in text
    data = json.loads(runner.invoke(cli, ["glossary", "CIRRHOSIS", "-f", "json"]).stdout)
    assert [d["term"] for d in data] == ["Cirrhosis"]


def test_cli_glossary_lists_every_word_without_an_argument() -> None:
    data = json.loads(runner.invoke(cli, ["glossary", "--format", "json"]).stdout)
    assert len(data) == len(PACK.glossary) > 30


def test_cli_glossary_unknown_word_suggests_and_exits_2() -> None:
    done = runner.invoke(cli, ["glossary", "cirosis"])
    assert done.exit_code == 2
    assert "did you mean Cirrhosis" in " ".join(done.output.split())
