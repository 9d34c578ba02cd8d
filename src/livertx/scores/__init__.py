"""Derived values, computed from the score library (`livertx/scores/library/*.yaml`).

`derive` is the Polars backend of the library (frames of any size); `derive_row` in
`livertx.scores.library` is the Python backend (one patient). Both compile the same
expressions, so they cannot disagree (tests/test_score_properties.py checks it).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from livertx.scores.library import derive_row, derived_columns, levels, steps_for

if TYPE_CHECKING:  # Polars is imported on use: the one-patient path never needs it
    import polars as pl

DERIVED_COLUMNS: tuple[str, ...] = derived_columns()


@functools.cache
def stages(names: frozenset[str] | None = None) -> tuple[dict[str, pl.Expr], ...]:
    """The expressions of each level of the library (one dict per `library.levels()`
    group, in order), built once: building costs more than evaluating them on a few rows.
    With `names`, only the steps those columns need (`library.steps_for`)."""
    import polars as pl

    from livertx.compiler.polars import compile_polars

    types = {"bool": pl.Boolean(), "int8": pl.Int8(), "float": pl.Float64(),
             "string": pl.String()}
    wanted = None if names is None else {o.name for o in steps_for(names)}
    return tuple({o.name: compile_polars(o.node).cast(types[o.type]) for o in group
                  if wanted is None or o.name in wanted}
                 for group in levels())


def derive(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Apply the implications and add every derived column (and the library's `_` helper
    columns, which outputs leave out) to a table of patients in the vocabulary."""
    for stage in stages():
        frame = frame.with_columns(**stage)
    return frame


__all__ = ["DERIVED_COLUMNS", "derive", "derive_row", "stages"]
