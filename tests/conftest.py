"""Shared test helpers. Append new fixtures below; keep existing names stable."""

from __future__ import annotations

from typing import Any

from livertx.frame import patients_frame
from livertx.patient import parse_patient
from livertx.scores import derive


def derive_one(**facts: Any) -> dict[str, Any]:
    """One patient through the public path: parse -> one-row frame -> derive -> row as a dict."""
    frame = patients_frame([parse_patient(facts)])
    return derive(frame.lazy()).collect().row(0, named=True)
