"""The Polars engine's run: the input in slices, each assessed and appended to the output.

One pass over the input, in slices of `SLICE_ROWS` rows (streamed from the file, so a
mapping or unit conversion is applied as it is read). Each slice is assessed in memory,
the candidates of its open rows' keys are computed for the keys not seen before (an open
row's candidates depend only on its key, so the lookup grows with the distinct keys, not
with the rows), and the slice is appended to the output: a Parquet row group or CSV lines.
Memory is bounded by the slice size whatever the number of rows; a single streamed query
over the whole file grew with it (about 2.2 GiB at 5,000,000 rows).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from livertx.cohort import io
from livertx.cohort.candidates import candidates_for_keys
from livertx.cohort.errors import CohortError
from livertx.cohort.plan import CANDIDATES, ERROR, KEY, MISSING, CohortPlan
from livertx.cohort.polars_engine import (
    CHECKS,
    IS_OPEN,
    ORIGINAL,
    agree_over_candidates,
    assess_category,
    assess_options,
    finish,
    key_expression,
    normalise,
    with_candidates,
    with_open_keys,
)
from livertx.engine.hit_policy import decision_column
from livertx.knowledge.pack import Pack
from livertx.vocabulary import FIELDS

VOCABULARY = [spec.name for spec in FIELDS]  # kept until `missing` and the agreed fits

PARQUET_COMPRESSION = "lz4"  # several times faster to write than zstd, read everywhere
SLICE_ROWS = 500_000  # rows assessed at once: bounds memory (about 1 GiB peak), few enough
# slices that their fixed costs stay small
MIN_SLICES = 4  # a Parquet input of under 2M rows is cut into this many slices (of at
# least `MIN_SLICE_ROWS`): reading, assessing and writing overlap only from slice to slice,
# and with two slices the last one's writing ran alone (a 1M-row run 20% slower)
MIN_SLICE_ROWS = 100_000

Write = Callable[[pl.DataFrame], None]


def run_polars(source: io.Source, temporary: Path, out_format: str, plan: CohortPlan,
               pack: Pack, step: Callable[[str], None], result: Any) -> None:
    columns = list(source.columns)
    needed = [ORIGINAL + c for c in columns] + [
        c for c in plan.output_columns if c not in (ERROR, CANDIDATES, MISSING)] + [
        *VOCABULARY, *(decision_column(t.column) for t in plan.tables), CHECKS, ERROR]
    read_by_key = sorted(set(key_expression(plan).meta.root_names()) - set(needed))

    def assess(batch: pl.DataFrame) -> pl.DataFrame:
        assessed = (assess_options(assess_category(normalise(batch.lazy(), columns), plan),
                                   plan).select(*needed, *read_by_key).collect(engine="streaming"))
        return with_open_keys(assessed, plan).select(*needed, KEY)

    try:
        result.timings.update(assess_and_write(_slices(source), assess, temporary, out_format,
                                               plan, pack, columns, step))
    except pl.exceptions.PolarsError as exc:
        raise CohortError(f"input {source.path}: {_first_line(exc)}") from None


def assess_and_write(batches: Iterator[pl.DataFrame],
                     assess: Callable[[pl.DataFrame], pl.DataFrame], temporary: Path,
                     out_format: str, plan: CohortPlan, pack: Pack, columns: list[str],
                     step: Callable[[str], None], read: str = "read") -> dict[str, float]:
    """Each batch assessed (`assess`: to the columns `assess_rows` reads), given the
    candidates of its open keys, agreed, finished and appended to the output; the
    seconds per phase (`read` names the phase that yields the batches). Shared by the
    Polars engine and the DuckDB engine (whose batches come assessed by its SQL)."""
    lookup = _Candidates(plan, pack)
    clock = _Clock(read)
    done = 0
    # Three slices at most are in hand: the next one read and assessed in a thread (Polars
    # and DuckDB release the GIL), this one given its candidates, agreed and finished
    # (mostly one core), the last one appended by the writer thread (Parquet and CSV
    # writing release the GIL too). Memory stays bounded by the slice size.
    with _writer(temporary, out_format) as write, ThreadPoolExecutor(1) as background:
        pending: Future[None] | None = None
        for assessed in _assessed_ahead(batches, assess, clock, read):
            step(f"assessing and writing rows {done + 1:,} to {done + assessed.height:,}")
            with clock("candidates"):
                candidates = lookup.update(assessed)
            with clock("agree"):
                agreed = agree_over_candidates(
                    with_candidates(assessed.lazy(), candidates).collect(), plan)
            with clock("finish"):
                output = finish(agreed, plan, columns)
            with clock("write"):
                if pending is not None:
                    pending.result()
                pending = background.submit(write, output)
            done += assessed.height
            del assessed, agreed, output  # not held while the next slice is awaited
        with clock("write"):
            if pending is not None:
                pending.result()
    return clock.seconds


def _assessed_ahead(batches: Iterator[pl.DataFrame],
                    assess: Callable[[pl.DataFrame], pl.DataFrame], clock: _Clock,
                    read: str) -> Iterator[pl.DataFrame]:
    """The batches, each assessed, the next one read and assessed in a thread while the
    caller works on this one (on two cores the single-threaded steps after the assessment
    left one idle)."""
    items = clock.timed(read, batches)

    def next_assessed() -> pl.DataFrame | None:
        batch = next(items, None)
        if batch is None:
            return None
        with clock("assess"):
            return assess(batch)

    with ThreadPoolExecutor(1) as ahead:
        coming = ahead.submit(next_assessed)
        while (assessed := coming.result()) is not None:
            coming = ahead.submit(next_assessed)
            yield assessed


class _Clock:
    """Seconds spent per phase, summed over the slices (`result.timings`; reading and
    assessing run in a thread beside the other phases, so the phases overlap)."""

    def __init__(self, read: str = "read") -> None:
        self.seconds = {read: 0.0, "assess": 0.0, "candidates": 0.0, "agree": 0.0,
                        "finish": 0.0, "write": 0.0}

    @contextlib.contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] += time.perf_counter() - start

    def timed(self, phase: str, items: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        while True:
            with self(phase):
                item = next(items, None)
            if item is None:
                return
            yield item


def _slices(source: io.Source) -> Iterator[pl.DataFrame]:
    """The prepared input in slices of about `SLICE_ROWS` rows (smaller ones for a small
    Parquet input: `MIN_SLICES`); one empty slice (with the columns) when the file has no
    rows, so the output still gets its columns.

    Parquet is sliced by offset (the reader skips to the row groups it needs); CSV is read
    once, front to back, in batches (an offset would re-read the lines before it)."""
    scanned = io.scan(source)
    if source.format == "parquet":
        rows = scanned.select(pl.len()).collect().item()  # from the file's metadata
        size = min(SLICE_ROWS, max(MIN_SLICE_ROWS, -(-rows // MIN_SLICES)))
        batches: Iterator[pl.DataFrame] = _by_offset(scanned, size)
    else:
        batches = iter(scanned.collect_batches(chunk_size=SLICE_ROWS))
    empty = True
    for batch in batches:
        if batch.height:
            empty = False
            yield batch
    if empty:
        yield scanned.clear().collect()


def _by_offset(scanned: pl.LazyFrame, size: int) -> Iterator[pl.DataFrame]:
    offset = 0
    while True:
        batch = scanned.slice(offset, size).collect()
        yield batch
        if batch.height < size:
            return
        offset += batch.height


class _Candidates:
    """The candidates of every open key seen so far, computed once per key."""

    def __init__(self, plan: CohortPlan, pack: Pack) -> None:
        self.plan, self.pack = plan, pack
        self.seen = pl.Series(KEY, [], dtype=pl.Int64)
        self.table = candidates_for_keys(self.seen, plan, pack)

    def update(self, assessed: pl.DataFrame) -> pl.DataFrame:
        keys = assessed.filter(IS_OPEN)[KEY].unique()
        new = keys.filter(~keys.is_in(self.seen.implode()))
        if not new.is_empty():
            self.seen = pl.concat([self.seen, new.cast(pl.Int64)])
            self.table = pl.concat([self.table, candidates_for_keys(new, self.plan, self.pack)])
        return self.table


@contextlib.contextmanager
def _writer(path: Path, out_format: str) -> Iterator[Write]:
    """Append slices to one output file: Parquet row groups, or CSV lines after one header."""
    if out_format == "parquet":
        writer: pq.ParquetWriter | None = None

        def write_parquet(frame: pl.DataFrame) -> None:
            nonlocal writer
            table = frame.to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression=PARQUET_COMPRESSION,
                                          write_statistics=False)
            writer.write_table(table, row_group_size=SLICE_ROWS)

        try:
            yield write_parquet
        finally:
            if writer is not None:
                writer.close()
    else:
        with path.open("wb") as handle:
            first = True

            def write_csv(frame: pl.DataFrame) -> None:
                nonlocal first
                io.for_csv(frame.lazy()).collect().write_csv(handle, include_header=first)
                first = False

            yield write_csv


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
