"""What the result page shows, gathered from one assessment and the pack.

The assessment dict is the output contract; this adds the pack's descriptive text
(what a treatment involves, the techniques' names, the topics) so templates stay simple.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from livertx.knowledge.pack import Pack
from livertx.render.labels import FIT_HEADINGS, ecog_use, ecog_words, other_warnings
from livertx.scores.child_pugh import ITEMS
from livertx.vocabulary import FIELD_BY_NAME
from livertx.web.templating import role_names

FIT_ORDER = ("primary", "alternative", "unknown", "not_advised")
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
            shown = f"{value:g} {spec.unit or ''}".strip()
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


def result_context(result: dict[str, Any], pack: Pack) -> dict[str, Any]:
    """Everything the result template reads."""
    category = result["category"]
    described = pack.category(category["id"]) if category["id"] else None
    return {
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
