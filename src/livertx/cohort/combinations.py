"""The candidates of partial rows by trying every combination of their open facts, packed.

The search (`livertx.cohort.search`) splits a partial row one fact at a time, and each
level costs a Polars query whose plan alone outweighs evaluating tens of thousands of rows.
Once a row has few combinations left it is cheaper to try them all, and cheapest with
integers: each column's value becomes a small code (its place in the column's domain, the
tried values first), a complete row one integer (the codes in mixed radix), and a row's
combinations a run of such integers built with numpy (no lists, no explodes). Rows share
most completions, so each distinct complete row is evaluated once (one query for all) and
a row's candidate mask is the OR of its completions' masks: exactly what trying every
combination gives.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl

from livertx.cohort.probes import CLASS, Dimension

GRID_LIMIT = 1 << 26  # complete rows up to which a flag (and a mask) per one is kept
CHUNK = 1 << 21  # combinations built at once (an int64 array of this length, a few)
_CODE = "_code"

Masks = Callable[[pl.DataFrame], np.ndarray]  # complete rows -> a category bit mask each


@dataclass(frozen=True)
class _Column:
    """One column of the rows in codes: per row its place in `domain`, -1 where open."""

    name: str
    domain: pl.Series  # the dimension's tried values first (in order), then the rest seen
    codes: np.ndarray
    dimension: Dimension | None  # None: a column the search never chooses


def combination_counts(frame: pl.DataFrame, dimensions: tuple[Dimension, ...],
                       open_column: str) -> np.ndarray:
    """Per row, how many complete rows its open facts give (the class: its own range)."""
    opened = frame[open_column].to_numpy().astype(np.int64)
    counts = np.ones(frame.height, dtype=np.int64)
    for k, d in enumerate(dimensions):
        is_open = (opened >> k) & 1 == 1
        tried = _class_range(frame)[1] if d.name == CLASS else len(d.values)
        counts *= np.where(is_open, tried, 1)
    return counts


def candidate_masks(frame: pl.DataFrame, dimensions: tuple[Dimension, ...],
                    columns: tuple[str, ...], masks: Masks) -> np.ndarray | None:
    """Per row of `frame`, the OR of the masks of its completions (None when the complete
    rows its columns' values can make are more than `GRID_LIMIT`)."""
    coded = _coded(frame, columns, {d.name: d for d in dimensions})
    radices = [len(c.domain) for c in coded]
    grid = math.prod(radices)
    if grid > GRID_LIMIT:
        return None
    strides = np.cumprod([1, *radices[:-1]], dtype=np.int64)
    base, groups = _groups(frame, coded, strides)
    seen = np.zeros(grid, dtype=bool)
    for _, packed in _completions(base, groups):
        seen[packed] = True
    distinct = pl.DataFrame({_CODE: np.flatnonzero(seen)})
    del seen
    complete = distinct.select(pl.lit(c.domain).gather((pl.col(_CODE) // s) % r).alias(c.name)
                               for c, s, r in zip(coded, strides, radices))
    reached = np.zeros(grid, dtype=np.uint16)
    reached[distinct[_CODE].to_numpy()] = masks(complete)
    out = np.zeros(frame.height, dtype=np.uint16)
    for rows, packed in _completions(base, groups):
        out[rows] = np.bitwise_or.reduce(reached[packed], axis=1)
    return out


def _class_range(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The first class an open-class row tries and how many (`_lo` to `_hi`)."""
    lo = frame["_lo"].fill_null(0).to_numpy().astype(np.int64)
    hi = frame["_hi"].fill_null(-1).to_numpy().astype(np.int64)
    return lo, np.maximum(hi - lo + 1, 0)


def _coded(frame: pl.DataFrame, columns: tuple[str, ...],
           dimensions: dict[str, Dimension]) -> list[_Column]:
    """The columns as codes (one query). A dimension's NULL is open (-1); another
    column's NULL is a value like any other."""
    domains = []
    for name in columns:
        domain = frame[name].unique(maintain_order=True)
        if name in dimensions:
            tried = pl.Series(name, list(dimensions[name].values), dtype=domain.dtype)
            domain = pl.concat([tried, domain.filter(domain.is_not_null()
                                                     & ~domain.is_in(tried.implode()))])
        domains.append(domain)
    codes = frame.select(pl.col(n).replace_strict(d, range(len(d)), default=-1,
                                                  return_dtype=pl.Int64)
                         for n, d in zip(columns, domains))
    return [_Column(n, d, codes[n].to_numpy(), dimensions.get(n))
            for n, d in zip(columns, domains)]


_Groups = list[tuple[np.ndarray, np.ndarray]]  # rows, and the offsets of their completions


def _groups(frame: pl.DataFrame, coded: list[_Column],
            strides: np.ndarray) -> tuple[np.ndarray, _Groups]:
    """Per row its first completion (packed), and the rows grouped by the offsets of their
    completions from it: rows open in the same facts (the class: over as many classes)
    share them, so each group's completions are one broadcast addition."""
    lo, size = _class_range(frame)
    base = np.zeros(frame.height, dtype=np.int64)
    shape = np.zeros(frame.height, dtype=np.int64)  # a bit per open column, and the class size
    for k, (c, stride) in enumerate(zip(coded, strides)):
        is_open = c.codes < 0
        first = lo if c.dimension is not None and c.dimension.name == CLASS else 0
        base += np.where(is_open, first, c.codes) * stride
        shape |= is_open.astype(np.int64) << k
    shape |= size << len(coded)
    found, which = np.unique(shape, return_inverse=True)
    order = np.argsort(which, kind="stable")
    bounds = np.searchsorted(which[order], np.arange(len(found) + 1))
    groups = []
    for g, group in enumerate(found):
        rows = order[bounds[g]:bounds[g + 1]]
        offsets = _offsets(coded, strides, int(group), int(size[rows[0]]))
        if len(offsets):  # none: an open class no class fits (no completion, no candidate)
            groups.append((rows, offsets))
    return base, groups


def _completions(base: np.ndarray, groups: _Groups) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Rows (indices) with the packed codes of their completions, a line per row, about
    `CHUNK` at a time."""
    for rows, offsets in groups:
        step = max(1, CHUNK // len(offsets))
        for start in range(0, len(rows), step):
            part = rows[start:start + step]
            yield part, base[part, None] + offsets[None, :]


def _offsets(coded: list[_Column], strides: np.ndarray, shape: int, classes: int) -> np.ndarray:
    """The packed offsets of every choice of the open columns of `shape` from the first."""
    offsets = np.zeros(1, dtype=np.int64)
    for k, (c, stride) in enumerate(zip(coded, strides)):
        if shape >> k & 1:
            assert c.dimension is not None  # only a dimension's NULL is open
            tried = classes if c.dimension.name == CLASS else len(c.dimension.values)
            offsets = np.add.outer(offsets, np.arange(tried, dtype=np.int64) * stride).ravel()
    return offsets


__all__ = ["CHUNK", "GRID_LIMIT", "candidate_masks", "combination_counts"]
