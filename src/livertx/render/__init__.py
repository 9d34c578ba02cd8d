"""Readable views of an assessment (Markdown; the terminal view renders the same Markdown)."""

from livertx.render.markdown import assessment_markdown, option_markdown

__all__ = ["assessment_markdown", "option_markdown"]
