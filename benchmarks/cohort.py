"""Benchmark: `livertx cohort` end to end, Parquet -> Parquet, per engine, in one run.

Generates N seeded patients (`livertx.generate`), writes them as Parquet, then runs each
engine in its own child process and measures the run's wall time (inside the child, from
`run_cohort` called to output renamed; interpreter start and imports excluded) and the
child's peak resident memory (`os.wait4` rusage; for Spark the Python driver and its
waited-for children, the JVM included when it exits first). Also times the single-patient
path (`livertx.engine.assess`) in a loop on a sample and prints Polars over that loop.
Prints the targets and measured/target ratios. Not a test: it asserts nothing.

    .venv/bin/python benchmarks/cohort.py [--n 5000000] [--spark] [--sample 1000]
        [--guideline bclc-2022]

Spark is off by default: at N = 5,000,000 it takes minutes on this 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

SEED = 20170101
TARGET_POLARS = 1_000_000  # patients/s at N = 5,000,000
TARGET_FLOOR_FACTOR = 2.0  # Polars within 2x of reading the input + writing the output
TARGET_DUCKDB_FACTOR = 2.0  # DuckDB within 2x of Polars
TARGET_LOOP_RATIO = 100.0
TARGET_PEAK_BYTES = 2 * 1024**3
GUIDELINE_ENV = "LIVERTX_BENCH_GUIDELINE"  # the pack, handed to the child processes


def _pack() -> object:
    from livertx.knowledge.pack import load_guideline

    return load_guideline(os.environ.get(GUIDELINE_ENV, "acs-2017"))


def child(engine: str, source: str, output: str) -> None:
    """Runs in the child process: one engine, timed; prints a JSON line."""
    from livertx.cohort.run import run_cohort

    pack = _pack()
    spark = None
    if engine == "spark":
        os.environ.setdefault("LIVERTX_SPARK_MASTER", "local[2]")
        from livertx.cohort.spark import get_session

        spark = get_session()
        spark.sparkContext.setLogLevel("ERROR")
    start = time.perf_counter()
    result = run_cohort(source, output, engine=engine, pack=pack, spark=spark)
    seconds = time.perf_counter() - start
    if spark is not None:
        spark.stop()
    print(json.dumps({"seconds": seconds, "rows": result.rows, "timings": result.timings}))


def floor_child(source: str, output: str) -> None:
    """Runs in a child: the Parquet floor, reading the input and writing a table of the
    output's columns (the Polars engine's output, loaded untimed) as the engine writes it."""
    from livertx.cohort.polars_run import SLICE_ROWS, _writer

    written = pl.read_parquet(output)
    start = time.perf_counter()
    pl.read_parquet(source)
    read = time.perf_counter() - start
    start = time.perf_counter()
    with _writer(Path(output + ".floor"), "parquet") as write:
        for part in written.iter_slices(SLICE_ROWS):
            write(part)
    write = time.perf_counter() - start
    Path(output + ".floor").unlink()
    print(json.dumps({"seconds": read + write, "timings": {"read": read, "write": write}}))


def run_child(engine: str, source: Path, output: Path) -> dict:
    process = subprocess.Popen([sys.executable, __file__, "--child", engine, str(source),
                                str(output)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return _measured(engine, process)


def run_floor(source: Path, output: Path) -> dict:
    process = subprocess.Popen([sys.executable, __file__, "--floor", str(source), str(output)],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return _measured("floor", process)


def _measured(engine: str, process: subprocess.Popen) -> dict:
    assert process.stdout is not None
    lines = process.stdout.read().decode().splitlines()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0 or not lines:
        raise SystemExit(f"{engine} run failed (exit {process.returncode})")
    measured = json.loads(lines[-1])
    measured["peak_bytes"] = usage.ru_maxrss * 1024  # Linux reports KiB
    return measured


def loop_rate(source: Path, sample: int) -> float:
    """Patients per second through `assess`, one patient at a time."""
    from livertx.engine import assess
    from livertx.vocabulary import FIELD_BY_NAME

    pack = _pack()
    rows = pl.read_parquet(source, n_rows=sample).to_dicts()
    patients = [{k: v for k, v in r.items() if k in FIELD_BY_NAME and v is not None}
                for r in rows]
    assess(patients[0], pack)  # warm-up
    start = time.perf_counter()
    for patient in patients:
        assess(patient, pack)
    return len(patients) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5_000_000)
    parser.add_argument("--spark", action="store_true", help="also run the Spark engine")
    parser.add_argument("--sample", type=int, default=1000, help="patients for the assess loop")
    parser.add_argument("--guideline", default="acs-2017", help="the pack (acs-2017, bclc-2022)")
    args = parser.parse_args()
    os.environ[GUIDELINE_ENV] = args.guideline

    print(f"livertx benchmark: cohort Parquet -> Parquet, pack {args.guideline}, "
          f"N = {args.n:,} (seed {SEED}), "
          f"{os.cpu_count()} CPUs, polars {pl.__version__}")
    with tempfile.TemporaryDirectory(prefix="livertx-bench-") as folder:
        source = Path(folder) / "cohort.parquet"
        start = time.perf_counter()
        # In a child: a forked child's peak memory starts at its parent's, so the parent
        # must not hold the generated rows when the engines are measured.
        subprocess.run([sys.executable, __file__, "--generate", str(args.n), str(source)],
                       check=True)
        print(f"generated and wrote {args.n:,} patients in {time.perf_counter() - start:.1f} s "
              f"({source.stat().st_size / 1e6:.0f} MB; not timed below)")
        engines = ["polars", "duckdb"] + (["spark"] if args.spark else [])
        results = {}
        for engine in engines:
            output = Path(folder) / f"{engine}.parquet"
            results[engine] = run_child(engine, source, output)
            m = results[engine]
            rate = args.n / m["seconds"]
            phases = ", ".join(f"{k} {v:.2f} s" for k, v in m["timings"].items())
            print(f"{engine:>7}: {m['seconds']:.2f} s = {rate:,.0f} patients/s; peak memory "
                  f"{m['peak_bytes'] / 1024**2:,.0f} MiB ({phases}); output "
                  f"{output.stat().st_size / 1e6:.0f} MB")
            if engine == "polars":
                floor = run_floor(source, output)
                print(f"  floor: {floor['seconds']:.2f} s (read the input "
                      f"{floor['timings']['read']:.2f} s, write the output's columns "
                      f"{floor['timings']['write']:.2f} s)")
            output.unlink()
        loop = loop_rate(source, args.sample)
    polars_rate = args.n / results["polars"]["seconds"]
    duck_factor = results["duckdb"]["seconds"] / results["polars"]["seconds"]
    print(f"assess() one patient at a time, {args.sample} patients: {loop:,.0f} patients/s")
    print("targets (measured / target; >= 1 meets it):")
    print(f"  polars >= {TARGET_POLARS:,} patients/s at N = 5,000,000: {polars_rate:,.0f} "
          f"-> ratio {polars_rate / TARGET_POLARS:.2f}"
          + ("" if args.n == 5_000_000 else f"  (measured at N = {args.n:,})"))
    floor_factor = results["polars"]["seconds"] / floor["seconds"]
    print(f"  polars within {TARGET_FLOOR_FACTOR:g}x of the Parquet floor: {floor_factor:.2f}x "
          f"-> ratio {TARGET_FLOOR_FACTOR / floor_factor:.2f}")
    print(f"  duckdb within {TARGET_DUCKDB_FACTOR:g}x of polars: {duck_factor:.2f}x slower "
          f"-> ratio {TARGET_DUCKDB_FACTOR / duck_factor:.2f}")
    print(f"  polars >= {TARGET_LOOP_RATIO:g}x the assess loop: {polars_rate / loop:,.0f}x "
          f"-> ratio {polars_rate / loop / TARGET_LOOP_RATIO:.2f}")
    for engine, m in results.items():
        print(f"  {engine} peak memory < 2 GiB: {m['peak_bytes'] / 1024**3:.2f} GiB "
              f"-> ratio {TARGET_PEAK_BYTES / m['peak_bytes']:.2f}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 4 and sys.argv[1] == "--floor":
        floor_child(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "--generate":
        from livertx.generate import generate_patients

        generate_patients(int(sys.argv[2]), seed=SEED, unknown_rate=0.1).write_parquet(sys.argv[3])
    else:
        main()
