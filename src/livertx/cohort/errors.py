"""The one error a cohort run raises on purpose: a file or option it cannot use."""

from __future__ import annotations

from livertx.errors import LivertxError


class CohortError(LivertxError):
    """A bad input file, mapping or option; raised before any output is written."""
