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

T1A_MAX_CM = 2.0
T3_MIN_CM = 5.0  # multiple tumors, at least one larger than this


def t_expression() -> pl.Expr:
    count, size, invasion = (pl.col("tumor_count"), pl.col("largest_tumor_cm"),
                             pl.col("vascular_invasion"))
    single = (count == 1) & ~pl.col("spread_throughout_liver")
    several = (count > 1) | pl.col("spread_throughout_liver")
    return (pl.when(pl.col("major_vascular_invasion") | pl.col("adjacent_organ_invasion"))
            .then(pl.lit("T4"))
            .when(several & (size > T3_MIN_CM)).then(pl.lit("T3"))
            .when(several & (size <= T3_MIN_CM)).then(pl.lit("T2"))
            .when(single & (size <= T1A_MAX_CM)).then(pl.lit("T1a"))
            .when(single & (size > T1A_MAX_CM) & invasion).then(pl.lit("T2"))
            .when(single & (size > T1A_MAX_CM) & ~invasion).then(pl.lit("T1b"))
            .otherwise(None))


def n_expression() -> pl.Expr:
    spread = pl.col("lymph_node_spread")
    return pl.when(spread).then(pl.lit("N1")).when(~spread).then(pl.lit("N0")).otherwise(None)


def m_expression() -> pl.Expr:
    spread = pl.col("distant_spread")
    return pl.when(spread).then(pl.lit("M1")).when(~spread).then(pl.lit("M0")).otherwise(None)


STAGE_BY_T = {"T1a": "IA", "T1b": "IB", "T2": "II", "T3": "IIIA", "T4": "IIIB"}


def stage_expression() -> pl.Expr:
    """Stage group from the T, N and M columns."""
    t, n, m = pl.col("t_category"), pl.col("n_category"), pl.col("m_category")
    local = t.replace_strict(STAGE_BY_T, default=None, return_dtype=pl.String)
    return (pl.when(m == "M1").then(pl.lit("IVB"))
            .when((m == "M0") & (n == "N1")).then(pl.lit("IVA"))
            .when((m == "M0") & (n == "N0")).then(local)
            .otherwise(None))
