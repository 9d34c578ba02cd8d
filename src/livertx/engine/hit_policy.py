"""Hit policy "first", defined once, as a plan node every backend compiles.

The first row whose condition holds decides; a row whose condition is unknown (NULL)
before any row holds makes the outcome unknown (`category` null, a fit "unknown") and is
reported as the row that blocked. Each row's condition is computed first, into the column
`condition_column(id)`; the outcome and the deciding rule are then one CASE over those
columns, compiled to Python, Polars or SQL like any other expression.

Frame backends may instead compute the *decision code* (`decision_code_node`): one small
integer per table saying which row decided and whether it held or was unknown, and read
the outcome and the rule from `decision_values` by that code. It is the same CASE with
integers in place of text, and much cheaper over millions of rows than two CASEs of text.
"""

from __future__ import annotations

from collections.abc import Iterator

from livertx.compiler import nodes
from livertx.knowledge.model import DecisionTable

CONDITION_PREFIX = "_c|"
UNKNOWN_FIT = "unknown"


def condition_column(rule_id: str) -> str:
    return CONDITION_PREFIX + rule_id


def rule_column(table: DecisionTable) -> str:
    """The column that holds the id of the row that decided (or blocked) a table."""
    return "category_rule" if table.output == "category" else f"rule_{table.option}"


def decision_column(column: str) -> str:
    """The column of the decision code of the table whose output column is `column` (a
    working column, dropped with the conditions)."""
    return CONDITION_PREFIX + "decision|" + column


def _decisions(table: DecisionTable) -> Iterator[tuple[nodes.Node, str | None, str]]:
    """(test, outcome, rule id) in the order the policy tries them: for each row, first
    "unknown here" (the outcome is unknown, this row blocked), then "holds here"."""
    unknown = None if table.output == "category" else UNKNOWN_FIT
    for rule in table.rules:
        holds = nodes.Column(condition_column(rule.id))
        yield nodes.IsNull(holds), unknown, rule.id
        yield holds, rule.outcome, rule.id


def outcome_node(table: DecisionTable, *, deciding_rule: bool = False) -> nodes.Node:
    """The table's outcome (or, with `deciding_rule`, the id of the row that decided or
    blocked it) over its condition columns."""
    whens = tuple((test, nodes.Literal(rule if deciding_rule else outcome))
                  for test, outcome, rule in _decisions(table))
    return nodes.Case(whens, nodes.Literal(None))


def decision_code_node(table: DecisionTable) -> nodes.Node:
    """The index (into `decision_values`) of the test that decided; NULL when none did."""
    whens = tuple((test, nodes.Literal(code)) for code, (test, _, __) in
                  enumerate(_decisions(table)))
    return nodes.Case(whens, nodes.Literal(None))


def blocking_codes(table: DecisionTable, rows: tuple[str, ...]) -> tuple[int, ...]:
    """The decision codes that say "blocked at one of `rows`" (the outcome unknown there)."""
    return tuple(code for code, (test, _, rule) in enumerate(_decisions(table))
                 if rule in rows and isinstance(test, nodes.IsNull))


def decision_values(table: DecisionTable) -> tuple[list[str | None], list[str]]:
    """The outcome and the rule id of each decision code."""
    decisions = list(_decisions(table))
    return [outcome for _, outcome, __ in decisions], [rule for _, __, rule in decisions]


__all__ = ["CONDITION_PREFIX", "UNKNOWN_FIT", "blocking_codes", "condition_column",
           "decision_code_node",
           "decision_column", "decision_values", "outcome_node", "rule_column"]
