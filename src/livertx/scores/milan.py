"""The Milan criteria, the transplant size rule the 2017 source gives.

Mazzaferro V et al., N Engl J Med 1996;334:693-9: one tumor up to 5 cm, or 2-3 tumors
none over 3 cm; no vascular invasion; no spread outside the liver. DESIGN.md adds: no
invasion of adjacent organs (AJCC T4), which is not a small cancer confined to the liver. Kleene logic keeps
unknown inputs unknown unless a known input already decides.
"""

from __future__ import annotations

import polars as pl

SINGLE_MAX_CM = 5.0
SEVERAL_MAX_COUNT = 3
SEVERAL_MAX_CM = 3.0


def milan_expression() -> pl.Expr:
    count, size = pl.col("tumor_count"), pl.col("largest_tumor_cm")
    sizes_fit = (((count == 1) & (size <= SINGLE_MAX_CM))
                 | ((count >= 2) & (count <= SEVERAL_MAX_COUNT) & (size <= SEVERAL_MAX_CM)))
    return (sizes_fit & ~pl.col("spread_throughout_liver") & ~pl.col("vascular_invasion")
            & ~pl.col("adjacent_organ_invasion") & ~pl.col("lymph_node_spread") & ~pl.col("distant_spread"))
