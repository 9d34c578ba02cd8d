"""One patient through the pack in plain Python: the compiler's Python backend.

The score library and every decision-table condition are compiled to closures over a
dict (Kleene logic with None), so one assessment costs microseconds, not a DataFrame
query. The row it builds has the same keys as a row of `livertx.engine.frames` (derived
values, `category`, `fit_<option>`, `rule_<option>`, and each condition under
`condition_column(id)`), so `livertx.engine.assess.explain` reads either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livertx.compiler import nodes
from livertx.compiler.parse import parse
from livertx.compiler.partial import Generated, generate_steps
from livertx.compiler.python import compile_python
from livertx.engine.conditions import (
    CHILD_PUGH_INPUTS,
    columns_of,
    direct_child_pugh_labs,
    facts_behind,
    thresholds_of,
    uses_child_pugh_class,
    values_of,
)
from livertx.engine.hit_policy import (
    CONDITION_PREFIX,
    UNKNOWN_FIT,
    condition_column,
    outcome_node,
    rule_column,
)
from livertx.knowledge.model import DecisionTable
from livertx.knowledge.pack import PACKS_DIR, Pack, code_read_by_cache
from livertx.scores import library
from livertx.scores.child_pugh import CLASSES
from livertx.vocabulary import FIELD_BY_NAME

Condition = Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class RowTable:
    """A decision table compiled for one row (hit policy: `livertx.engine.hit_policy`)."""

    table: DecisionTable
    column: str
    rule_column: str
    conditions: tuple[tuple[str, Condition], ...]  # (condition column, condition): rows, notes
    outcome: Condition
    deciding_rule: Condition
    by_category: tuple[tuple[str, Condition], ...]  # the conditions that read the category

    def decide(self, row: dict[str, Any]) -> None:
        """Every condition, then the outcome and the deciding (or blocking) rule."""
        for column, condition in self.conditions:
            row[column] = condition(row)
        row[self.column], row[self.rule_column] = self.outcome(row), self.deciding_rule(row)

    def redecide(self, row: dict[str, Any]) -> None:
        """`decide` on a decided row whose category was changed: only the conditions
        that read the category are evaluated again."""
        if self.by_category:
            for column, condition in self.by_category:
                row[column] = condition(row)
            row[self.column], row[self.rule_column] = self.outcome(row), self.deciding_rule(row)


@dataclass(frozen=True)
class RowPlan:
    category: RowTable
    options: tuple[RowTable, ...]
    safety: tuple[tuple[str, Condition], ...]
    evaluate: Callable[[dict[str, Any]], None]  # every step below, as one function
    redecide: Callable[[dict[str, Any]], None]  # each option's `RowTable.redecide`


Step = tuple[str, nodes.Node]


def _decisions(table: DecisionTable) -> list[Step]:
    """A table's conditions, then its outcome and deciding rule, as steps."""
    return [*((condition_column(r.id), parse(r.when)) for r in table.rows),
            (table.column, outcome_node(table)),
            (rule_column(table), outcome_node(table, deciding_rule=True))]


def _steps(pack: Pack) -> list[Step]:
    """What `evaluate_row` computes, in order: the derived values, the category, every
    option's fit and rule (with each row's and note's condition), the safety notes."""
    return [*((o.name, o.node) for o in library.steps()),
            *(step for table in pack.tables for step in _decisions(table)),
            *((CONDITION_PREFIX + n.id, parse(n.when)) for n in pack.safety_notes)]


def _redecisions(pack: Pack) -> list[Step]:
    """What `with_category` computes again: the conditions that read the category, and the
    outcome and rule of each table that has some."""
    reads = ("category", "category_rule")
    steps: list[Step] = []
    for table in pack.option_tables.values():
        again = [(condition_column(r.id), parse(r.when)) for r in table.rows
                 if any(x in columns_of(r.when) for x in reads)]
        if again:
            steps += [*again, *_decisions(table)[-2:]]
    return steps


def _compiled(when: str) -> Condition:
    return compile_python(parse(when))


def _table(table: DecisionTable) -> RowTable:
    conditions = tuple((condition_column(r.id), _compiled(r.when)) for r in table.rows)
    reads = ("category", "category_rule")
    return RowTable(table, table.column, rule_column(table), conditions,
                    compile_python(outcome_node(table)),
                    compile_python(outcome_node(table, deciding_rule=True)),
                    tuple(c for c, r in zip(conditions, table.rows)
                          if any(x in columns_of(r.when) for x in reads)))


def _generated(pack: Pack) -> tuple[Callable[[dict[str, Any]], None], ...]:
    """`RowPlan.evaluate` and `RowPlan.redecide`, generated once per pack's content and
    kept in the disk cache (`livertx.diskcache`) when the pack is one of livertx's own."""
    def build() -> tuple[Generated, Generated]:
        return (generate_steps(_steps(pack), plain=True),
                generate_steps(_redecisions(pack), plain=True))

    if PACKS_DIR / pack.path.name != pack.path:
        return tuple(g.load() for g in build())
    from livertx.diskcache import cached

    src = Path(__file__).parents[1]
    files = [*(p for p in pack.path.rglob("*") if p.is_file()), *code_read_by_cache(),
             *(src / name for name in ("compiler/partial.py", "engine/rows.py"))]
    return tuple(g.load() for g in cached(f"rows-{pack.path.name}", files, build))


def row_plan(pack: Pack) -> RowPlan:
    """The pack compiled for single rows (cached on the pack)."""
    cached: RowPlan | None = pack._cache.get("rows")
    if cached is None:
        cached = RowPlan(_table(pack.category_table),
                         tuple(_table(t) for t in pack.option_tables.values()),
                         tuple((n.id, _compiled(n.when)) for n in pack.safety_notes),
                         *_generated(pack))
        pack._cache["rows"] = cached
    return cached


def evaluate_row(facts: Mapping[str, Any], pack: Pack) -> dict[str, Any]:
    """Derived values, category, every option's fit and rule, notes and safety notes (one
    generated function: `compile_partial_steps(..., plain=True)`)."""
    row = dict(facts)
    row_plan(pack).evaluate(row)
    return row


REDECISIONS_KEPT = 4096  # re-decided outcomes kept per pack (`with_category`)


def with_category(row: Mapping[str, Any], category: str, pack: Pack) -> dict[str, Any]:
    """The row re-decided as if its category were `category` (for open cases).

    What the re-decision writes rests only on the columns it reads (`_Redecided`), so its
    values are kept by them: an open case whose facts differ from one seen before only
    where no re-decided condition looks (the usual next chart of a patient) copies them
    instead of evaluating the conditions again."""
    forced = {**row, "category": category}
    kept = _redecided(pack)
    key = kept.reads(forced)
    written = kept.values.get(key)
    if written is None:
        row_plan(pack).redecide(forced)
        if len(kept.values) < REDECISIONS_KEPT:
            kept.values[key] = kept.writes(forced)
    else:
        forced.update(zip(kept.written, written))
    return forced


@dataclass(frozen=True)
class _Redecided:
    """The columns `RowPlan.redecide` reads before writing them (`reads`, a key) and
    those it writes (`writes`), and the values written so far by key."""

    reads: Callable[[Mapping[str, Any]], tuple[Any, ...]]
    written: tuple[str, ...]
    writes: Callable[[Mapping[str, Any]], tuple[Any, ...]]
    values: dict[tuple[Any, ...], tuple[Any, ...]]


def _redecided(pack: Pack) -> _Redecided:
    """The re-decision's inputs and outputs (cached on the pack, with its values)."""
    cached: _Redecided | None = pack._cache.get("redecided")
    if cached is None:
        reads: list[str] = []
        written: dict[str, None] = {}
        for name, node in _redecisions(pack):
            reads += [c for c in sorted(nodes.columns(node)) if c not in written and c not in reads]
            written[name] = None
        columns = tuple(written)
        cached = pack._cache["redecided"] = _Redecided(
            values_of(tuple(reads)), columns, values_of(columns), {})
    return cached


# --- candidates -------------------------------------------------------------------------

_STEP = {"largest_tumor_cm": 0.5, "tumor_count": 1}


def probe_values(fact: str, thresholds: set[float]) -> list[Any]:
    """The values an unknown fact is tried at: both booleans, every enumeration value,
    numbers on each side of every threshold the tables and scores compare it with."""
    spec = FIELD_BY_NAME[fact]
    if spec.type == "bool":
        return [True, False]
    if spec.type == "enum":
        return list(spec.values)
    step = _STEP.get(fact, 1 if spec.type == "int" else 0.01)
    assert spec.minimum is not None and spec.maximum is not None
    low = spec.minimum + (step if spec.exclusive_minimum else 0)
    values = {low} | set(thresholds) | {t + step for t in thresholds}
    values = {v for v in values if low <= v <= spec.maximum}
    return sorted(int(v) if spec.type == "int" else float(v) for v in values)


def candidate_thresholds(pack: Pack) -> dict[str, set[float]]:
    """Numbers the scores (tumour size and count) and table rows compare each fact with
    (computed once per pack; read-only)."""
    cached: dict[str, set[float]] | None = pack._cache.get("candidate_thresholds")
    if cached is not None:
        return cached
    found: dict[str, set[float]] = {
        name: set(values) for name, values in library.thresholds().items()
        if name in ("largest_tumor_cm", "tumor_count")}
    for table in pack.tables:
        for rule in table.rules:
            for column, values in thresholds_of(rule.when).items():
                found.setdefault(column, set()).update(values)
    pack._cache["candidate_thresholds"] = found
    return found


def probed_facts(pack: Pack) -> tuple[list[str], bool]:
    """The facts the category rests on that candidates try when unknown, and whether the
    Child-Pugh class is tried (in place of its items)."""
    columns = category_columns(pack)
    direct = direct_child_pugh_labs(columns)
    facts = [f for f in sorted(facts_behind(columns)) if f not in CHILD_PUGH_INPUTS or f in direct]
    return facts, uses_child_pugh_class(columns)


def category_columns(pack: Pack) -> frozenset[str]:
    """The columns the category table reads."""
    return frozenset().union(*(columns_of(r.when) for r in pack.category_table.rules))


def class_range(row: Mapping[str, Any]) -> list[str]:
    """The classes the known Child-Pugh items still allow."""
    return list(CLASSES[row["_cp_lo"]:row["_cp_hi"] + 1])


def probe_dimensions(row: Mapping[str, Any], pack: Pack) -> dict[str, list[Any]]:
    """Each unknown fact the category rests on, with the values it is tried at; the
    Child-Pugh class stands in for undecided labs."""
    tries_class, tried = _probes(pack)
    dimensions: dict[str, list[Any]] = {}
    if row.get("cp_class") is None and tries_class:
        dimensions["child_pugh_class"] = class_range(row)
    for fact, values in tried:
        if row.get(fact) is None:
            dimensions[fact] = list(values)
    return dimensions


def _probes(pack: Pack) -> tuple[bool, tuple[tuple[str, tuple[Any, ...]], ...]]:
    """Whether the class is tried, and each probed fact with its values (cached on the
    pack: an open case asks for them every time)."""
    cached: tuple[bool, tuple[tuple[str, tuple[Any, ...]], ...]] | None = \
        pack._cache.get("probes")
    if cached is None:
        facts, tries_class = probed_facts(pack)
        thresholds = candidate_thresholds(pack)
        cached = pack._cache["probes"] = (tries_class, tuple(
            (fact, tuple(probe_values(fact, thresholds.get(fact, set())))) for fact in facts))
    return cached


# Combinations the vocabulary rejects as contradictions are not tried as candidates: one
# condition, compiled by each backend that looks for candidates (the search of
# `livertx.engine.search`, the cohort's Polars lookup and the exported SQL).
POSSIBLE = ("NOT COALESCE(spread_throughout_liver AND tumor_count <= 3, FALSE) "
            "AND NOT COALESCE(major_vascular_invasion AND NOT vascular_invasion, FALSE)")


__all__ = [
    "CONDITION_PREFIX",
    "POSSIBLE",
    "UNKNOWN_FIT",
    "RowPlan",
    "RowTable",
    "category_columns",
    "class_range",
    "condition_column",
    "evaluate_row",
    "probe_values",
    "probed_facts",
    "row_plan",
    "with_category",
]
