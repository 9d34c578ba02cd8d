"""The categories an open case could still fall into, and what each one requires.

Exact by enumeration: every unknown fact the category table depends on is tried at
each of its values (both booleans, each enumeration value, numbers on each side of the
thresholds the tables and scores use), impossible combinations are dropped, and the
category is evaluated for all combinations at once. Child-Pugh is tried as its class,
limited to the classes the known labs still allow.
"""

from __future__ import annotations

import itertools
from typing import Any

import polars as pl

from livertx.engine.conditions import (
    DERIVED_INPUTS,
    columns_of,
    facts_behind,
    thresholds_of,
    uses_child_pugh_class,
)
from livertx.engine.evaluate import compile_pack
from livertx.frame import COLUMN_SCHEMA, collect_small
from livertx.knowledge.pack import Pack
from livertx.scores import derive
from livertx.scores.child_pugh import CLASS_A_MAX, CLASS_B_MAX
from livertx.scores.milan import SEVERAL_MAX_CM, SEVERAL_MAX_COUNT, SINGLE_MAX_CM
from livertx.scores.tnm import T1A_MAX_CM, T3_MIN_CM
from livertx.vocabulary import FIELD_BY_NAME

# Thresholds the derived values use, beside those the tables state.
SCORE_THRESHOLDS: dict[str, set[float]] = {
    "largest_tumor_cm": {T1A_MAX_CM, SEVERAL_MAX_CM, SINGLE_MAX_CM, T3_MIN_CM},
    "tumor_count": {1, 2, SEVERAL_MAX_COUNT},
}
_STEP = {"largest_tumor_cm": 0.5, "tumor_count": 1}
MAX_COMBINATIONS = 200_000
CP_LAB_INPUTS = DERIVED_INPUTS["cp_class"][1:]


def probe_values(fact: str, thresholds: set[float]) -> list[Any]:
    spec = FIELD_BY_NAME[fact]
    if spec.type == "bool":
        return [True, False]
    if spec.type == "enum":
        return list(spec.values)
    step = _STEP.get(fact, 0.01)
    low = spec.minimum + (step if spec.exclusive_minimum else 0)  # type: ignore[operator]
    values = {low} | {t for t in thresholds} | {t + step for t in thresholds}
    values = {v for v in values if low <= v <= spec.maximum}  # type: ignore[operator]
    return sorted(int(v) if spec.type == "int" else float(v) for v in values)


def class_range(row: dict[str, Any]) -> list[str]:
    """The classes the known Child-Pugh items still allow."""
    points = [row.get(f"cp_points_{item}") for item in CP_LAB_INPUTS]
    low = sum(p if p is not None else 1 for p in points)
    high = sum(p if p is not None else 3 for p in points)

    def cls(score: int) -> int:
        return 0 if score <= CLASS_A_MAX else 1 if score <= CLASS_B_MAX else 2

    return ["A", "B", "C"][cls(low):cls(high) + 1]


def probe_frame(row: dict[str, Any], pack: Pack) -> tuple[pl.DataFrame, list[str]]:
    """Every combination of values of the unknown facts the category rests on."""
    rules = pack.category_table.rules
    columns = frozenset().union(*(columns_of(r.when) for r in rules))
    thresholds: dict[str, set[float]] = {k: set(v) for k, v in SCORE_THRESHOLDS.items()}
    for table in pack.tables:
        for r in table.rules:
            for col, values in thresholds_of(r.when).items():
                thresholds.setdefault(col, set()).update(values)
    facts = sorted(f for f in facts_behind(columns) if row.get(f) is None)
    dimensions: dict[str, list[Any]] = {}
    if row.get("cp_class") is None and uses_child_pugh_class(columns):
        dimensions["child_pugh_class"] = class_range(row)
    for fact in facts:
        if fact in DERIVED_INPUTS["cp_class"]:
            continue
        dimensions[fact] = probe_values(fact, thresholds.get(fact, set()))
    names = list(dimensions)
    combos = list(itertools.product(*dimensions.values()))[:MAX_COMBINATIONS]
    base = {k: v for k, v in row.items() if k in FIELD_BY_NAME}
    data = {k: [base[k]] * len(combos) for k in base}
    for i, name in enumerate(names):
        data[name] = [c[i] for c in combos]
    if "child_pugh_class" in dimensions:  # the tried class stands in for undecided labs
        for lab in CP_LAB_INPUTS:
            data[lab] = [None] * len(combos)
    return pl.DataFrame(data, schema=COLUMN_SCHEMA).filter(_possible()), names


def categories_query(frame: pl.LazyFrame, pack: Pack) -> pl.LazyFrame:
    """The category of every probe row."""
    table = compile_pack(pack).category
    return derive(frame).with_columns(**table.conditions()).with_columns(table.outcome())


def summarise_candidates(result: pl.DataFrame, names: list[str], pack: Pack) -> list[dict[str, Any]]:
    """Reachable categories in table order, each with what it requires."""
    order = [r.outcome for r in pack.category_table.rules]
    return sorted(_summarise(result, names), key=lambda c: order.index(c["id"]))


def category_candidates(row: dict[str, Any], pack: Pack) -> list[dict[str, Any]]:
    """Each reachable category with the values of the unknown inputs it requires."""
    frame, names = probe_frame(row, pack)
    result = (categories_query(frame.lazy(), pack).select([*names, "category"])
              .pipe(collect_small))
    return summarise_candidates(result, names, pack)


def _order(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, (int, float)) else (1, str(value))


def _possible() -> pl.Expr:
    """Drop combinations the vocabulary rejects as contradictions."""
    spread, count = pl.col("spread_throughout_liver"), pl.col("tumor_count")
    vessel = pl.col("vascular_invasion")
    return (~(spread & (count <= 3)).fill_null(False)
            & ~(pl.col("major_vascular_invasion") & ~vessel).fill_null(False))


def _summarise(result: pl.DataFrame, names: list[str]) -> list[dict[str, Any]]:
    out = []
    for (category,), group in result.group_by(["category"], maintain_order=True):
        if category is None:
            continue
        requires: dict[str, Any] = {}
        for name in names:
            values = sorted(set(group[name].to_list()), key=_order)
            every = sorted(set(result[name].to_list()), key=_order)
            if len(values) < len(every):
                requires[name] = _requirement(values, every)
        out.append({"id": category, "requires": requires})
    return out


def _requirement(reaching: list[Any], every: list[Any]) -> Any:
    """One value, a bound ("at_most"/"more_than") for numbers, or the list of values."""
    if len(reaching) == 1:
        return reaching[0]
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in every):
        k = len(reaching)
        if reaching == every[:k]:
            return {"at_most": reaching[-1]}
        if reaching == every[-k:]:
            return {"more_than": every[-k - 1]}
    return reaching
