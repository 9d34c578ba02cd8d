"""Safety sweep: 1,000,000 seeded patients through `livertx cohort`, checked against every
safety invariant of `livertx.invariants` (issue 9). Prints the counts and the time.

Not a test (the suite runs the same sweep at 200,000 patients in tests/test_safety.py);
a violation count above zero here is a defect to fix, and the script exits 1 on one.

    .venv/bin/python benchmarks/safety_sweep.py [--n 1000000] [--seed 9] [--unknown 0.15]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from livertx.cohort.run import run_cohort
from livertx.generate import generate_patients
from livertx.invariants import INVARIANTS, violating_rows, violation_counts

TARGET_SECONDS_PER_MILLION = 5.0  # the sweep should not take longer than a coffee


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--unknown", type=float, default=0.15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        source, output = Path(folder) / "patients.parquet", Path(folder) / "assessed.parquet"
        generate_patients(args.n, seed=args.seed, unknown_rate=args.unknown).write_parquet(source)
        started = time.perf_counter()
        result = run_cohort(source, output)
        seconds = time.perf_counter() - started
        assessed = pl.read_parquet(output)
    counts = violation_counts(assessed)
    print(f"safety sweep: {result.rows:,} patients (seed {args.seed}, unknown rate "
          f"{args.unknown}), {result.open:,} with the category open, {result.rejected} rejected")
    for invariant in INVARIANTS:
        print(f"  {invariant.id} {counts[invariant.id]:>8,} violations  {invariant.words}")
        if counts[invariant.id]:
            print(violating_rows(assessed, invariant))
    per_million = seconds / args.n * 1_000_000
    print(f"cohort run {seconds:.2f} s ({args.n / seconds:,.0f} patients/s); "
          f"{per_million:.2f} s per million vs target {TARGET_SECONDS_PER_MILLION:.1f} s "
          f"(ratio {TARGET_SECONDS_PER_MILLION / per_million:.2f}; >= 1 meets it, as in the "
          f"other benchmarks)")
    return 1 if any(counts.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
