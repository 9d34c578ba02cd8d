"""One patient in, the output contract out: category, every option's fit, and why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter, itemgetter
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
_MAIN_THEN_FIT = attrgetter("order")


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
            open_case: OpenCase | None = None, *, shared: bool = False) -> dict[str, Any]:
    """Turn one evaluated row (with condition columns) into the contract's JSON.

    `shared`: the options' lists are the kept entries' own (`OptionEntry.shared_dict`),
    for a caller that only reads the answer (the CDS service); otherwise fresh copies."""
    out, options = explained(row, pack, patient, open_case)
    out["options"] = [entry.shared_dict(missing) if shared else entry.as_dict(missing)
                      for entry, missing in options]
    return out


def explained(row: dict[str, Any], pack: Pack, patient: Patient | None = None,
              open_case: OpenCase | None = None
              ) -> tuple[dict[str, Any], list[tuple[OptionEntry, list[str]]]]:
    """The contract's JSON without its options (`options` is None), and each option's entry
    with its missing facts, in the contract's order: the one builder behind `explain` (the
    JSON) and `livertx.engine.typed` (the typed `Assessment`)."""
    compiled = row_plan(pack)
    if row["category"] is not None:
        open_case = ([], {})
    elif open_case is None:
        open_case = _open_case(row, pack)
    candidates, by_category = open_case
    category = _category(row, pack, compiled.category, candidates)
    by_candidate = [by_category[c["id"]] for c in category["candidates"]]
    entries = [_entry(row, text, by_candidate) for text in _option_texts(pack)]
    # `missing` as every backend defines it (livertx.engine.missing), read after the fits
    # the candidates agree on
    resolved = dict(row)
    for entry in entries:
        resolved[entry.fit_column], resolved[entry.rule_column] = entry.fit, entry.rule
    by_table = missing_by_table(resolved, pack)
    if category["id"] is None:
        category["missing"] = category["missing"] or by_table.get("category", [])
    entries.sort(key=_MAIN_THEN_FIT)
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
        "options": None,
        "missing": missing,
        "missing_explained": [{"field": f, "question": FIELD_BY_NAME[f].question}
                              for f in missing],
        "warnings": [*(patient.input_warnings if patient else []), *_warnings(row),
                     *(_safety_text(n) for n in safety)],
        "safety_notes": safety,
    }, [(e, by_table.get(e.fit_column, [])) for e in entries]


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
    """What an option's entry says whatever the patient (built once per pack), and its
    entries so far."""

    table: RowTable
    option: Option
    rules: dict[str, Rule]
    techniques: tuple[str, ...]
    care_team: tuple[str, ...]
    side_effects: tuple[str, ...]
    serious_side_effects: tuple[str, ...]
    currency_notes: tuple[dict[str, Any], ...]
    notes: tuple[tuple[Any, str], ...]  # each note with its condition column
    entries: dict[EntryKey, OptionEntry]
    # a decided row's entry rests only on the table's rule, fit and note conditions:
    # those values (`reads`) find its entry without working out its key
    reads: Callable[[dict[str, Any]], tuple[Any, ...]]
    by_reads: dict[tuple[Any, ...], OptionEntry]
    # an open row's entry rests on those and each candidate's (category, fit, rule) too
    candidate_reads: Callable[[dict[str, Any]], tuple[Any, ...]]


# fit, rule, whether every candidate agrees, the notes shown, each candidate's
# (category, fit, rule) when the entry lists them
EntryKey = tuple[str, str, bool, tuple[str, ...], tuple[tuple[str, str, str], ...]]
ENTRIES_PER_OPTION = 512  # kept per option (a bound: the ways an entry comes out are few)


@dataclass(frozen=True, eq=False)
class OptionEntry:
    """One option's entry in the contract, as the patient's row decides it: the same for
    every patient with the same key (`EntryKey`), so built once and kept. `fields` is
    the entry's JSON with `missing` empty; it is shared, never handed out: `as_dict` gives a
    copy with the patient's missing facts."""

    fields: dict[str, Any]
    fit_column: str
    rule_column: str
    order: tuple[bool, int]  # main options (a known fit from a rule marked `first`) first,
    # then by fit (`FIT_ORDER`)
    typed: dict[tuple[str, ...], Any]  # by missing facts: `livertx.engine.typed`'s models
    lists: tuple[tuple[str, bool], ...] = ()  # each list in `fields`: does it hold dicts?

    @property
    def fit(self) -> str:
        fit: str = self.fields["fit"]
        return fit

    @property
    def rule(self) -> str:
        rule: str = self.fields["rule"]
        return rule

    def as_dict(self, missing: list[str]) -> dict[str, Any]:
        """A fresh copy of the entry (its lists and the objects in them too), with `missing`."""
        out = self.fields.copy()
        for key, dicts in self.lists:
            value = out[key]
            out[key] = [dict(x) for x in value] if dicts else value.copy()
        out["missing"] = list(missing)
        return out

    def shared_dict(self, missing: list[str]) -> dict[str, Any]:
        """The entry with `missing`, its lists shared with the kept entry: only for a
        reader that never changes them (a tenth of `as_dict`'s time)."""
        return {**self.fields, "missing": list(missing)}


def _option_texts(pack: Pack) -> tuple[_OptionText, ...]:
    """Each option table's fixed text, in table order (cached on the pack)."""
    texts: tuple[_OptionText, ...] | None = pack._cache.get("explain.options")
    if texts is None:
        texts = pack._cache["explain.options"] = tuple(
            _option_text(pack, table) for table in row_plan(pack).options)
    return texts


def _option_text(pack: Pack, table: RowTable) -> _OptionText:
    option = pack.option(table.table.option or "")
    return _OptionText(
        table, option, {r.id: r for r in table.table.rules},
        tuple(t.id for t in option.techniques), tuple(option.care_team.gives),
        tuple(s.text for s in option.side_effects.common),
        tuple(s.text for s in option.side_effects.serious),
        tuple(n.model_dump() for n in option.currency_notes),
        tuple((n, condition_column(n.id)) for n in table.table.notes), {},
        itemgetter(table.rule_column, table.column,
                   *(condition_column(n.id) for n in table.table.notes)), {},
        itemgetter("category", table.column, table.rule_column))


def _entry(row: dict[str, Any], text: _OptionText, by_candidate: list[dict[str, Any]]
           ) -> OptionEntry:
    """The option's entry for this row: its key read from the row, the entry kept by key."""
    reads = text.reads(row)
    if by_candidate:
        reads = (*reads, *map(text.candidate_reads, by_candidate))
    found = text.by_reads.get(reads)
    if found is None:
        found = _keyed_entry(row, text, by_candidate)
        if len(text.by_reads) < ENTRIES_PER_OPTION:
            text.by_reads[reads] = found
    return found


def _keyed_entry(row: dict[str, Any], text: _OptionText, by_candidate: list[dict[str, Any]]
                 ) -> OptionEntry:
    """The entry by its key (`EntryKey`): what the contract shows of the row's values."""
    table = text.table
    rule_id, fit = row[table.rule_column], row[table.column]
    agreed = _agreed(table, by_candidate) if fit == UNKNOWN_FIT else None
    if agreed:  # the category is open, but every candidate gives this option the same fit
        fit, rule_id = agreed
    notes = tuple(n.id for n, column in text.notes
                  if row[column] is True and (n.fits is None or fit in n.fits))
    lists = fit == UNKNOWN_FIT or agreed is not None
    if_category = tuple((r["category"], r[table.column], r[table.rule_column])
                        for r in by_candidate) if lists else ()
    key = (fit, rule_id, agreed is not None, notes, if_category)
    entry = text.entries.get(key)
    if entry is None:
        entry = _new_entry(text, key)
        if len(text.entries) < ENTRIES_PER_OPTION:
            text.entries[key] = entry
    return entry


def _new_entry(text: _OptionText, key: EntryKey) -> OptionEntry:
    fit, rule_id, agreed, note_ids, if_category = key
    table = text.table
    option, rules = text.option, text.rules
    rule = rules[rule_id]
    known = fit != UNKNOWN_FIT
    reasons = ([rules[i] for i in dict.fromkeys(r for _, __, r in if_category)] if agreed
               else [rule] if known else [])
    notes = [{"text": n.note, "source": n.source, "rule": n.id} for n, _ in text.notes
             if n.id in note_ids]
    techniques = (list(rule.techniques if rule.techniques is not None else text.techniques)
                  if known else [])
    fields = {
        "id": option.id, "name": option.name, "group": option.group, "fit": fit,
        "rule": rule_id, "techniques": techniques,
        "reasons": [_reason(r) for r in reasons],
        "same_in_every_candidate": agreed,
        "depends_on": [] if known else [{"rule": rule.id, "when": rule.text}],
        "notes": notes,
        "missing": [],  # set by `explain`, from every table's blocking row
        "if_category": [{"category": c, "fit": f, "rule": r} for c, f, r in if_category],
        "care_team": list(text.care_team),
        "side_effects": list(text.side_effects),
        "serious_side_effects": list(text.serious_side_effects),
        "currency_notes": [dict(n) for n in text.currency_notes],
    }
    lists = tuple((key, any(type(x) is dict for x in value)) for key, value in fields.items()
                  if type(value) is list)
    order = (not (known and rule.first), FIT_ORDER.index(fit))
    return OptionEntry(fields, table.column, table.rule_column, order, {}, lists)


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


__all__ = ["OptionEntry", "assess", "assess_many", "explain", "explained", "guideline"]
