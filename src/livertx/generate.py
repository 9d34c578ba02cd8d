"""Seeded synthetic patients for validation, benchmarks and differential tests.

Values cluster on the thresholds the scores and tables use (2, 3 and 5 cm; lab cut-offs),
so that edges are exercised; facts are left unknown at `unknown_rate`. No contradictions
are generated (a major vein implies vascular invasion; diffuse spread implies > 3 tumors;
a recurrence site only for a cancer that came back).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from livertx.frame import COLUMN_SCHEMA
from livertx.vocabulary import FIELDS, PRIOR_SYSTEMIC, PRIOR_SYSTEMIC_OUTCOMES

_SIZES = np.array([0.5, 1.0, 1.9, 2.0, 2.1, 2.9, 3.0, 3.1, 4.0, 4.9, 5.0, 5.1, 6.5, 8.0, 12.0, 30.0])
_BILIRUBIN = np.array([0.4, 1.0, 1.99, 2.0, 2.5, 3.0, 3.01, 4.5, 9.0])
_ALBUMIN = np.array([4.5, 3.6, 3.51, 3.5, 3.1, 2.8, 2.79, 2.2])
_INR = np.array([1.0, 1.5, 1.69, 1.7, 2.0, 2.3, 2.31, 3.0])
_COUNTS = np.array([1, 1, 1, 2, 3, 4, 5, 8])
_SHARES = np.array([0.3, 0.5, 0.8, 1.0])  # each other tumor, as a share of the largest
_AFP = np.array([3.0, 20.0, 399.0, 400.0, 999.0, 1000.0, 25000.0])
_CREATININE = np.array([0.5, 1.0, 1.6, 3.9, 4.0, 4.1, 9.0])
_SODIUM = np.array([118.0, 125.0, 130.0, 137.0, 141.0])


def generate_patients(n: int, *, seed: int = 0, unknown_rate: float = 0.1) -> pl.DataFrame:
    """`n` patients in the vocabulary's column schema."""
    rng = np.random.default_rng(seed)
    columns: dict[str, np.ndarray] = {
        "tumor_count": rng.choice(_COUNTS, n),
        "largest_tumor_cm": rng.choice(_SIZES, n),
        "vascular_invasion": rng.random(n) < 0.2,
        "lymph_node_spread": rng.random(n) < 0.12,
        "distant_spread": rng.random(n) < 0.12,
        "cirrhosis": rng.random(n) < 0.7,
        "bilirubin": rng.choice(_BILIRUBIN, n),
        "albumin": rng.choice(_ALBUMIN, n),
        "inr": rng.choice(_INR, n),
        "ascites": rng.choice(np.array(["none", "none", "slight", "moderate", "severe"]), n),
        "encephalopathy": rng.choice(np.array(["none", "none", "grade_1_2", "grade_3_4"]), n),
        "child_pugh_class": rng.choice(np.array(["A", "B", "C"]), n),
        "fit_for_surgery": rng.random(n) < 0.6,
        "ecog": rng.integers(0, 5, n),
        "recurrence_site": rng.choice(np.array(["liver", "distant"]), n),
        "sorafenib_status": rng.choice(np.array(["never", "ongoing", "stopped_working",
                                                 "not_tolerated"]), n),
    }
    qualifier_rates = {"major_vascular_invasion": 0.05, "adjacent_organ_invasion": 0.04,
                       "spread_throughout_liver": 0.05, "hard_to_remove_location": 0.1,
                       "near_major_structures": 0.1, "recurrent": 0.12, "wants_treatment": 0.93}
    for name, rate in qualifier_rates.items():
        columns[name] = rng.random(n) < rate
    # Fields of current guidance, drawn after the 2017 ones (the 2017 columns of a seed
    # stay as they were).
    columns.update({
        "total_tumor_cm": columns["largest_tumor_cm"]
        * (1 + (columns["tumor_count"] - 1) * rng.choice(_SHARES, n)),
        "afp": rng.choice(_AFP, n),
        "portal_hypertension": rng.random(n) < 0.4,
        "transplant_candidate": rng.random(n) < 0.4,
        "prior_systemic": rng.choice(np.array(PRIOR_SYSTEMIC), n),
        "prior_systemic_outcome": rng.choice(np.array(PRIOR_SYSTEMIC_OUTCOMES), n),
        "creatinine": rng.choice(_CREATININE, n),
        "sodium": rng.choice(_SODIUM, n),
        "ecog_due_to_other_illness": rng.random(n) < 0.1,
        "dialysis": rng.random(n) < 0.05,
    })
    frame = pl.DataFrame(columns)
    for spec in FIELDS:
        if spec.kind == "fact":
            hidden = pl.Series(rng.random(n) < unknown_rate)
            frame = frame.with_columns(
                pl.when(hidden).then(None).otherwise(pl.col(spec.name)).alias(spec.name))
    return _consistent(frame).select(
        [pl.col(name).cast(dtype) for name, dtype in COLUMN_SCHEMA.items()])


def _consistent(frame: pl.DataFrame) -> pl.DataFrame:
    """Remove generated contradictions the vocabulary rejects."""
    return frame.with_columns(
        vascular_invasion=pl.when(pl.col("major_vascular_invasion")).then(True)
        .otherwise(pl.col("vascular_invasion")),
        spread_throughout_liver=pl.col("spread_throughout_liver")
        & (pl.col("tumor_count").is_null() | (pl.col("tumor_count") > 3)),
        recurrence_site=pl.when(pl.col("recurrent")).then(pl.col("recurrence_site")),
        # a medicine's outcome only with a medicine; prior_systemic left unknown where it
        # would contradict the sorafenib status drawn above
        prior_systemic_outcome=pl.when(pl.col("prior_systemic") != "none")
        .then(pl.col("prior_systemic_outcome")),
    ).with_columns(prior_systemic=pl.when(_contradicts_sorafenib()).then(None)
                   .otherwise(pl.col("prior_systemic")))


def _contradicts_sorafenib() -> pl.Expr:
    from livertx.cohort.checks import CONTRADICTIONS
    from livertx.compiler.parse import parse
    from livertx.compiler.polars import compile_polars

    return compile_polars(parse(CONTRADICTIONS[-1][0])).fill_null(False)
