"""Python backend: a plan node -> a closure over a row (a dict), Kleene logic with None.

Used for one patient (CLI, API, web, CDS): no DataFrame, no Polars import, a few
microseconds per condition. Semantics are SQL's: NULL (None) in a comparison or in
arithmetic gives NULL; AND is FALSE if any side is FALSE, OR is TRUE if any side is TRUE,
otherwise NULL wins; CASE takes the first branch whose condition is TRUE.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

from livertx.compiler import nodes as n

Row = Mapping[str, Any]
Compiled = Callable[[Row], Any]

COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "<>": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge}
ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def compile_python(node: n.Node) -> Compiled:
    if isinstance(node, n.Column):
        name = node.name
        return lambda row: row.get(name)
    if isinstance(node, n.Literal):
        value = node.value
        return lambda row: value
    if isinstance(node, n.And):
        return _kleene([compile_python(x) for x in node.items], decisive=False)
    if isinstance(node, n.Or):
        return _kleene([compile_python(x) for x in node.items], decisive=True)
    if isinstance(node, n.Not):
        inner = compile_python(node.item)
        return lambda row: None if (v := inner(row)) is None else not v
    if isinstance(node, n.Compare):
        if isinstance(node.left, n.Column) and isinstance(node.right, n.Literal):
            return _compare_column(COMPARE[node.op], node.left.name, node.right.value)
        if isinstance(node.left, n.Column) and isinstance(node.right, n.Column):
            return _compare_columns(COMPARE[node.op], node.left.name, node.right.name)
        return _compare(COMPARE[node.op], compile_python(node.left), compile_python(node.right))
    if isinstance(node, n.In):
        if isinstance(node.item, n.Column):
            return _in_column(node.item.name, node.values)
        return _in(compile_python(node.item), node.values)
    if isinstance(node, n.IsNull):
        if isinstance(node.item, n.Column):
            name = node.item.name
            return lambda row: row.get(name) is None
        inner = compile_python(node.item)
        return lambda row: inner(row) is None
    if isinstance(node, n.Case):
        return _case([(_column_or(c), _constant_or(v)) for c, v in node.whens],
                     _constant_or(node.otherwise))
    if isinstance(node, n.Coalesce):
        return _coalesce([compile_python(x) for x in node.items])
    if isinstance(node, n.Arith):
        return _arith(ARITH[node.op], compile_python(node.left), compile_python(node.right))
    return _function(node.name, [compile_python(x) for x in node.args])


def _kleene(parts: list[Compiled], decisive: bool) -> Compiled:
    """AND (decisive False) or OR (decisive True): one decisive side decides; otherwise an
    unknown side makes the whole unknown."""
    def run(row: Row) -> bool | None:
        unknown = False
        for part in parts:
            v = part(row)
            if v is decisive:
                return bool(decisive)
            unknown |= v is None  # any other value is the non-decisive boolean
        return None if unknown else not decisive
    return run


def _compare(op: Callable[[Any, Any], bool], left: Compiled, right: Compiled) -> Compiled:
    def run(row: Row) -> bool | None:
        a, b = left(row), right(row)
        return None if a is None or b is None else op(a, b)
    return run


# Shortcuts for a column read in place (most conditions): the same values as the general
# closures, one call instead of three for the engine's hottest nodes.
def _compare_column(op: Callable[[Any, Any], bool], name: str, value: n.Value) -> Compiled:
    if value is None:
        return lambda row: None

    def run(row: Row) -> bool | None:
        a = row.get(name)
        return None if a is None else op(a, value)
    return run


def _compare_columns(op: Callable[[Any, Any], bool], left: str, right: str) -> Compiled:
    def run(row: Row) -> bool | None:
        a, b = row.get(left), row.get(right)
        return None if a is None or b is None else op(a, b)
    return run


def _in_column(name: str, values: tuple[n.Value, ...]) -> Compiled:
    known = frozenset(v for v in values if v is not None)
    otherwise = None if len(known) < len(values) else False

    def run(row: Row) -> bool | None:
        v = row.get(name)
        if v is None:
            return None
        return True if v in known else otherwise
    return run


def _in(item: Compiled, values: tuple[n.Value, ...]) -> Compiled:
    known = frozenset(v for v in values if v is not None)
    has_null = len(known) < len(values)

    def run(row: Row) -> bool | None:
        v = item(row)
        if v is None:
            return None
        if v in known:
            return True
        return None if has_null else False
    return run


Branch = tuple[bool, Any]  # (True, a constant) or (False, a compiled expression)


def _constant_or(node: n.Node) -> Branch:
    """A CASE branch's value: a literal is kept as it is, not called for."""
    return (True, node.value) if isinstance(node, n.Literal) else (False, compile_python(node))


def _column_or(node: n.Node) -> tuple[str, Compiled | None]:
    """A CASE test: a column is read in place (name, None), else ("", compiled)."""
    return (node.name, None) if isinstance(node, n.Column) else ("", compile_python(node))


def _case(whens: list[tuple[tuple[str, Compiled | None], Branch]],
          otherwise: Branch) -> Compiled:
    def run(row: Row) -> Any:
        for (name, condition), (constant, value) in whens:
            if (row.get(name) if condition is None else condition(row)) is True:
                return value if constant else value(row)
        constant, value = otherwise
        return value if constant else value(row)
    return run


def _coalesce(parts: list[Compiled]) -> Compiled:
    def run(row: Row) -> Any:
        for part in parts:
            v = part(row)
            if v is not None:
                return v
        return None
    return run


def _arith(op: Callable[[Any, Any], Any], left: Compiled, right: Compiled) -> Compiled:
    def run(row: Row) -> Any:
        a, b = left(row), right(row)
        if a is None or b is None:
            return None
        if op is operator.truediv and b == 0:
            return None
        return op(a, b)
    return run


def _function(name: str, args: list[Compiled]) -> Compiled:
    if name == "log10":
        (arg,) = args
        return lambda row: None if (v := arg(row)) is None or v <= 0 else math.log10(v)
    if name == "abs":
        (arg,) = args
        return lambda row: None if (v := arg(row)) is None else abs(v)
    if name == "round":
        arg, digits = args
        return lambda row: None if (v := arg(row)) is None else round(v, digits(row))
    pick = max if name == "greatest" else min

    def run(row: Row) -> Any:
        values = [v for a in args if (v := a(row)) is not None]
        return pick(values) if values else None
    return run
