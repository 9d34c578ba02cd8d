"""Polars backend: a plan node -> a Polars expression over a frame of patients.

Polars' `&`, `|` and `~` are Kleene on booleans and comparisons with null give null, so
the translation is direct; `when/then` takes a branch only when its condition is true,
as SQL's CASE does.
"""

from __future__ import annotations

import functools
import operator
from typing import Any, cast

import polars as pl

from livertx.compiler import nodes as n


def compile_polars(node: n.Node) -> pl.Expr:
    if isinstance(node, n.Column):
        return pl.col(node.name)
    if isinstance(node, n.Literal):
        return pl.lit(node.value)
    if isinstance(node, n.And):
        return functools.reduce(operator.and_, (compile_polars(x) for x in node.items))
    if isinstance(node, n.Or):
        return functools.reduce(operator.or_, (compile_polars(x) for x in node.items))
    if isinstance(node, n.Not):
        return ~compile_polars(node.item)
    if isinstance(node, n.Compare):
        left, right = compile_polars(node.left), compile_polars(node.right)
        return cast(pl.Expr, _COMPARE[node.op](left, right))
    if isinstance(node, n.In):
        return _in(compile_polars(node.item), node.values)
    if isinstance(node, n.IsNull):
        return compile_polars(node.item).is_null()
    if isinstance(node, n.Case):
        chain: Any = pl
        for condition, value in node.whens:
            chain = chain.when(compile_polars(condition)).then(compile_polars(value))
        otherwise = compile_polars(node.otherwise)
        return otherwise if chain is pl else cast(pl.Expr, chain.otherwise(otherwise))
    if isinstance(node, n.Coalesce):
        return pl.coalesce([compile_polars(x) for x in node.items])
    if isinstance(node, n.Arith):
        left, right = compile_polars(node.left), compile_polars(node.right)
        if node.op == "/":
            return pl.when(right != 0).then(left / right)
        return cast(pl.Expr, _ARITH[node.op](left, right))
    args = [compile_polars(x) for x in node.args]
    if node.name == "log10":
        return pl.when(args[0] > 0).then(args[0].log10())
    if node.name == "abs":
        return args[0].abs()
    if node.name == "round":
        digits = node.args[1]
        assert isinstance(digits, n.Literal) and isinstance(digits.value, int)
        return args[0].round(digits.value)
    return pl.max_horizontal(args) if node.name == "greatest" else pl.min_horizontal(args)


def _in(item: pl.Expr, values: tuple[n.Value, ...]) -> pl.Expr:
    """SQL's IN: null for a null item, true on a match, else false (null if the list
    holds a NULL)."""
    known = [v for v in values if v is not None]
    hit = functools.reduce(operator.or_, (item == v for v in known)) if known else pl.lit(False)
    if len(known) < len(values):
        return pl.when(hit).then(True).otherwise(None)
    return hit


_COMPARE = {"=": operator.eq, "<>": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}
_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul}
