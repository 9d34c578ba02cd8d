"""One patient in, the output contract out: category, every option's fit, and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from livertx import __version__
from livertx.engine.missing import missing_by_table, union_of
from livertx.engine.rows import (
    UNKNOWN_FIT,
    RowTable,
    class_range,
    condition_column,
    evaluate_row,
    row_plan,
    with_category,
)
from livertx.engine.search import category_candidates
from livertx.knowledge.model import Option, Rule
from livertx.knowledge.pack import Pack, load_pack
from livertx.patient import Patient, parse_patient
from livertx.scores import DERIVED_COLUMNS
from livertx.scores.child_pugh import ITEMS
from livertx.vocabulary import FIELD_BY_NAME

FIT_ORDER = ("primary", "alternative", "unknown", "not_advised")


def assess(patient: Patient | dict[str, Any], pack: Pack | None = None) -> dict[str, Any]:
    """The full assessment of one patient (raises InvalidInput for bad input)."""
    if not isinstance(patient, Patient):
        patient = parse_patient(patient)
    return assess_many([patient], pack)[0]


def assess_many(patients: list[Patient], pack: Pack | None = None) -> list[dict[str, Any]]:
    """Several patients (each through the Python backend: microseconds, no DataFrame)."""
    pack = pack or load_pack()
    return [explain(evaluate_row(p.facts(), pack), pack, p) for p in patients]


OpenCase = tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]


def _open_case(row: dict[str, Any], pack: Pack) -> OpenCase:
    """An open case's candidate categories, and its row re-decided under each of them."""
    candidates = category_candidates(row, pack)
    return candidates, {c["id"]: with_category(row, c["id"], pack) for c in candidates}


def explain(row: dict[str, Any], pack: Pack, patient: Patient | None = None,
            open_case: OpenCase | None = None) -> dict[str, Any]:
    """Turn one evaluated row (with condition columns) into the contract's JSON."""
    compiled = row_plan(pack)
    if row["category"] is not None:
        open_case = ([], {})
    elif open_case is None:
        open_case = _open_case(row, pack)
    candidates, by_category = open_case
    category = _category(row, pack, compiled.category, candidates)
    by_candidate = [by_category[c["id"]] for c in category["candidates"]]
    options = [_option(row, pack, table, by_candidate) for table in compiled.options]
    # `missing` as every backend defines it (livertx.engine.missing), read after the fits
    # the candidates agree on
    resolved = {**row, **{c: o[k] for o in options
                          for c, k in ((f"fit_{o['id']}", "fit"), (f"rule_{o['id']}", "rule"))}}
    by_table = missing_by_table(resolved, pack)
    for o in options:
        o["missing"] = by_table.get(f"fit_{o['id']}", [])
    if category["id"] is None:
        category["missing"] = category["missing"] or by_table.get("category", [])
    options.sort(key=lambda o: (not o.pop("_first"), FIT_ORDER.index(o["fit"])))
    missing = union_of(by_table)
    safety = [{"id": n.id, "text": " ".join(n.text.split()), "reference": n.reference,
               "date": n.date, "citation": pack.references[n.reference].citation}
              for n in pack.safety_notes if row.get(condition_column(n.id)) is True]
    return {
        "livertx": {"version": __version__},
        "guideline": guideline(pack),
        "patient": patient.model_dump(exclude_none=True) if patient else None,
        "derived": _derived(row),
        "category": category,
        "options": options,
        "missing": missing,
        "missing_explained": [{"field": f, "question": FIELD_BY_NAME[f].question}
                              for f in missing],
        "warnings": [*(patient.input_warnings if patient else []), *_warnings(row),
                     *(_safety_text(n) for n in safety)],
        "safety_notes": safety,
    }


def guideline(pack: Pack) -> dict[str, Any]:
    info = pack.info
    return {"id": info.id, "version": info.version, "title": info.title,
            "publisher": info.publisher, "reviewed": info.reviewed,
            "review_dates": info.review_dates, "notice": info.currency_notice,
            "disclaimer": info.disclaimer}


def _derived(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "child_pugh": {"score": row["cp_score"], "class": row["cp_class"],
                       "class_from": row["cp_class_from"],
                       "points": {item: row[f"cp_points_{item}"] for item in ITEMS}},
        "liver_healthy": row["liver_healthy"],
        "milan": row["milan"],
        "tnm": {"t": row["t_category"], "n": row["n_category"], "m": row["m_category"],
                "stage": row["stage_group"]},
        "albi": {"score": row["albi_score"], "grade": row["albi_grade"]},
        "meld_na": None if row["meld_na"] is None else int(row["meld_na"]),
        "up_to_seven": row["up_to_seven"],
        "ucsf": row["ucsf"],
        # every derived value of the score library, by its column name
        "values": {name: row[name] for name in DERIVED_COLUMNS},
    }


def _reason(rule: Any) -> dict[str, str]:
    return {"text": rule.reason, "source": rule.source, "rule": rule.id, "when": rule.text}


def _category(row: dict[str, Any], pack: Pack, table: RowTable,
              found: list[dict[str, Any]]) -> dict[str, Any]:
    rule_id, category_id = row[table.rule_column], row["category"]
    rule = next(r for r in table.table.rules if r.id == rule_id)
    if category_id is not None:
        return {"id": category_id, "name": pack.category(category_id).name, "rule": rule_id,
                "reasons": [_reason(rule)], "candidates": [], "missing": []}
    candidates = [{**c, "name": pack.category(c["id"]).name,
                   "note": _candidate_note(pack, c["id"], row)} for c in found]
    deciding = _union([list(c["requires"]) for c in candidates])
    return {"id": None, "name": None, "rule": rule_id, "reasons": [],
            "open_at": {"rule": rule_id, "when": rule.text},
            "missing": deciding, "candidates": candidates}


def _candidate_note(pack: Pack, category_id: str, row: dict[str, Any]) -> str | None:
    """The pack's note on a route to this group that the requirements do not list (not
    said once the field it names is already true)."""
    note = pack.category(category_id).candidate_note
    if note is None or (note.unless and row.get(note.unless)):
        return None
    return " ".join(note.text.split())


@dataclass(frozen=True)
class _OptionText:
    """What an option's entry says whatever the patient (built once per pack)."""

    option: Option
    rules: dict[str, Rule]
    techniques: tuple[str, ...]
    care_team: tuple[str, ...]
    side_effects: tuple[str, ...]
    serious_side_effects: tuple[str, ...]
    currency_notes: tuple[dict[str, Any], ...]


def _option_text(pack: Pack, table: RowTable) -> _OptionText:
    texts: dict[str, _OptionText] | None = pack._cache.get("explain.options")
    if texts is None:
        texts = pack._cache["explain.options"] = {}
    text = texts.get(table.column)
    if text is None:
        option = pack.option(table.table.option or "")
        text = texts[table.column] = _OptionText(
            option, {r.id: r for r in table.table.rules},
            tuple(t.id for t in option.techniques), tuple(option.care_team.gives),
            tuple(s.text for s in option.side_effects.common),
            tuple(s.text for s in option.side_effects.serious),
            tuple(n.model_dump() for n in option.currency_notes))
    return text


def _option(row: dict[str, Any], pack: Pack, table: RowTable,
            by_candidate: list[dict[str, Any]]) -> dict[str, Any]:
    text = _option_text(pack, table)
    option, rules = text.option, text.rules
    rule_id, fit = row[table.rule_column], row[table.column]
    agreed = _agreed(table, by_candidate) if fit == UNKNOWN_FIT else None
    reasons: list[Any] = []
    if agreed:  # the category is open, but every candidate gives this option the same fit
        fit, rule_id = agreed
        reasons = [rules[i] for i in dict.fromkeys(r[table.rule_column] for r in by_candidate)]
    rule = rules[rule_id]
    known = fit != UNKNOWN_FIT
    if known and not reasons:
        reasons = [rule]
    notes = [{"text": n.note, "source": n.source, "rule": n.id} for n in table.table.notes
             if row[condition_column(n.id)] is True and (n.fits is None or fit in n.fits)]
    techniques = (list(rule.techniques if rule.techniques is not None else text.techniques)
                  if known else [])
    return {
        "id": option.id, "name": option.name, "group": option.group, "fit": fit,
        "rule": rule_id, "techniques": techniques,
        "reasons": [_reason(r) for r in reasons],
        "same_in_every_candidate": agreed is not None,
        "depends_on": [] if known else [{"rule": rule.id, "when": rule.text}],
        "notes": notes,
        "missing": [],  # set by `explain`, from every table's blocking row
        "if_category": [{"category": r["category"], "fit": r[table.column],
                         "rule": r[table.rule_column]} for r in by_candidate]
        if not known or agreed else [],
        "care_team": list(text.care_team),
        "side_effects": list(text.side_effects),
        "serious_side_effects": list(text.serious_side_effects),
        "currency_notes": [dict(n) for n in text.currency_notes],
        "_first": bool(known and rule.first),
    }


def _agreed(table: RowTable, by_candidate: list[dict[str, Any]]) -> tuple[str, str] | None:
    """The fit every candidate category gives (and the first candidate's rule), when they
    all give the same known fit; the cohort engines apply the same rule
    (`livertx.cohort.polars_engine.agree_over_candidates`)."""
    fits = {r[table.column] for r in by_candidate}
    if len(fits) != 1 or UNKNOWN_FIT in fits:
        return None
    first = by_candidate[0]
    return first[table.column], first[table.rule_column]


def _union(lists: list[list[str]]) -> list[str]:
    seen: dict[str, None] = {}
    for items in lists:
        seen.update(dict.fromkeys(items))
    order = list(FIELD_BY_NAME)
    return sorted(seen, key=order.index)


def _safety_text(note: dict[str, str]) -> str:
    return f"Safety note ({note['date']}, {note['reference']}): {note['text']}"


def _warnings(row: dict[str, Any]) -> list[str]:
    """Where the entered facts disagree with each other, and which one was used."""
    warnings = []
    if row["cp_conflict"]:
        given, found = row["child_pugh_class"], row["cp_class"]
        allowed = class_range(row)
        used = (f"the class from the lab values ({found}) is used" if found
                else f"the class stays open ({' or '.join(allowed)}) until more values are known")
        warnings.append(f"child_pugh_class: the class given ({given}) is not possible with the "
                        f"lab values entered, which allow only {' or '.join(allowed)}; it is not "
                        f"used: {used}.")
    if row["cirrhosis"] is False and row["liver_healthy"] is False:
        warnings.append("cirrhosis: given as no cirrhosis, but the Child-Pugh class or lab values "
                        "show a liver that does not work well (not class A); the guide judges "
                        "liver function by Child-Pugh, so the liver is not treated as healthy.")
    return warnings


__all__ = ["assess", "assess_many", "explain", "guideline"]
