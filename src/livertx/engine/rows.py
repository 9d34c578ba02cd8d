"""One patient through the pack in plain Python: the compiler's Python backend.

The score library and every decision-table condition are compiled to closures over a
dict (Kleene logic with None), so one assessment costs microseconds, not a DataFrame
query. The row it builds has the same keys as a row of `livertx.engine.frames` (derived
values, `category`, `fit_<option>`, `rule_<option>`, and each condition under
`condition_column(id)`), so `livertx.engine.assess.explain` reads either.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from livertx.compiler.parse import parse
from livertx.compiler.python import compile_python
from livertx.engine.conditions import (
    CHILD_PUGH_INPUTS,
    CHILD_PUGH_LABS,
    columns_of,
    direct_child_pugh_labs,
    facts_behind,
    thresholds_of,
    uses_child_pugh_class,
)
from livertx.engine.hit_policy import (
    CONDITION_PREFIX,
    UNKNOWN_FIT,
    condition_column,
    outcome_node,
    rule_column,
)
from livertx.knowledge.model import DecisionTable
from livertx.knowledge.pack import Pack
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

    def decide(self, row: dict[str, Any]) -> None:
        """Every condition, then the outcome and the deciding (or blocking) rule."""
        for column, condition in self.conditions:
            row[column] = condition(row)
        row[self.column], row[self.rule_column] = self.outcome(row), self.deciding_rule(row)


@dataclass(frozen=True)
class RowPlan:
    category: RowTable
    options: tuple[RowTable, ...]
    safety: tuple[tuple[str, Condition], ...]


def _compiled(when: str) -> Condition:
    return compile_python(parse(when))


def _table(table: DecisionTable) -> RowTable:
    return RowTable(table, table.column, rule_column(table),
                    tuple((condition_column(r.id), _compiled(r.when)) for r in table.rows),
                    compile_python(outcome_node(table)),
                    compile_python(outcome_node(table, deciding_rule=True)))


def row_plan(pack: Pack) -> RowPlan:
    """The pack compiled for single rows (cached on the pack)."""
    cached: RowPlan | None = pack._cache.get("rows")
    if cached is None:
        cached = RowPlan(_table(pack.category_table),
                         tuple(_table(t) for t in pack.option_tables.values()),
                         tuple((n.id, _compiled(n.when)) for n in pack.safety_notes))
        pack._cache["rows"] = cached
    return cached


def evaluate_row(facts: Mapping[str, Any], pack: Pack) -> dict[str, Any]:
    """Derived values, category, every option's fit and rule, notes and safety notes."""
    plan = row_plan(pack)
    row = library.derive_row(facts)
    plan.category.decide(row)
    decide_options(row, plan)
    for note_id, condition in plan.safety:
        row[CONDITION_PREFIX + note_id] = condition(row)
    return row


def decide_options(row: dict[str, Any], plan: RowPlan) -> None:
    for table in plan.options:
        table.decide(row)


def with_category(row: Mapping[str, Any], category: str, pack: Pack) -> dict[str, Any]:
    """The row re-decided as if its category were `category` (for open cases)."""
    forced = {**row, "category": category}
    decide_options(forced, row_plan(pack))
    return forced


# --- candidates -------------------------------------------------------------------------

_STEP = {"largest_tumor_cm": 0.5, "tumor_count": 1}
MAX_COMBINATIONS = 200_000


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
    facts, tries_class = probed_facts(pack)
    thresholds = candidate_thresholds(pack)
    dimensions: dict[str, list[Any]] = {}
    if row.get("cp_class") is None and tries_class:
        dimensions["child_pugh_class"] = class_range(row)
    for fact in facts:
        if row.get(fact) is None:
            dimensions[fact] = probe_values(fact, thresholds.get(fact, set()))
    return dimensions


# Combinations the vocabulary rejects as contradictions are not tried as candidates: one
# condition, compiled by each backend that enumerates (here, the cohort's Polars lookup and
# the exported SQL).
POSSIBLE = ("NOT COALESCE(spread_throughout_liver AND tumor_count <= 3, FALSE) "
            "AND NOT COALESCE(major_vascular_invasion AND NOT vascular_invasion, FALSE)")


@functools.cache
def _possible() -> Condition:
    return compile_python(parse(POSSIBLE))


def category_candidates(row: Mapping[str, Any], pack: Pack) -> list[dict[str, Any]]:
    """Each category some value of the unknown facts reaches, in table order, with the
    values it requires ("requires": one value, a bound, or a list of values)."""
    dimensions = probe_dimensions(row, pack)
    names = list(dimensions)
    facts = {k: v for k, v in row.items() if k in FIELD_BY_NAME}
    if "child_pugh_class" in dimensions:  # the tried class stands in for undecided labs
        direct = direct_child_pugh_labs(category_columns(pack))
        facts.update(dict.fromkeys(lab for lab in CHILD_PUGH_LABS if lab not in direct))
    category = row_plan(pack).category
    needed = category_columns(pack)
    reached: dict[str, list[tuple[Any, ...]]] = {}
    tried: list[tuple[Any, ...]] = []
    for combo in itertools.islice(itertools.product(*dimensions.values()), MAX_COMBINATIONS):
        probe = {**facts, **dict(zip(names, combo))}
        if not _possible()(probe):
            continue
        derived = library.derive_for(probe, needed)
        category.decide(derived)
        tried.append(combo)
        if derived["category"] is not None:
            reached.setdefault(derived["category"], []).append(combo)
    order = list(dict.fromkeys(r.outcome for r in pack.category_table.rules))
    out = []
    for category_id in sorted(reached, key=order.index):
        requires: dict[str, Any] = {}
        for i, name in enumerate(names):
            values = sorted({c[i] for c in reached[category_id]}, key=_order)
            every = sorted({c[i] for c in tried}, key=_order)
            if len(values) < len(every):
                requires[name] = _requirement(values, every)
        out.append({"id": category_id, "requires": requires})
    return out


def _order(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, (int, float)) else (1, str(value))


def _requirement(reaching: list[Any], every: list[Any]) -> Any:
    """One value, a bound ("at_most"/"more_than") for numbers, or the list of values."""
    if len(reaching) == 1:
        return reaching[0]
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in every):
        k = len(reaching)
        if reaching == every[:k]:
            return {"at_most": reaching[-1]}
        if reaching == every[-k:]:
            return {"more_than": every[-k - 1]}
    return reaching


__all__ = [
    "CONDITION_PREFIX",
    "POSSIBLE",
    "UNKNOWN_FIT",
    "RowPlan",
    "RowTable",
    "category_candidates",
    "class_range",
    "condition_column",
    "evaluate_row",
    "probe_values",
    "probed_facts",
    "row_plan",
    "with_category",
]
