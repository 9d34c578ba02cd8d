"""CDS Hooks 2.0 cards from an assessment: a summary, safety notes, doubts about the data,
what is missing, a link to the rest.

Card fields follow the specification: `summary` under 140 characters, `indicator`
info/warning, `source.label` naming livertx, the pack and its review date, a `uuid` on
every card, and no optional field sent empty or null.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from livertx.cds.service import service_for
from livertx.knowledge.pack import DEFAULT_PACK, Pack
from livertx.render.labels import other_warnings
from livertx.vocabulary import FIELD_BY_NAME

MAX_SUMMARY = 139  # "<140 characters"


def source(pack: Pack, base_url: str) -> dict[str, Any]:
    """`source` of every card, e.g. 'livertx (ACS Treating Liver Cancer 2016-2017, reviewed 2017-10-03)'."""
    about = "/about" if pack.id == DEFAULT_PACK else f"/about?guideline={pack.id}"
    return {"label": _source_label(pack), "url": f"{base_url}{about}"}


def _source_label(pack: Pack) -> str:
    """The label, made once per pack (every card of every call carries it)."""
    label: str | None = pack._cache.get("cds.source_label")
    if label is None:
        info = pack.info
        initials = getattr(info, "initials", None) or "".join(
            word[0] for word in info.publisher.split() if word[0].isupper())
        years = sorted(set(re.findall(r"\b(?:19|20)\d\d\b", info.review_dates)))
        span = f" {years[0]}-{years[-1]}" if len(years) > 1 else (f" {years[0]}" if years else "")
        label = pack._cache["cds.source_label"] = (f"livertx ({initials} {info.title}{span}, "
                                                   f"reviewed {info.reviewed})")
    return label


def _words(option_id: str) -> str:
    return option_id.replace("_", " ")


def label(field: str) -> str:
    """A vocabulary field's label (the name itself for anything else)."""
    return FIELD_BY_NAME[field].label if field in FIELD_BY_NAME else field


def fit_summary(parts: list[str], options: list[str], lead: str = "main options") -> str:
    """Parts joined, with as many option names as fit in the summary limit."""
    for n in range(len(options), -1, -1):
        listed = ", ".join(options[:n]) + (f" (+{len(options) - n})" if n < len(options) else "")
        text = "; ".join(parts + ([f"{lead}: {listed}"] if options else []))
        if len(text) <= MAX_SUMMARY:
            return text
    text = "; ".join(parts)
    return text if len(text) <= MAX_SUMMARY else text[:MAX_SUMMARY - 1] + "…"


def child_pugh_text(result: dict[str, Any]) -> str:
    cp = result["derived"]["child_pugh"]
    if cp["class"] is None:
        return "Child-Pugh unknown"
    return f"Child-Pugh {cp['class']}" + (f" ({cp['score']})" if cp["score"] is not None else "")


def summary_card(result: dict[str, Any], pack: Pack, base_url: str) -> dict[str, Any]:
    category = result["category"]
    primary = [o for o in result["options"] if o["fit"] == "primary"]
    alternative = [o for o in result["options"] if o["fit"] == "alternative"]
    if category["id"] is not None:
        name = category["name"]
        head = f"HCC, {name if name[:2].isupper() else name[0].lower() + name[1:]}"
        if len(head) > 70:
            head = f"HCC, {_words(category['id'])}"
    else:
        candidates = category["candidates"]
        head = "HCC, category open (" + " or ".join(_words(c["id"]) for c in candidates) + ")"
        if not candidates or len(head) > 80:
            head = f"HCC, category open ({len(candidates)} possible)"
    summary = fit_summary([head, child_pugh_text(result)], [_words(o["id"]) for o in primary])
    lines = [f"**Category:** {category['name'] or 'not decided by the data given'}"]
    lines += category_lines(category)
    derived = result["derived"]
    cp, tnm = derived["child_pugh"], derived["tnm"]
    lines.append("")
    lines.append(f"**{child_pugh_text(result)}**" + (
        " — points: " + ", ".join(f"{k} {v}" for k, v in cp["points"].items() if v is not None)
        if any(v is not None for v in cp["points"].values()) else ""))
    milan = {True: "within", False: "outside", None: "unknown"}[derived["milan"]]
    stage = " ".join(x for x in (tnm["t"], tnm["n"], tnm["m"]) if x) or "unknown"
    lines.append(f"**Milan criteria:** {milan}. **AJCC 8th:** {stage}"
                 + (f", stage {tnm['stage']}" if tnm["stage"] else "") + ".")
    if primary:
        lines += ["", "**Main options in the guide:**"]
        lines += [f"- {o['name']}" + (f": {o['reasons'][0]['text']}" if o["reasons"] else "")
                  for o in primary]
    if alternative:
        lines += ["", "**Other options:** " + "; ".join(o["name"] for o in alternative)]
    lines += guideline_lines(result)
    return card(summary, "info", pack, base_url, detail="\n".join(lines))


def category_lines(category: dict[str, Any]) -> list[str]:
    """The category's reasons with their sources, and each candidate of an open one."""
    lines = [f"- {r['text']} _(source: {r['source']})_" for r in category["reasons"]]
    for candidate in category["candidates"]:
        needs = ", ".join(f"{label(k)} = {v}" for k, v in candidate["requires"].items())
        note = f" ({candidate['note']})" if candidate.get("note") else ""
        lines.append(f"- could be **{candidate['name']}**" + (f" if {needs}" if needs else "")
                     + note)
    return lines


def guideline_lines(result: dict[str, Any]) -> list[str]:
    """The educational-not-advice line, the pack's notice and its sources with dates."""
    guideline = result["guideline"]
    return ["", f"_{guideline['disclaimer']}_", "", f"_{guideline['notice']}_",
            "", f"_Source reviewed: {guideline['review_dates']}._"]


def _clip(text: str) -> str:
    """Text cut at a word to fit the summary limit, marked with an ellipsis when cut."""
    if len(text) <= MAX_SUMMARY:
        return text
    return text[:MAX_SUMMARY - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _first_sentence(text: str) -> str:
    match = re.match(r".+?[.!?](?=\s|$)", text)
    return match.group(0) if match else text


def safety_card(note: dict[str, Any], pack: Pack, base_url: str) -> dict[str, Any]:
    """One dated safety note (newer than the guide) as a warning, with its citation."""
    summary = _clip(f"Safety note ({note['date']}): {_first_sentence(note['text'])}")
    url = pack.cite(note["reference"]).get("url")
    cited = f"[{note['citation']}]({url})" if url else note["citation"]
    detail = (f"{note['text']}\n\n_Safety note dated {note['date']}, newer than the 2017 guide "
              f"({note['id']})._\n\n**Source:** {cited}")
    return card(summary, "warning", pack, base_url, detail=detail)


def check_card(result: dict[str, Any], pack: Pack, base_url: str) -> dict[str, Any] | None:
    """Doubts about the data (a lab without its unit, a class the labs rule out, ...)."""
    checks = other_warnings(result)
    if not checks:
        return None
    summary = (_clip(f"Please check: {checks[0]}") if len(checks) == 1 else
               f"Please check {len(checks)} points in the data before relying on these options")
    lines = ["livertx found these doubts in the data it was given:", ""]
    lines += [f"- {w}" for w in checks]
    return card(summary, "warning", pack, base_url, detail="\n".join(lines))


def missing_card(result: dict[str, Any], pack: Pack, base_url: str,
                 report: dict[str, Any]) -> dict[str, Any] | None:
    if not result["missing"]:
        return None
    labels = [label(f) for f in result["missing"]]
    head = "Missing for a complete answer: "
    shown = labels
    while shown and len(head + ", ".join(shown) + f" (+{len(labels) - len(shown)})") > MAX_SUMMARY:
        shown = shown[:-1]
    summary = head + ", ".join(shown) + (f" (+{len(labels) - len(shown)})" if len(shown) < len(labels) else "")
    lines = ["The record does not say (livertx treats these as unknown, never as no):"]
    lines += [f"- **{FIELD_BY_NAME[f].label}** — {FIELD_BY_NAME[f].help}"
              for f in result["missing"] if f in FIELD_BY_NAME]
    used = report.get("provenance") or {}
    if used:
        lines += ["", "Read from the record: " + ", ".join(
            f"{label(k)} ({v['resource']})"
            for k, v in used.items()) + "."]
    return card(summary, "warning", pack, base_url, detail="\n".join(lines))


def link_card(patient: dict[str, Any], pack: Pack, base_url: str) -> dict[str, Any]:
    return {**card("Why each option fits or not, side effects and questions (livertx)", "info",
                    pack, base_url),
            "links": [{"label": "Open the full livertx assessment", "type": "absolute",
                       "url": result_url(base_url, patient, pack)}]}


def result_url(base_url: str, patient: dict[str, Any], pack: Pack) -> str:
    """The full assessment of these facts as a link: an opaque expiring token, no values,
    under the service that answers with `pack` (naming its guideline)."""
    from livertx.cds.links import seal

    facts = {k: v for k, v in patient.items() if k in FIELD_BY_NAME and v is not None}
    service = service_for(pack.id)
    return f"{base_url}{service.result_path()}/{seal(facts)}{service.result_query()}"


def card(summary: str, indicator: str, pack: Pack, base_url: str, *,
         detail: str | None = None) -> dict[str, Any]:
    """One card with the fields every card has (a fresh uuid, the pack as source)."""
    out: dict[str, Any] = {"uuid": str(uuid.uuid4()), "summary": summary,
                           "indicator": indicator, "source": source(pack, base_url)}
    if detail:
        out["detail"] = detail
    return out


def cards_for(result: dict[str, Any], report: dict[str, Any], pack: Pack,
              base_url: str) -> list[dict[str, Any]]:
    """Summary card, one warning per safety note, the doubts about the data and the
    missing inputs (each when there are any), the link."""
    if service_for(pack.id).card == "stage":
        from livertx.cds.stage_card import stage_summary_card

        cards = [stage_summary_card(result, pack, base_url)]
    else:
        cards = [summary_card(result, pack, base_url)]
    cards += [safety_card(n, pack, base_url) for n in result.get("safety_notes") or []]
    for warning in (check_card(result, pack, base_url),
                    missing_card(result, pack, base_url, report)):
        if warning is not None:
            cards.append(warning)
    cards.append(link_card(report.get("patient") or {}, pack, base_url))
    return cards


def problem_card(message: str, pack: Pack, base_url: str) -> dict[str, Any]:
    """When the record cannot be read (e.g. a lab in an unknown unit): say so in the EHR."""
    return card("livertx could not read this record; no treatment summary shown", "warning",
                 pack, base_url, detail=message)
