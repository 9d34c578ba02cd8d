"""Words for people: fit names, roles, values of the vocabulary, dates and numbers."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from livertx.knowledge.pack import Pack

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
_ISO_DATE = re.compile(r"\b((?:19|20)\d\d)-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?\b")

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


def plain_number(value: float) -> str:
    """A measured value at the precision a person reads it: 0.8772 -> "0.88", 3.9 -> "3.9",
    40.0 -> "40" (two decimals at most, no trailing zeros)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def dates_in_words(text: str) -> str:
    """ISO dates inside a text, in words: "2017-10-03" -> "October 3, 2017", "2022-03" ->
    "March 2022" (the guide is American, so the month comes first)."""
    def words(match: re.Match[str]) -> str:
        year, month, day = match.group(1), MONTHS[int(match.group(2)) - 1], match.group(3)
        return f"{month} {int(day)}, {year}" if day else f"{month} {year}"

    return _ISO_DATE.sub(words, str(text))


def child_pugh_short(cp: dict[str, Any]) -> str | None:
    """Child-Pugh as clinicians write it: class and score together ("A5"), or the class
    alone when the score is not known; None when the class is not known."""
    if not cp.get("class"):
        return None
    return f"{cp['class']}{cp['score']}" if cp.get("score") is not None else str(cp["class"])


def candidates_in_display_order(category: dict[str, Any], pack: Pack) -> list[dict[str, Any]]:
    """The categories a person could still be in, in the pack's display order (the most
    treatable first), whatever order the engine found them in."""
    return sorted(category.get("candidates") or [], key=lambda c: pack.display_rank(c["id"]))
