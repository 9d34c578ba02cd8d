"""Derived values as vectorised Polars expressions: Child-Pugh, Milan, AJCC 8th TNM."""

from __future__ import annotations

import functools

import polars as pl

from livertx.scores.child_pugh import (
    HELPER_COLUMNS,
    bound_expressions,
    class_expressions,
    labs_class_expression,
    point_expressions,
)
from livertx.scores.milan import milan_expression
from livertx.scores.tnm import (
    m_expression,
    n_expression,
    stage_expression,
    t_code_expression,
    t_expression,
)

DERIVED_COLUMNS: tuple[str, ...] = (
    "cp_points_bilirubin", "cp_points_albumin", "cp_points_inr", "cp_points_ascites",
    "cp_points_encephalopathy", "cp_score", "cp_class", "cp_class_from", "cp_conflict",
    "liver_healthy", "milan", "t_category", "n_category", "m_category", "stage_group",
)


def apply_implications(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Implications between fields, applied before any score or rule (see DESIGN.md)."""
    return frame.with_columns(**_stages()[0])


@functools.cache
def _stages() -> tuple[dict[str, pl.Expr], ...]:
    """The expressions of each stage, built once (building costs more than one row).
    Categories travel as small integer codes and become labels once (strings are slow):
    `t_category` holds the T code until the third stage turns it into its label."""
    t_code = pl.col("t_category")
    return (
        {"vascular_invasion": pl.when(pl.col("major_vascular_invasion")).then(True)
         .otherwise(pl.col("vascular_invasion")),
         "recurrent": pl.col("recurrent") | pl.col("recurrence_site").is_not_null()},
        {**point_expressions(), "milan": milan_expression(),
         "t_category": t_code_expression(),
         "n_category": n_expression(), "m_category": m_expression()},
        {**bound_expressions(), "t_category": t_expression(t_code),
         "stage_group": stage_expression(t_code)},
        labs_class_expression(),
        class_expressions(),
    )


def derive(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Add every derived column to a table of patients in the vocabulary."""
    for stage in _stages():
        frame = frame.with_columns(**stage)
    return frame.drop(HELPER_COLUMNS)


__all__ = ["DERIVED_COLUMNS", "apply_implications", "derive"]
