"""One patient in the vocabulary: parsing, units, bounds and the implications between fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from livertx import units
from livertx.errors import FieldError, InvalidInput
from livertx.numbers import bool_input, number_input
from livertx.vocabulary import FIELD_BY_NAME, FIELDS, PATIENT_KEYS

MAX_TUMORS = 50  # the range of tumor_count
BOOL_FIELDS = tuple(f.name for f in FIELDS if f.type == "bool")


class Tumor(BaseModel):
    model_config = ConfigDict(extra="forbid")
    size_cm: float = Field(gt=0, le=30)

    @field_validator("size_cm", mode="before")
    @classmethod
    def _plain_number(cls, value: Any) -> Any:
        return number_input(value)


class Patient(BaseModel):
    """What is known about one patient. A fact left out is None (unknown)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tumors: list[Tumor] | None = Field(None, max_length=MAX_TUMORS)
    tumor_count: int | None = Field(None, ge=1, le=50)
    largest_tumor_cm: float | None = Field(None, gt=0, le=30)
    vascular_invasion: bool | None = None
    lymph_node_spread: bool | None = None
    distant_spread: bool | None = None
    cirrhosis: bool | None = None
    bilirubin: float | None = Field(None, ge=0, le=60)
    albumin: float | None = Field(None, ge=0.5, le=7)
    inr: float | None = Field(None, ge=0.5, le=15)
    ascites: Literal["none", "slight", "moderate", "severe"] | None = None
    encephalopathy: Literal["none", "grade_1_2", "grade_3_4"] | None = None
    child_pugh_class: Literal["A", "B", "C"] | None = None
    fit_for_surgery: bool | None = None
    ecog: int | None = Field(None, ge=0, le=4)
    recurrence_site: Literal["liver", "distant"] | None = None
    sorafenib_status: Literal["never", "ongoing", "stopped_working", "not_tolerated"] | None = None
    major_vascular_invasion: bool | None = None
    adjacent_organ_invasion: bool = False
    spread_throughout_liver: bool = False
    hard_to_remove_location: bool = False
    near_major_structures: bool = False
    recurrent: bool = False
    wants_treatment: bool = True
    total_tumor_cm: float | None = Field(None, gt=0, le=300)
    afp: float | None = Field(None, ge=0, le=10_000_000)
    portal_hypertension: bool | None = None
    transplant_candidate: bool | None = None
    prior_systemic: Literal["none", "atezolizumab_bevacizumab", "durvalumab_tremelimumab",
                            "nivolumab_ipilimumab", "sorafenib", "lenvatinib", "other"] | None = None
    prior_systemic_outcome: Literal["ongoing", "progressed", "not_tolerated"] | None = None
    creatinine: float | None = Field(None, ge=0.1, le=25)
    sodium: float | None = Field(None, ge=100, le=200)
    ecog_due_to_other_illness: bool = False
    dialysis: bool = False
    _input_warnings: list[str] = PrivateAttr(default_factory=list)

    @property
    def input_warnings(self) -> list[str]:
        """What livertx read differently from how it was given (implied or suspicious values)."""
        return list(self._input_warnings)

    @model_validator(mode="wrap")
    @classmethod
    def _note_input(cls, data: Any, handler: Any) -> Patient:
        warning = (units.bilirubin_warning(data.get("bilirubin"))
                   if isinstance(data, dict) else None)
        patient: Patient = handler(data)
        if warning:
            patient._input_warnings.append(warning)
        return patient

    @field_validator("bilirubin", mode="before")
    @classmethod
    def _bilirubin_unit(cls, value: Any) -> Any:
        return units.bilirubin_mg_dl(value) if value is not None else None

    @field_validator("albumin", mode="before")
    @classmethod
    def _albumin_unit(cls, value: Any) -> Any:
        return units.albumin_g_dl(value) if value is not None else None

    @field_validator("creatinine", mode="before")
    @classmethod
    def _creatinine_unit(cls, value: Any) -> Any:
        return units.creatinine_mg_dl(value) if value is not None else None

    @field_validator("sodium", mode="before")
    @classmethod
    def _sodium_unit(cls, value: Any) -> Any:
        return units.sodium_mmol_l(value) if value is not None else None

    @field_validator("afp", mode="before")
    @classmethod
    def _afp_unit(cls, value: Any) -> Any:
        return units.afp_ng_ml(value) if value is not None else None

    @field_validator("tumor_count", "largest_tumor_cm", "total_tumor_cm", "inr", "ecog",
                     mode="before")
    @classmethod
    def _plain_number(cls, value: Any) -> Any:
        return number_input(value)

    @field_validator(*BOOL_FIELDS, mode="before")
    @classmethod
    def _true_or_false(cls, value: Any) -> Any:
        return bool_input(value)

    @field_validator("ascites", "child_pugh_class", "recurrence_site", "sorafenib_status",
                     "prior_systemic", "prior_systemic_outcome", mode="before")
    @classmethod
    def _enum_spelling(cls, value: Any, info: Any) -> Any:
        if not isinstance(value, str):
            return value
        word = value.strip()
        if info.field_name == "child_pugh_class":
            return word.upper()
        aliases = FIELD_BY_NAME[info.field_name].aliases
        word = word.lower()
        word = aliases.get(word, word).replace(" ", "_").replace("-", "_")
        return aliases.get(word, word)

    @field_validator("encephalopathy", mode="before")
    @classmethod
    def _encephalopathy_grade(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            if not 0 <= value <= 4 or value != int(value):
                raise ValueError("a grade must be a whole number from 0 to 4")
            return ("none", "grade_1_2", "grade_1_2", "grade_3_4", "grade_3_4")[int(value)]
        if isinstance(value, str):
            word = value.strip().lower().replace(" ", "_").replace("-", "_")
            return {"0": "none", "grade_0": "none", "1": "grade_1_2", "2": "grade_1_2",
                    "3": "grade_3_4", "4": "grade_3_4"}.get(word, word)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Patient:
        problems: list[FieldError] = []
        if self.tumors is not None:
            if not self.tumors:
                problems.append(FieldError("tumors", "give at least one tumor, or leave the list out"))
            else:
                count, largest = len(self.tumors), max(t.size_cm for t in self.tumors)
                if self.tumor_count is not None and self.tumor_count != count:
                    problems.append(FieldError("tumor_count", f"is {self.tumor_count} but tumors lists {count}"))
                if self.largest_tumor_cm is not None and self.largest_tumor_cm != largest:
                    problems.append(FieldError("largest_tumor_cm", f"is {self.largest_tumor_cm:g} but the largest "
                                     f"of tumors is {largest:g}"))
                total = round(sum(t.size_cm for t in self.tumors), 4)
                if self.total_tumor_cm is not None and abs(self.total_tumor_cm - total) > 1e-6:
                    problems.append(FieldError("total_tumor_cm", f"is {self.total_tumor_cm:g} but the "
                                               f"sizes in tumors add up to {total:g}"))
                object.__setattr__(self, "tumor_count", count)
                object.__setattr__(self, "largest_tumor_cm", largest)
                object.__setattr__(self, "total_tumor_cm", total)
        if (self.total_tumor_cm is not None and self.largest_tumor_cm is not None
                and self.total_tumor_cm < self.largest_tumor_cm):
            problems.append(FieldError("total_tumor_cm", f"is {self.total_tumor_cm:g} but the largest "
                                       f"tumor alone is {self.largest_tumor_cm:g} cm"))
        problems += self._prior_systemic_problems()
        if self.major_vascular_invasion and self.vascular_invasion is False:
            problems.append(FieldError("vascular_invasion", "is false but major_vascular_invasion is true "
                             "(a major vein involved is vascular invasion)"))
        if self.recurrence_site is not None:
            if "recurrent" in self.model_fields_set and not self.recurrent:
                problems.append(FieldError("recurrent", f"is false but recurrence_site is "
                                           f"{self.recurrence_site!r} (a site means the cancer "
                                           "came back)"))
            elif not self.recurrent:
                object.__setattr__(self, "recurrent", True)
                self._input_warnings.append(
                    f"recurrent: not given, but recurrence_site is {self.recurrence_site!r}; the "
                    "cancer is taken to have come back (recurrent = true).")
        if self.spread_throughout_liver and self.tumor_count is not None and self.tumor_count <= 3:
            problems.append(FieldError("spread_throughout_liver", f"is true but tumor_count is "
                             f"{self.tumor_count}; cancer spread throughout the liver means more "
                             "than 3 tumors"))
        if problems:
            # Not a ValueError: pydantic lets it through, with each field named.
            raise InvalidInput(problems)
        return self

    def _prior_systemic_problems(self) -> list[FieldError]:
        """`prior_systemic` against `sorafenib_status` (DESIGN.md, implications)."""
        if self.prior_systemic == "none" and self.prior_systemic_outcome is not None:
            return [FieldError("prior_systemic_outcome", f"is {self.prior_systemic_outcome!r} but "
                               "prior_systemic is 'none' (no medicine to have an outcome)")]
        implied = implied_sorafenib_status(self.prior_systemic, self.prior_systemic_outcome)
        given = self.sorafenib_status
        if given is None or implied is None or given == implied:
            return []
        if implied == "tried" and given != "never":
            return []
        return [FieldError("sorafenib_status", f"is {given!r} but prior_systemic is "
                           f"{self.prior_systemic!r}" + (f" with outcome {self.prior_systemic_outcome!r}"
                                                         if self.prior_systemic_outcome else ""))]

    def facts(self) -> dict[str, Any]:
        """The flat row of vocabulary columns (no `tumors` list)."""
        row = self.model_dump(exclude={"tumors"})
        if self.major_vascular_invasion:
            row["vascular_invasion"] = True
        return row


SORAFENIB_FROM_OUTCOME = {"ongoing": "ongoing", "progressed": "stopped_working",
                          "not_tolerated": "not_tolerated"}


def implied_sorafenib_status(prior: str | None, outcome: str | None) -> str | None:
    """What `prior_systemic` says of sorafenib: "never" (no medicine yet), the status its
    outcome maps to, "tried" (sorafenib, outcome unknown), or None (it says nothing)."""
    if prior == "none":
        return "never"
    if prior == "sorafenib":
        return SORAFENIB_FROM_OUTCOME[outcome] if outcome else "tried"
    return None


def parse_patient(data: Any) -> Patient:
    """Validate a patient mapping, raising InvalidInput with one message per bad field."""
    if not isinstance(data, dict):
        raise InvalidInput([FieldError("patient", "expected a JSON object of vocabulary fields")])
    try:
        return Patient.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc)) from None


def field_errors(exc: ValidationError) -> list[FieldError]:
    """Readable (field, message) pairs from a pydantic error, each with the accepted range."""
    out: list[FieldError] = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        name = ".".join(loc) if loc else "patient"
        message = str(err.get("msg", "invalid value"))
        out.append(FieldError(name, _message(loc, err, message)))
    return out


def _message(loc: list[str], err: Mapping[str, Any], fallback: str) -> str:
    kind = err.get("type", "")
    given = err.get("input")
    if kind == "extra_forbidden":
        return f"unknown field; known fields are: {', '.join(PATIENT_KEYS)}"
    if loc and loc[0] == "tumors":
        if kind == "too_long":
            return f"lists more than {MAX_TUMORS} tumors; at most {MAX_TUMORS} (as tumor_count)"
        if len(loc) >= 3 and loc[-1] == "size_cm":
            return f"{given!r} is not accepted; expected a number greater than 0 and at most 30 cm"
        return "expected a list of {\"size_cm\": number} objects"
    spec = FIELD_BY_NAME.get(loc[0]) if loc else None
    if spec is None:
        return fallback
    detail = fallback.removeprefix("Value error, ")
    if kind in ("value_error",) and "unit" in detail:
        return detail + f" (accepted: {spec.accepted})"
    return f"{given!r} is not accepted; expected {spec.accepted}"
