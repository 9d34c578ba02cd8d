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
    parts = [f"{_in_sentence(FIELD_BY_NAME[k].label)}: {value_words(v)}"
             for k, v in requires.items()]
    return "if " + "; ".join(parts)


def _in_sentence(label: str) -> str:
    """A label inside a sentence: "Healthy enough" -> "healthy enough"; names such as
    "Child-Pugh" or "INR" keep their capitals."""
    first, _, rest = label.partition(" ")
    if first[1:] != first[1:].lower():
        return label
    return " ".join(filter(None, (first.lower(), rest)))


SAFETY_PREFIX = "Safety note ("  # how the engine words a safety note in `warnings`
ECOG_WORDS = {0: "fully active", 1: "light work only",
              2: "up and about more than half the day, cannot work",
              3: "in bed or chair more than half the day", 4: "in bed or chair all day"}
ECOG_USE = "shown only; the 2017 guide does not use it"


def ecog_use(pack: Any) -> str:
    """How the pack uses ECOG (a pack may say it in pack.yaml as `ecog_use`)."""
    return str(getattr(pack.info, "ecog_use", None) or ECOG_USE)


def other_warnings(result: dict[str, Any]) -> list[str]:
    """The warnings that are not safety notes: those are shown on their own, with their
    date and citation, so they are left out here rather than shown twice."""
    return [w for w in result.get("warnings", []) if not w.startswith(SAFETY_PREFIX)]


def ecog_words(value: int | None) -> str:
    """ECOG performance status in words: "3, in bed or chair more than half the day"."""
    if value is None:
        return "unknown"
    words = ECOG_WORDS.get(value)
    return f"{value}, {words}" if words else str(value)
