"""livertx: liver cancer treatment options from a trusted patient guide, explained.

    >>> import livertx
    >>> result = livertx.assess({"tumor_count": 1, "largest_tumor_cm": 2.5, ...})
    >>> result.category.id, [o.id for o in result.options if o.fit == "primary"]

Educational, not medical advice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from livertx.contract import Assessment
    from livertx.patient import Patient

__version__ = "0.1.0"


def assess(patient: Patient | dict[str, Any], guideline: str = "acs-2017") -> Assessment:
    """One patient in, the typed output contract out (`.model_dump(by_alias=True)` is the
    JSON of `livertx assess --format json`). Raises `livertx.errors.InvalidInput` for bad
    input, naming each field and what it accepts."""
    from livertx.engine.typed import assess_typed
    from livertx.knowledge.pack import load_guideline

    return assess_typed(patient, load_guideline(guideline))


__all__ = ["__version__", "assess"]
