"""Python backend over partly chosen rows: a value may be `ANY` (not chosen yet).

The candidate search (`livertx.engine.search`) tries the unknown facts one at a time and
wants to know, before choosing the rest, whether the answer is already settled. Here each
operator gives `ANY` when the values not chosen yet could still change its result, and
otherwise the very value the plain backend (`livertx.compiler.python`) gives for every way
of choosing them. With no `ANY` in the row the two backends agree exactly.

`ANY` is not NULL: a fact nobody gave stays NULL (None) and keeps SQL's meaning (NULL in a
comparison is NULL, COALESCE skips it, CASE does not take an unknown branch). Treating a
not-yet-chosen value as NULL would be wrong wherever NULL is not passed through (COALESCE,
IS NULL, CASE ... ELSE, LEAST/GREATEST), so those give `ANY` when they meet it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from livertx.compiler import nodes as n
from livertx.compiler.python import ARITH, COMPARE


class _Any:
    """The marker of a value not chosen yet (one instance, `ANY`)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ANY"


ANY: Any = _Any()

Row = Mapping[str, Any]
Compiled = Callable[[Row], Any]


def compile_partial(node: n.Node) -> Compiled:
    if isinstance(node, n.Column):
        name = node.name
        return lambda row: row.get(name)
    if isinstance(node, n.Literal):
        value = node.value
        return lambda row: value
    if isinstance(node, (n.And, n.Or)):
        return _kleene([compile_partial(x) for x in node.items], isinstance(node, n.Or))
    if isinstance(node, n.Not):
        return _strict(lambda v: not v, [compile_partial(node.item)])
    if isinstance(node, n.Compare):
        return _strict(COMPARE[node.op], [compile_partial(node.left), compile_partial(node.right)])
    if isinstance(node, n.In):
        return _in(compile_partial(node.item), node.values)
    if isinstance(node, n.IsNull):
        inner = compile_partial(node.item)
        return lambda row: ANY if (v := inner(row)) is ANY else v is None
    if isinstance(node, n.Case):
        return _case([(compile_partial(c), compile_partial(v)) for c, v in node.whens],
                     compile_partial(node.otherwise))
    if isinstance(node, n.Coalesce):
        return _coalesce([compile_partial(x) for x in node.items])
    if isinstance(node, n.Arith):
        op = ARITH[node.op]
        divide = node.op == "/"
        return _strict(lambda a, b: None if divide and b == 0 else op(a, b),
                       [compile_partial(node.left), compile_partial(node.right)])
    return _function(node.name, [compile_partial(x) for x in node.args])


def _strict(op: Callable[..., Any], args: list[Compiled]) -> Compiled:
    """NULL in, NULL out (whatever the values not chosen yet are); else ANY in, ANY out.
    One or two arguments (written out: this runs in the search's inner loop)."""
    if len(args) == 1:
        (arg,) = args

        def unary(row: Row) -> Any:
            v = arg(row)
            return v if v is None or v is ANY else op(v)
        return unary
    left, right = args

    def binary(row: Row) -> Any:
        a, b = left(row), right(row)
        if a is None or b is None:
            return None
        if a is ANY or b is ANY:
            return ANY
        return op(a, b)
    return binary


def _kleene(parts: list[Compiled], decisive: bool) -> Compiled:
    """AND (decisive False) or OR (decisive True): one decisive side decides whatever the
    others are; an undecided side that could still be decisive leaves it undecided."""
    def run(row: Row) -> Any:
        unknown = undecided = False
        for part in parts:
            v = part(row)
            if v is decisive:
                return decisive
            if v is None:
                unknown = True
            elif v is ANY:
                undecided = True
        if undecided:
            return ANY
        return None if unknown else not decisive
    return run


def _in(item: Compiled, values: tuple[n.Value, ...]) -> Compiled:
    known = frozenset(v for v in values if v is not None)
    has_null = len(known) < len(values)

    def run(row: Row) -> Any:
        v = item(row)
        if v is None or v is ANY:
            return v
        if v in known:
            return True
        return None if has_null else False
    return run


def _case(whens: list[tuple[Compiled, Compiled]], otherwise: Compiled) -> Compiled:
    def run(row: Row) -> Any:
        for condition, value in whens:
            c = condition(row)
            if c is ANY:  # taken or not depending on what is chosen
                return ANY
            if c is True:
                return value(row)
        return otherwise(row)
    return run


def _coalesce(parts: list[Compiled]) -> Compiled:
    def run(row: Row) -> Any:
        for part in parts:
            v = part(row)
            if v is not None:
                return v  # ANY too: NULL or not depending on what is chosen
        return None
    return run


def _function(name: str, args: list[Compiled]) -> Compiled:
    if name == "log10":
        return _strict(lambda v: None if v <= 0 else math.log10(v), args)
    if name == "abs":
        return _strict(abs, args)
    if name == "round":
        return _strict(round, args)
    pick = max if name == "greatest" else min

    def run(row: Row) -> Any:
        values = [v for a in args if (v := a(row)) is not None]
        if any(v is ANY for v in values):
            return ANY
        return pick(values) if values else None
    return run


__all__ = ["ANY", "compile_partial"]
