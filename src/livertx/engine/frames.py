"""Decision tables compiled to Polars expressions and evaluated over a table of patients.

Hit policy "first": the first row whose condition holds decides; a row whose condition
is unknown (NULL) before any row holds makes the outcome unknown (`category` null,
`fit_<option>` "unknown"), and that row's id is reported as the one that blocked.
Each condition is computed once into a column `_c|<rule id>`; the chains read those.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import polars as pl

from livertx.compiler.parse import parse
from livertx.compiler.polars import compile_polars
from livertx.engine.conditions import CHILD_PUGH_INPUTS, CHILD_PUGH_LABS
from livertx.engine.hit_policy import (
    CONDITION_PREFIX,
    UNKNOWN_FIT,
    condition_column,
    decision_code_node,
    decision_code_steps,
    decision_column,
    decision_values,
    rule_column,
)
from livertx.engine.missing import Path, missing_paths
from livertx.knowledge.model import DecisionTable
from livertx.knowledge.pack import Pack, load_pack
from livertx.scores import derive


@dataclass(frozen=True, eq=False)
class CompiledTable:
    table: DecisionTable
    column: str  # output column: category or fit_<option>
    rule_column: str  # the id of the deciding (or blocking) row

    # Expressions are built once per table and reused: building them costs more than
    # evaluating them on one row.
    @functools.cached_property
    def _conditions(self) -> dict[str, pl.Expr]:
        return {condition_column(r.id): compile_condition(r.when) for r in self.table.rows}

    def conditions(self) -> dict[str, pl.Expr]:
        return self._conditions

    @functools.cached_property
    def decision(self) -> pl.Expr:
        """The table's decision code (`hit_policy.decision_code_node`)."""
        return (compile_polars(decision_code_node(self.table)).cast(pl.UInt16)
                .alias(decision_column(self.column)))

    @functools.cached_property
    def decision_steps(self) -> tuple[pl.Expr, ...]:
        """The same code from the last row back (`hit_policy.decision_code_steps`), each
        step written over the decision column: see `with_decisions`."""
        return tuple(compile_polars(step).cast(pl.UInt16).alias(decision_column(self.column))
                     for step in decision_code_steps(self.table))

    def decoded(self, outcome: pl.DataType | None = None,
                rule: pl.DataType | None = None) -> list[pl.Expr]:
        """The outcome and the deciding rule, read by the decision code (on a frame that
        has it): a gather from a short list, not a CASE of text per row."""
        outcomes, rules = decision_values(self.table)
        code = pl.col(decision_column(self.column))
        return [pl.lit(pl.Series(outcomes, dtype=outcome or pl.String)).gather(code)
                .alias(self.column),
                pl.lit(pl.Series(rules, dtype=rule or pl.String)).gather(code)
                .alias(self.rule_column)]


def with_decisions(frame: pl.LazyFrame, tables: tuple[CompiledTable, ...]) -> pl.LazyFrame:
    """The tables' decision codes over a frame that has their condition columns, a step
    per row from the last (every table's step of the same depth in one `with_columns`):
    half the work of one `decision` expression per table on large frames."""
    depth = max((len(t.decision_steps) for t in tables), default=0)
    for step in range(depth):
        frame = frame.with_columns(t.decision_steps[step] for t in tables
                                   if step < len(t.decision_steps))
    return frame


def compile_condition(when: str) -> pl.Expr:
    """A condition through the compiler's Polars backend (the plan the Python and SQL
    backends compile too)."""
    return compile_polars(parse(when))


@dataclass(frozen=True, eq=False)
class CompiledPack:
    category: CompiledTable
    options: tuple[CompiledTable, ...]

    @functools.cached_property
    def option_conditions(self) -> dict[str, pl.Expr]:
        out: dict[str, pl.Expr] = {}
        for table in self.options:
            out.update(table.conditions())
        return out

    @functools.cached_property
    def option_decisions(self) -> list[pl.Expr]:
        return [t.decision for t in self.options]

    @functools.cached_property
    def option_outcomes(self) -> list[pl.Expr]:
        return [e for t in self.options for e in t.decoded()]

    safety: tuple[tuple[str, str], ...] = ()  # (id, condition) of the pack's safety notes

    @functools.cached_property
    def safety_conditions(self) -> dict[str, pl.Expr]:
        """Safety notes read the outcomes too, so they run after the option tables."""
        return {condition_column(i): compile_condition(when) for i, when in self.safety}

    @property
    def tables(self) -> tuple[CompiledTable, ...]:
        return (self.category, *self.options)


def compile_pack(pack: Pack) -> CompiledPack:
    """The pack's tables ready to evaluate (cached on the pack)."""
    cached: CompiledPack | None = pack._cache.get("compiled")
    if cached is not None:
        return cached
    def build(table: DecisionTable) -> CompiledTable:
        return CompiledTable(table, table.column, rule_column(table))

    compiled = CompiledPack(build(pack.category_table),
                            tuple(build(t) for t in pack.option_tables.values()),
                            tuple((n.id, n.when) for n in pack.safety_notes))
    pack._cache["compiled"] = compiled
    return compiled


def missing_expression(pack: Pack) -> pl.Expr:
    """`livertx.engine.missing` as a Polars expression: a list of facts per patient."""
    return missing_from_paths(missing_paths(pack))


def missing_from_paths(paths: tuple[tuple[str, tuple[Path, ...]], ...]) -> pl.Expr:
    """A bit per fact (unknown, asked for, and on an open path), then one gather from the
    table of every combination: much faster than building a list row by row."""
    return missing_lists(paths).gather(missing_mask(paths)).alias("missing")


def missing_lists(paths: tuple[tuple[str, tuple[Path, ...]], ...]) -> pl.Expr:
    """The list of facts of every mask `missing_mask` can give, indexed by the mask."""
    return pl.lit(_missing_lookup(tuple(f for f, _ in paths)))


def missing_mask(paths: tuple[tuple[str, tuple[Path, ...]], ...]) -> pl.Expr:
    """A bit per fact that is unknown, asked for, and on an open path (`UInt32`); 0 on a
    row where no table is blocked (every path needs its table blocked)."""
    bits = []
    for i, (fact, fact_paths) in enumerate(paths):
        unknown = pl.col(fact).is_null()
        if fact in CHILD_PUGH_INPUTS:  # only while the class itself is unknown
            unknown = unknown & pl.col("cp_class").is_null()
        if fact in CHILD_PUGH_LABS:  # with no lab known, ask for the class instead
            unknown = unknown & pl.any_horizontal(
                [pl.col(lab).is_not_null() for lab in CHILD_PUGH_LABS])
        bits.append(pl.when(unknown & pl.any_horizontal([path_open(p) for p in fact_paths]))
                    .then(1 << i).otherwise(0))
    return pl.sum_horizontal(bits).cast(pl.UInt32)


@functools.cache
def _missing_lookup(facts: tuple[str, ...]) -> pl.Series:
    """Every combination of missing facts, indexed by its bit mask. Built from arrays (the
    offsets and the fact of each set bit): with 18 facts, as `bclc-2022` has, that is
    262,144 lists, which took seconds to build one by one."""
    import numpy as np
    import pyarrow as pa

    bits = (np.arange(1 << len(facts))[:, None] >> np.arange(len(facts))) & 1 == 1
    offsets = np.concatenate([[0], np.cumsum(bits.sum(axis=1))]).astype(np.int32)
    names = pl.Series(list(facts), dtype=pl.String).gather(np.nonzero(bits)[1])
    lists = pa.ListArray.from_arrays(pa.array(offsets), names.to_arrow())
    return pl.Series("missing", lists).cast(pl.List(pl.String))


def path_open(path: Path) -> pl.Expr:
    """`livertx.engine.missing.is_open` as a Polars expression."""
    blocked = (pl.col(path.column).is_null() if path.output == "category"
               else pl.col(path.column) == UNKNOWN_FIT)
    # the blocking row read from the decision code (small integers), not the rule's name
    way = blocked & pl.col(decision_column(path.column)).is_in(list(path.codes))
    if path.through:
        way = way & pl.any_horizontal([pl.col(c).is_null() for c in path.through])
    return way


def evaluate_category(frame: pl.LazyFrame, pack: Pack) -> pl.LazyFrame:
    """Derived values and the category (with its deciding rule)."""
    table = compile_pack(pack).category
    return (derive(frame).with_columns(**table.conditions())
            .with_columns(table.decision).with_columns(table.decoded()))


def evaluate_options(frame: pl.LazyFrame, pack: Pack) -> pl.LazyFrame:
    """Every option's fit and deciding rule, on a table that has its category."""
    compiled = compile_pack(pack)
    return (frame.with_columns(**compiled.option_conditions)
            .with_columns(compiled.option_decisions).with_columns(compiled.option_outcomes))


def evaluate(frame: pl.LazyFrame, pack: Pack | None = None, *,
             keep_conditions: bool = False, with_missing: bool = True) -> pl.LazyFrame:
    """Derived values, category, every option's fit and deciding rule, and `missing`."""
    pack = pack or load_pack()
    out = evaluate_options(evaluate_category(frame, pack), pack)
    if keep_conditions and compile_pack(pack).safety:
        out = out.with_columns(**compile_pack(pack).safety_conditions)
    if with_missing:
        out = out.with_columns(missing_expression(pack))
    if not keep_conditions:
        out = out.select(pl.exclude(f"^{re.escape(CONDITION_PREFIX)}.*$"))
    return out
