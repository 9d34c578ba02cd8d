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

GRID_LIMIT = 1 << 25  # complete rows up to which a flag and a mask per one are kept (3 bytes
# each: bclc-2022 makes 14M, 42 MB; beyond it the search goes on)
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


@dataclass(frozen=True)
class Rows:
    """Partial rows in codes, and the classes an open-class row tries (`lo` on, `size`)."""

    columns: list[_Column]
    lo: np.ndarray
    size: np.ndarray

    def counts(self) -> np.ndarray:
        """Per row, how many complete rows its open facts give."""
        counts = np.ones(len(self.lo), dtype=np.int64)
        for c in self.columns:
            if c.dimension is not None:
                tried = self.size if c.dimension.name == CLASS else len(c.dimension.values)
                counts *= np.where(c.codes < 0, tried, 1)
        return counts

    def take(self, which: np.ndarray) -> Rows:
        """The rows `which` (an index or a boolean mask) selects."""
        return Rows([_Column(c.name, c.domain, c.codes[which], c.dimension)
                     for c in self.columns], self.lo[which], self.size[which])


def coded(frame: pl.DataFrame, dimensions: tuple[Dimension, ...],
          columns: tuple[str, ...]) -> Rows:
    """The columns of partial rows as codes (one query), the class range from `_lo` and
    `_hi` (NULL where the class is not open). A dimension's NULL is open (-1); another
    column's NULL is a value like any other."""
    by_name = {d.name: d for d in dimensions}
    domains = []
    for name in columns:
        domain = frame[name].unique(maintain_order=True)
        if name in by_name:
            tried = pl.Series(name, list(by_name[name].values), dtype=domain.dtype)
            domain = pl.concat([tried, domain.filter(domain.is_not_null()
                                                     & ~domain.is_in(tried.implode()))])
        domains.append(domain)
    codes = frame.select(pl.col(n).replace_strict(d, range(len(d)), default=-1,
                                                  return_dtype=pl.Int64)
                         for n, d in zip(columns, domains))
    lo = frame["_lo"].fill_null(0).to_numpy().astype(np.int64)
    hi = frame["_hi"].fill_null(-1).to_numpy().astype(np.int64)
    return Rows([_Column(n, d, codes[n].to_numpy(), by_name.get(n))
                 for n, d in zip(columns, domains)], lo, np.maximum(hi - lo + 1, 0))


def candidate_masks(rows: Rows, masks: Masks) -> np.ndarray | None:
    """Per row, the OR of the masks of its completions (None when the complete rows its
    columns' values can make are more than `GRID_LIMIT`). Rows alike in codes are done
    once."""
    radices = [len(c.domain) for c in rows.columns]
    grid = math.prod(radices)
    if grid > GRID_LIMIT or len(rows.columns) > 34:  # (a row's shape beside it in int64)
        return None
    strides = np.cumprod([1, *radices[:-1]], dtype=np.int64)
    base, shape = _packed(rows, strides)
    alike, first, inverse = np.unique(base * (int(shape.max(initial=0)) + 1) + shape,
                                      return_index=True, return_inverse=True)
    groups = _groups(rows.take(first), shape[first], strides)
    base = base[first]
    seen = np.zeros(grid, dtype=bool)
    for _, packed in _completions(base, groups):
        seen[packed] = True
    distinct = pl.DataFrame({_CODE: np.flatnonzero(seen)})
    del seen
    complete = distinct.select(pl.lit(c.domain).gather((pl.col(_CODE) // s) % r).alias(c.name)
                               for c, s, r in zip(rows.columns, strides, radices))
    reached = np.zeros(grid, dtype=np.uint16)
    reached[distinct[_CODE].to_numpy()] = masks(complete)
    out = np.zeros(len(alike), dtype=np.uint16)
    for part, packed in _completions(base, groups):
        out[part] = np.bitwise_or.reduce(reached[packed], axis=1)
    return out[inverse.ravel()]


def _packed(rows: Rows, strides: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row its first completion (packed), and its shape: a bit per open column and the
    class range's size (rows of one shape share their completions' offsets from the first)."""
    base = np.zeros(len(rows.lo), dtype=np.int64)
    shape = np.zeros(len(rows.lo), dtype=np.int64)
    for k, (c, stride) in enumerate(zip(rows.columns, strides)):
        is_open = c.codes < 0
        first = rows.lo if c.dimension is not None and c.dimension.name == CLASS else 0
        base += np.where(is_open, first, c.codes) * stride
        shape |= is_open.astype(np.int64) << k
    return base, shape | rows.size << len(rows.columns)


_Groups = list[tuple[np.ndarray, np.ndarray]]  # rows, and the offsets of their completions


def _groups(rows: Rows, shape: np.ndarray, strides: np.ndarray) -> _Groups:
    """The rows grouped by shape, with the offsets of their completions from the first:
    each group's completions are one broadcast addition."""
    found, which = np.unique(shape, return_inverse=True)
    order = np.argsort(which, kind="stable")
    bounds = np.searchsorted(which[order], np.arange(len(found) + 1))
    groups = []
    for g, group in enumerate(found):
        members = order[bounds[g]:bounds[g + 1]]
        offsets = _offsets(rows.columns, strides, int(group), int(rows.size[members[0]]))
        if len(offsets):  # none: an open class no class fits (no completion, no candidate)
            groups.append((members, offsets))
    return groups


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


__all__ = ["CHUNK", "GRID_LIMIT", "Rows", "candidate_masks", "coded"]
