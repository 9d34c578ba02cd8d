"""Polars backend over partly chosen rows: whether a value is not settled yet.

The cohort searches the candidates of many open keys at once (`livertx.cohort.search`),
one frame row per partial choice. A value there is a pair: its plain Polars value
(`livertx.compiler.polars`, with the values not chosen yet as NULL) and a flag, compiled
here, that is true where the value is still `ANY` in the sense of
`livertx.compiler.partial`, operator by operator. Where the flag is false the plain value
is the partial backend's value: a settled result holds for every way of choosing the rest,
NULL included, so reading the values not chosen yet as NULL gives it too. The flag is
`None` (no expression) where nothing the node reads can be unsettled, which keeps the
expressions small.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from livertx.compiler import nodes as n
from livertx.compiler.polars import compile_polars

Flag = pl.Expr | None
FlagOf = Callable[[str], Flag]  # a column -> its flag (None: always settled)


def compile_unsettled(node: n.Node, flag_of: FlagOf) -> Flag:
    """The flag of `node`: true where the values not chosen yet may still change it."""
    if isinstance(node, n.Literal):
        return None
    if isinstance(node, n.Column):
        return flag_of(node.name)
    if isinstance(node, (n.And, n.Or)):
        return _kleene(node, flag_of)
    if isinstance(node, (n.Not, n.In, n.IsNull)):
        return compile_unsettled(node.item, flag_of)
    if isinstance(node, (n.Compare, n.Arith)):
        return _strict((node.left, node.right), flag_of)
    if isinstance(node, n.Case):
        return _case(node, flag_of)
    if isinstance(node, n.Coalesce):
        return _first_known(node.items, flag_of)
    if node.name in ("least", "greatest"):  # NULLs skipped, an unsettled one unsettles
        return _any([compile_unsettled(a, flag_of) for a in node.args])
    return _strict(node.args, flag_of)


def _any(flags: list[Flag]) -> Flag:
    present = [f for f in flags if f is not None]
    return pl.any_horizontal(present) if present else None


def _settled(flag: Flag, test: pl.Expr) -> pl.Expr:
    """`test` (filled false) on a settled value."""
    return test.fill_null(False) if flag is None else ~flag & test.fill_null(False)


def _kleene(node: n.And | n.Or, flag_of: FlagOf) -> Flag:
    """A settled decisive item (FALSE for AND, TRUE for OR) settles it; otherwise any
    unsettled item leaves it unsettled."""
    flags = [compile_unsettled(x, flag_of) for x in node.items]
    some = _any(flags)
    if some is None:
        return None
    decisive = isinstance(node, n.Or)
    decided = pl.any_horizontal([_settled(f, compile_polars(x) == decisive)
                                 for x, f in zip(node.items, flags)])
    return ~decided & some


def _strict(args: tuple[n.Node, ...], flag_of: FlagOf) -> Flag:
    """NULL in, NULL out: a settled NULL settles it; otherwise unsettled in, unsettled out."""
    if any(isinstance(a, n.Literal) and a.value is None for a in args):
        return None
    flags = [compile_unsettled(a, flag_of) for a in args]
    some = _any(flags)
    if some is None:
        return None
    null = pl.any_horizontal([_settled(f, compile_polars(a).is_null())
                              for a, f in zip(args, flags) if not isinstance(a, n.Literal)])
    return ~null & some


def _case(node: n.Case, flag_of: FlagOf) -> Flag:
    """An unsettled condition before the branch taken unsettles it; otherwise the branch
    taken decides."""
    parts = [(compile_unsettled(c, flag_of), c, compile_unsettled(v, flag_of))
             for c, v in node.whens]
    otherwise = compile_unsettled(node.otherwise, flag_of)
    if otherwise is None and all(c is None and v is None for c, _, v in parts):
        return None
    chain: pl.Expr | None = None
    for held_flag, condition, value in parts:
        if held_flag is not None:
            chain = _when(chain, held_flag, pl.lit(True))
        chain = _when(chain, compile_polars(condition), value if value is not None
                      else pl.lit(False))
    assert chain is not None  # a CASE has at least one WHEN
    return chain.otherwise(otherwise if otherwise is not None else pl.lit(False))  # type: ignore[attr-defined, no-any-return]


def _first_known(items: tuple[n.Node, ...], flag_of: FlagOf) -> Flag:
    """COALESCE: the first item that is not a settled NULL decides (an unsettled one may
    be NULL or not, so it unsettles)."""
    flags = [compile_unsettled(x, flag_of) for x in items]
    if all(f is None for f in flags):
        return None
    chain: pl.Expr | None = None
    for item, flag in zip(items, flags):
        if flag is not None:
            chain = _when(chain, flag, pl.lit(True))
        chain = _when(chain, compile_polars(item).is_not_null(), pl.lit(False))
    assert chain is not None
    return chain.otherwise(pl.lit(False))  # type: ignore[attr-defined, no-any-return]


def _when(chain: pl.Expr | None, condition: pl.Expr, value: pl.Expr) -> pl.Expr:
    if chain is None:
        return pl.when(condition).then(value)
    return chain.when(condition).then(value)  # type: ignore[attr-defined, no-any-return]


__all__ = ["Flag", "FlagOf", "compile_unsettled"]
