"""The one CDS Hooks service livertx offers: its id, hook and prefetch templates.

Prefetch asks for exactly what `livertx.fhir` reads (codes in livertx.fhir.codes): the
Patient, their Conditions, the latest of each lab, ECOG, the mCODE TNM observations,
tumour sizes and coded liver findings. Queries use R4 search syntax (`_sort=-date`).
"""

from __future__ import annotations

from typing import Any

from livertx.fhir import codes as C

SERVICE_ID = "livertx-hcc-options"
HOOK = "patient-view"
PATIENT = "{{context.patientId}}"


def _observations(codes: list[tuple[str, str]], count: int | None = None) -> str:
    query = (f"Observation?patient={PATIENT}&code="
             + ",".join(f"{system}|{code}" for system, code in codes) + "&_sort=-date")
    return query + (f"&_count={count}" if count else "")


def _loinc(*codes: str) -> list[tuple[str, str]]:
    return [(C.LOINC, code) for code in codes]


PREFETCH: dict[str, str] = {
    "patient": f"Patient/{PATIENT}",
    "conditions": f"Condition?patient={PATIENT}",
    "bilirubin": _observations(_loinc(*C.LAB_CODES["bilirubin"]), 1),
    "albumin": _observations(_loinc(*C.LAB_CODES["albumin"]), 1),
    "inr": _observations(_loinc(*C.LAB_CODES["inr"]), 1),
    "ecog": _observations(_loinc(C.ECOG), 1),
    "staging": _observations(sorted(C.STAGING_CODES), 50),
    "tumorSize": _observations(_loinc(C.TUMOR_SIZE), 20),
    "liverFindings": _observations([(C.SNOMED, c) for c in (*C.CIRRHOSIS_SNOMED, *C.ASCITES_SNOMED,
                                                             *C.ENCEPHALOPATHY_SNOMED)], 20),
}


def discovery() -> dict[str, Any]:
    """The body of GET /cds-services."""
    return {"services": [{
        "hook": HOOK,
        "id": SERVICE_ID,
        "title": "Liver cancer treatment options (livertx)",
        "description": "For a patient with hepatocellular carcinoma: the practical category, "
                       "Child-Pugh class and the treatment options of the American Cancer "
                       "Society guide 'Treating Liver Cancer' (2016-2017), with what is missing "
                       "for a complete answer. Educational; newer treatments exist.",
        "prefetch": dict(PREFETCH),
        "usageRequirements": "Needs read access to the patient's Conditions and Observations "
                             "(prefetch or fhirServer with fhirAuthorization). Answers only for "
                             "patients with a liver cell carcinoma Condition (SNOMED CT "
                             "109841003 or ICD-10 C22.0).",
    }]}
