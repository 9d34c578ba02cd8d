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
