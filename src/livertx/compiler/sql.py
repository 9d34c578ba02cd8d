"""SQL backend: a plan node -> SQL text for a dialect (sqlglot writes the dialect).

The tree is rebuilt as a sqlglot expression (not the original text), so what runs in
DuckDB, PostgreSQL or Spark is exactly the plan the other backends compiled.
"""

from __future__ import annotations

from typing import Any

from livertx.compiler import nodes as n


def compile_sql(node: n.Node, dialect: str = "duckdb") -> str:
    return str(to_sqlglot(node).sql(dialect=dialect))


def to_sqlglot(node: n.Node) -> Any:
    from sqlglot import exp

    if isinstance(node, n.Column):
        return exp.column(node.name, quoted=True)
    if isinstance(node, n.Literal):
        return _literal(node.value)
    if isinstance(node, n.And):
        return exp.Paren(this=exp.and_(*(to_sqlglot(x) for x in node.items)))
    if isinstance(node, n.Or):
        return exp.Paren(this=exp.or_(*(to_sqlglot(x) for x in node.items)))
    if isinstance(node, n.Not):
        return exp.Not(this=exp.Paren(this=to_sqlglot(node.item)))
    if isinstance(node, n.Compare):
        kinds = {"=": exp.EQ, "<>": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT,
                 ">=": exp.GTE}
        return exp.Paren(this=kinds[node.op](this=to_sqlglot(node.left),
                                             expression=to_sqlglot(node.right)))
    if isinstance(node, n.In):
        return exp.In(this=to_sqlglot(node.item), expressions=[_literal(v) for v in node.values])
    if isinstance(node, n.IsNull):
        return exp.Paren(this=exp.Is(this=to_sqlglot(node.item), expression=exp.Null()))
    if isinstance(node, n.Case):
        case = exp.Case()
        for condition, value in node.whens:
            case = case.when(to_sqlglot(condition), to_sqlglot(value))
        return case.else_(to_sqlglot(node.otherwise))
    if isinstance(node, n.Coalesce):
        first, *rest = (to_sqlglot(x) for x in node.items)
        return exp.Coalesce(this=first, expressions=rest)
    if isinstance(node, n.Arith):
        kinds = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul, "/": exp.Div}
        left, right = to_sqlglot(node.left), to_sqlglot(node.right)
        if node.op == "/":  # NULL, not an error, for a zero divisor (as the other backends)
            right = exp.Nullif(this=right, expression=exp.Literal.number(0))
        return exp.Paren(this=kinds[node.op](this=left, expression=right))
    args = [to_sqlglot(x) for x in node.args]
    if node.name == "log10":
        positive = exp.GT(this=args[0], expression=exp.Literal.number(0))
        # LOG10 by name (DuckDB, PostgreSQL and Spark all have it): LOG(10, x) divides two
        # logarithms and can differ from the other backends in the last bit.
        return exp.Case().when(positive, exp.Anonymous(this="LOG10", expressions=[args[0]]))
    if node.name == "abs":
        return exp.Abs(this=args[0])
    if node.name == "round":
        return exp.Round(this=args[0], decimals=args[1])
    kind = exp.Greatest if node.name == "greatest" else exp.Least
    return kind(this=args[0], expressions=args[1:])


def _literal(value: n.Value) -> Any:
    from sqlglot import exp

    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int, float)):
        return exp.Literal.number(value)
    return exp.Literal.string(value)
