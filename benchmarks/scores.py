"""Benchmark: derived values (the score library) over a cohort (Polars backend) and for
one patient (Python backend, as `livertx assess` computes them).

Prints what this run measured next to the targets, with the ratio measured/target.
Not a test: it asserts nothing. Run: .venv/bin/python benchmarks/scores.py [patients]
"""

from __future__ import annotations

import random
import statistics
import sys
import time

import polars as pl

from livertx.frame import COLUMN_SCHEMA, with_defaults
from livertx.patient import parse_patient
from livertx.scores import derive, derive_row

COHORT_SIZE = 1_000_000
ONE_PATIENT_RUNS = 200
SEED = 20170101
TARGET_PATIENTS_PER_S = 10_000_000
TARGET_ONE_PATIENT_MS = 1.0

ONE_PATIENT = {
    "tumors": [{"size_cm": 3.2}, {"size_cm": 1.5}], "vascular_invasion": False,
    "lymph_node_spread": False, "distant_spread": False, "cirrhosis": True,
    "bilirubin": "40 umol/L", "albumin": "30 g/L", "inr": 1.4, "ascites": "mild",
    "encephalopathy": 0, "fit_for_surgery": True, "ecog": 1,
}


def cohort(n: int, seed: int) -> pl.DataFrame:
    """n synthetic patients in the vocabulary; each fact is unknown about 10% of the time."""
    rng = random.Random(seed)

    def column(make, unknown: float = 0.10) -> list:
        return [None if rng.random() < unknown else make() for _ in range(n)]

    data = {
        "tumor_count": column(lambda: rng.choice((1, 1, 1, 2, 3, 4, 6))),
        "largest_tumor_cm": column(lambda: round(rng.uniform(0.5, 15.0), 1)),
        "vascular_invasion": column(lambda: rng.random() < 0.2),
        "lymph_node_spread": column(lambda: rng.random() < 0.1),
        "distant_spread": column(lambda: rng.random() < 0.1),
        "bilirubin": column(lambda: round(rng.uniform(0.2, 8.0), 2)),
        "albumin": column(lambda: round(rng.uniform(1.8, 5.0), 2)),
        "inr": column(lambda: round(rng.uniform(0.8, 3.5), 2)),
        "ascites": column(lambda: rng.choice(("none", "none", "slight", "moderate", "severe"))),
        "encephalopathy": column(lambda: rng.choice(("none", "none", "grade_1_2", "grade_3_4"))),
        "child_pugh_class": column(lambda: rng.choice("ABC"), unknown=0.7),
        "major_vascular_invasion": [rng.random() < 0.05 for _ in range(n)],
    }
    frame = pl.DataFrame(data, schema={k: COLUMN_SCHEMA[k] for k in data})
    return with_defaults(frame.lazy()).collect()  # remaining columns: null or default


def one_patient_ms(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        derive_row(parse_patient(ONE_PATIENT).facts())
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else COHORT_SIZE
    print(f"livertx benchmark: derived scores (polars {pl.__version__}, "
          f"{pl.thread_pool_size()} threads)")
    start = time.perf_counter()
    frame = cohort(n, SEED)
    print(f"generated {n:,} patients in {time.perf_counter() - start:.1f} s (not timed below)")

    derive(frame.lazy()).collect()  # warm-up: plan and kernels
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        out = derive(frame.lazy()).collect()
        runs.append(time.perf_counter() - start)
    best = min(runs)
    rate = n / best
    known = out.select(pl.col("cp_score").is_not_null().mean(),
                       pl.col("stage_group").is_not_null().mean()).row(0)
    print(f"cohort derive: best of 3 {best * 1000:.1f} ms "
          f"(runs: {', '.join(f'{r * 1000:.1f}' for r in runs)} ms); "
          f"cp_score known {known[0]:.1%}, stage known {known[1]:.1%}")
    print(f"  throughput: {rate:,.0f} patients/s   target >= {TARGET_PATIENTS_PER_S:,} "
          f"patients/s   ratio measured/target {rate / TARGET_PATIENTS_PER_S:.2f}")

    one_patient_ms(10)  # warm-up
    times = one_patient_ms(ONE_PATIENT_RUNS)
    median = statistics.median(times)
    print(f"one patient (parse_patient -> derive_row, the Python backend), "
          f"{ONE_PATIENT_RUNS} runs: median {median:.3f} ms, "
          f"p90 {statistics.quantiles(times, n=10)[-1]:.3f} ms")
    print(f"  median: {median:.3f} ms   target <= {TARGET_ONE_PATIENT_MS:g} ms   "
          f"ratio measured/target {median / TARGET_ONE_PATIENT_MS:.2f}")


if __name__ == "__main__":
    main()
