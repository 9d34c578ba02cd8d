"""`--summary report.html`: counts and charts of a cohort run, one file that opens offline.

Computed from the written output (so every engine gets the same report) and drawn with
plotly; the plotly library is inlined once into the page, nothing is fetched from a
network. The page carries the pack's disclaimer, review dates and newer-treatments notice.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import polars as pl

from livertx.cohort import io
from livertx.cohort.plan import CANDIDATES, ERROR, MISSING, build_plan
from livertx.knowledge.pack import Pack
from livertx.vocabulary import FIELD_BY_NAME

OPEN = "open (not enough information)"
UNKNOWN = "unknown"
FIT_COLOURS = {"primary": "#1b7837", "alternative": "#7fbf7b", "not_advised": "#c2a5cf",
               "unknown": "#bdbdbd"}


def _scan(path: Path) -> pl.LazyFrame:
    if io.file_format(path, "output") == "parquet":
        return pl.scan_parquet(path)
    frame = pl.scan_csv(path, infer_schema=False)
    return frame.with_columns(pl.col(MISSING, CANDIDATES).str.split(io.LIST_SEPARATOR))


def cohort_stats(output: Path, pack: Pack) -> dict[str, Any]:
    """Everything the report shows, counted from the output file."""
    plan = build_plan(pack)
    frame = _scan(output).with_columns(pl.col(pl.Enum).cast(pl.String))
    valid = frame.filter(pl.col(ERROR).is_null())
    totals = frame.select(rows=pl.len(), rejected=pl.col(ERROR).is_not_null().sum()).collect()
    fit_columns = [t.column for t in plan.compiled.options]
    assessed = valid.select(
        pl.col("category").fill_null(OPEN), pl.col("cp_class").fill_null(UNKNOWN),
        pl.col("stage_group").fill_null(UNKNOWN), *fit_columns).collect()
    missing = (valid.select(pl.col(MISSING)).explode(MISSING).drop_nulls()
               .filter(pl.col(MISSING) != "").group_by(MISSING).len()
               .sort(["len", MISSING], descending=[True, False]).head(12).collect())
    fits = (assessed.unpivot(index="category", on=fit_columns, variable_name="option",
                             value_name="fit")
            .group_by(["category", "option", "fit"]).len())
    return {
        "rows": int(totals["rows"][0]), "rejected": int(totals["rejected"][0]),
        "category": _counts(assessed, "category", [*plan.categories, OPEN]),
        "cp_class": _counts(assessed, "cp_class", ["A", "B", "C", UNKNOWN]),
        "stage": _counts(assessed, "stage_group",
                         ["IA", "IB", "II", "IIIA", "IIIB", "IVA", "IVB", UNKNOWN]),
        "fits": fits, "options": [t.table.option for t in plan.compiled.options],
        "missing": [(r[MISSING], r["len"]) for r in missing.iter_rows(named=True)],
    }


def _counts(frame: pl.DataFrame, column: str, order: list[str]) -> list[tuple[str, int]]:
    found = dict(frame.group_by(column).len().iter_rows())
    extra = sorted(k for k in found if k not in order)
    return [(k, int(found.get(k, 0))) for k in [*order, *extra] if k in found or k in order]


def _bar(counts: list[tuple[str, int]], title: str, xlabel: str) -> go.Figure:
    fig = go.Figure(go.Bar(x=[k for k, _ in counts], y=[v for _, v in counts],
                           text=[v for _, v in counts], textposition="auto",
                           marker_color="#2b6ca3"))
    fig.update_layout(title=title, xaxis_title=xlabel, yaxis_title="patients",
                      margin={"t": 50, "b": 40}, height=380)
    return fig


def _fits_figure(stats: dict[str, Any], pack: Pack) -> go.Figure:
    fits: pl.DataFrame = stats["fits"]
    categories = [k for k, v in stats["category"] if v]
    names = {o.id: o.name for o in pack.options}
    labels = [f"{names.get(o, o)} | {c}" for c in categories for o in stats["options"]]
    fig = go.Figure()
    for fit, colour in FIT_COLOURS.items():
        lookup = {(r["category"], r["option"]): r["len"]
                  for r in fits.filter(pl.col("fit") == fit).iter_rows(named=True)}
        values = [lookup.get((c, f"fit_{o}"), 0) for c in categories for o in stats["options"]]
        fig.add_trace(go.Bar(y=labels, x=values, name=fit.replace("_", " "), orientation="h",
                             marker_color=colour))
    fig.update_layout(barmode="stack", title="Option fit by category (patients)",
                      height=max(400, 22 * len(labels)), yaxis={"autorange": "reversed"},
                      margin={"l": 320, "t": 50})
    return fig


def _missing_figure(stats: dict[str, Any]) -> go.Figure:
    rows = stats["missing"]
    labels = [FIELD_BY_NAME[f].label if f in FIELD_BY_NAME else f for f, _ in rows]
    fig = go.Figure(go.Bar(y=labels, x=[n for _, n in rows], orientation="h",
                           marker_color="#8c6d31"))
    fig.update_layout(title="Most common missing inputs (patients whose options depend on it)",
                      height=max(300, 34 * len(rows) + 100), yaxis={"autorange": "reversed"},
                      margin={"l": 260, "t": 50})
    return fig


def write_summary(output: Path, report: Path, pack: Pack, *, source: str = "",
                  engine: str = "") -> dict[str, Any]:
    """Write the HTML report of an output file; returns the numbers it shows."""
    stats = cohort_stats(output, pack)
    figures = [
        _bar(stats["category"], "Practical category", "category"),
        _bar(stats["cp_class"], "Child-Pugh class", "class"),
        _bar(stats["stage"], "AJCC 8th edition stage group", "stage"),
        _fits_figure(stats, pack),
        _missing_figure(stats),
    ]
    charts = [fig.to_html(full_html=False, include_plotlyjs=(i == 0), config={"responsive": True})
              for i, fig in enumerate(figures)]
    from livertx.cohort.io import write_text_atomic

    write_text_atomic(report, _page(stats, charts, pack, source, engine))
    return stats


def _table(counts: list[tuple[str, int]], total: int, heading: str) -> str:
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{v}</td>"
                   f"<td>{(100 * v / total if total else 0):.1f}%</td></tr>" for k, v in counts)
    return (f"<table><caption>{html.escape(heading)}</caption><thead><tr><th>value</th>"
            f"<th>patients</th><th>share</th></tr></thead><tbody>{rows}</tbody></table>")


def _page(stats: dict[str, Any], charts: list[str], pack: Pack, source: str,
          engine: str) -> str:
    info = pack.info
    assessed = stats["rows"] - stats["rejected"]
    open_rows = dict(stats["category"]).get(OPEN, 0)
    esc = html.escape
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>livertx cohort summary</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; max-width: 70rem; margin: 1rem auto; padding: 0 1rem;
       color: #1a1a1a; }}
.notice {{ border-left: 4px solid #b35806; background: #fdf2e4; padding: .6rem 1rem; }}
table {{ border-collapse: collapse; margin: 1rem 0; }}
caption {{ text-align: left; font-weight: 600; }}
td, th {{ border: 1px solid #ccc; padding: .25rem .6rem; text-align: right; }}
td:first-child, th:first-child {{ text-align: left; }}
.counts td {{ font-size: 1.1rem; }}
</style></head><body>
<h1>Cohort summary</h1>
<p class="notice" role="note"><strong>Educational, not medical advice.</strong>
{esc(info.disclaimer)}</p>
<p class="notice" role="note"><strong>Source and its age:</strong> {esc(info.publisher)},
&ldquo;{esc(info.title)}&rdquo; ({esc(info.review_dates)}). {esc(info.currency_notice)}</p>
<p>Input: <code>{esc(source)}</code>; engine: {esc(engine)}; knowledge pack {esc(info.id)}
{esc(info.version)}.</p>
<table class="counts"><caption>Counts</caption><tbody>
<tr><td>patients (rows)</td><td id="rows">{stats['rows']}</td></tr>
<tr><td>rejected rows (see the <code>error</code> column)</td>
<td id="rejected">{stats['rejected']}</td></tr>
<tr><td>assessed</td><td id="assessed">{assessed}</td></tr>
<tr><td>category left open (more information needed)</td><td id="open">{open_rows}</td></tr>
</tbody></table>
{_table(stats['category'], assessed, 'Practical category (assessed patients)')}
{charts[0]}
{_table(stats['cp_class'], assessed, 'Child-Pugh class')}
{charts[1]}
{_table(stats['stage'], assessed, 'AJCC stage group')}
{charts[2]}
{charts[3]}
{_table(stats['missing'], assessed, 'Most common missing inputs')}
{charts[4]}
<p><small>Made by livertx from the pack's decision tables; each row of the output file has
the reasons' rule ids in its <code>rule_*</code> columns.</small></p>
</body></html>
"""


__all__ = ["cohort_stats", "write_summary"]
