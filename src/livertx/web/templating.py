"""The Jinja environment for the pages, with the few helpers templates need.

Autoescaping is on for every template, so pack text and typed values are always escaped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from livertx.knowledge.pack import Pack
from livertx.render.labels import (
    FIT_HEADINGS,
    FIT_WORDS,
    dates_in_words,
    requirement_words,
    value_words,
)
from livertx.vocabulary import FIELD_BY_NAME

HERE = Path(__file__).parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"

_env = Environment(loader=FileSystemLoader(TEMPLATES_DIR),
                   autoescape=select_autoescape(["html"], default=True),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                   auto_reload=False)
_env.globals.update(FIELDS=FIELD_BY_NAME, FIT_HEADINGS=FIT_HEADINGS, FIT_WORDS=FIT_WORDS,
                    requirement_words=requirement_words, value_words=value_words)
_env.filters["anchor"] = lambda text: str(text).replace("/", "-")
_env.filters["date_words"] = dates_in_words
_env.filters["sentence"] = lambda text: str(text)[:1].upper() + str(text)[1:]

templates = Jinja2Templates(env=_env)


def role_names(pack: Pack) -> dict[str, str]:
    """Care-team role ids to the names the pack gives them."""
    cached = pack._cache.get("web.role_names")
    if cached is None:
        roles = getattr(pack.topic("care_team"), "roles", None) or []
        cached = {r["role"]: r["name"] for r in roles}
        pack._cache["web.role_names"] = cached
    return cached


def citer(pack: Pack) -> Any:
    """`cite(source_id)` for templates: the source's title, cached per pack."""
    cache: dict[str, dict[str, Any]] = pack._cache.setdefault("web.cite", {})

    def cite(source: str) -> dict[str, Any]:
        if source not in cache:
            try:
                cache[source] = pack.cite(source)
            except KeyError:
                cache[source] = {"id": source, "title": source}
        return cache[source]

    return cite


def page_context(pack: Pack, **extra: Any) -> dict[str, Any]:
    """What every page needs: the pack (for the footer notices) and the helpers."""
    return {"pack": pack, "info": pack.info, "cite": citer(pack), "roles": role_names(pack),
            "standalone": False, "inline_css": None, **extra}
