"""Category candidates for the open rows of a cohort, computed once per distinct key.

An open row's candidates depend only on its key (see `plan.KeyPart`), so each distinct
key stands for one representative row and the keys are searched together
(`livertx.cohort.search`, the batch form of `livertx.engine.search.category_candidates`,
ids only; a key with few combinations is tried in every one, coded straight from its
parts: `livertx.cohort.combinations`); the differential tests check that both give the same ids, and
`tests/test_cohort_candidates.py` that the search gives what trying every combination gives.
"""

from __future__ import annotations

from functools import partial

import polars as pl

from livertx.cohort.plan import CANDIDATE_MASK, CANDIDATES, KEY, CohortPlan, KeyPart
from livertx.cohort.search import key_candidates
from livertx.frame import COLUMN_SCHEMA
from livertx.knowledge.pack import Pack
from livertx.vocabulary import FIELD_BY_NAME


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
    return key_candidates(keys.unique(), partial(representatives, plan=plan), plan, pack)


__all__ = ["candidates_for_keys", "representatives"]
