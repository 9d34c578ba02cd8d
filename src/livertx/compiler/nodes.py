"""The plan: a condition or score expression as a small tree, parsed once from SQL.

Every backend (Python closures, Polars expressions, SQL text) compiles this tree, so a
rule or a score is written once, in the SQL expression subset of DESIGN.md, and cannot
mean different things in different places.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal as Lit

Value = bool | int | float | str | None
CmpOp = Lit["=", "<>", "<", "<=", ">", ">="]
ArithOp = Lit["+", "-", "*", "/"]


@dataclass(frozen=True)
class Column:
    name: str


@dataclass(frozen=True)
class Literal:
    value: Value


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


@dataclass(frozen=True)
class Compare:
    op: CmpOp
    left: Node
    right: Node


@dataclass(frozen=True)
class In:
    item: Node
    values: tuple[Value, ...]


@dataclass(frozen=True)
class IsNull:
    item: Node


@dataclass(frozen=True)
class Case:
    """CASE WHEN c THEN v ... ELSE e END: the first condition that is TRUE decides (an
    unknown condition is not taken, as in SQL)."""

    whens: tuple[tuple[Node, Node], ...]
    otherwise: Node


@dataclass(frozen=True)
class Coalesce:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Arith:
    op: ArithOp
    left: Node
    right: Node


@dataclass(frozen=True)
class Function:
    """LOG10(x), LEAST(...), GREATEST(...), ABS(x), ROUND(x, digits): NULL in, NULL out
    (LEAST and GREATEST skip NULLs, as PostgreSQL, DuckDB and Spark do)."""

    name: Lit["log10", "least", "greatest", "abs", "round"]
    args: tuple[Node, ...]


Node = (Column | Literal | And | Or | Not | Compare | In | IsNull | Case | Coalesce | Arith
        | Function)


def columns(node: Node) -> frozenset[str]:
    """The column names an expression reads."""
    if isinstance(node, Column):
        return frozenset({node.name})
    return frozenset().union(*(columns(child) for child in children(node)))


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, (And, Or, Coalesce)):
        return node.items
    if isinstance(node, (Not, IsNull, In)):
        return (node.item,)
    if isinstance(node, (Compare, Arith)):
        return (node.left, node.right)
    if isinstance(node, Case):
        return (*(x for pair in node.whens for x in pair), node.otherwise)
    if isinstance(node, Function):
        return node.args
    return ()


def thresholds(node: Node) -> dict[str, set[float]]:
    """Numbers each column is compared with (`largest_tumor_cm > 5` gives {5}); a CASE
    over a column (CASE WHEN x < 2 ...) counts as comparisons too."""
    found: dict[str, set[float]] = {}
    if isinstance(node, Compare):
        for col, num in ((node.left, node.right), (node.right, node.left)):
            if (isinstance(col, Column) and isinstance(num, Literal)
                    and isinstance(num.value, (int, float)) and not isinstance(num.value, bool)):
                found.setdefault(col.name, set()).add(float(num.value))
    for child in children(node):
        for name, values in thresholds(child).items():
            found.setdefault(name, set()).update(values)
    return found
