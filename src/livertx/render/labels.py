"""Words for people: fit names, roles, and values of the vocabulary."""

from __future__ import annotations

from typing import Any

FIT_HEADINGS = {
    "primary": "Main options",
    "alternative": "Other options",
    "unknown": "Depends on what we don't know yet",
    "not_advised": "Not usually advised in this situation",
}
FIT_WORDS = {"primary": "main option", "alternative": "other option",
             "not_advised": "not usually advised", "unknown": "depends"}


def role_name(role: str) -> str:
    return role.replace("_", " ")


def value_words(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, dict):
        if "at_most" in value:
            return f"at most {value['at_most']:g}"
        if "more_than" in value:
            return f"more than {value['more_than']:g}"
    if isinstance(value, list):
        return " or ".join(value_words(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).replace("_", " ")


def requirement_words(requires: dict[str, Any]) -> str:
    from livertx.vocabulary import FIELD_BY_NAME

    if not requires:
        return "for some values of what is unknown"
    parts = [f"{FIELD_BY_NAME[k].label.lower()}: {value_words(v)}" for k, v in requires.items()]
    return "if " + "; ".join(parts)
