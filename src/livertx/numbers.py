"""What counts as a number or a yes/no in livertx input, defined once for every surface
(the patient model, the form, the CLI, the card link).

Only plain decimals are numbers: digits with at most one decimal point and an optional
sign ("12", "1.5", ".5"). Python and pydantic would also read "1_5" (as 15), "1e3",
"inf" or "nan"; a form may see "1,500" (a thousands separator, or a decimal comma?). None
of these is guessed at: each is refused with a message saying what is accepted. Numbers
that arrive already parsed (JSON) must be finite: `Infinity` and `1e999` are refused too.
Yes/no values are JSON true/false (or the text "true"/"false"); pydantic's lax "yes",
"off", 1 or 0.0 are refused.
"""

from __future__ import annotations

import math
import re

PLAIN_DECIMAL = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_PLAIN = re.compile(PLAIN_DECIMAL)
MAX_CHARS = 40  # no real value is longer; refuses 5,000-digit numbers before parsing them


class NotANumber(ValueError):
    """Text or a value that is not a plain, finite decimal (the message says why; `hint`
    is the part that says how to write it)."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message + hint)
        self.hint = hint


def plain_number(text: str) -> float:
    """The number a plain decimal text gives, or NotANumber."""
    stripped = text.strip()
    if len(stripped) > MAX_CHARS or not _PLAIN.fullmatch(stripped):
        hint = ""
        if "," in stripped:
            hint = " (use a point for decimals and no thousands separator)"
        elif "_" in stripped:
            hint = " (no underscores)"
        raise NotANumber(f"{_shown(stripped)} is not a plain decimal number", hint)
    return float(stripped)


def number_input(value: object) -> object:
    """A before-validator: finite numbers and plain-decimal text pass (as numbers); true/false,
    infinities, NaN and other text are refused. Other types are left to the field."""
    if isinstance(value, bool):
        raise NotANumber("expected a number, not true or false")
    if isinstance(value, float) and not math.isfinite(value):
        raise NotANumber("expected a finite number")
    if isinstance(value, int) and abs(value) > 10**15:
        raise NotANumber("expected a number of a sensible size")
    if isinstance(value, str):
        return plain_number(value)
    return value


def bool_input(value: object) -> object:
    """A before-validator: true/false (or their text) pass; yes/no, on/off, 1/0 are refused."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise NotANumber("expected true or false")


def _shown(text: str) -> str:
    return repr(text if len(text) <= MAX_CHARS else text[:MAX_CHARS] + "…")
