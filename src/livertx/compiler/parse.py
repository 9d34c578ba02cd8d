"""SQL text (the pack's and the score library's expression subset) -> plan nodes.

sqlglot parses each text once; the plans are kept in a cache file (like Python's `.pyc`
files) so that a cold `livertx assess` does not import sqlglot at all. The cache is keyed
by the compiler's own source, so a changed parser never reads an old plan; it is a private
pickle of `livertx.diskcache` (`LIVERTX_CACHE_DIR` moves it, `off` disables it, and an
unwritable place just means no cache).
"""

from __future__ import annotations

import atexit
import functools
import hashlib
from pathlib import Path
from typing import Any, Literal

from livertx.compiler import nodes as n


class ExpressionError(ValueError):
    """An expression outside the subset, or one that does not parse."""


_COMPARE: dict[str, n.CmpOp] = {"EQ": "=", "NEQ": "<>", "LT": "<", "LTE": "<=", "GT": ">",
                                "GTE": ">="}
_ARITH: dict[str, n.ArithOp] = {"Add": "+", "Sub": "-", "Mul": "*", "Div": "/"}
ALLOWED = ("AND, OR, NOT, comparisons, IN, BETWEEN, IS [NOT] NULL, CASE, COALESCE, + - * /, "
           "LOG10, LEAST, GREATEST, ABS, ROUND(x, digits)")


def parse(text: str) -> n.Node:
    """The plan of an expression: from the cache, else parsed by sqlglot (and cached)."""
    plans = _plans()
    node = plans.get(text)
    if node is None:
        node = parse_sql(text)
        plans[text] = node
        _dirty.append(text)
    return node


@functools.cache
def parse_sql(text: str) -> n.Node:
    """Parse with sqlglot (the same text always gives the same plan)."""
    import sqlglot

    try:
        tree = sqlglot.parse_one(text)
    except sqlglot.errors.ParseError as exc:
        raise ExpressionError(f"does not parse as SQL: {str(exc).splitlines()[0]}") from None
    return _node(tree)


def _node(e: Any) -> n.Node:
    from sqlglot import exp

    kind = type(e).__name__
    if isinstance(e, exp.Paren):
        return _node(e.this)
    if isinstance(e, exp.Column):
        return n.Column(e.name)
    if isinstance(e, exp.Boolean):
        return n.Literal(bool(e.this))
    if isinstance(e, exp.Null):
        return n.Literal(None)
    if isinstance(e, exp.Literal):
        return n.Literal(_literal(e))
    if isinstance(e, exp.Neg):
        inner = _node(e.this)
        if isinstance(inner, n.Literal) and isinstance(inner.value, (int, float)):
            return n.Literal(-inner.value)
        return n.Arith("-", n.Literal(0), inner)
    if isinstance(e, exp.And):
        return n.And(_flatten(e, exp.And))
    if isinstance(e, exp.Or):
        return n.Or(_flatten(e, exp.Or))
    if isinstance(e, exp.Not):
        inner = _node(e.this)
        return n.Not(inner)
    if kind in _COMPARE:
        return n.Compare(_COMPARE[kind], _node(e.this), _node(e.expression))
    if kind in _ARITH:
        return n.Arith(_ARITH[kind], _node(e.this), _node(e.expression))
    if isinstance(e, exp.In):
        if not e.expressions or e.args.get("query") is not None:
            raise ExpressionError("IN needs a list of constants")
        values = tuple(_constant(v) for v in e.expressions)
        return n.In(_node(e.this), values)
    if isinstance(e, exp.Between):
        x = _node(e.this)
        return n.And((n.Compare(">=", x, _node(e.args["low"])),
                      n.Compare("<=", x, _node(e.args["high"]))))
    if isinstance(e, exp.Is) and isinstance(e.expression, exp.Null):
        return n.IsNull(_node(e.this))
    if isinstance(e, exp.Case):
        subject = e.this
        whens = []
        for branch in e.args.get("ifs") or []:
            cond = _node(branch.this)
            if subject is not None:
                cond = n.Compare("=", _node(subject), cond)
            whens.append((cond, _node(branch.args["true"])))
        default = e.args.get("default")
        return n.Case(tuple(whens), _node(default) if default is not None else n.Literal(None))
    if isinstance(e, exp.Coalesce):
        return n.Coalesce((_node(e.this), *(_node(x) for x in e.expressions)))
    if isinstance(e, exp.Log) and e.expression is not None:
        base = _constant(e.this)
        if base != 10:
            raise ExpressionError("uses LOG with a base other than 10 (use LOG10)")
        return n.Function("log10", (_node(e.expression),))
    if isinstance(e, (exp.Greatest, exp.Least)):
        name: Literal["greatest", "least"] = (
            "greatest" if isinstance(e, exp.Greatest) else "least")
        return n.Function(name, (_node(e.this), *(_node(x) for x in e.expressions)))
    if isinstance(e, exp.Abs):
        return n.Function("abs", (_node(e.this),))
    if isinstance(e, exp.Round) and e.args.get("decimals") is not None:
        digits = _constant(e.args["decimals"])
        if not isinstance(digits, int):
            raise ExpressionError("ROUND needs a whole number of digits")
        return n.Function("round", (_node(e.this), n.Literal(digits)))
    raise ExpressionError(f"uses {e.key.upper()}, which is not allowed (use {ALLOWED})")


def _flatten(e: Any, kind: type) -> tuple[n.Node, ...]:
    out: list[n.Node] = []
    for side in (e.this, e.expression):
        if isinstance(side, kind):
            out += _flatten(side, kind)
        else:
            out.append(_node(side))
    return tuple(out)


def _literal(e: Any) -> n.Value:
    if e.is_string:
        return str(e.this)
    text = str(e.this)
    return float(text) if any(c in text for c in ".eE") else int(text)


def _constant(e: Any) -> n.Value:
    node = _node(e)
    if not isinstance(node, n.Literal):
        raise ExpressionError("IN lists and LOG bases must be constants")
    return node.value


# --- the plan cache ---------------------------------------------------------------------

_dirty: list[str] = []


def _cache_file() -> Path | None:
    from livertx.diskcache import cache_folder

    folder = cache_folder()
    if folder is None:
        return None
    here = Path(__file__).parent
    digest = hashlib.blake2b(digest_size=8)
    for source in ("nodes.py", "parse.py"):
        digest.update((here / source).read_bytes())
    return folder / f"plans-{digest.hexdigest()}.pickle"


@functools.cache
def _plans() -> dict[str, n.Node]:
    """The plans kept by earlier runs (a private pickle: `livertx.diskcache`)."""
    from livertx.diskcache import read_private

    atexit.register(_save)
    path = _cache_file()
    stored = read_private(path) if path else None
    return stored if isinstance(stored, dict) else {}


def _save() -> None:
    from livertx.diskcache import write_private

    path = _cache_file()
    if not _dirty or path is None:
        return
    write_private(path, _plans())
    _dirty.clear()
