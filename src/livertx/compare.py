"""Two guidelines side by side for one patient: the 2017 guide and current guidance.

Each pack assesses the patient on its own; options are matched through `same_as` (an
option of one pack naming the option of the other it corresponds to, such as TACE and TARE
to the 2017 guide's embolization) or a shared id. A matched pair agrees when both packs
give the same fit; "offered" (main or other option) against "not advised" is a real
difference, main against other a difference of emphasis. Every side keeps its reasons and
sources, so the reader can see why each pack says what it says.
"""

from __future__ import annotations

from typing import Any

from livertx.engine.assess import assess
from livertx.knowledge.pack import Pack, load_guideline
from livertx.patient import Patient, parse_patient

OFFERED = ("primary", "alternative")
BASE, CURRENT = "acs-2017", "bclc-2022"


def _side(option: dict[str, Any], pack: Pack) -> dict[str, Any]:
    return {"id": option["id"], "name": option["name"], "fit": option["fit"],
            "reasons": [{**r, "citation": pack.cite(r["source"])["title"]}
                        for r in option["reasons"]],
            "missing": option["missing"]}


def _agreement(old: str | None, new: list[str]) -> str:
    """same, emphasis (both offer it, one as a main option), differ, or unknown."""
    if old is None:
        return "only_current"
    if not new:
        return "only_2017"
    if "unknown" in (old, *new):
        return "unknown"
    if all(fit == old for fit in new):
        return "same"
    if (old in OFFERED) == any(fit in OFFERED for fit in new):
        return "emphasis"
    return "differ"


def compare(patient: Patient | dict[str, Any], base: str = BASE,
            current: str = CURRENT) -> dict[str, Any]:
    """Both packs' answers for one patient, matched option by option."""
    if not isinstance(patient, Patient):
        patient = parse_patient(patient)
    packs = {base: load_guideline(base), current: load_guideline(current)}
    results = {name: assess(patient, pack) for name, pack in packs.items()}
    old = {o["id"]: o for o in results[base]["options"]}
    matched: dict[str, list[dict[str, Any]]] = {}
    for option in results[current]["options"]:
        key = getattr(packs[current].option(option["id"]), "same_as", None) or option["id"]
        matched.setdefault(key, []).append(option)
    rows = []
    for key in [*old, *(k for k in matched if k not in old)]:
        before, after = old.get(key), matched.get(key, [])
        rows.append({
            "option": key,
            base: _side(before, packs[base]) if before else None,
            current: [_side(o, packs[current]) for o in after],
            "agreement": _agreement(before["fit"] if before else None, [o["fit"] for o in after]),
        })
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["agreement"]] = counts.get(row["agreement"], 0) + 1
    return {
        "patient": patient.model_dump(exclude_none=True),
        "guidelines": {name: results[name]["guideline"] for name in packs},
        "category": {name: _category(results[name]) for name in packs},
        "derived": results[current]["derived"],
        "options": rows,
        "summary": counts,
        "missing": {name: results[name]["missing"] for name in packs},
    }


def _category(result: dict[str, Any]) -> dict[str, Any]:
    category = result["category"]
    return {"id": category["id"], "name": category["name"],
            "reasons": category["reasons"],
            "candidates": [c["id"] for c in category["candidates"]]}


AGREEMENT_WORDS = {"same": "agree", "emphasis": "both offer it, with a different emphasis",
                   "differ": "differ", "unknown": "depends on what is not known",
                   "only_2017": "only in the 2017 guide", "only_current": "only in current guidance"}
FIT_WORDS = {"primary": "main option", "alternative": "other option",
             "not_advised": "not advised", "unknown": "depends"}


def compare_markdown(comparison: dict[str, Any]) -> str:
    """The comparison as Markdown (for the terminal and the README)."""
    (base, old), (current, new) = comparison["category"].items()
    lines = ["# The 2017 guide and current guidance, side by side", "",
             f"- **{base}**: {_category_words(old)}",
             f"- **{current}**: {_category_words(new)}", "",
             f"| option | {base} | {current} | |", "| --- | --- | --- | --- |"]
    for row in comparison["options"]:
        before = row[base]
        left = FIT_WORDS[before["fit"]] if before else "-"
        right = "; ".join(f"{o['name']}: {FIT_WORDS[o['fit']]}" for o in row[current]) or "-"
        lines.append(f"| {before['name'] if before else row[current][0]['name']} | {left} | "
                     f"{right} | {AGREEMENT_WORDS[row['agreement']]} |")
    lines += ["", "## Where they differ, and why", ""]
    for row in comparison["options"]:
        if row["agreement"] not in ("differ", "emphasis"):
            continue
        before = row[base]
        lines.append(f"### {before['name'] if before else row['option']}")
        if before:
            lines += [f"- {base} ({FIT_WORDS[before['fit']]}): {r['text']} [{r['source']}]"
                      for r in before["reasons"][:1]]
        for option in row[current]:
            lines += [f"- {current}, {option['name']} ({FIT_WORDS[option['fit']]}): "
                      f"{r['text']} [{r['source']}]" for r in option["reasons"][:1]]
        lines.append("")
    summary = ", ".join(f"{n} {AGREEMENT_WORDS[k]}" for k, n in comparison["summary"].items())
    return "\n".join([*lines, f"Summary: {summary}.", ""])


def _category_words(category: dict[str, Any]) -> str:
    if category["id"]:
        return f"{category['name']}"
    return "not yet clear: " + " or ".join(category["candidates"])


__all__ = ["compare", "compare_markdown"]
