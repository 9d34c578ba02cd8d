"""Safety invariants of the 2017 pack, checked over assessed patients (issue 9).

Each invariant is a harmful answer that must never appear: a treatment offered as a main
option (or offered at all) in a situation where it would harm the person. They read the
cohort output columns (the vocabulary, the derived values and `fit_<option>`), so the same
check runs over a `livertx cohort` output, a frame from `livertx.engine.frames`, or a
table a registry produced with the generated SQL. A violation count above zero is a defect.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

OFFERED = ("primary", "alternative")


@dataclass(frozen=True)
class Invariant:
    id: str
    words: str
    violated: pl.Expr  # true on a row that breaks the invariant


def _fit(option: str) -> pl.Expr:
    return pl.col(f"fit_{option}")


def _primary(*options: str) -> pl.Expr:
    return pl.any_horizontal([_fit(o) == "primary" for o in options])


def _offered(*options: str) -> pl.Expr:
    return pl.any_horizontal([_fit(o).is_in(OFFERED) for o in options])


INVARIANTS: tuple[Invariant, ...] = (
    Invariant("SAFE-INV.01", "surgery is never a main option with Child-Pugh B or C, or with "
              "lab values that rule out class A",
              _primary("partial_hepatectomy")
              & (pl.col("cp_class").is_in(["B", "C"]) | (pl.col("liver_healthy") == False))),
    Invariant("SAFE-INV.02", "regorafenib and nivolumab are never main options with Child-Pugh C",
              _primary("regorafenib", "nivolumab") & (pl.col("cp_class") == "C")),
    Invariant("SAFE-INV.03", "sorafenib is never a main option with Child-Pugh C",
              _primary("sorafenib") & (pl.col("cp_class") == "C")),
    Invariant("SAFE-INV.04", "ablation and embolization are never main options with Child-Pugh C",
              _primary("ablation", "embolization") & (pl.col("cp_class") == "C")),
    Invariant("SAFE-INV.05", "a transplant is never a main option with invasion of adjacent "
              "organs, or outside Milan",
              _primary("liver_transplant")
              & (pl.col("adjacent_organ_invasion") | (pl.col("milan") != True))),
    Invariant("SAFE-INV.06", "ablation is never a main option with more than 3 tumours or a "
              "major vein involved or not ruled out",
              _primary("ablation")
              & ((pl.col("tumor_count") > 3)
                 # not ruled out: neither "no major vein" nor "no vascular invasion" given
                 | (pl.col("major_vascular_invasion").fill_null(True)
                    & pl.col("vascular_invasion").fill_null(True)))),
    Invariant("SAFE-INV.07", "surgery and transplant are never offered with spread to lymph "
              "nodes or distant organs (N1 or M1)",
              _offered("partial_hepatectomy", "liver_transplant")
              & ((pl.col("lymph_node_spread") == True)
                 | (pl.col("distant_spread") == True))),
    Invariant("SAFE-INV.08", "surgery and transplant are never offered to someone not fit for "
              "surgery",
              _offered("partial_hepatectomy", "liver_transplant")
              & (pl.col("fit_for_surgery") == False)),
)


def violation_counts(frame: pl.LazyFrame | pl.DataFrame) -> dict[str, int]:
    """How many rows break each invariant (all zero when the answers are safe)."""
    lazy = frame.lazy() if isinstance(frame, pl.DataFrame) else frame
    counts = lazy.select(**{i.id: i.violated.fill_null(False).sum() for i in INVARIANTS}
                         ).collect()
    return {i.id: int(counts[i.id][0]) for i in INVARIANTS}


def violating_rows(frame: pl.DataFrame, invariant: Invariant, limit: int = 3) -> pl.DataFrame:
    """A few rows that break an invariant, to show in a failure message."""
    return frame.filter(invariant.violated.fill_null(False)).head(limit)


__all__ = ["INVARIANTS", "Invariant", "violating_rows", "violation_counts"]
