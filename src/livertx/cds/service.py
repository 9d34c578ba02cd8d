"""The CDS Hooks services livertx offers: their ids, hook, guideline and prefetch templates.

Two services on the same hook with the same prefetch: `livertx-hcc-options` answers with
the server's pack (the 2017 ACS guide by default), `livertx-hcc-bclc` with current guidance
(the `bclc-2022` pack). Prefetch asks for exactly what `livertx.fhir` reads (codes in
livertx.fhir.codes): the Patient, their Conditions, the latest of each lab, ECOG, the mCODE
TNM observations, tumour sizes, coded liver findings and the medicine history. Queries use
R4 search syntax (`_sort=-date`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from livertx.fhir import codes as C

SERVICE_ID = "livertx-hcc-options"
BCLC_SERVICE_ID = "livertx-hcc-bclc"
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
    "afp": _observations(_loinc(*C.LAB_CODES["afp"]), 1),
    "creatinine": _observations(_loinc(*C.LAB_CODES["creatinine"]), 1),
    "sodium": _observations(_loinc(*C.LAB_CODES["sodium"]), 1),
    "ecog": _observations(_loinc(C.ECOG), 1),
    "staging": _observations(sorted(C.STAGING_CODES), 50),
    "tumorSize": _observations(_loinc(C.TUMOR_SIZE), 20),
    "liverFindings": _observations([(C.SNOMED, c) for c in (*C.CIRRHOSIS_SNOMED, *C.ASCITES_SNOMED,
                                                             *C.ENCEPHALOPATHY_SNOMED,
                                                             *C.PORTAL_HYPERTENSION_SNOMED,
                                                             *C.VARICES_SNOMED)], 20),
    "medicationStatements": f"MedicationStatement?patient={PATIENT}",
    "medicationRequests": f"MedicationRequest?patient={PATIENT}",
}

USAGE = ("Needs read access to the patient's Conditions, Observations, MedicationStatements and "
         "MedicationRequests (prefetch or fhirServer with fhirAuthorization). Answers only for "
         "patients with a liver cell carcinoma Condition (SNOMED CT 109841003 or ICD-10 C22.0).")


@dataclass(frozen=True)
class Service:
    """One CDS service: its id, the guideline it answers with (None: the server's pack)."""

    id: str
    guideline: str | None
    title: str
    description: str
    card: str = "category"  # the summary card: the pack's category, or the BCLC "stage"

    def result_path(self) -> str:
        """Where the link card points (the token follows)."""
        return f"/cds-services/{self.id}/result"

    def result_query(self) -> str:
        """The link's query: a service with its own guideline names it."""
        return f"?guideline={self.guideline}" if self.guideline else ""

    def describe(self) -> dict[str, Any]:
        return {"hook": HOOK, "id": self.id, "title": self.title,
                "description": self.description, "prefetch": dict(PREFETCH),
                "usageRequirements": USAGE}


SERVICES: dict[str, Service] = {s.id: s for s in (
    Service(SERVICE_ID, None, "Liver cancer treatment options (livertx)",
            "For a patient with hepatocellular carcinoma: the practical category, Child-Pugh "
            "class and the treatment options of the American Cancer Society guide 'Treating "
            "Liver Cancer' (2016-2017), with what is missing for a complete answer. Educational; "
            "newer treatments exist."),
    Service(BCLC_SERVICE_ID, "bclc-2022", "Liver cancer stage and current first options (livertx)",
            "For a patient with hepatocellular carcinoma: the BCLC stage (BCLC 2022 and its "
            "2025 update) and the options current guidance lists first (ASCO 2024 medicines, "
            "FDA approvals), with what is missing for a settled stage. Educational, not advice.",
            card="stage"),
)}


def service_for(pack_id: str) -> Service:
    """The service that answers with this pack (the default service for any other pack)."""
    return next((s for s in SERVICES.values() if s.guideline == pack_id), SERVICES[SERVICE_ID])


def discovery() -> dict[str, Any]:
    """The body of GET /cds-services."""
    return {"services": [service.describe() for service in SERVICES.values()]}
