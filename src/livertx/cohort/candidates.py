"""Category candidates for the open rows of a cohort, computed once per distinct key.

An open row's candidates depend only on its key (see `plan.KeyPart`), so the distinct
keys are enumerated together in one table: each unknown fact behind the category table is
tried at the values `livertx.engine.candidates.probe_values` gives, Child-Pugh at the
classes the known labs allow, contradictions are dropped, and the category table is
evaluated once over all combinations. This is the batch form of
`livertx.engine.candidates.category_candidates` (ids only); the differential test checks
that both give the same ids.
"""

from __future__ import annotations

import polars as pl

from livertx.cohort.plan import CANDIDATES, KEY, CohortPlan, candidate_thresholds
from livertx.engine.candidates import probe_values
from livertx.engine.conditions import CHILD_PUGH_LABS, DERIVED_INPUTS, columns_of, facts_behind
from livertx.engine.evaluate import evaluate_category
from livertx.frame import COLUMN_SCHEMA
from livertx.knowledge.pack import Pack
from livertx.scores.child_pugh import CLASS_A_MAX, CLASS_B_MAX
from livertx.vocabulary import FIELD_BY_NAME

_CLASSES = ("A", "B", "C")


def _class_index(score: pl.Expr) -> pl.Expr:
    return (score > CLASS_A_MAX).cast(pl.Int8) + (score > CLASS_B_MAX).cast(pl.Int8)


def _possible() -> pl.Expr:
    """Twin of `livertx.engine.candidates._possible`: drop rejected contradictions."""
    spread, count = pl.col("spread_throughout_liver"), pl.col("tumor_count")
    vessel = pl.col("vascular_invasion")
    return (~(spread & (count <= 3)).fill_null(False)
            & ~(pl.col("major_vascular_invasion") & ~vessel).fill_null(False))


def candidates_for_keys(representatives: pl.DataFrame, plan: CohortPlan,
                        pack: Pack) -> pl.DataFrame:
    """`KEY` -> list of candidate category ids, for one representative open row per key.

    `representatives` holds `KEY`, the vocabulary columns (after the implications) and the
    Child-Pugh point columns.
    """
    if representatives.is_empty():
        return pl.DataFrame(schema={KEY: pl.Int64, CANDIDATES: pl.List(pl.String)})
    rules = pack.category_table.rules
    columns = frozenset().union(*(columns_of(r.when) for r in rules))
    thresholds = candidate_thresholds(pack)
    points = [pl.col(f"cp_points_{lab}") for lab in CHILD_PUGH_LABS]
    low = _class_index(pl.sum_horizontal([p.fill_null(1) for p in points]))
    high = _class_index(pl.sum_horizontal([p.fill_null(3) for p in points]))
    frame = representatives.lazy().select(
        KEY, *[pl.col(n).cast(t) for n, t in COLUMN_SCHEMA.items()],
        _open_cp=pl.col("cp_class").is_null(), _lo=low, _hi=high)
    if "cp_class" in columns:  # the tried class stands in for undecided labs
        classes = pl.lit(pl.Series([list(_CLASSES)]))
        tried = classes.list.slice(pl.col("_lo"), pl.col("_hi") - pl.col("_lo") + 1)
        frame = frame.with_columns(
            child_pugh_class=pl.when("_open_cp").then(tried)
            .otherwise(pl.concat_list(pl.col("child_pugh_class")))).explode("child_pugh_class")
        frame = frame.with_columns(
            [pl.when("_open_cp").then(None).otherwise(pl.col(lab)).alias(lab)
             for lab in DERIVED_INPUTS["cp_class"][1:]])
    for fact in sorted(facts_behind(columns)):
        if fact in DERIVED_INPUTS["cp_class"]:
            continue
        dtype = COLUMN_SCHEMA[fact]
        probes = pl.lit(pl.Series([probe_values(fact, thresholds.get(fact, set()))],
                                  dtype=pl.List(dtype)))
        frame = frame.with_columns(
            pl.when(pl.col(fact).is_null()).then(probes)
            .otherwise(pl.concat_list(pl.col(fact))).alias(fact)).explode(fact)
    frame = frame.filter(_possible()).drop("_open_cp", "_lo", "_hi")
    order = {category: i for i, category in enumerate(plan.categories)}
    reached = (evaluate_category(frame, pack).select(KEY, "category")
               .filter(pl.col("category").is_not_null()).unique()
               .with_columns(_order=pl.col("category").replace_strict(order, return_dtype=pl.Int8))
               .sort(KEY, "_order")
               .group_by(KEY, maintain_order=True).agg(pl.col("category").alias(CANDIDATES)))
    return reached.collect()


__all__ = ["candidates_for_keys", "FIELD_BY_NAME"]
