"""Hit policy "first", defined once, as a plan node every backend compiles.

The first row whose condition holds decides; a row whose condition is unknown (NULL)
before any row holds makes the outcome unknown (`category` null, a fit "unknown") and is
reported as the row that blocked. Each row's condition is computed first, into the column
`condition_column(id)`; the outcome and the deciding rule are then one CASE over those
columns, compiled to Python, Polars or SQL like any other expression.
"""

from __future__ import annotations

from livertx.compiler import nodes
from livertx.knowledge.model import DecisionTable

CONDITION_PREFIX = "_c|"
UNKNOWN_FIT = "unknown"


def condition_column(rule_id: str) -> str:
    return CONDITION_PREFIX + rule_id


def rule_column(table: DecisionTable) -> str:
    """The column that holds the id of the row that decided (or blocked) a table."""
    return "category_rule" if table.output == "category" else f"rule_{table.option}"


def outcome_node(table: DecisionTable, *, deciding_rule: bool = False) -> nodes.Node:
    """The table's outcome (or, with `deciding_rule`, the id of the row that decided or
    blocked it) over its condition columns."""
    unknown = None if table.output == "category" else UNKNOWN_FIT
    whens: list[tuple[nodes.Node, nodes.Node]] = []
    for rule in table.rules:
        holds = nodes.Column(condition_column(rule.id))
        whens.append((nodes.IsNull(holds), nodes.Literal(rule.id if deciding_rule else unknown)))
        whens.append((holds, nodes.Literal(rule.id if deciding_rule else rule.outcome)))
    return nodes.Case(tuple(whens), nodes.Literal(None))


__all__ = ["CONDITION_PREFIX", "UNKNOWN_FIT", "condition_column", "outcome_node", "rule_column"]
