"""Benchmark: the cohort's Parquet floor taken apart (issue 10): where do its seconds go?

`benchmarks/cohort.py` reports the floor as reading the input plus writing the output's
columns with the engine's writer (`livertx.cohort.polars_run._writer`). This script splits
that floor on one cohort (the input `benchmarks/cohort.py` generates, and the Polars
engine's output of it, made untimed unless given):

- reading the input (`pl.read_parquet`) versus writing the output;
- the write: Polars to Arrow (`DataFrame.to_arrow`) versus pyarrow's Parquet encoding;
- the encoding per kind of column (strings, enums, booleans, floats, integers, lists),
  each kind written alone;
- writer settings that keep the values and the types a reader sees: compression,
  dictionary encoding, page and batch sizes, and Polars' own (parallel) writer; with the
  file size of each, since a faster setting that doubles the file is no gain for readers;
- what optional (nullable) columns cost the encoder, as a what-if the contract rules out.

Seconds are best-of `--repeat`, wall and CPU (this process's CPU time: on a shared
machine it moves less than wall time). The load average is printed beside each figure.
Not a test: it asserts nothing.

    .venv/bin/python benchmarks/parquet_write.py [--n 5000000] [--repeat 3]
        [--input cohort.parquet --output polars.parquet]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from livertx.cohort.polars_run import PARQUET_COMPRESSION, SLICE_ROWS, _writer

COHORT = Path(__file__).with_name("cohort.py")
POLARS_COMPRESSION: Literal["lz4"] = "lz4"  # the engine's PARQUET_COMPRESSION, as Polars types it


def load() -> str:
    return open("/proc/loadavg").read().split()[0] if os.path.exists("/proc/loadavg") else "?"


def best(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best wall and best CPU seconds of `action` over `repeat` runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def kind(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Enum):
        return "enum"
    if isinstance(dtype, pl.List):
        return "list"
    return {pl.String: "string", pl.Boolean: "boolean", pl.Float64: "float"}.get(
        type(dtype), "integer")


def pyarrow_write(tables: list[pa.Table], path: Path, **settings: object) -> Callable[[], None]:
    """Write `tables` as row groups with the engine's settings, changed by `settings`."""
    options: dict[str, object] = {"compression": PARQUET_COMPRESSION, "write_statistics": False}
    options.update(settings)

    def write() -> None:
        with pq.ParquetWriter(path, tables[0].schema, **options) as writer:
            for table in tables:
                writer.write_table(table, row_group_size=SLICE_ROWS)

    return write


def required(tables: list[pa.Table], frame: pl.DataFrame) -> list[pa.Table]:
    """The tables with every column that has no null in `frame` declared required (no
    definition levels to encode): what optional columns cost the encoder."""
    full = {name for name, nulls in frame.null_count().row(0, named=True).items() if not nulls}
    schema = pa.schema([field.with_nullable(field.name not in full) for field in tables[0].schema],
                       metadata=tables[0].schema.metadata)
    return [table.cast(schema) for table in tables]


def report(label: str, seconds: tuple[float, float], path: Path | None = None) -> None:
    size = f"; {path.stat().st_size / 1e6:6.1f} MB" if path is not None else ""
    print(f"  {label:<44} wall {seconds[0]:6.2f} s  CPU {seconds[1]:6.2f} s{size}  "
          f"(load {load()})", flush=True)


def prepare(n: int, folder: Path) -> tuple[Path, Path]:
    """The generated input and the Polars engine's output of it (both untimed)."""
    source, output = folder / "cohort.parquet", folder / "polars.parquet"
    subprocess.run([sys.executable, str(COHORT), "--generate", str(n), str(source)], check=True)
    subprocess.run([sys.executable, str(COHORT), "--child", "polars", str(source), str(output)],
                   check=True, stdout=subprocess.DEVNULL)
    return source, output


def measure(source: Path, output: Path, folder: Path, repeat: int) -> None:
    written = pl.read_parquet(output)
    slices = list(written.iter_slices(SLICE_ROWS))
    tables = [part.to_arrow() for part in slices]
    target = folder / "floor.parquet"
    print(f"{written.height:,} rows, {written.width} output columns; CPUs {os.cpu_count()}, "
          f"polars {pl.__version__}, pyarrow {pa.__version__}")

    def engine_write() -> None:
        with _writer(target, "parquet") as write:
            for part in slices:
                write(part)

    print("the floor, split:")
    report("read the input (pl.read_parquet)", best(lambda: pl.read_parquet(source), repeat))
    report("write the output (engine's writer)", best(engine_write, repeat), target)
    report("  of which Polars -> Arrow (to_arrow)",
           best(lambda: [part.to_arrow() for part in slices], repeat))
    report("  of which pyarrow encoding", best(pyarrow_write(tables, target), repeat), target)

    print("pyarrow encoding per kind of column (each kind written alone):")
    kinds: dict[str, list[str]] = {}
    for name, dtype in written.schema.items():
        kinds.setdefault(kind(dtype), []).append(name)
    for label, names in sorted(kinds.items()):
        alone = [table.select(names) for table in tables]
        report(f"{label} ({len(names)} columns)", best(pyarrow_write(alone, target), repeat),
               target)

    print("writer settings (same values, same types for readers):")
    settings: dict[str, dict[str, object]] = {
        f"engine ({PARQUET_COMPRESSION})": {},
        "compression none": {"compression": "none"},
        "compression snappy": {"compression": "snappy"},
        "compression zstd": {"compression": "zstd"},
        "no dictionary encoding": {"use_dictionary": False},
        "data pages of 8 MiB": {"data_page_size": 8 << 20},
        "write batches of 65,536 values": {"write_batch_size": 65536},
    }
    for label, changed in settings.items():
        report(label, best(pyarrow_write(tables, target, **changed), repeat), target)
    report("Polars write_parquet (parallel, no to_arrow)", best(
        lambda: written.write_parquet(target, compression=POLARS_COMPRESSION, statistics=False,
                                      row_group_size=SLICE_ROWS), repeat), target)
    print("what if (not usable: a row that fails its checks is blank in every output column,")
    print("so no output column can be declared never null):")
    report("columns without nulls here declared required",
           best(pyarrow_write(required(tables, written), target), repeat), target)
    target.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--input", type=Path, help="an input already generated (skips --n)")
    parser.add_argument("--output", type=Path, help="the Polars engine's output of --input")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="livertx-write-") as name:
        folder = Path(name)
        if args.input and args.output:
            source, output = args.input, args.output
        else:
            source, output = prepare(args.n, folder)
        measure(source, output, folder, args.repeat)


if __name__ == "__main__":
    main()
