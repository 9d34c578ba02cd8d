"""The summary card of the `livertx-hcc-bclc` service: the BCLC stage and the first options.

An open stage says what it depends on (the missing inputs by their labels); first options
are the pack's `primary` fits, by their plain names; when none is settled yet the card
says which inputs decide them. The detail gives the reasons with their sources, the liver
scores current guidance uses, the other options, and the pack's dates and disclaimer.
"""

from __future__ import annotations

from typing import Any

from livertx.cds.cards import (
    card,
    category_lines,
    child_pugh_text,
    fit_summary,
    guideline_lines,
    label,
)
from livertx.knowledge.pack import Pack


def _plain(name: str) -> str:
    """An option's name without its bracketed gloss ('Sorafenib (targeted medicine)')."""
    return name.split(" (", 1)[0]


def _candidates(category: dict[str, Any]) -> str:
    """' (C or D)': the stages an open case can still be, by their letters."""
    letters = [c["id"].removeprefix("bclc_").upper() for c in category["candidates"]]
    return f" ({' or '.join(letters)})" if letters else ""


def _labels(fields: list[str]) -> str:
    return ", ".join(label(f) for f in dict.fromkeys(fields))


def stage_summary_card(result: dict[str, Any], pack: Pack, base_url: str) -> dict[str, Any]:
    category = result["category"]
    options = result["options"]
    primary = [o for o in options if o["fit"] == "primary"]
    undecided = [o for o in options if o["fit"] == "unknown"]
    if category["id"] is not None:
        head = f"HCC, {category['name']}"
    else:
        head = (f"HCC, BCLC stage not settled{_candidates(category)}: depends on "
                + (_labels(category["missing"]) or "data not given"))
    parts = [head]
    if not primary and undecided:
        parts.append("first options depend on " + _labels([f for o in undecided
                                                           for f in o["missing"]]))
    summary = fit_summary(parts, [_plain(o["name"]) for o in primary], lead="first options")
    lines = [f"**BCLC stage:** {category['name'] or 'not settled by the data given'}"]
    if category["id"] is None and category["missing"]:
        lines.append(f"- settles with: {_labels(category['missing'])}")
    lines += category_lines(category)
    lines += ["", "**Liver function:** " + "; ".join(_liver(result)) + "."]
    if primary:
        lines += ["", "**First options in current guidance:**"]
        lines += [f"- {o['name']}" + (f": {o['reasons'][0]['text']} _(source: "
                                      f"{o['reasons'][0]['source']})_" if o["reasons"] else "")
                  for o in primary]
    if undecided:
        lines += ["", "**Not settled yet:** " + "; ".join(
            f"{_plain(o['name'])} (needs {_labels(o['missing'])})" for o in undecided)]
    alternative = [o for o in options if o["fit"] == "alternative"]
    if alternative:
        lines += ["", "**Other options:** " + "; ".join(_plain(o["name"]) for o in alternative)]
    lines += guideline_lines(result)
    return card(summary, "info", pack, base_url, detail="\n".join(lines))


def _liver(result: dict[str, Any]) -> list[str]:
    derived = result["derived"]
    out = [child_pugh_text(result)]
    albi = derived.get("albi") or {}
    out.append(f"ALBI grade {albi['grade']}" if albi.get("grade") is not None
               else "ALBI unknown")
    meld = derived.get("meld_na")
    out.append(f"MELD-Na {meld}" if meld is not None else "MELD-Na unknown")
    return out
