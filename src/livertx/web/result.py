"""What the result page shows, gathered from one assessment and the pack.

The assessment dict is the output contract; this adds the pack's descriptive text
(what a treatment involves, the techniques' names, the topics) so templates stay simple.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from livertx.knowledge.pack import Pack
from livertx.render.labels import (
    FIT_HEADINGS,
    candidates_in_display_order,
    child_pugh_short,
    dates_in_words,
    ecog_use,
    ecog_words,
    other_warnings,
    plain_number,
    value_words,
)
from livertx.scores.child_pugh import ITEMS
from livertx.scores.library import inputs_of
from livertx.vocabulary import FIELD_BY_NAME, FIELDS
from livertx.web.forms import VALUE_LABELS
from livertx.web.templating import role_names

FIT_ORDER = ("primary", "alternative", "unknown", "not_advised")
ASKED_AT_A_GLANCE = 3  # the things to ask the care team, in the summary at the top
TOPICS_AFTER = ("second_opinion", "clinical_trials", "complementary", "help_during_treatment")
ITEM_LABELS = {"bilirubin": "Bilirubin", "albumin": "Albumin", "inr": "INR",
               "ascites": "Ascites (fluid in the belly)",
               "encephalopathy": "Encephalopathy (confusion from the liver)"}
STAGE_WORDS = {"T1a": "one tumor 2 cm or smaller", "T1b": "one tumor over 2 cm, not in vessels",
               "T2": "one tumor over 2 cm in vessels, or several none over 5 cm",
               "T3": "several tumors, at least one over 5 cm",
               "T4": "a major vein or a nearby organ involved",
               "N0": "no lymph node spread", "N1": "lymph node spread",
               "M0": "no spread to other organs", "M1": "spread to other organs"}


@dataclass(frozen=True)
class FitGroup:
    fit: str
    heading: str
    options: list[dict[str, Any]]


def option_view(option: dict[str, Any], pack: Pack) -> dict[str, Any]:
    """One option of the assessment with the pack's text about it."""
    described = pack.option(option["id"])
    roles = role_names(pack)
    techniques = {t.id: t for t in described.techniques}
    return {
        **option,
        "summary": described.summary,
        "goal": described.goal,
        "involves": described.involves,
        "technique_views": [techniques[t] for t in option["techniques"] if t in techniques],
        "missing_questions": [FIELD_BY_NAME[f].question for f in option["missing"]
                              if f in FIELD_BY_NAME],
        "if_category_views": [{"name": pack.category(a["category"]).name, "fit": a["fit"]}
                              for a in option.get("if_category", [])],
        "care_team_names": [roles.get(r, r.replace("_", " ")) for r in option["care_team"]],
        "currency_views": [{**n, "reference_title": pack.cite(n["reference"])["title"],
                            "url": pack.cite(n["reference"]).get("url")}
                           for n in option["currency_notes"]],
        # A dated note on what changed since 2017 means a newer standard exists.
        "newer": bool(option["currency_notes"]),
    }


def fit_groups(result: dict[str, Any], pack: Pack) -> list[FitGroup]:
    """Options grouped by fit, in the order a person should read them."""
    groups = []
    for fit in FIT_ORDER:
        options = [option_view(o, pack) for o in result["options"] if o["fit"] == fit]
        if options:
            groups.append(FitGroup(fit, FIT_HEADINGS[fit], options))
    return groups


def child_pugh_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Each Child-Pugh item: what was entered and the points it scores."""
    points = result["derived"]["child_pugh"]["points"]
    patient = result.get("patient") or {}
    rows = []
    for item in ITEMS:
        value = patient.get(item)
        spec = FIELD_BY_NAME[item]
        if value is None:
            shown = "not given"
        elif isinstance(value, float):
            shown = f"{plain_number(value)} {spec.unit or ''}".strip()
        else:
            shown = str(value).replace("_", " ")
        rows.append({"item": item, "label": ITEM_LABELS.get(item, spec.label), "value": shown,
                     "points": points.get(item)})
    return rows


def safety_views(result: dict[str, Any], pack: Pack) -> list[dict[str, Any]]:
    """The safety notes with a link to each one's reference, when it has an address."""
    return [{**n, "url": pack.cite(n["reference"]).get("url")}
            for n in result.get("safety_notes") or []]


def ecog_view(result: dict[str, Any], pack: Pack) -> dict[str, Any]:
    """ECOG as entered, in words, and how the pack uses it (the 2017 guide shows it only)."""
    value = (result.get("patient") or {}).get("ecog")
    ecog = value if isinstance(value, int) else None
    return {"value": ecog, "words": ecog_words(ecog), "use": ecog_use(pack)}


def answer_words(name: str, value: Any) -> str:
    """One entered value in words, as the form offered it ("Slight (mild)", "0.88 mg/dL")."""
    spec = FIELD_BY_NAME[name]
    labels = VALUE_LABELS.get(name, {})
    if str(value) in labels:
        return labels[str(value)]
    if isinstance(value, float):
        return f"{plain_number(value)} {spec.unit or ''}".strip()
    return value_words(value)


def answers_view(result: dict[str, Any]) -> list[dict[str, str]]:
    """What was entered, in words and in the form's order. A "tick only if told" box left
    as it was (its presumed default) was not entered, so it is not listed."""
    patient = result.get("patient") or {}
    rows = []
    for spec in FIELDS:
        value = patient.get(spec.name)
        if value is None or (spec.kind == "qualifier" and value == spec.default):
            continue
        label = spec.label.removesuffix(f" ({spec.unit})") if spec.unit else spec.label
        rows.append({"label": label, "value": answer_words(spec.name, value)})
    sizes = [t.get("size_cm") for t in patient.get("tumors") or []]
    if len(sizes) > 1:
        rows.insert(0, {"label": "Tumor sizes (cm)",
                        "value": ", ".join(plain_number(float(s)) for s in sizes if s is not None)})
    return rows


def milan_missing(result: dict[str, Any]) -> list[str]:
    """The inputs of the Milan rule that were not given, as questions ("how many tumors
    there are"): read from the score library, so the line names what is really missing."""
    patient = result.get("patient") or {}
    needed = inputs_of()["milan"]
    return [spec.question for spec in FIELDS if spec.name in needed and patient.get(spec.name) is None]


def _one_line(text: str) -> str:
    """The first sentence of a text (a reason, a note) for the summary at the top."""
    head, dot, _ = text.partition(". ")
    return head + "." if dot else text


def asked_first(result: dict[str, Any], pack: Pack) -> list[str]:
    """The top things to ask the care team: the unknown inputs that would change the answer
    (those the category waits on first, then those most options wait on), then the first
    main option's own questions."""
    counts: dict[str, int] = {}
    for option in result["options"]:
        for name in option.get("missing") or []:
            counts[name] = counts.get(name, 0) + 1
    category_missing = result["category"].get("missing") or []
    ranked = sorted(result.get("missing_explained") or [],
                    key=lambda m: (m["field"] not in category_missing, -counts.get(m["field"], 0)))
    asks = [f"Ask about {m['question']}." for m in ranked]
    primary = [o for o in result["options"] if o["fit"] == "primary"]
    if primary:
        asks += [q.text for q in pack.option(primary[0]["id"]).questions]
    return asks[:ASKED_AT_A_GLANCE]


def changed_lead(result: dict[str, Any]) -> dict[str, Any] | None:
    """What changed since 2017 for the main options, said first when there is something:
    the earliest dated note of the first main option that has one."""
    for option in result["options"]:
        if option["fit"] == "primary" and option["currency_notes"]:
            note = min(option["currency_notes"], key=lambda n: n["date"])
            return {**note, "option": option["name"], "option_id": option["id"]}
    return None


def glance_view(result: dict[str, Any], pack: Pack) -> dict[str, Any]:
    """The summary at the top: the main options with their one-line why, what to ask."""
    main = [{"id": o["id"], "name": o["name"], "newer": bool(o["currency_notes"]),
             "why": _one_line(o["reasons"][0]["text"]) if o["reasons"] else ""}
            for o in result["options"] if o["fit"] == "primary"]
    if not (result.get("patient") or {}).get("wants_treatment", True):
        main.sort(key=lambda o: o["id"] != "palliative_care")
    return {"main": main, "asks": asked_first(result, pack), "changed": changed_lead(result),
            "depends": sum(o["fit"] == "unknown" for o in result["options"])}


def unknown_grid(result: dict[str, Any], pack: Pack) -> dict[str, Any] | None:
    """The options that depend on what is not known, as one table: the options down the
    side, the situations the person could be in across (the pack's display order), the fit
    in each cell; what they depend on is said once for the table."""
    rows = [o for o in result["options"] if o["fit"] == "unknown"]
    if not rows:
        return None
    candidates = candidates_in_display_order(result["category"], pack)
    columns = [{"id": c["id"], "name": c["name"],
                "short": pack.category(c["id"]).short_name or c["name"]} for c in candidates]
    depends: list[str] = []
    for option in rows:
        for name in option["missing"]:
            question = FIELD_BY_NAME[name].question if name in FIELD_BY_NAME else name
            if question not in depends:
                depends.append(question)
    grid = []
    for option in rows:
        fits = {a["category"]: a["fit"] for a in option.get("if_category") or []}
        grid.append({"id": option["id"], "name": option["name"], "newer": bool(option["currency_notes"]),
                     "cells": [fits.get(c["id"], "unknown") for c in columns]})
    return {"columns": columns, "rows": grid, "depends": depends}


def today_in_words(today: datetime.date | None = None) -> str:
    return dates_in_words((today or datetime.date.today()).isoformat())


def result_context(result: dict[str, Any], pack: Pack) -> dict[str, Any]:
    """Everything the result template reads."""
    category = result["category"]
    described = pack.category(category["id"]) if category["id"] else None
    return {
        "glance": glance_view(result, pack),
        "answers": answers_view(result),
        "grid": unknown_grid(result, pack),
        "candidates": candidates_in_display_order(category, pack),
        "milan_missing": milan_missing(result),
        "cp_short": child_pugh_short(result["derived"]["child_pugh"]),
        "printed_on": today_in_words(),
        "result": result,
        "category": category,
        "category_text": described,
        "category_missing": [FIELD_BY_NAME[f].question for f in category.get("missing", [])
                             if f in FIELD_BY_NAME],
        "groups": fit_groups(result, pack),
        "cp_rows": child_pugh_rows(result),
        "ecog": ecog_view(result, pack),
        "safety_notes": safety_views(result, pack),
        "checks": other_warnings(result),
        "stage_words": STAGE_WORDS,
        "questions": pack.topic("questions"),
        "topics": [pack.topic(t) for t in TOPICS_AFTER],
        "stopping": pack.topic("stopping_treatment"),
        "wants_treatment": (result.get("patient") or {}).get("wants_treatment", True),
    }
