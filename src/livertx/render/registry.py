"""Renderers registered by name: every surface asks the registry for a view.

A renderer turns the contract JSON (`Assessment.model_dump(by_alias=True)`) and its pack
into text. `livertx assess --format NAME` offers exactly the registered names; the web
result page is the "html" renderer given the request's extras (keyword arguments), and the
CDS service builds its cards with the "cds" renderer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from livertx.knowledge.pack import Pack

Renderer = Callable[..., str]  # (result, pack, **surface extras) -> text
RENDERERS: dict[str, Renderer] = {}


def register(name: str) -> Callable[[Renderer], Renderer]:
    def add(renderer: Renderer) -> Renderer:
        RENDERERS[name] = renderer
        return renderer
    return add


def render(name: str, result: dict[str, Any], pack: Pack, **extras: Any) -> str:
    """The view `name` of an assessment (KeyError names the known views). `extras` are a
    surface's own additions (the web page's form answers); renderers ignore the rest."""
    if name not in RENDERERS:
        raise KeyError(f"no renderer {name!r}; known: {', '.join(sorted(RENDERERS))}")
    return RENDERERS[name](result, pack, **extras)


@register("json")
def as_json(result: dict[str, Any], pack: Pack, **_: Any) -> str:
    return json.dumps(result, indent=2, ensure_ascii=False)


@register("markdown")
def as_markdown(result: dict[str, Any], pack: Pack, **_: Any) -> str:
    from livertx.render.markdown import assessment_markdown

    return assessment_markdown(result, pack)


@register("text")
def as_text(result: dict[str, Any], pack: Pack, **_: Any) -> str:
    """The handout for a terminal: the Markdown laid out by Rich (colours on a terminal)."""
    import io
    import sys

    from rich.console import Console
    from rich.markdown import Markdown

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=sys.stdout.isatty(),
                      width=Console().width)
    console.print(Markdown(as_markdown(result, pack)))
    return buffer.getvalue()


@register("html")
def as_html(result: dict[str, Any], pack: Pack, **page: Any) -> str:
    """The result page; alone (no `page` extras) a standalone handout file."""
    from livertx.render.html import assessment_html

    return assessment_html(result, pack, **page)


@register("cds")
def as_cds_cards(result: dict[str, Any], pack: Pack, **_: Any) -> str:
    """The CDS Hooks cards (JSON), links relative to the service's own address."""
    from livertx.cds.cards import cards_for

    return json.dumps({"cards": cards_for(result, {"patient": result.get("patient") or {}},
                                          pack, "")}, indent=2, ensure_ascii=False)


__all__ = ["RENDERERS", "Renderer", "register", "render"]
