"""Child-Pugh points, score and class as Polars expressions (unknown in, unknown out).

Thresholds: Pugh RN et al., Br J Surg 1973;60:646-9, as tabled by the MSD Manual
(bilirubin <2 / 2-3 / >3 mg/dL; albumin >3.5 / 2.8-3.5 / <2.8 g/dL; INR <1.7 / 1.7-2.3 / >2.3).
Some calculators cut INR at 2.2 or albumin at 3.0 g/dL; livertx keeps the values above.
Class A is 5-6 points, B 7-9, C 10-15.

Partly known labs still fix the class when every completion falls in one class: the
score's lowest and highest possible values are computed (unknown item = 1 or 3 points).
"""

from __future__ import annotations

import polars as pl

ITEMS = ("bilirubin", "albumin", "inr", "ascites", "encephalopathy")
POINT_COLUMNS = tuple(f"cp_points_{item}" for item in ITEMS)

BILIRUBIN_MG_DL = (2.0, 3.0)  # 1 point below 2; 3 points above 3
ALBUMIN_G_DL = (2.8, 3.5)  # 1 point above 3.5; 3 points below 2.8
INR = (1.7, 2.3)  # 1 point below 1.7; 3 points above 2.3
CLASS_A_MAX, CLASS_B_MAX = 6, 9

_POINTS = pl.Int8


def _rising(column: str, low: float, high: float) -> pl.Expr:
    """1 below `low`, 2 from low to high inclusive, 3 above `high`; null stays null."""
    x = pl.col(column)
    return (pl.when(x < low).then(1).when(x <= high).then(2).when(x > high).then(3)
            .otherwise(None).cast(_POINTS))


def _falling(column: str, low: float, high: float) -> pl.Expr:
    """1 above `high`, 2 from low to high inclusive, 3 below `low`."""
    x = pl.col(column)
    return (pl.when(x > high).then(1).when(x >= low).then(2).when(x < low).then(3)
            .otherwise(None).cast(_POINTS))


def _graded(column: str, grades: dict[str, int]) -> pl.Expr:
    return pl.col(column).replace_strict(grades, default=None, return_dtype=_POINTS)


def point_expressions() -> dict[str, pl.Expr]:
    """Points per item, keyed by output column."""
    return {
        "cp_points_bilirubin": _rising("bilirubin", *BILIRUBIN_MG_DL),
        "cp_points_albumin": _falling("albumin", *ALBUMIN_G_DL),
        "cp_points_inr": _rising("inr", *INR),
        "cp_points_ascites": _graded("ascites", {"none": 1, "slight": 2, "moderate": 3,
                                                 "severe": 3}),
        "cp_points_encephalopathy": _graded("encephalopathy", {"none": 1, "grade_1_2": 2,
                                                               "grade_3_4": 3}),
    }


def class_of(score: pl.Expr) -> pl.Expr:
    return (pl.when(score <= CLASS_A_MAX).then(pl.lit("A")).when(score <= CLASS_B_MAX)
            .then(pl.lit("B")).when(score > CLASS_B_MAX).then(pl.lit("C")).otherwise(None))


def score_expressions() -> dict[str, pl.Expr]:
    """Score, effective class and where the class came from; needs the point columns."""
    points = [pl.col(c) for c in POINT_COLUMNS]
    lowest = pl.sum_horizontal([p.fill_null(1) for p in points])
    highest = pl.sum_horizontal([p.fill_null(3) for p in points])
    labs_class = pl.when(class_of(lowest) == class_of(highest)).then(class_of(lowest))
    given = pl.col("child_pugh_class")
    score = pl.when(pl.all_horizontal([p.is_not_null() for p in points])).then(
        pl.sum_horizontal(points)).cast(_POINTS)
    return {
        "cp_score": score,
        "cp_class": pl.coalesce(labs_class, given),
        "cp_class_from": (pl.when(labs_class.is_not_null()).then(pl.lit("labs"))
                          .when(given.is_not_null()).then(pl.lit("given"))),
        "cp_conflict": (labs_class.is_not_null() & given.is_not_null()
                        & (labs_class != given)),
    }
