"""AJCC Cancer Staging Manual, 8th edition (2017), liver: hepatocellular carcinoma.

T1a solitary <= 2 cm; T1b solitary > 2 cm without vascular invasion; T2 solitary > 2 cm
with vascular invasion, or multiple none > 5 cm; T3 multiple, at least one > 5 cm;
T4 a major branch of the portal or hepatic vein, or adjacent organs (other than the
gallbladder) or visceral peritoneum. Stage: IA T1a N0 M0, IB T1b N0 M0, II T2 N0 M0,
IIIA T3 N0 M0, IIIB T4 N0 M0, IVA any T N1 M0, IVB any T any N M1.
A branch is taken only when its condition is known to hold, so unknown stays unknown.
"""

from __future__ import annotations

import polars as pl

from livertx.scores.labels import label

T1A_MAX_CM = 2.0
T3_MIN_CM = 5.0  # multiple tumors, at least one larger than this


T_CATEGORIES = ("T1a", "T1b", "T2", "T3", "T4")
STAGE_GROUPS = ("IA", "IB", "II", "IIIA", "IIIB", "IVA", "IVB")
STAGE_BY_T = dict(zip(T_CATEGORIES, STAGE_GROUPS))  # T1a IA, T1b IB, T2 II, T3 IIIA, T4 IIIB
_IVA, _IVB = STAGE_GROUPS.index("IVA"), STAGE_GROUPS.index("IVB")
_CODE = pl.UInt8


def _code(label_: str) -> pl.Expr:
    return pl.lit(T_CATEGORIES.index(label_), _CODE)


def t_code_expression() -> pl.Expr:
    """Index of the T category in `T_CATEGORIES` (null when unknown); its index is also the
    local stage's index in `STAGE_GROUPS`."""
    count, size, invasion = (pl.col("tumor_count"), pl.col("largest_tumor_cm"),
                             pl.col("vascular_invasion"))
    single = (count == 1) & ~pl.col("spread_throughout_liver")
    several = (count > 1) | pl.col("spread_throughout_liver")
    return (pl.when(pl.col("major_vascular_invasion") | pl.col("adjacent_organ_invasion"))
            .then(_code("T4"))
            .when(several & (size > T3_MIN_CM)).then(_code("T3"))
            .when(several & (size <= T3_MIN_CM)).then(_code("T2"))
            .when(single & (size <= T1A_MAX_CM)).then(_code("T1a"))
            .when(single & (size > T1A_MAX_CM) & invasion).then(_code("T2"))
            .when(single & (size > T1A_MAX_CM) & ~invasion).then(_code("T1b"))
            .otherwise(None))


def t_expression(t_code: pl.Expr) -> pl.Expr:
    """T category label from `t_code_expression`."""
    return label(t_code, T_CATEGORIES)


def n_expression() -> pl.Expr:
    return label(pl.col("lymph_node_spread").cast(_CODE), ("N0", "N1"))


def m_expression() -> pl.Expr:
    return label(pl.col("distant_spread").cast(_CODE), ("M0", "M1"))


def stage_expression(t_code: pl.Expr) -> pl.Expr:
    """Stage group from the T code and the N and M facts (M1 wins; N1 with M0; else local)."""
    n, m = pl.col("lymph_node_spread"), pl.col("distant_spread")
    code = (pl.when(m).then(pl.lit(_IVB, _CODE))
            .when(~m & n).then(pl.lit(_IVA, _CODE))
            .when(~m & ~n).then(t_code)
            .otherwise(None))
    return label(code, STAGE_GROUPS)
