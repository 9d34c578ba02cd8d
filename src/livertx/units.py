"""Lab units, converted once at the edge to the units the scores use (mg/dL, g/dL)."""

from __future__ import annotations

import math
import re

from livertx.numbers import PLAIN_DECIMAL

# Total bilirubin: 1 mg/dL = 17.1 umol/L (molar mass 584.66 g/mol; the factor used by
# the MSD Manual and MedCalc-Bench). Rounded so that mg/dL and umol/L inputs agree.
BILIRUBIN_UMOL_PER_MG_DL = 17.1
CONVERTED_DECIMALS = 4



def _mg_dl_or_umol_l(umol_per_mg_dl: float) -> dict[str, float]:
    """mg/dL, and µmol/L in its three spellings (u, micro sign, Greek mu)."""
    return {"mg/dl": 1.0, **dict.fromkeys(("umol/l", "µmol/l", "μmol/l"), 1 / umol_per_mg_dl)}


BILIRUBIN_UNITS: dict[str, float] = _mg_dl_or_umol_l(BILIRUBIN_UMOL_PER_MG_DL)
ALBUMIN_UNITS: dict[str, float] = {"g/dl": 1.0, "g/l": 0.1}
# Creatinine: 1 mg/dL = 88.4 umol/L (molar mass 113.12 g/mol).
CREATININE_UMOL_PER_MG_DL = 88.4
CREATININE_UNITS: dict[str, float] = _mg_dl_or_umol_l(CREATININE_UMOL_PER_MG_DL)
# Sodium is monovalent: mmol/L and mEq/L are the same number. AFP: ng/mL = µg/L.
SODIUM_UNITS: dict[str, float] = {"mmol/l": 1.0, "meq/l": 1.0}
AFP_UNITS: dict[str, float] = {"ng/ml": 1.0, "ug/l": 1.0, "µg/l": 1.0, "μg/l": 1.0}

# A plain decimal (livertx.numbers), then optionally a unit starting with a letter or µ.
_VALUE_WITH_UNIT = re.compile(rf"^\s*({PLAIN_DECIMAL})\s*([^\W\d_].*?)?\s*$")
MAX_TEXT = 40


class UnitError(ValueError):
    """A lab value whose unit is not one livertx knows."""


def to_canonical(value: float | str, units: dict[str, float], canonical: str) -> float:
    """Convert a number (already canonical) or a 'number unit' string to the canonical unit."""
    if isinstance(value, bool):
        raise UnitError(f"expected a number in {canonical} or a value with a unit")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise UnitError("expected a finite number")
        return float(value)
    if not isinstance(value, str):
        raise UnitError(f"expected a number in {canonical} or a value with a unit")
    match = _VALUE_WITH_UNIT.match(value) if len(value) <= MAX_TEXT else None
    if not match:
        raise UnitError(f"could not read {value!r}: give a number, optionally followed by a unit "
                        f"({', '.join(sorted(set(_display(units))))})")
    number, unit = float(match.group(1)), (match.group(2) or canonical).replace(" ", "").lower()
    if unit not in units:
        raise UnitError(f"unknown unit {match.group(2)!r}; accepted units: "
                        f"{', '.join(sorted(set(_display(units))))}")
    factor = units[unit]
    return number if factor == 1.0 else round(number * factor, CONVERTED_DECIMALS)


def _display(units: dict[str, float]) -> list[str]:
    names = {"mg/dl": "mg/dL", "umol/l": "umol/L", "µmol/l": "µmol/L", "μmol/l": "µmol/L",
             "g/dl": "g/dL", "g/l": "g/L", "mmol/l": "mmol/L", "meq/l": "mEq/L",
             "ng/ml": "ng/mL", "ug/l": "ug/L", "µg/l": "µg/L", "μg/l": "µg/L"}
    return [names.get(u, u) for u in units]


def bilirubin_mg_dl(value: float | str) -> float:
    return to_canonical(value, BILIRUBIN_UNITS, "mg/dl")


def albumin_g_dl(value: float | str) -> float:
    return to_canonical(value, ALBUMIN_UNITS, "g/dl")


def creatinine_mg_dl(value: float | str) -> float:
    return to_canonical(value, CREATININE_UNITS, "mg/dl")


def sodium_mmol_l(value: float | str) -> float:
    return to_canonical(value, SODIUM_UNITS, "mmol/l")


def afp_ng_ml(value: float | str) -> float:
    return to_canonical(value, AFP_UNITS, "ng/ml")


UNITLESS_BILIRUBIN_WARN_ABOVE = 20.0  # mg/dL: rare, while 20-60 umol/L is common
MOLAR_BILIRUBIN_WARN_BELOW = 3.0      # umol/L: rare, while 1-3 mg/dL is common


def split_value(value: object) -> tuple[float, str | None] | None:
    """(number, unit as written or None) of a lab value, or None when it is not readable."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (float(value), None) if math.isfinite(value) else None
    if isinstance(value, str) and len(value) <= MAX_TEXT:
        match = _VALUE_WITH_UNIT.match(value)
        if match:
            return float(match.group(1)), match.group(2)
    return None


def bilirubin_warning(value: object) -> str | None:
    """A "did you mean" hint for a bilirubin that reads implausibly in the unit it was given
    in: above 20 mg/dL (likely µmol/L) or below 3 µmol/L (likely mg/dL)."""
    read = split_value(value)
    if read is None:
        return None
    number, unit = read
    key = (unit or "mg/dl").replace(" ", "").lower()
    factor = BILIRUBIN_UNITS.get(key)
    if factor is None:
        return None
    if factor == 1.0 and number > UNITLESS_BILIRUBIN_WARN_ABOVE:
        as_umol = round(number / BILIRUBIN_UMOL_PER_MG_DL, 2)
        given = "given without a unit and read" if unit is None else "read"
        return (f"bilirubin: {number:g} was {given} as {number:g} mg/dL, a very high value; did "
                f"you mean {number:g} µmol/L ({as_umol:g} mg/dL)? Give the value with its unit "
                "(for example \"40 umol/L\") to be sure.")
    if factor != 1.0 and number < MOLAR_BILIRUBIN_WARN_BELOW:
        as_mg = round(number * factor, 2)
        return (f"bilirubin: {number:g} µmol/L is {as_mg:g} mg/dL, an unusually low value; did "
                f"you mean {number:g} mg/dL ({number * BILIRUBIN_UMOL_PER_MG_DL:g} µmol/L)? "
                "Check the unit.")
    return None
