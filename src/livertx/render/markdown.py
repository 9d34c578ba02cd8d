"""The assessment as a Markdown handout: what a person reads before the next visit."""

from __future__ import annotations

from typing import Any

from livertx.knowledge.pack import Pack, load_pack
from livertx.render.labels import (
    FIT_HEADINGS,
    FIT_WORDS,
    ecog_use,
    ecog_words,
    other_warnings,
    requirement_words,
    role_name,
)
from livertx.vocabulary import FIELD_BY_NAME

SERIOUS_SHOWN = ("primary", "alternative")  # the options the guide suggests


def _cite(pack: Pack, source: str) -> str:
    title = pack.cite(source)["title"]
    return f"[{source}: {title}]"


def assessment_markdown(result: dict[str, Any], pack: Pack | None = None) -> str:
    pack = pack or load_pack()
    g = result["guideline"]
    lines = [f"# Treatment options: {g['title']} ({g['publisher']})", "",
             f"> {g['disclaimer']}", ">",
             f"> Source reviewed: {g['review_dates']}. {g['notice']}", ""]
    lines += _check_lines(result)
    lines += _category_lines(result, pack)
    lines += _safety_lines(result, pack)
    lines += _derived_lines(result, pack)
    for fit in ("primary", "alternative", "unknown", "not_advised"):
        group = [o for o in result["options"] if o["fit"] == fit]
        if group:
            lines += [f"## {FIT_HEADINGS[fit]}", ""]
            for option in group:
                lines += _option_lines(option, pack)
    lines += _missing_lines(result)
    lines += _topic_lines(pack)
    return "\n".join(lines).rstrip() + "\n"


def _check_lines(result: dict[str, Any]) -> list[str]:
    """Doubts about what was entered, before the answer that rests on it."""
    checks = other_warnings(result)
    if not checks:
        return []
    return ["## Please check", ""] + [f"- {w}" for w in checks] + [""]


def _safety_lines(result: dict[str, Any], pack: Pack) -> list[str]:
    """Dated notes from newer sources than the guide, each with its citation."""
    notes = result.get("safety_notes") or []
    if not notes:
        return []
    lines = ["## Safety notes (newer than the 2017 guide)", "",
             "These come from sources newer than the guide. Read them before the options below.",
             ""]
    for note in notes:
        url = pack.cite(note["reference"]).get("url")
        source = note["citation"] + (f" <{url}>" if url else "")
        lines.append(f"- **Safety note ({note['date']}):** {note['text']} (Source: {source})")
    return lines + [""]


def _category_lines(result: dict[str, Any], pack: Pack) -> list[str]:
    category = result["category"]
    if category["id"]:
        lines = [f"## Your situation: {category['name']}", ""]
        lines += [f"{r['text']} {_cite(pack, r['source'])}" for r in category["reasons"]]
        what = pack.category(category["id"]).what_it_means
        if what:
            lines += ["", what.text]
        return lines + [""]
    lines = ["## Your situation: not yet clear", "",
             "What is known so far fits more than one of the guide's groups:", ""]
    for candidate in category["candidates"]:
        note = f". {candidate['note']}" if candidate.get("note") else ""
        lines.append(f"- **{candidate['name']}** {requirement_words(candidate['requires'])}{note}")
    return lines + [""]


def _derived_lines(result: dict[str, Any], pack: Pack) -> list[str]:
    d = result["derived"]
    cp, tnm = d["child_pugh"], d["tnm"]
    albi, meld = d.get("albi") or {}, d.get("meld_na")
    extra = []
    if albi.get("grade") is not None:
        extra.append(f"- ALBI: grade {albi['grade']} (score {albi['score']:.2f})")
    if meld is not None:
        extra.append(f"- MELD-Na: {meld}")
    points = ", ".join(f"{k} {v if v is not None else '?'}" for k, v in cp["points"].items())
    return ["## Measures", "",
            (f"- Child-Pugh: class {cp['class'] or 'unknown'}, score {cp['score'] or 'unknown'} "
            f"(points: {points})"),
            f"- Within the Milan transplant rule: {_yes_no(d['milan'])}",
            (f"- AJCC 8th edition: {tnm['t'] or 'T?'} {tnm['n'] or 'N?'} {tnm['m'] or 'M?'}, "
            f"stage {tnm['stage'] or 'unknown'}"),
            *extra,
            f"- ECOG performance status: {ecog_words(_ecog(result))} ({ecog_use(pack)})", ""]


def _ecog(result: dict[str, Any]) -> int | None:
    ecog = (result.get("patient") or {}).get("ecog")
    return ecog if isinstance(ecog, int) else None


def _yes_no(value: bool | None) -> str:
    return "unknown" if value is None else "yes" if value else "no"


def _option_lines(option: dict[str, Any], pack: Pack) -> list[str]:
    lines = [f"### {option['name']} ({FIT_WORDS[option['fit']]})", ""]
    for reason in option["reasons"]:
        lines.append(f"- Why: {reason['text']} {_cite(pack, reason['source'])}")
    for note in option["notes"]:
        lines.append(f"- Note: {note['text']} {_cite(pack, note['source'])}")
    if option["fit"] == "unknown":
        missing = ", ".join(FIELD_BY_NAME[f].question for f in option["missing"])
        lines.append(f"- Depends on: {missing or 'information not given'}")
        for alt in option.get("if_category", []):
            name = pack.category(alt["category"]).name
            lines.append(f"  - if the situation is *{name}*: {FIT_WORDS[alt['fit']]}")
    if option["techniques"]:
        names = {t.id: t.name for t in pack.option(option["id"]).techniques}
        lines.append("- Techniques: " + ", ".join(names[t] for t in option["techniques"]))
    if option["care_team"]:
        lines.append("- Who gives it: " + ", ".join(role_name(r) for r in option["care_team"]))
    if option["side_effects"]:
        lines.append("- Common side effects: " + " ".join(option["side_effects"]))
    if option["fit"] in SERIOUS_SHOWN and option.get("serious_side_effects"):
        lines.append("- **Serious side effects** (less common): "
                     + " ".join(option["serious_side_effects"]))
    for note in option["currency_notes"]:
        lines.append(f"- Since 2017 ({note['date']}): {note['text']}")
    return lines + [""]


def _missing_lines(result: dict[str, Any]) -> list[str]:
    if not result["missing"]:
        return []
    lines = ["## What would make this answer more complete", ""]
    lines += [f"- {m['question'][0].upper()}{m['question'][1:]} (`{m['field']}`)"
              for m in result["missing_explained"]]
    return lines + [""]


def _topic_lines(pack: Pack) -> list[str]:
    questions = pack.topic("questions")
    lines = ["## Questions to ask your care team", ""]
    lines += [f"- {item['text']}" for item in getattr(questions, "items", None) or []]
    lines += ["", "## Also worth knowing", ""]
    for topic_id in ("second_opinion", "clinical_trials", "complementary", "help_during_treatment"):
        topic = pack.topic(topic_id)
        first = topic.paragraphs[0].text if topic.paragraphs else ""
        lines.append(f"- **{topic.title}**: {first}")
    flags = getattr(pack.topic("complementary"), "red_flags", None) or []
    if flags:
        lines += ["", "Warning signs of a doubtful remedy:", ""]
        lines += [f"- {flag['text']}" for flag in flags]
    return lines + [""]


def option_markdown(option_id: str, pack: Pack | None = None) -> str:
    """One option in full, for `livertx explain`."""
    pack = pack or load_pack()
    o = pack.option(option_id)
    lines = [f"# {o.name}", "", f"{o.summary.text} {_cite(pack, o.summary.source)}", ""]
    if o.goal:
        lines += [f"**Goal:** {o.goal.text}", ""]
    sections = [("What it involves", o.involves), ("Practical facts", o.facts),
                ("Common side effects", o.side_effects.common),
                ("Serious side effects", o.side_effects.serious),
                ("Questions to ask", o.questions)]
    for title, items in sections:
        if items:
            lines += [f"## {title}", ""] + [f"- {i.text} {_cite(pack, i.source)}" for i in items]
            lines.append("")
    if o.techniques:
        lines += ["## Techniques", ""]
        lines += [f"- **{t.name}**: {t.description}" for t in o.techniques] + [""]
    lines += ["## Who gives it", "", ", ".join(role_name(r) for r in o.care_team.gives)
              or "(the guide does not say)", ""]
    if o.currency_notes:
        lines += ["## What has changed since the 2017 guide", ""]
        lines += [f"- {n.date}: {n.text} [{n.reference}]" for n in o.currency_notes] + [""]
    table = pack.option_tables[o.id]
    lines += ["## When the guide suggests it (decision table)", ""]
    lines += [f"- `{r.id}` {r.text}: **{FIT_WORDS[r.outcome]}**. {r.reason}" for r in table.rules]
    return "\n".join(lines).rstrip() + "\n"
