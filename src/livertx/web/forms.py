"""The assessment form: which fields it shows, and how a submitted form becomes a patient.

The form's field names are the vocabulary's names, so this module only translates the
shapes a browser can send (strings, repeated fields, radio buttons, unit pickers) into the
patient mapping `livertx.engine.assess` takes, and the engine's errors back onto fields.
Nothing here decides anything clinical: an empty field stays unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from livertx import units
from livertx.errors import FieldError, InvalidInput
from livertx.numbers import NotANumber, plain_number
from livertx.patient import Patient, parse_patient
from livertx.vocabulary import FIELD_BY_NAME, FieldSpec

TUMOR_SIZE = "tumor_size_cm"
TRIALS_INTEREST = "clinical_trials_interest"
GUIDELINE = "guideline"  # which knowledge pack answers (not a vocabulary field)
GUIDELINE_CHOICES = {"acs-2017": "The American Cancer Society patient guide (2016-2017)",
                     "bclc-2022": "Current guidance: BCLC 2022 staging, ASCO 2024 medicines"}
UNIT_FIELDS = {"bilirubin": "bilirubin_unit", "albumin": "albumin_unit"}
UNITS = {"bilirubin": ("mg/dL", "umol/L"), "albumin": ("g/dL", "g/L")}
UNIT_WORDS = {"mg/dL": "mg/dL", "umol/L": "µmol/L", "g/dL": "g/dL", "g/L": "g/L"}
MAX_TUMOR_ROWS = 50
MIN_TUMOR_ROWS = 3
MAX_VALUE_CHARS = 40  # longer than any real answer; keeps echoed values small

# Words for enumeration values, as a person would pick them.
VALUE_LABELS: dict[str, dict[str, str]] = {
    "ascites": {"none": "None", "slight": "Slight (mild)", "moderate": "Moderate",
                "severe": "Severe"},
    "encephalopathy": {"none": "None", "grade_1_2": "Grade 1-2 (mild confusion)",
                       "grade_3_4": "Grade 3-4 (severe confusion or sleepiness)"},
    "child_pugh_class": {"A": "A (the liver works well)", "B": "B (moderately reduced)",
                         "C": "C (severely reduced)"},
    "recurrence_site": {"liver": "In the liver", "distant": "In other organs"},
    "sorafenib_status": {"never": "Never taken it", "ongoing": "Taking it now",
                         "stopped_working": "It stopped working",
                         "not_tolerated": "Could not take it (side effects)"},
    "prior_systemic": {"none": "None yet", "atezolizumab_bevacizumab": "Atezolizumab with bevacizumab",
                       "durvalumab_tremelimumab": "Durvalumab with tremelimumab",
                       "nivolumab_ipilimumab": "Nivolumab with ipilimumab", "sorafenib": "Sorafenib",
                       "lenvatinib": "Lenvatinib", "other": "Another medicine"},
    "prior_systemic_outcome": {"ongoing": "Still taking it", "progressed": "The cancer grew",
                               "not_tolerated": "Could not take it (side effects)"},
    "ecog": {"0": "0 - fully active", "1": "1 - light work only",
             "2": "2 - up and about more than half the day, cannot work",
             "3": "3 - in bed or chair more than half the day",
             "4": "4 - in bed or chair all day"},
}


@dataclass(frozen=True)
class Group:
    """One fieldset of the form: a plain-language question and its fields."""

    id: str
    legend: str
    intro: str
    fields: tuple[str, ...]
    qualifiers: tuple[str, ...] = ()


GROUPS: tuple[Group, ...] = (
    Group("tumors", "The tumors",
          "How many tumors there are and how big. Give the count and the largest size, "
          "or list each tumor's size.",
          ("tumor_count", "largest_tumor_cm", "total_tumor_cm"),
          ("spread_throughout_liver", "hard_to_remove_location", "near_major_structures")),
    Group("spread", "Has the cancer spread?",
          "Into blood vessels, to lymph nodes, or to other organs.",
          ("vascular_invasion", "major_vascular_invasion", "lymph_node_spread", "distant_spread"),
          ("adjacent_organ_invasion",)),
    Group("liver", "How well the liver works",
          "Give the Child-Pugh class your team told you, or the blood tests and signs behind it.",
          ("cirrhosis", "child_pugh_class", "portal_hypertension")),
    Group("health", "General health",
          "How you are managing day to day, and whether a big operation is possible.",
          ("fit_for_surgery", "ecog", "transplant_candidate"), ("ecog_due_to_other_illness",)),
    Group("history", "Treatment so far",
          "Whether the cancer came back, and which cancer medicines you have taken.",
          ("recurrent", "recurrence_site", "sorafenib_status", "prior_systemic",
           "prior_systemic_outcome")),  # "came back" before "where"
    Group("wishes", "What you want", "Your own wishes count as much as the medical facts.",
          ("wants_treatment",)),
)
LAB_FIELDS: tuple[str, ...] = ("bilirubin", "albumin", "inr", "ascites", "encephalopathy",
                               "afp", "creatinine", "sodium", "dialysis")


@dataclass
class FormData:
    """A submitted form as typed (for showing it again) plus errors by field name."""

    values: dict[str, str] = field(default_factory=dict)
    tumor_sizes: list[str] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    general_errors: list[str] = field(default_factory=list)

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.general_errors)

    def tumor_rows(self) -> list[str]:
        """The size rows to show: those typed, then empty ones up to the minimum."""
        rows = list(self.tumor_sizes)
        while len(rows) < MIN_TUMOR_ROWS:
            rows.append("")
        return rows

    def hidden_pairs(self) -> list[tuple[str, str]]:
        """Every typed value as (name, value), to carry the answers to the next request."""
        pairs = [(k, v) for k, v in self.values.items() if v != ""]
        pairs += [(TUMOR_SIZE, s) for s in self.tumor_sizes if s != ""]
        return pairs

    def lab_values_given(self) -> bool:
        return any(self.values.get(name) for name in LAB_FIELDS)

    def errors_in(self, names: Iterable[str]) -> bool:
        """Whether any error is about one of these fields (or a row of them)."""
        wanted = set(names)
        return any(key.split(".")[0] in wanted for key in self.errors)

    def summary(self) -> list[tuple[str, str, str]]:
        """(control id, field label, message) for the error summary at the top."""
        out = []
        for key, messages in self.errors.items():
            name, _, row = key.partition(".")
            if name == TUMOR_SIZE:
                target = f"f-{TUMOR_SIZE}-{row}" if row else "tumor-sizes"
                label = f"Tumor {int(row) + 1} size" if row else "Tumor sizes"
            else:
                target = f"f-{name}"
                spec = FIELD_BY_NAME.get(name)
                label = (spec.label if spec else "Guideline" if name == GUIDELINE
                         else "Interest in clinical trials")
            out += [(target, label, message) for message in messages]
        return out


def form_fields() -> list[str]:
    """Every name the form submits (vocabulary names and their helpers)."""
    names = [n for g in GROUPS for n in (*g.fields, *g.qualifiers)] + list(LAB_FIELDS)
    return names + list(UNIT_FIELDS.values()) + [TUMOR_SIZE, TRIALS_INTEREST, GUIDELINE]


def read_form(items: Iterable[tuple[str, Any]]) -> FormData:
    """Keep the known fields of a submitted form as text; ignore anything else."""
    known = set(form_fields())
    data = FormData()
    for name, raw in items:
        if name not in known or not isinstance(raw, str):
            continue
        value = raw.strip()[:MAX_VALUE_CHARS]
        if name == TUMOR_SIZE:
            if len(data.tumor_sizes) < MAX_TUMOR_ROWS:
                data.tumor_sizes.append(value)
        else:
            data.values[name] = value
    while data.tumor_sizes and data.tumor_sizes[-1] == "":
        data.tumor_sizes.pop()
    return data


def to_patient(data: FormData) -> dict[str, Any]:
    """The patient mapping for the engine; errors are recorded on `data` (empty means unknown)."""
    patient: dict[str, Any] = {}
    for name, spec in FIELD_BY_NAME.items():
        text = data.values.get(name, "")
        if text == "":
            continue
        try:
            value = _convert(spec, text, data)
        except ValueError as exc:
            data.add_error(name, str(exc))
            continue
        if value is not None:
            patient[name] = value
    sizes = []
    for index, text in enumerate(data.tumor_sizes):
        if text == "":
            continue
        try:
            sizes.append({"size_cm": _number(text, FIELD_BY_NAME["largest_tumor_cm"])})
        except ValueError as exc:
            data.add_error(f"{TUMOR_SIZE}.{index}", str(exc))
    if sizes:
        patient["tumors"] = sizes
    if data.values.get(TRIALS_INTEREST, "") not in ("", "yes", "no"):
        data.add_error(TRIALS_INTEREST, "choose yes, no or don't know")
    if data.values.get(GUIDELINE, "") not in ("", *GUIDELINE_CHOICES):
        data.add_error(GUIDELINE, "choose one of " + ", ".join(GUIDELINE_CHOICES))
    return patient


def validate(data: FormData) -> Patient | None:
    """The parsed patient if the form is acceptable to the engine, else None with errors on
    `data`. Parsed here once; the engine takes the `Patient` as it is."""
    patient = to_patient(data)
    if data.has_errors:
        return None
    try:
        return parse_patient(patient)
    except InvalidInput as exc:
        place_errors(data, exc.errors)
        return None


def place_errors(data: FormData, errors: list[FieldError]) -> None:
    """Put each engine error next to the form field it is about."""
    sizes = [i for i, s in enumerate(data.tumor_sizes) if s != ""]
    for error in errors:
        match = re.fullmatch(r"tumors\.(\d+)(?:\.size_cm)?", error.field)
        if match and int(match.group(1)) < len(sizes):
            data.add_error(f"{TUMOR_SIZE}.{sizes[int(match.group(1))]}", error.message)
        elif error.field == "tumors":
            data.add_error(TUMOR_SIZE, error.message)
        elif error.field in FIELD_BY_NAME:
            data.add_error(error.field, _readable(error.field, error.message))
        else:
            data.general_errors.append(str(error))


def _readable(name: str, message: str) -> str:
    """Engine messages name other fields by vocabulary name; use the form's labels."""
    message = re.sub(r"^is (true|false|\S+) but ", lambda m: "this says " + {
        "true": "yes", "false": "no"}.get(m.group(1), m.group(1)) + ", but ", message)
    message = message.replace(" is true", " is ticked").replace(" is false", " says no")
    for other, spec in FIELD_BY_NAME.items():
        message = re.sub(rf"\b{other}\b", f"“{spec.label}”", message)
    return message.replace("tumors lists", "the tumor sizes list").replace(
        "the largest of tumors", "the largest of the tumor sizes")


def _convert(spec: FieldSpec, text: str, data: FormData) -> Any:
    if spec.type == "bool":
        if text not in ("yes", "no"):
            raise ValueError("choose yes, no or don't know")
        value = text == "yes"
        return None if spec.kind == "qualifier" and value == spec.default else value
    if spec.type == "enum":
        if text not in spec.values:
            raise ValueError(f"choose one of the listed answers ({', '.join(spec.values)}) "
                             "or don't know")
        return text
    if spec.type == "int":
        number = _number(text, spec)
        if number != int(number):
            raise ValueError(f"“{text}” is not a whole number; expected {spec.accepted}")
        return int(number)
    if spec.name in UNIT_FIELDS:
        return _with_unit(spec, text, data)
    return _number(text, spec)


_UNIT_TABLES = {"bilirubin": units.BILIRUBIN_UNITS, "albumin": units.ALBUMIN_UNITS}


def _with_unit(spec: FieldSpec, text: str, data: FormData) -> float | str:
    """A lab value in the unit typed with it ("40 umol/L") or else the one picked; its range
    is checked, and stated, in that unit."""
    unit_field = UNIT_FIELDS[spec.name]
    typed = units.split_value(text)
    unit = data.values.get(unit_field, "") or UNITS[spec.name][0]
    if typed is not None and typed[1] is not None:
        unit = next((u for u in UNITS[spec.name]
                     if _unit_key(u) == _unit_key(typed[1])), typed[1])
    if unit not in UNITS[spec.name]:
        raise ValueError(f"unknown unit “{unit}”; choose {' or '.join(UNITS[spec.name])}")
    number = typed[0] if typed is not None else _number(text, spec, check_range=False)
    factor = _UNIT_TABLES[spec.name][_unit_key(unit)]
    low, high = spec.minimum or 0.0, spec.maximum or 0.0
    if not (low <= number * factor <= high):
        raise ValueError(f"“{text}” is out of range; expected a number at least {low / factor:.3g} "
                         f"and at most {high / factor:.4g} {UNIT_WORDS[unit]}")
    return number if factor == 1.0 else f"{number:g} {unit}"


def _unit_key(unit: str) -> str:
    return unit.replace(" ", "").replace("μ", "u").replace("µ", "u").lower()


def _number(text: str, spec: FieldSpec, check_range: bool = True) -> float:
    try:
        number = plain_number(text)
    except NotANumber as exc:
        raise ValueError(f"“{text}” is not a number{exc.hint}; expected {spec.accepted}") from None
    if check_range:
        _check_range(number, text, spec)
    return number


def _check_range(number: float, text: str, spec: FieldSpec) -> None:
    low, high = spec.minimum, spec.maximum
    too_low = low is not None and (number <= low if spec.exclusive_minimum else number < low)
    if too_low or (high is not None and number > high):
        raise ValueError(f"“{text}” is out of range; expected {spec.accepted}")
