"""Category candidates for the open rows of a cohort, computed once per distinct key.

An open row's candidates depend only on its key (see `plan.KeyPart`), so the distinct
keys are enumerated together in one table: each unknown fact behind the category table is
tried at the values `livertx.engine.rows.probe_values` gives, Child-Pugh at the
classes the known labs allow, contradictions are dropped, and the category table is
evaluated once over all combinations. This is the batch, enumerating form of
`livertx.engine.search.category_candidates` (ids only); the differential test checks
that both give the same ids.
"""

from __future__ import annotations

import polars as pl

from livertx.cohort.plan import CANDIDATE_MASK, CANDIDATES, KEY, CohortPlan, KeyPart
from livertx.compiler.parse import parse
from livertx.compiler.polars import compile_polars
from livertx.engine.conditions import (
    DERIVED_INPUTS,
    columns_of,
    direct_child_pugh_labs,
    facts_behind,
    uses_child_pugh_class,
)
from livertx.engine.frames import evaluate_category
from livertx.engine.rows import POSSIBLE, candidate_thresholds, probe_values
from livertx.frame import COLUMN_SCHEMA
from livertx.knowledge.pack import Pack
from livertx.vocabulary import FIELD_BY_NAME

_CLASSES = ("A", "B", "C")


def _possible() -> pl.Expr:
    """`livertx.engine.rows.POSSIBLE`: drop rejected contradictions."""
    return compile_polars(parse(POSSIBLE))


def representatives(keys: pl.Series, plan: CohortPlan) -> pl.DataFrame:
    """One row of vocabulary values per key, decoded from the key itself.

    Each coded value stands for its whole class: a threshold itself, a number between two
    thresholds, a boolean or unknown; Child-Pugh is given as its class when known (labs
    left out), otherwise as the range of classes the labs allowed (`_lo`, `_hi`).
    """
    frame = pl.DataFrame({KEY: keys.cast(pl.Int64)})
    columns: dict[str, pl.Expr] = {}
    scale = 1
    for part in plan.key_parts:
        code = (pl.col(KEY) // scale) % part.radix
        scale *= part.radix
        columns[part.name] = _decoded(part, code)
    frame = frame.with_columns(**columns)
    return frame.select(
        KEY, *[(columns_or_null(frame, n)).cast(t).alias(n) for n, t in COLUMN_SCHEMA.items()
               if n != "child_pugh_class"],
        pl.col("cp_class").alias("child_pugh_class"),
        _open_cp=pl.col("cp_class").is_null(), _lo=pl.col("cp_low"), _hi=pl.col("cp_high"))


def columns_or_null(frame: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name) if name in frame.columns else pl.lit(None)


def _decoded(part: KeyPart, code: pl.Expr) -> pl.Expr:
    if part.kind == "bool":
        return pl.when(code == 2).then(None).otherwise(code == 1)
    if part.kind in ("enum", "cp_class"):
        values = list(part.values)
        return code.replace_strict(dict(enumerate(values)), default=None,
                                   return_dtype=pl.String)
    if part.kind == "bucket":
        cuts = list(part.values)
        integer = FIELD_BY_NAME[part.name].type == "int"
        value = pl.lit(None, pl.Float64)
        for j, cut in enumerate(cuts):
            below = cut - 1 if integer else (cut / 2 if j == 0 else (cuts[j - 1] + cut) / 2)
            value = pl.when(code == 2 * j).then(below).when(code == 2 * j + 1).then(cut) \
                .otherwise(value)
        above = cuts[-1] + 1
        return pl.when(code == part.radix - 1).then(None).when(code == 2 * len(cuts)) \
            .then(above).otherwise(value)
    return code  # cp_low / cp_high: class index


def candidates_for_keys(keys: pl.Series, plan: CohortPlan, pack: Pack) -> pl.DataFrame:
    """`KEY` -> the candidate category ids (a list, and as `CANDIDATE_MASK` a bit per
    category in table order), for each distinct key of open rows."""
    if keys.is_empty():
        return pl.DataFrame(schema={KEY: pl.Int64, CANDIDATES: pl.List(pl.String),
                                    CANDIDATE_MASK: pl.UInt16})
    rules = pack.category_table.rules
    columns = frozenset().union(*(columns_of(r.when) for r in rules))
    thresholds = candidate_thresholds(pack)
    frame = representatives(keys.unique(), plan).lazy()
    if uses_child_pugh_class(columns):  # the tried class stands in for undecided labs
        classes = pl.lit(pl.Series([list(_CLASSES)]))
        tried = classes.list.slice(pl.col("_lo"), pl.col("_hi") - pl.col("_lo") + 1)
        frame = frame.with_columns(
            child_pugh_class=pl.when("_open_cp").then(tried)
            .otherwise(pl.concat_list(pl.col("child_pugh_class")))).explode("child_pugh_class")
    direct = direct_child_pugh_labs(columns)
    for fact in sorted(facts_behind(columns)):
        if fact in DERIVED_INPUTS["cp_class"] and fact not in direct:
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
               .with_columns(_order=pl.col("category").replace_strict(order, return_dtype=pl.Int8),
                             _bit=pl.col("category").replace_strict(
                                 {c: 1 << i for c, i in order.items()}, return_dtype=pl.UInt16))
               .sort(KEY, "_order")
               .group_by(KEY, maintain_order=True).agg(
                   pl.col("category").alias(CANDIDATES),
                   pl.col("_bit").sum().cast(pl.UInt16).alias(CANDIDATE_MASK)))
    return reached.collect()


__all__ = ["candidates_for_keys", "representatives"]
