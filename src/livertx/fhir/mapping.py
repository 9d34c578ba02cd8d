"""A FHIR R4 Bundle mapped to the vocabulary, with where each value came from.

Rules (documented in docs/cds-hooks.md and tested in tests/test_fhir.py):
- Labs by LOINC with their UCUM unit converted; an unknown unit is an error naming the
  resource. Of several values, the most recent by effective time is used.
- ECOG from 89247-1; tumour size from mCODE TumorSize (21889-1): the largest measured on
  the most recent date. The number of tumours is never inferred from how many were measured.
- TNM: mCODE's category and stage-group observations (SNOMED CT or LOINC codes; AJCC or
  SNOMED CT values) fill lymph-node and distant spread; T1a/T1b say there is one tumour
  (T1b: without vascular invasion); other T values are reported as ignored.
- AFP, creatinine and sodium by LOINC like the other labs (codes.LAB_CODES).
- Conditions (or finding Observations): HCC presence (and recurrence), cirrhosis, ascites,
  hepatic encephalopathy, portal hypertension (varices present count as portal hypertension;
  varices absent leave it unknown).
- Medicine history (MedicationStatement, MedicationRequest): see livertx.fhir.medications. A refuted condition means absent; unconfirmed, inactive or
  entered-in-error ones are ignored.
- One patient: the Patient resource (or, in CDS, the context's patient) is the subject;
  a resource is used only when its `subject` is exactly that reference (or the Patient
  entry's fullUrl). Without a Patient resource the subjects must all be the same one.
- A value dated in the future is ignored (reported); values of the same field at the same
  time that disagree are a conflict: the field stays unknown and each is reported.
What the bundle does not say stays unknown.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from livertx.errors import InvalidInput
from livertx.fhir import codes as C
from livertx.fhir import medications
from livertx.fhir.read import (
    EPOCH,
    BundleError,
    Entry,
    When,
    codings,
    entries,
    first_code,
    parse_bundle,
)
from livertx.patient import Patient, parse_patient
from livertx.vocabulary import FIELD_BY_NAME

FUTURE_SLACK = timedelta(days=1)
READING_BYTES = 2048  # what a kept Reading is charged (a few findings and notes)
MAX_LISTED = 5  # rival values named in a conflict note (each note stays short)  # a date-only value written in another time zone
USABLE_OBSERVATION = ("final", "amended", "corrected", "preliminary")
ACTIVE = ("active", "recurrence", "relapse")
_CATEGORY = re.compile(r"^(?:y?[cpar])?([TNM])(.*)$", re.IGNORECASE)
_STAGE = re.compile(r"^(?:y?[cpar])?(?:stage\s*)?([IV]+|[1-4])([ABC]?)\d*$", re.IGNORECASE)
_ARABIC = {"1": "I", "2": "II", "3": "III", "4": "IV"}


@dataclass(frozen=True)
class Finding:
    """One candidate value for a vocabulary field, from one resource."""

    field: str
    value: Any
    ref: str
    code: str
    shown: str
    when: When
    rank: int = 0  # breaks ties at equal time (pathological over clinical staging)

    def order(self) -> tuple[datetime, int]:
        return (self.when.at or EPOCH, self.rank)

    def source(self) -> dict[str, Any]:
        out = {"resource": self.ref, "code": self.code, "value": self.shown}
        if self.when.text is not None:
            out["effective"] = self.when.text
        return out


@dataclass
class MappedPatient:
    """The vocabulary patient a bundle gives, and the trail behind it."""

    patient: dict[str, Any]
    provenance: dict[str, dict[str, Any]]
    ignored: dict[str, str]
    has_hcc: bool
    hcc: str | None = None
    patient_ref: str | None = None
    parsed: Patient | None = None  # the validated patient (set once, by bundle_to_patient)

    def valid_patient(self) -> Patient:
        """The patient as validated while mapping (no second parse)."""
        if self.parsed is None:
            self.parsed = parse_patient(self.patient)
        return self.parsed

    def report(self) -> dict[str, Any]:
        """JSON-able summary: mapped patient, provenance per field, ignored resources."""
        return {"patient": self.patient, "provenance": self.provenance, "ignored": self.ignored,
                "has_hcc": self.has_hcc, "hcc_condition": self.hcc, "subject": self.patient_ref}


@dataclass
class _Collector:
    findings: list[Finding] = field(default_factory=list)
    staging: list[tuple[str, str, Finding]] = field(default_factory=list)  # axis, ajcc, finding
    sizes: list[Finding] = field(default_factory=list)
    ignored: dict[str, str] = field(default_factory=dict)
    hcc: list[Entry] = field(default_factory=list)
    medicines: list[medications.Record] = field(default_factory=list)
    strict: bool = True

    def reject(self, where: str, message: str) -> None:
        """An unusable value: an error when strict, else reported as ignored."""
        if self.strict:
            raise BundleError(where, message)
        self.ignore(where, message)

    def ignore(self, ref: str, reason: str) -> None:
        self.ignored.setdefault(ref, reason)


def bundle_to_patient(bundle_json: Any, *, strict: bool = True,
                      patient: str | None = None) -> MappedPatient:
    """Map a FHIR R4 Bundle (collection, searchset or transaction) to the vocabulary.

    Raises BundleError (a FhirError) for a malformed bundle, and, when `strict`, for an
    unknown unit or a value the vocabulary rejects (naming the resource it came from).
    With `strict=False` (the CDS service) such values are left unknown and listed in
    `ignored`, so one odd lab does not hide the rest of the record. `patient` ("Patient/id",
    the CDS context) names the one patient the record must be about.
    """
    return map_entries(entries(parse_bundle(bundle_json)), strict=strict, patient=patient)


def map_entries(items: list[Entry], *, strict: bool = True, patient: str | None = None,
                readings: Readings | None = None) -> MappedPatient:
    """`bundle_to_patient` for resources already read (see fhir.read.model_entries).

    `readings` keeps what each Observation and Condition with a `key` (its digest) said,
    so a resource met again (the CDS service: most of a chart is the same call after call)
    is not read again; what the record makes of it (subject, choice, conflicts) is worked
    out every time."""
    subject, aliases = _subject(items, patient)
    found = _Collector(strict=strict)
    drugs = _medication_lookup(items)
    for item in items:
        if item.type == "Patient":
            found.ignore(item.ref, "identifies the patient; livertx uses no demographics")
        elif item.type == "Medication":
            found.ignore(item.ref, "a medicine's definition: read through the medicine records "
                                   "that refer to it")
        elif not _reference(item.resource):
            found.ignore(item.ref, "does not say which patient it is about (no subject "
                                   "reference); not used")
        elif _reference(item.resource) not in aliases:
            found.ignore(item.ref, f"about another subject ({_reference(item.resource)}) than "
                                   f"{subject}; not used")
        elif item.type in ("Observation", "Condition"):
            _read(item, found, readings)
        elif item.type in ("MedicationStatement", "MedicationRequest"):
            record = medications.read(item, drugs, found.ignore)
            if record is not None:
                found.medicines.append(record)
        else:
            found.ignore(item.ref, f"resource type {item.type} is not used by livertx")
    values, provenance = _choose(found)
    hcc = found.hcc[0].ref if found.hcc else None
    mapped = MappedPatient(values, provenance, found.ignored, bool(found.hcc), hcc, subject)
    mapped.parsed = _validate(mapped, strict)
    return mapped


# --- one resource, read once ------------------------------------------------------------------

@dataclass(frozen=True)
class Reading:
    """What one Observation or Condition says on its own: the same whatever else the record
    holds (the subject is checked, and candidates chosen, for each record)."""

    findings: tuple[Finding, ...]
    staging: tuple[tuple[str, str, Finding], ...]
    sizes: tuple[Finding, ...]
    ignored: tuple[tuple[str, str], ...]
    hcc: bool


class Readings(Protocol):
    """Where Readings are kept by key (livertx.cds.cache.ByteLru)."""

    def get(self, key: str) -> Reading | None: ...

    def put(self, key: str, value: Reading, size: int) -> None: ...


def _read(item: Entry, found: _Collector, readings: Readings | None) -> None:
    """Read an Observation or Condition into `found`, through `readings` when it is keyed."""
    reader = _observation if item.type == "Observation" else _condition
    if readings is None or item.key is None:
        reader(item, found)
        return
    key = f"{item.key}|{item.ref}|{found.strict}"
    reading = readings.get(key)
    if reading is None:
        part = _Collector(strict=found.strict)
        reader(item, part)
        reading = Reading(tuple(part.findings), tuple(part.staging), tuple(part.sizes),
                          tuple(part.ignored.items()), bool(part.hcc))
        readings.put(key, reading, READING_BYTES)
    found.findings += reading.findings
    found.staging += reading.staging
    found.sizes += reading.sizes
    for ref, reason in reading.ignored:
        found.ignore(ref, reason)
    if reading.hcc:
        found.hcc.append(item)


# --- subject -------------------------------------------------------------------------------

def _subject(items: list[Entry], wanted: str | None) -> tuple[str | None, set[str]]:
    """The one patient's reference and the exact references that name it."""
    patients = [e for e in items if e.type == "Patient"]
    ids = {f"Patient/{e.resource.id}" if e.resource.id else e.ref for e in patients}
    if len(ids) > 1:
        raise BundleError("bundle", "holds more than one Patient (" + ", ".join(sorted(ids))
                          + "); send one patient's record")
    if wanted is not None and ids and ids != {wanted}:
        raise BundleError(next(iter(ids)), f"is not the patient in context ({wanted}); the record "
                          "sent is another patient's")
    subject = wanted or next(iter(ids), None)
    if subject is None:
        named = {_reference(e.resource) for e in items} - {None}
        if len(named) > 1:
            raise BundleError("bundle", "refers to more than one patient ("
                              + ", ".join(sorted(str(n) for n in named))
                              + ") and holds no Patient resource; send one patient's record")
        subject = next(iter(named), None)
    aliases = {subject} if subject else set()
    aliases |= {f"Patient/{e.resource.id}" for e in patients if e.resource.id}
    aliases |= {e.full_url for e in patients if e.full_url}
    return subject, {a for a in aliases if a}


def _medication_lookup(items: list[Entry]) -> dict[str, Any]:
    """Medication resources of the record by the references that can name them."""
    lookup: dict[str, Any] = {}
    for item in items:
        if item.type == "Medication":
            lookup[item.ref] = item.resource
            if item.full_url:
                lookup[item.full_url] = item.resource
    return lookup


def _reference(resource: Any) -> str | None:
    ref = getattr(resource, "subject", None)
    return ref.reference if ref is not None and ref.reference else None


# --- observations --------------------------------------------------------------------------

def _observation(item: Entry, found: _Collector) -> None:
    obs = item.resource
    if obs.status not in USABLE_OBSERVATION:
        found.ignore(item.ref, f"status {obs.status!r} (only final, amended, corrected or "
                               "preliminary results are used)")
        return
    when = When.of(obs.effectiveDateTime or obs.effectiveInstant
                   or (obs.effectivePeriod and (obs.effectivePeriod.end or obs.effectivePeriod.start))
                   or obs.issued)
    loinc = {code for system, code in codings(obs.code) if system == C.LOINC}
    for name, lab_codes in C.LAB_CODES.items():
        hit = loinc.intersection(lab_codes)
        if hit:
            _lab(item, name, min(hit), when, found)
            return
    if C.ECOG in loinc:
        _ecog(item, when, found)
        return
    if C.TUMOR_SIZE in loinc:
        _size(item, when, found)
        return
    for system, code in codings(obs.code):
        if (system, code) in C.STAGING_CODES:
            _staging(item, C.STAGING_CODES[(system, code)], f"{system}|{code}", when, found)
            return
    for condition, (snomed, _icd) in _CONDITION_CODES.items():
        coded = first_code(obs.code, C.SNOMED, snomed)
        if coded:
            _finding_observation(item, condition, f"{coded[0]}|{coded[1]}", when, found)
            return
    for code in sorted(loinc.intersection(C.NOT_CONVERTED)):
        found.ignore(item.ref, C.NOT_CONVERTED[code])
        return
    found.ignore(item.ref, "observation code not used by livertx")


def _quantity(item: Entry, quantity: Any, what: str, units: dict[str, float],
              found: _Collector) -> tuple[float, str] | None:
    """A Quantity converted to the vocabulary unit, or None (reported) when unusable."""
    if quantity is None or quantity.value is None:
        reason = getattr(item.resource, "dataAbsentReason", None)
        found.ignore(item.ref, f"no {what} value" + (f" ({reason.text or codings(reason)})"
                                                       if reason else ""))
        return None
    if quantity.comparator:
        found.ignore(item.ref, f"{what} given as a bound ({quantity.comparator}{quantity.value}), "
                               "not a measured value")
        return None
    unit = (quantity.code or quantity.unit or "").strip()
    factor = units.get(unit.lower())
    if factor is None:
        accepted = ", ".join(u for u in _DISPLAY.get(what, units) if u)
        found.reject(item.ref, f"unit {unit or '(none)'!r} is not accepted for {what}; "
                               f"accepted UCUM units: {accepted}")
        return None
    value = float(quantity.value)
    shown = f"{quantity.value} {unit}".strip()
    return (value if factor == 1.0 else round(value * factor, 4)), shown


_DISPLAY: dict[str, tuple[str, ...]] = {
    "total bilirubin": ("mg/dL", "mg/L", "umol/L"),
    "albumin": ("g/dL", "g/L", "mg/dL"),
    "INR": ("{INR}", "{ratio}", "1", "(no unit)"),
    "tumour size": ("cm", "mm"),
    "AFP": ("ng/mL", "ug/L"),
    "creatinine": ("mg/dL", "umol/L"),
    "sodium": ("mmol/L", "meq/L"),
}
_LAB_WORDS = {"bilirubin": "total bilirubin", "albumin": "albumin", "inr": "INR", "afp": "AFP",
              "creatinine": "creatinine", "sodium": "sodium"}


def _lab(item: Entry, name: str, code: str, when: When, found: _Collector) -> None:
    got = _quantity(item, item.resource.valueQuantity, _LAB_WORDS[name], C.LAB_UNITS[name], found)
    if got is not None:
        found.findings.append(Finding(name, got[0], item.ref, f"{C.LOINC}|{code}", got[1], when))


def _ecog(item: Entry, when: When, found: _Collector) -> None:
    obs = item.resource
    grade: int | None = obs.valueInteger
    if grade is None and obs.valueCodeableConcept is not None:
        hit = first_code(obs.valueCodeableConcept, C.LOINC, C.ECOG_ANSWERS)
        grade = C.ECOG_ANSWERS[hit[1]] if hit else None
    if grade is None and obs.valueQuantity is not None and obs.valueQuantity.value is not None:
        grade = int(obs.valueQuantity.value) if obs.valueQuantity.value == int(obs.valueQuantity.value) else None
    if grade is None:
        found.ignore(item.ref, "ECOG observation without a grade livertx can read (valueInteger "
                               "or a LOINC LL529-9 answer)")
        return
    if grade == 5:
        found.ignore(item.ref, "ECOG grade 5 is not a performance status livertx can assess")
        return
    found.findings.append(Finding("ecog", grade, item.ref, f"{C.LOINC}|{C.ECOG}", str(grade), when))


def _size(item: Entry, when: When, found: _Collector) -> None:
    obs = item.resource
    quantity = obs.valueQuantity
    for component in obs.component or []:
        if quantity is None and (C.LOINC, C.TUMOR_LONGEST_DIMENSION) in codings(component.code):
            quantity = component.valueQuantity
    got = _quantity(item, quantity, "tumour size", C.SIZE_UCUM, found)
    if got is not None:
        found.sizes.append(Finding("largest_tumor_cm", got[0], item.ref,
                                   f"{C.LOINC}|{C.TUMOR_SIZE}", got[1], when))


def _staging(item: Entry, kind: tuple[str, str], code: str, when: When,
             found: _Collector) -> None:
    axis, basis = kind
    value = None
    for system, raw in codings(item.resource.valueCodeableConcept):
        if system == C.AJCC:
            value = raw
        elif system == C.SNOMED and raw in C.SNOMED_TNM_VALUES:
            value = C.SNOMED_TNM_VALUES[raw]
        if value:
            break
    if value is None:
        found.ignore(item.ref, f"{axis} staging value is not an AJCC code ({C.AJCC}) or a SNOMED CT "
                               "value livertx knows")
        return
    finding = Finding(axis, value, item.ref, code, value, when, rank=int(basis == "pathological"))
    found.staging.append((axis, value, finding))


# --- conditions ------------------------------------------------------------------------------

_CONDITION_CODES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "hcc": (C.HCC_SNOMED, C.HCC_ICD10),
    "cirrhosis": (C.CIRRHOSIS_SNOMED, C.CIRRHOSIS_ICD10),
    "ascites": (C.ASCITES_SNOMED, C.ASCITES_ICD10),
    "encephalopathy": (C.ENCEPHALOPATHY_SNOMED, C.ENCEPHALOPATHY_ICD10),
    "portal_hypertension": (C.PORTAL_HYPERTENSION_SNOMED, C.PORTAL_HYPERTENSION_ICD10),
    "varices": (C.VARICES_SNOMED, C.VARICES_ICD10),
}


def _condition(item: Entry, found: _Collector) -> None:
    cond = item.resource
    which, code = None, None
    for name, (snomed, icd) in _CONDITION_CODES.items():
        hit = first_code(cond.code, C.SNOMED, snomed) or first_code(cond.code, C.ICD10, icd, prefix=True)
        if hit:
            which, code = name, f"{hit[0]}|{hit[1]}"
            break
    if which is None or code is None:
        found.ignore(item.ref, "condition code not used by livertx")
        return
    verification = _status(cond.verificationStatus)
    clinical = _status(cond.clinicalStatus)
    when = When.of(cond.recordedDate or cond.onsetDateTime)
    if verification == "entered-in-error":
        found.ignore(item.ref, "entered in error")
        return
    if verification in ("unconfirmed", "provisional", "differential"):
        found.ignore(item.ref, f"not confirmed (verification status {verification})")
        return
    if verification == "refuted":
        if which == "hcc":
            found.ignore(item.ref, "liver cancer refuted")
        else:
            _present(item, which, False, None, code, when, found)
        return
    if clinical is not None and clinical not in ACTIVE:
        found.ignore(item.ref, f"clinical status {clinical}: not a current condition")
        return
    if which == "hcc":
        found.hcc.append(item)
        if clinical in ("recurrence", "relapse"):
            found.findings.append(Finding("recurrent", True, item.ref, code,
                                          f"clinical status {clinical}", when))
        return
    severity = next((C.SEVERITY[c] for s, c in codings(cond.severity)
                     if s == C.SNOMED and c in C.SEVERITY), None)
    _present(item, which, True, severity, code, when, found)


def _finding_observation(item: Entry, which: str, code: str, when: When,
                         found: _Collector) -> None:
    """A cirrhosis/ascites/encephalopathy finding coded as an Observation with a value."""
    obs = item.resource
    present: bool | None = obs.valueBoolean
    severity = None
    for system, value in codings(obs.valueCodeableConcept):
        if system != C.SNOMED:
            continue
        if value == C.PRESENT:
            present = True
        elif value == C.ABSENT:
            present = False
        elif value in C.SEVERITY:
            present, severity = True, C.SEVERITY[value]
    if present is None or which == "hcc":
        found.ignore(item.ref, "finding observation without a present/absent or severity value")
        return
    _present(item, which, present, severity, code, when, found)


_ASCITES = {"mild": "slight", "moderate": "moderate", "severe": "severe"}
_ENCEPHALOPATHY = {"mild": "grade_1_2", "moderate": "grade_1_2", "severe": "grade_3_4"}


def _present(item: Entry, which: str, present: bool, severity: str | None, code: str,
             when: When, found: _Collector) -> None:
    if which == "varices":
        if not present:
            found.ignore(item.ref, "no varices does not rule out portal hypertension (a pressure "
                                   "gradient or low platelets with a large spleen also count); "
                                   "portal hypertension stays unknown from this record")
            return
        found.findings.append(Finding("portal_hypertension", True, item.ref, code,
                                      "varices present (clinically significant portal "
                                      "hypertension)", when))
        return
    if which in ("cirrhosis", "portal_hypertension"):
        value: Any = present
    elif not present:
        value = "none"
    else:
        grades = _ASCITES if which == "ascites" else _ENCEPHALOPATHY
        value = grades.get(severity or "")
        if value is None:
            found.ignore(item.ref, f"{which} recorded without a severity (SNOMED mild, moderate or "
                                   "severe); its grade stays unknown")
            return
    shown = ("absent" if not present else "present") + (f", {severity}" if severity else "")
    found.findings.append(Finding(which, value, item.ref, code, shown, when))


def _status(concept: Any) -> str | None:
    found = codings(concept)
    return found[0][1] if found else None


# --- choosing among candidates ----------------------------------------------------------------

def _choose(found: _Collector) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    patient: dict[str, Any] = {}
    provenance: dict[str, dict[str, Any]] = {}

    now = datetime.now(UTC) + FUTURE_SLACK

    def take(candidates: list[Finding], name: str) -> Finding | None:
        if len(candidates) == 1:  # the usual case: one value, so no rival and nothing older
            only = candidates[0]
            if (only.when.at is None or only.when.at <= now) and only.value == only.value:
                return only  # (a NaN is its own rival, as below)
        current = []
        for finding in candidates:
            if finding.when.at is not None and finding.when.at > now:
                found.ignore(finding.ref, f"{name}: dated {finding.when.text}, in the future; "
                                          "not used")
            else:
                current.append(finding)
        if not current:
            return None
        ordered = sorted(current, key=Finding.order)
        latest = ordered[-1]
        rivals = [f for f in ordered if f.order() == latest.order() and f.value != latest.value]
        if rivals:
            same = [f for f in ordered if f.order() == latest.order()]
            refs = ", ".join(f"{f.ref} says {f.shown}" for f in same[:MAX_LISTED])
            refs += f" and {len(same) - MAX_LISTED} more" if len(same) > MAX_LISTED else ""
            for f in same:
                found.ignore(f.ref, f"{name}: conflicting values of the same time ({refs}); "
                                    "left unknown")
            return None
        for older in ordered[:-1]:
            why = ("pathological staging of the same date is preferred"
                   if older.when.at == latest.when.at else "a more recent value is used")
            found.ignore(older.ref, f"{name}: {why} ({latest.ref})")
        return latest

    by_field: dict[str, list[Finding]] = {}
    for finding in found.findings:
        by_field.setdefault(finding.field, []).append(finding)
    for name, candidates in by_field.items():
        chosen = take(candidates, name)
        if chosen is not None:
            patient[name], provenance[name] = chosen.value, chosen.source()
    _largest(found, patient, provenance)
    _tnm(found, patient, provenance, take)
    values, sources = medications.choose(found.medicines, now, found.ignore)
    patient.update(values)
    provenance.update(sources)
    return patient, provenance


def _largest(found: _Collector, patient: dict[str, Any], provenance: dict[str, Any]) -> None:
    """The largest tumour measured on the most recent date of measurement."""
    now = datetime.now(UTC) + FUTURE_SLACK
    for f in found.sizes:
        if f.when.at is not None and f.when.at > now:
            found.ignore(f.ref, f"tumour size: dated {f.when.text}, in the future; not used")
    found.sizes = [f for f in found.sizes if f.when.at is None or f.when.at <= now]
    if not found.sizes:
        return
    latest_day = max((f.when.at or EPOCH).date() for f in found.sizes)
    current = [f for f in found.sizes if (f.when.at or EPOCH).date() == latest_day]
    biggest = max(current, key=lambda f: f.value)
    for f in found.sizes:
        if f is not biggest:
            found.ignore(f.ref, "tumour size: the largest tumour of the most recent measurement is "
                                f"used ({biggest.ref})")
    patient["largest_tumor_cm"], provenance["largest_tumor_cm"] = biggest.value, biggest.source()


def _tnm(found: _Collector, patient: dict[str, Any], provenance: dict[str, Any],
         take: Callable[[list[Finding], str], Finding | None]) -> None:
    axes: dict[str, list[Finding]] = {}
    for axis, _value, finding in found.staging:
        axes.setdefault(axis, []).append(finding)

    def put(name: str, value: Any, finding: Finding) -> None:
        if name in patient and patient[name] != value:
            found.ignore(finding.ref, f"says {name} is {value} but {provenance[name]['resource']} "
                                      f"says {patient[name]}; the TNM category is used")
            return
        if name not in patient:
            patient[name], provenance[name] = value, finding.source()

    for axis, name in (("N", "lymph_node_spread"), ("M", "distant_spread")):
        chosen = take(axes.get(axis, []), f"{axis} category")
        if chosen is None:
            continue
        match = _CATEGORY.match(chosen.value)
        rest = match.group(2).upper() if match and match.group(1).upper() == axis else None
        if rest in ("0", "0(I+)", "0(MOL+)", "0(SN)"):
            put(name, False, chosen)
        elif rest and rest[0] == "1":
            put(name, True, chosen)
        else:
            found.ignore(chosen.ref, f"{axis} category {chosen.value!r} does not say whether there "
                                     "is spread")
    t = take(axes.get("T", []), "T category")
    if t is not None:
        _t_category(t, found, put)
    stage = take(axes.get("stage", []), "stage group")
    if stage is not None:
        _stage_group(stage, found, put)


def _t_category(t: Finding, found: _Collector, put: Callable[[str, Any, Finding], None]) -> None:
    match = _CATEGORY.match(t.value)
    rest = match.group(2).lower() if match and match.group(1).upper() == "T" else ""
    if rest == "1a":
        put("tumor_count", 1, t)
    elif rest == "1b":
        put("tumor_count", 1, t)
        put("vascular_invasion", False, t)
    elif rest.startswith("4"):
        found.ignore(t.ref, "T4 means a major vein branch or a nearby organ is involved; livertx "
                            "cannot tell which, so say so with major_vascular_invasion or "
                            "adjacent_organ_invasion")
    else:
        found.ignore(t.ref, f"T category {t.value!r}: livertx derives T from tumour count, size and "
                            "vascular invasion, which this value does not fix")


def _stage_group(stage: Finding, found: _Collector,
                 put: Callable[[str, Any, Finding], None]) -> None:
    match = _STAGE.match(stage.value.replace(" ", ""))
    if not match:
        found.ignore(stage.ref, f"stage group {stage.value!r} is not an AJCC stage livertx reads")
        return
    roman = _ARABIC.get(match.group(1), match.group(1).upper())
    letter = match.group(2).upper()
    if roman in ("I", "II", "III"):
        put("lymph_node_spread", False, stage)
        put("distant_spread", False, stage)
    elif roman == "IV" and letter == "A":
        put("lymph_node_spread", True, stage)
        put("distant_spread", False, stage)
    elif roman == "IV" and letter == "B":
        put("distant_spread", True, stage)
    else:
        found.ignore(stage.ref, f"stage group {stage.value!r} does not say where the cancer spread")


# --- validation ------------------------------------------------------------------------------

def _validate(mapped: MappedPatient, strict: bool) -> Patient:
    """The validated patient; values the vocabulary refuses are errors naming their resource
    (or, not strict, dropped and reported)."""
    for _ in range(len(mapped.patient) + 1):
        try:
            return parse_patient(mapped.patient)
        except InvalidInput as exc:
            first = exc.errors[0]
            name = first.field.split(".")[0]
            where = mapped.provenance.get(name, {}).get("resource", "bundle")
            spec = FIELD_BY_NAME.get(name)
            label = f" ({spec.label})" if spec else ""
            if strict or name not in mapped.patient:
                raise BundleError(where, f"{name}{label}: {first.message}") from None
            mapped.patient.pop(name)
            mapped.provenance.pop(name, None)
            mapped.ignored[where] = f"{name}{label}: {first.message}"
    return parse_patient(mapped.patient)
