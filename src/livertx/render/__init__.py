"""Readable views of an assessment, registered by name in `livertx.render.registry`.

The Markdown functions are loaded on first use, so a command that prints JSON does not
import them."""

from __future__ import annotations

from typing import Any

__all__ = ["assessment_markdown", "option_markdown"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from livertx.render import markdown

        return getattr(markdown, name)
    raise AttributeError(name)
