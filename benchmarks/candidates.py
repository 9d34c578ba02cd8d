"""Benchmark: the cohort's batch candidate search alone (`livertx.cohort.search`), per pack.

Generates N seeded patients (as `benchmarks/cohort.py` does), assesses them with the Polars
engine's expressions (untimed) and collects the distinct open keys; then times
`candidates_for_keys` on them (best of `--repeat`, wall and CPU seconds) and counts the
partial rows each level of the search evaluates, and the distinct complete rows settled for
the rows whose every combination is tried (`livertx.cohort.combinations`). The row counts do not depend on the load
of the machine, so they compare two versions of the search where seconds are too noisy
on a shared machine. Not a test: it asserts nothing.

    .venv/bin/python benchmarks/candidates.py [--n 500000] [--guideline bclc-2022]
        [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import time

import polars as pl

from livertx.cohort import polars_engine, search
from livertx.cohort.candidates import candidates_for_keys
from livertx.cohort.plan import KEY, build_plan
from livertx.cohort.polars_engine import normalise
from livertx.generate import generate_patients
from livertx.knowledge.pack import load_guideline

SEED = 20170101  # as benchmarks/cohort.py


def open_keys(n: int, guideline: str) -> pl.Series:
    """The distinct keys of the open rows of N generated patients."""
    plan = build_plan(load_guideline(guideline))
    patients = generate_patients(n, seed=SEED, unknown_rate=0.1)
    return polars_engine.open_keys(normalise(patients.lazy(), patients.columns),
                                   plan).collect()[KEY]


def level_rows(keys: pl.Series, guideline: str) -> tuple[list[int], list[int]]:
    """The rows each level of the search evaluates (`_Search.evaluate` counted), and the
    complete rows settled (`_Search.settle`)."""
    pack = load_guideline(guideline)
    counted: dict[str, list[int]] = {"evaluate": [], "settle": []}
    originals = {name: getattr(search._Search, name) for name in counted}

    def counting(name: str) -> object:
        def counted_call(self: search._Search, frame: pl.DataFrame) -> pl.DataFrame:
            counted[name].append(frame.height)
            return originals[name](self, frame)  # type: ignore[no-any-return]
        return counted_call

    for name in counted:
        setattr(search._Search, name, counting(name))
    try:
        candidates_for_keys(keys, build_plan(pack), pack)
    finally:
        for name, original in originals.items():
            setattr(search._Search, name, original)
    return counted["evaluate"], counted["settle"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500_000)
    parser.add_argument("--guideline", default="bclc-2022", help="the pack (acs-2017, bclc-2022)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    keys = open_keys(args.n, args.guideline)
    pack = load_guideline(args.guideline)
    plan = build_plan(pack)
    candidates_for_keys(keys.head(10), plan, pack)  # the search's expressions, built once
    walls, cpus = [], []
    for _ in range(args.repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        candidates_for_keys(keys, plan, pack)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    rows, complete = level_rows(keys, args.guideline)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"candidate search, pack {args.guideline}, N = {args.n:,}: {len(keys):,} open keys")
    print(f"  best of {args.repeat}: {min(walls):.3f} s wall, {min(cpus):.3f} s CPU "
          f"(load average {load})")
    print(f"  rows evaluated: {sum(rows):,} over {len(rows)} levels "
          f"({' + '.join(f'{r:,}' for r in rows)}); complete rows settled: "
          f"{sum(complete):,} in {len(complete)} queries")


if __name__ == "__main__":
    main()
