"""Row checks of a cohort, as data: the vocabulary's bounds and values, and the
contradictions of DESIGN.md. Each engine turns them into its own expressions; a bad row
gets an `error` naming each field and what is accepted, and is not assessed.
"""

from __future__ import annotations

from dataclasses import dataclass

from livertx.vocabulary import FIELDS, FieldSpec

SEPARATOR = "; "


@dataclass(frozen=True)
class RangeCheck:
    spec: FieldSpec

    @property
    def message(self) -> str:
        return f"{self.spec.name}: out of range; expected {self.spec.accepted}"


@dataclass(frozen=True)
class ValueCheck:
    spec: FieldSpec

    def message_parts(self) -> tuple[str, str]:
        """Text before and after the offending value (quoted)."""
        return f"{self.spec.name}: '", f"' is not accepted; expected {self.spec.accepted}"


VESSEL_MESSAGE = ("vascular_invasion: is false but major_vascular_invasion is true "
                  "(a major vein involved is vascular invasion)")
SPREAD_PARTS = ("spread_throughout_liver: is true but tumor_count is ",
                "; cancer spread throughout the liver means more than 3 tumors")
SPREAD_MAX_COUNT = 3
RECURRENCE_MESSAGE = ("recurrent: is false but recurrence_site is given (a site means the "
                      "cancer came back)")

# Contradictions between the fields added for current guidance, each a condition in the
# condition language (true: the row is rejected), compiled by each engine.
CONTRADICTIONS: tuple[tuple[str, str], ...] = (
    ("total_tumor_cm < largest_tumor_cm",
     "total_tumor_cm: is smaller than largest_tumor_cm (the total includes the largest tumor)"),
    ("prior_systemic = 'none' AND prior_systemic_outcome IS NOT NULL",
     ("prior_systemic_outcome: is given but prior_systemic is 'none' (no medicine to have an "
     "outcome)")),
    (("(prior_systemic = 'none' AND sorafenib_status <> 'never') "
     "OR (prior_systemic = 'sorafenib' AND (sorafenib_status = 'never' "
     "OR (prior_systemic_outcome = 'ongoing' AND sorafenib_status <> 'ongoing') "
     "OR (prior_systemic_outcome = 'progressed' AND sorafenib_status <> 'stopped_working') "
     "OR (prior_systemic_outcome = 'not_tolerated' AND sorafenib_status <> 'not_tolerated')))"),
     ("sorafenib_status: disagrees with prior_systemic and its outcome (none means never; "
     "sorafenib that progressed means stopped_working)")),
)


def range_checks() -> list[RangeCheck]:
    return [RangeCheck(s) for s in FIELDS if s.type in ("int", "float")]


def value_checks() -> list[ValueCheck]:
    return [ValueCheck(s) for s in FIELDS if s.type == "enum"]


def spellings(spec: FieldSpec) -> dict[str, str]:
    """Accepted spellings of an enumeration (trimmed, lower case) -> the vocabulary value.

    The same spellings `livertx.patient` accepts: any case, spaces or hyphens for
    underscores, the field's aliases, and encephalopathy grades 0-4.
    """
    out: dict[str, str] = {}
    for value in spec.values:
        word = value.lower()
        for variant in (word, word.replace("_", " "), word.replace("_", "-")):
            out[variant] = value
    for alias, value in spec.aliases.items():
        out[alias.lower()] = value
    if spec.name == "encephalopathy":
        grades = ("none", "grade_1_2", "grade_1_2", "grade_3_4", "grade_3_4")
        for grade, value in enumerate(grades):
            out[str(grade)] = value
        out.update({"grade_0": "none", "grade 0": "none", "grade-0": "none"})
    return out


__all__ = ["CONTRADICTIONS", "RECURRENCE_MESSAGE", "SEPARATOR", "SPREAD_MAX_COUNT", "SPREAD_PARTS", "VESSEL_MESSAGE", "RangeCheck",
           "ValueCheck", "range_checks", "spellings", "value_checks"]
