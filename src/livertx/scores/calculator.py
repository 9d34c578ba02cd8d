"""Calculators for one patient: the same expressions on a one-row table."""

from __future__ import annotations

from typing import Any

from livertx.frame import collect_small, patients_frame
from livertx.patient import Patient, parse_patient
from livertx.scores import derive
from livertx.scores.child_pugh import ITEMS


def derive_one(patient: Patient) -> dict[str, Any]:
    """All derived values of one patient (one-row table, the cohort's expressions)."""
    return collect_small(derive(patients_frame([patient]).lazy())).row(0, named=True)


def child_pugh(**items: Any) -> dict[str, Any]:
    """Child-Pugh from its five items (units accepted as in the vocabulary)."""
    patient = parse_patient(items)
    row = derive_one(patient)
    shown = {"bilirubin": f"{patient.bilirubin:g} mg/dL" if patient.bilirubin is not None else None,
             "albumin": f"{patient.albumin:g} g/dL" if patient.albumin is not None else None,
             "inr": f"{patient.inr:g}" if patient.inr is not None else None,
             "ascites": patient.ascites, "encephalopathy": patient.encephalopathy}
    return {
        "items": {item: {"value": shown[item], "points": row[f"cp_points_{item}"]}
                  for item in ITEMS},
        "score": row["cp_score"], "class": row["cp_class"],
        "thresholds": "Pugh et al. 1973 as tabled by the MSD Manual: bilirubin <2/2-3/>3 mg/dL, "
                      "albumin >3.5/2.8-3.5/<2.8 g/dL, INR <1.7/1.7-2.3/>2.3",
    }


def _score(score_id: str) -> str:
    from livertx.scores.library import scores

    return next(s.reference for s in scores() if s.id == score_id)


def meld_na(**items: Any) -> dict[str, Any]:
    """MELD-Na from creatinine, bilirubin, INR, sodium and dialysis (units as in the
    vocabulary), with the bounded values the formula used."""
    patient = parse_patient(items)
    row = derive_one(patient)
    return {
        "inputs": {"creatinine": f"{patient.creatinine:g} mg/dL", "bilirubin": f"{patient.bilirubin:g} mg/dL",
                   "inr": f"{patient.inr:g}", "sodium": f"{patient.sodium:g} mmol/L",
                   "dialysis": patient.dialysis},
        "used": {"creatinine": row["_meld_cr"], "bilirubin": row["_meld_bili"],
                 "inr": row["_meld_inr"], "sodium": row["_meld_na"]},
        "meld": None if row["_meld_i"] is None else int(row["_meld_i"]),
        "meld_na": None if row["meld_na"] is None else int(row["meld_na"]),
        "formula": _score("meld_na"),
    }


def albi(**items: Any) -> dict[str, Any]:
    """ALBI score and grade from bilirubin and albumin (units as in the vocabulary)."""
    patient = parse_patient(items)
    row = derive_one(patient)
    return {
        "inputs": {"bilirubin": f"{patient.bilirubin:g} mg/dL", "albumin": f"{patient.albumin:g} g/dL"},
        "score": row["albi_score"], "grade": row["albi_grade"],
        "formula": _score("albi"),
    }
