"""Decision tables compiled to Polars expressions and evaluated over a table of patients.

Hit policy "first": the first row whose condition holds decides; a row whose condition
is unknown (NULL) before any row holds makes the outcome unknown (`category` null,
`fit_<option>` "unknown"), and that row's id is reported as the one that blocked.
Each condition is computed once into a column `_c|<rule id>`; the chains read those.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, cast

import polars as pl

from livertx.compiler.parse import parse
from livertx.compiler.polars import compile_polars
from livertx.engine.conditions import (
    CHILD_PUGH_INPUTS,
    CHILD_PUGH_LABS,
    DERIVED_INPUTS,
    columns_of,
    facts_behind,
)
from livertx.engine.rows import CONDITION_PREFIX, UNKNOWN_FIT, condition_column
from livertx.knowledge.model import DecisionTable
from livertx.knowledge.pack import Pack, load_pack
from livertx.scores import derive
from livertx.vocabulary import FACTS


@dataclass(frozen=True, eq=False)
class CompiledTable:
    table: DecisionTable
    column: str  # output column: category or fit_<option>
    rule_column: str  # the id of the deciding (or blocking) row
    rule_facts: tuple[frozenset[str], ...]  # facts behind each rule's condition

    # Expressions are built once per table and reused: building them costs more than
    # evaluating them on one row.
    @functools.cached_property
    def _conditions(self) -> dict[str, pl.Expr]:
        return {condition_column(r.id): compile_condition(r.when) for r in self.table.rows}

    def conditions(self) -> dict[str, pl.Expr]:
        return self._conditions

    @functools.cached_property
    def _outcome(self) -> pl.Expr:
        unknown = None if self.table.output == "category" else UNKNOWN_FIT
        return _chain([(r.id, r.outcome) for r in self.table.rules], unknown).alias(self.column)

    def outcome(self) -> pl.Expr:
        return self._outcome

    @functools.cached_property
    def _deciding_rule(self) -> pl.Expr:
        return _chain([(r.id, r.id) for r in self.table.rules], None, blocked_by_row=True
                      ).alias(self.rule_column)

    def deciding_rule(self) -> pl.Expr:
        return self._deciding_rule

    def blocking(self) -> list[tuple[pl.Expr, frozenset[str]]]:
        """For each row: 'this row is unknown and no earlier row holds', with its facts."""
        out = []
        for i, rule in enumerate(self.table.rules):
            earlier = [pl.col(condition_column(r.id)).fill_null(False)
                       for r in self.table.rules[:i]]
            open_row = pl.col(condition_column(rule.id)).is_null()
            if earlier:
                open_row = open_row & ~pl.any_horizontal(earlier)
            out.append((open_row, self.rule_facts[i]))
        return out


def compile_condition(when: str) -> pl.Expr:
    """A condition through the compiler's Polars backend (the plan the Python and SQL
    backends compile too)."""
    return compile_polars(parse(when))


def _chain(rows: list[tuple[str, str]], unknown: str | None, *,
           blocked_by_row: bool = False) -> pl.Expr:
    expr: Any = None  # a when/then chain (polars types each link differently)
    for rule_id, value in rows:
        c = pl.col(condition_column(rule_id))
        blocked = pl.lit(rule_id if blocked_by_row else unknown, pl.String)
        expr = (pl.when(c.is_null()) if expr is None else expr.when(c.is_null())).then(blocked)
        expr = expr.when(c).then(pl.lit(value, pl.String))
    assert expr is not None
    return cast(pl.Expr, expr.otherwise(pl.lit(None, pl.String)))


@dataclass(frozen=True, eq=False)
class CompiledPack:
    category: CompiledTable
    options: tuple[CompiledTable, ...]
    category_facts: frozenset[str]

    @functools.cached_property
    def option_conditions(self) -> dict[str, pl.Expr]:
        out: dict[str, pl.Expr] = {}
        for table in self.options:
            out.update(table.conditions())
        return out

    @functools.cached_property
    def option_outcomes(self) -> list[pl.Expr]:
        return [e for t in self.options for e in (t.outcome(), t.deciding_rule())]

    safety: tuple[tuple[str, str], ...] = ()  # (id, condition) of the pack's safety notes

    @functools.cached_property
    def safety_conditions(self) -> dict[str, pl.Expr]:
        """Safety notes read the outcomes too, so they run after the option tables."""
        return {condition_column(i): compile_condition(when) for i, when in self.safety}

    @functools.cached_property
    def missing(self) -> pl.Expr:
        return missing_expression(self)

    @property
    def tables(self) -> tuple[CompiledTable, ...]:
        return (self.category, *self.options)


def compile_pack(pack: Pack) -> CompiledPack:
    """The pack's tables ready to evaluate (cached on the pack)."""
    cached: CompiledPack | None = pack._cache.get("compiled")
    if cached is not None:
        return cached
    category_facts = frozenset().union(
        *(facts_behind(columns_of(r.when)) for r in pack.category_table.rules))

    def build(table: DecisionTable) -> CompiledTable:
        facts = tuple(facts_behind(columns_of(r.when), category_facts) for r in table.rules)
        rule_column = "category_rule" if table.output == "category" else f"rule_{table.option}"
        return CompiledTable(table, table.column, rule_column, facts)

    compiled = CompiledPack(build(pack.category_table),
                            tuple(build(t) for t in pack.option_tables.values()), category_facts,
                            tuple((n.id, n.when) for n in pack.safety_notes))
    pack._cache["compiled"] = compiled
    return compiled


def missing_expression(compiled: CompiledPack) -> pl.Expr:
    """Unknown facts behind each open outcome's blocking row, as a list per patient.

    A fact is listed when it is unknown and an outcome is open at a row that rests on it
    (directly, or through a derived column or the category that is itself unknown).
    """
    parts = []
    for fact in FACTS:
        paths = []
        for table in compiled.tables:
            is_open = (pl.col("category").is_null() if table.table.output == "category"
                       else pl.col(table.column) == UNKNOWN_FIT)
            rows = [r.id for r, facts in zip(table.table.rules, table.rule_facts) if fact in facts]
            if rows:
                paths.append(is_open & pl.col(table.rule_column).is_in(rows)
                             & _through(fact, table, rows))
        if paths:
            unknown = pl.col(fact).is_null()
            if fact in CHILD_PUGH_INPUTS:  # only while the class itself is unknown
                unknown = unknown & pl.col("cp_class").is_null()
            if fact in CHILD_PUGH_LABS:  # with no lab known, ask for the class instead
                unknown = unknown & pl.any_horizontal(
                    [pl.col(lab).is_not_null() for lab in CHILD_PUGH_LABS])
            parts.append(pl.when(unknown & pl.any_horizontal(paths)).then(pl.lit(fact)))
    return pl.concat_list(parts).list.drop_nulls().alias("missing")


def _through(fact: str, table: CompiledTable, rows: list[str]) -> pl.Expr:
    """True when a fact reaches these rows directly or through an unknown derived column."""
    columns = through_columns(fact, table, rows)
    if not columns:
        return pl.lit(True)
    return pl.any_horizontal([pl.col(c).is_null() for c in columns])


def through_columns(fact: str, table: CompiledTable, rows: list[str] | tuple[str, ...]
                    ) -> tuple[str, ...]:
    """The derived columns (or `category`) a fact reaches these rows through; empty when it
    is named directly (then it counts whenever it is unknown)."""
    direct, derived = False, set()
    for rule in table.table.rules:
        if rule.id not in rows:
            continue
        columns = columns_of(rule.when)
        direct |= fact in columns
        derived |= {c for c in columns if fact in DERIVED_INPUTS.get(c, ())}
        if "category" in columns and fact not in columns:
            derived.add("category")
    return () if direct or not derived else tuple(sorted(derived))


def evaluate_category(frame: pl.LazyFrame, pack: Pack) -> pl.LazyFrame:
    """Derived values and the category (with its deciding rule)."""
    table = compile_pack(pack).category
    return (derive(frame).with_columns(**table.conditions())
            .with_columns(table.outcome(), table.deciding_rule()))


def evaluate_options(frame: pl.LazyFrame, pack: Pack) -> pl.LazyFrame:
    """Every option's fit and deciding rule, on a table that has its category."""
    compiled = compile_pack(pack)
    return frame.with_columns(**compiled.option_conditions).with_columns(compiled.option_outcomes)


def evaluate(frame: pl.LazyFrame, pack: Pack | None = None, *,
             keep_conditions: bool = False, with_missing: bool = True) -> pl.LazyFrame:
    """Derived values, category, every option's fit and deciding rule, and `missing`."""
    pack = pack or load_pack()
    out = evaluate_options(evaluate_category(frame, pack), pack)
    if keep_conditions and compile_pack(pack).safety:
        out = out.with_columns(**compile_pack(pack).safety_conditions)
    if with_missing:
        out = out.with_columns(compile_pack(pack).missing)
    if not keep_conditions:
        out = out.select(pl.exclude(f"^{_regex_escape(CONDITION_PREFIX)}.*$"))
    return out


def _regex_escape(text: str) -> str:
    import re

    return re.escape(text)
