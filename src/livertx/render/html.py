"""The result page as HTML: one template for the web page and the standalone handout.

The web page renders it with the request's extras (the form's answers and CSRF token, for
"change my answers" and "download JSON"); `livertx assess --format html` renders it alone,
with the stylesheet inlined and without those buttons, as a file to print or keep.
"""

from __future__ import annotations

import functools
from typing import Any

from livertx.knowledge.pack import Pack


def assessment_html(result: dict[str, Any], pack: Pack, **page: Any) -> str:
    from livertx.web.result import result_context
    from livertx.web.templating import page_context, templates

    standalone = "data" not in page
    context = page_context(pack, nav="assess", standalone=standalone,
                           inline_css=_stylesheet() if standalone else None,
                           trials_interest="", **result_context(result, pack))
    context.update(page)
    return templates.get_template("result.html").render(**context)


@functools.cache
def _stylesheet() -> str:
    from livertx.web.templating import STATIC_DIR

    return (STATIC_DIR / "style.css").read_text(encoding="utf-8")


__all__ = ["assessment_html"]
