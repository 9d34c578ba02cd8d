"""`livertx sql`: the whole guideline as one `SELECT ... FROM patients` for a warehouse.

Vocabulary column names in, the cohort's output columns out, with nothing computed in
Python: the score library and the decision tables compiled to SQL (as the DuckDB engine
runs them), then, for the rows whose category is open, the candidate categories by
enumerating what `livertx.engine.search.category_candidates` searches (each unknown fact the
category rests on tried at its probe values, the Child-Pugh class within what the labs
allow), the fits the candidates agree on, and `missing` from the shared paths. Written in
DuckDB's dialect and translated by sqlglot; a dialect is offered only when a test runs the
query on that engine and compares every column with the Polars engine.
"""

from __future__ import annotations

from livertx.cohort import sql
from livertx.cohort.plan import CANDIDATES, ERROR, MISSING, CohortPlan, build_plan
from livertx.cohort.sql import Query, literal, option_steps, quote
from livertx.compiler.parse import parse
from livertx.compiler.sql import compile_sql
from livertx.engine.conditions import (
    CHILD_PUGH_INPUTS,
    CHILD_PUGH_LABS,
)
from livertx.engine.rows import (
    POSSIBLE,
    UNKNOWN_FIT,
    candidate_thresholds,
    probe_values,
    probed_facts,
)
from livertx.knowledge.pack import Pack
from livertx.vocabulary import FIELD_BY_NAME, FIELDS

DIALECTS = ("duckdb", "postgres", "spark")
ROW = "_row"


def export_sql(pack: Pack, dialect: str = "duckdb", table: str = "patients",
               keep: tuple[str, ...] = ()) -> str:
    """One query over `table` (a table with the vocabulary's columns); `keep` names other
    columns of the table to pass through first (a patient id)."""
    if dialect not in DIALECTS:
        raise ValueError(f"dialect {dialect!r} is not offered; choose one of "
                         f"{', '.join(DIALECTS)}")
    plan = build_plan(pack)
    names = [s.name for s in FIELDS]
    query = sql._base(table, [*keep, *names])
    query.step(**{ROW: "row_number() OVER ()"})
    sql.decision_steps(query, plan)
    assessed, columns = _last(query), list(query.columns)
    pairs = _candidate_steps(query, plan, pack, assessed, columns)
    agreed = _agreement_steps(query, plan, assessed, columns, pairs, dialect)
    # the candidates in the category table's order, without an ordered aggregate (Spark
    # has none): one flag per category, then the list of those flagged
    flags = ", ".join(f"MAX(CASE WHEN category = {literal(c)} THEN 1 ELSE 0 END) AS _has_{i}"
                      for i, c in enumerate(plan.categories))
    query.ctes.append(f"SELECT {ROW}, {flags} FROM {pairs} GROUP BY {ROW}")
    listed = _non_null_list([f"CASE WHEN _has_{i} = 1 THEN {literal(c)} END"
                             for i, c in enumerate(plan.categories)], dialect)
    query.ctes.append(f"SELECT {ROW}, {listed} AS {CANDIDATES} FROM {_last(query)}")
    grouped = _last(query)
    fits = _fit_columns(plan)
    # only a fit still unknown takes the candidates' fit (as `assess` does)
    replaced = ", ".join(
        f"CASE WHEN o.{quote(t.column)} = {literal(UNKNOWN_FIT)} "
        f"THEN COALESCE(a.{quote(c + '|agreed')}, o.{quote(c)}) ELSE o.{quote(c)} END "
        f"AS {quote(c)}" for t in plan.compiled.options for c in (t.column, t.rule_column))
    kept = ", ".join(f"o.{quote(c)}" for c in columns if c not in fits)
    query.ctes.append(f"SELECT {kept}, {replaced}, g.{CANDIDATES} FROM {assessed} AS o "
                      f"LEFT JOIN {agreed} AS a ON o.{ROW} = a.{ROW} "
                      f"LEFT JOIN {grouped} AS g ON o.{ROW} = g.{ROW}")
    query.columns = [*columns, CANDIDATES]
    query.step(**{MISSING: _missing(plan, dialect)})
    select = [f"q.{sql._orig(c)} AS {quote(c)}" for c in [*keep, *names]]
    valid = f"q.{ERROR} IS NULL"
    for name in plan.output_columns:
        if name == ERROR:
            select.append(f"q.{ERROR}")
        elif name == CANDIDATES:
            select.append(f"CASE WHEN {valid} AND q.category IS NULL THEN q.{CANDIDATES} END "
                          f"AS {CANDIDATES}")
        else:
            select.append(f"CASE WHEN {valid} THEN q.{quote(name)} END AS {quote(name)}")
    text = query.sql(f"SELECT {', '.join(select)} FROM {_last(query)} AS q ORDER BY q.{ROW}")
    return text if dialect == "duckdb" else _translate(text, dialect)


def _last(query: Query) -> str:
    return f"s{len(query.ctes) - 1}"


def _fit_columns(plan: CohortPlan) -> list[str]:
    return [c for t in plan.compiled.options for c in (t.column, t.rule_column)]


def _candidate_steps(query: Query, plan: CohortPlan, pack: Pack, assessed: str,
                     columns: list[str]) -> str:
    """(row, category, order) for every category some value of the unknown facts reaches."""
    facts, tries_class = probed_facts(pack)
    thresholds = candidate_thresholds(pack)
    joins, values = [], {name: f"o.{quote(name)}" for name in FIELD_BY_NAME}
    for i, fact in enumerate(facts):
        kind = sql.VOCABULARY_TYPES[FIELD_BY_NAME[fact].type]
        tried = ", ".join(f"({literal(v)})" for v in probe_values(fact, thresholds.get(fact, set())))
        joins.append(f"JOIN (VALUES (CAST(NULL AS {kind})), {tried}) AS p{i}(v) "
                     f"ON (o.{quote(fact)} IS NULL) = (p{i}.v IS NOT NULL)")
        values[fact] = f"COALESCE(o.{quote(fact)}, p{i}.v)"
    if tries_class:  # the tried class stands in for undecided labs
        joins.append("JOIN (VALUES (CAST(NULL AS VARCHAR), -1), ('A', 0), ('B', 1), ('C', 2)) "
                     "AS pc(v, i) ON (o.cp_class IS NULL AND pc.i BETWEEN o._cp_lo AND "
                     "o._cp_hi) OR (o.cp_class IS NOT NULL AND pc.v IS NULL)")
        values["child_pugh_class"] = "COALESCE(pc.v, o.child_pugh_class)"
        for lab in CHILD_PUGH_LABS:
            values[lab] = f"CASE WHEN pc.v IS NULL THEN o.{quote(lab)} END"
    names = list(FIELD_BY_NAME)
    probed = ", ".join(f"{values[n]} AS {quote(n)}" for n in names)
    query.ctes.append(f"SELECT o.{ROW}, {probed} FROM {assessed} AS o {' '.join(joins)} "
                      f"WHERE o.category IS NULL AND o.{ERROR} IS NULL")
    query.columns = [ROW, *names]
    query.step(_possible=compile_sql(parse(POSSIBLE)))
    sql.derived_steps(query)
    sql.decision_steps(query, plan, options=False)
    order = " ".join(f"WHEN {literal(c)} THEN {i}" for i, c in enumerate(plan.categories))
    query.ctes.append(f"SELECT DISTINCT {ROW}, category, CASE category {order} END AS _ord "
                      f"FROM {_last(query)} WHERE _possible AND category IS NOT NULL")
    query.columns = list(columns)
    return _last(query)


def _agreement_steps(query: Query, plan: CohortPlan, assessed: str, columns: list[str],
                     pairs: str, dialect: str) -> str:
    """Each open row under each candidate category; the fits they all give alike."""
    fits = _fit_columns(plan)
    kept = [c for c in columns if c not in fits and c != "category"]
    query.ctes.append(f"SELECT {', '.join(f'o.{quote(c)}' for c in kept)}, p.category, "
                      f"p._ord FROM {assessed} AS o JOIN {pairs} AS p ON o.{ROW} = p.{ROW}")
    query.columns = [*kept, "category", "_ord"]
    option_steps(query, plan)
    agreed = []
    for table in plan.compiled.options:
        fit = quote(table.column)
        same = f"COUNT(DISTINCT {fit}) = 1 AND MIN({fit}) <> {literal(UNKNOWN_FIT)}"
        for column in (table.column, table.rule_column):
            first = (f"(ARRAY_AGG({quote(column)} ORDER BY _ord))[1]" if dialect == "postgres"
                     else f"ARG_MIN({quote(column)}, _ord)")  # MIN_BY in Spark
            agreed.append(f"CASE WHEN {same} THEN {first} END AS {quote(column + '|agreed')}")
    query.ctes.append(f"SELECT {ROW}, {', '.join(agreed)} FROM {_last(query)} GROUP BY {ROW}")
    query.columns = list(columns)
    return _last(query)


def _missing(plan: CohortPlan, dialect: str) -> str:
    """`livertx.engine.missing` as one list per row (the same paths)."""
    items = []
    for fact, paths in plan.missing_paths:
        ways = []
        for path in paths:
            blocked = ("category IS NULL" if path.output == "category"
                       else f"{quote(path.column)} = {literal(UNKNOWN_FIT)}")
            rows = ", ".join(literal(r) for r in path.rows)
            way = f"({blocked} AND {quote(path.rule_column)} IN ({rows})"
            if path.through:
                way += " AND (" + " OR ".join(f"{quote(c)} IS NULL" for c in path.through) + ")"
            ways.append(way + ")")
        unknown = f"{quote(fact)} IS NULL"
        if fact in CHILD_PUGH_INPUTS:
            unknown += " AND cp_class IS NULL"
        if fact in CHILD_PUGH_LABS:
            unknown += " AND (" + " OR ".join(f"{lab} IS NOT NULL" for lab in CHILD_PUGH_LABS) + ")"
        items.append(f"CASE WHEN {unknown} AND ({' OR '.join(ways)}) THEN {literal(fact)} END")
    return _non_null_list(items, dialect)


def _non_null_list(items: list[str], dialect: str) -> str:
    """The non-null values of `items`, in order, as a list (DuckDB's `list_filter`, which
    sqlglot writes as Spark's FILTER; PostgreSQL's ARRAY_REMOVE)."""
    if dialect == "postgres":
        return f"ARRAY_REMOVE(ARRAY[{', '.join(items)}]::TEXT[], NULL)"
    return f"list_filter([{', '.join(items)}], lambda x: x IS NOT NULL)"


def _translate(text: str, dialect: str) -> str:
    """The DuckDB text in another dialect, through sqlglot's AST (with the two functions
    PostgreSQL spells differently for DOUBLE PRECISION: base-10 LOG(x), and ROUND, which it
    has only for NUMERIC)."""
    import sqlglot
    from sqlglot import exp

    def postgres(node: exp.Expression) -> exp.Expression:
        if (isinstance(node, exp.Log) and node.expression is not None
                and node.this.sql() == "10"):
            return exp.Anonymous(this="LOG", expressions=[node.expression])
        if isinstance(node, exp.Round):
            rounded = exp.Round(this=exp.cast(node.this.transform(postgres), "DECIMAL"),
                                decimals=node.args.get("decimals"))
            return exp.cast(rounded, "DOUBLE")
        return node

    def spark(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Window) and isinstance(node.this, exp.RowNumber):
            # Spark numbers rows only in an ordered window; any unique id serves here
            return exp.Anonymous(this="monotonically_increasing_id", expressions=[])
        return node

    tree = sqlglot.parse_one(text, read="duckdb")
    if dialect == "postgres":
        tree = tree.transform(postgres)
    elif dialect == "spark":
        tree = tree.transform(spark)
    return str(tree.sql(dialect=dialect))


__all__ = ["DIALECTS", "export_sql"]
