"""The medicine history of a FHIR record: `prior_systemic` and `prior_systemic_outcome`.

Read from MedicationStatement and MedicationRequest, by RxNorm ingredient code or by name
(livertx.fhir.codes). Rules (tested in tests/test_fhir_new_facts.py):
- Records that were never given (entered in error, not taken, intended, draft, cancelled, a
  proposal or plan) and records of other medicines are reported, not used.
- The most recent record wins (course start, else the date given or asserted, else the
  order date). Records of the same time are one regimen.
- A combination needs both medicines: a lone member (e.g. durvalumab) is completed by its
  partner recorded since the previous other medicine (tremelimumab is given once, at the
  start); without the partner the medicine stays unknown (durvalumab alone is not
  durvalumab with tremelimumab).
- Status `active` means the medicine is ongoing; any other status leaves the outcome
  unknown (a stop does not say whether the cancer grew or the medicine was not tolerated).
- A record dated in the future is not used.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from livertx.fhir import codes as C
from livertx.fhir.read import EPOCH, Entry, When, codings

NOT_GIVEN = ("entered-in-error", "not-taken", "intended", "draft", "cancelled")
NOT_AN_ORDER = ("proposal", "plan")
_NAMES = {medicine: re.compile(r"\b(?:" + "|".join(names) + r")\b", re.IGNORECASE)
          for medicine, names in C.MEDICINE_NAMES.items()}


@dataclass(frozen=True)
class Record:
    """One medicine record: which listed medicines it names, its status and time."""

    ref: str
    medicines: frozenset[str]
    status: str
    when: When
    code: str

    def at(self) -> datetime:
        return self.when.at or EPOCH


Ignore = Callable[[str, str], None]


def read(item: Entry, lookup: dict[str, Any], ignore: Ignore) -> Record | None:
    """The record a MedicationStatement/Request gives, or None (reported through `ignore`)."""
    res = item.resource
    status = str(res.status or "unknown")
    if status in NOT_GIVEN:
        ignore(item.ref, f"medicine record with status {status}: not a medicine given")
        return None
    if item.type == "MedicationRequest" and res.intent in NOT_AN_ORDER:
        ignore(item.ref, f"medicine request with intent {res.intent}: not a medicine given")
        return None
    medicines, code = _medicines(res, lookup)
    if not medicines:
        ignore(item.ref, "medicine not one of those livertx reads (atezolizumab, bevacizumab, "
                         "durvalumab, tremelimumab, nivolumab, ipilimumab, sorafenib, "
                         "lenvatinib)")
        return None
    return Record(item.ref, frozenset(medicines), status, _when(item), code)


def _when(item: Entry) -> When:
    res = item.resource
    if item.type == "MedicationRequest":
        return When.of(res.authoredOn)
    period = res.effectivePeriod
    return When.of((period and (period.start or period.end)) or res.effectiveDateTime
                   or res.dateAsserted)


def _medicines(res: Any, lookup: dict[str, Any]) -> tuple[set[str], str]:
    """The listed medicines a record names, and how ('rxnorm|code' or 'name')."""
    concepts = [res.medicationCodeableConcept]
    texts: list[str] = []
    reference = res.medicationReference
    if reference is not None:
        texts.append(reference.display or "")
        target = reference.reference or ""
        contained = {f"#{c.id}": c for c in (res.contained or []) if getattr(c, "id", None)}
        medication = contained.get(target) or lookup.get(target)
        if medication is not None:
            concepts.append(getattr(medication, "code", None))
    found: set[str] = set()
    coded: list[str] = []
    for concept in concepts:
        if concept is None:
            continue
        texts.append(concept.text or "")
        for coding in concept.coding or []:
            texts.append(coding.display or "")
        for system, code in codings(concept):
            if system == C.RXNORM and code in C.RXNORM_INGREDIENTS:
                found.add(C.RXNORM_INGREDIENTS[code])
                coded.append(f"{system}|{code}")
    text = " ".join(texts)
    named = {m for m, pattern in _NAMES.items() if pattern.search(text)}
    how = ", ".join(coded) if coded and named <= found else "name: " + (text.strip() or "?")
    return found | named, how


def choose(records: list[Record], now: datetime,
           ignore: Ignore) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """`prior_systemic` (and its outcome when the record says it) from the records."""
    current = []
    for record in records:
        if record.when.at is not None and record.when.at > now:
            ignore(record.ref, f"prior_systemic: dated {record.when.text}, in the future; "
                               "not used")
        else:
            current.append(record)
    if not current:
        return {}, {}
    latest_at = max(r.at() for r in current)
    latest = [r for r in current if r.at() == latest_at]
    medicines = frozenset().union(*(r.medicines for r in latest))
    regimen, used = _regimen(medicines, latest, current)
    for record in current:
        if record not in used:
            ignore(record.ref, "prior_systemic: a more recent medicine record is used ("
                               + ", ".join(r.ref for r in latest) + ")")
    if regimen is None:
        names = " and ".join(sorted(medicines))
        for record in latest:
            ignore(record.ref, f"prior_systemic: the most recent record names {names}, which "
                               "is not one of the listed treatments on its own (a combination "
                               "needs both medicines in the record); left unknown")
        return {}, {}
    source = {"resource": ", ".join(r.ref for r in used),
              "code": "; ".join(dict.fromkeys(r.code for r in used)),
              "value": regimen.replace("_", " + ")}
    if latest[0].when.text is not None:
        source["effective"] = latest[0].when.text
    values: dict[str, Any] = {"prior_systemic": regimen}
    provenance = {"prior_systemic": source}
    statuses = {r.status for r in latest}
    if statuses == {"active"}:
        values["prior_systemic_outcome"] = "ongoing"
        provenance["prior_systemic_outcome"] = {**source, "value": "status active"}
    else:
        for record in latest:
            ignore(record.ref, f"prior_systemic_outcome: status {record.status} does not say "
                               "whether the cancer grew or the medicine was not tolerated; "
                               "left unknown")
    return values, provenance


def _regimen(medicines: frozenset[str], latest: list[Record],
             records: list[Record]) -> tuple[str | None, list[Record]]:
    """The regimen the latest records name (a lone member completed by its partner
    recorded since the previous other medicine), and the records it rests on."""
    for regimen, needed in C.REGIMENS.items():
        if not medicines <= needed:
            continue
        used = list(latest)
        missing = needed - medicines
        if missing:
            latest_at = latest[0].at()
            since = max((r.at() for r in records if not r.medicines <= needed), default=EPOCH)
            partners = [r for r in records if r not in used and r.medicines <= needed
                        and r.medicines & missing and since <= r.at() <= latest_at]
            if not missing <= frozenset().union(*(r.medicines for r in partners)):
                return None, used
            used += partners
        return regimen, used
    return None, list(latest)
