"""The cohort as one SQL query (DuckDB), built from the pack and the score library.

Decision rows are the pack's own `when` text, unchanged: standard SQL. Everything else is
written here:

- the score library compiled by the SQL backend (`livertx.compiler.sql`);
- Twin of `livertx.engine.frames` hit policy "first": `CASE WHEN c IS NULL THEN <unknown>
  WHEN c THEN <outcome> ...`; a CASE branch is taken only when its condition is TRUE, so
  NULL (unknown) never falls through as FALSE.
- Twin of the row checks (`checks.py`) and the candidate key (`plan.key_parts`); the
  agreed fits and `missing` come after, from the Polars engine's own code.
"""

from __future__ import annotations

from dataclasses import dataclass

from livertx.cohort import checks
from livertx.cohort.plan import (
    ERROR,
    KEY,
    CohortPlan,
    KeyPart,
)
from livertx.compiler.parse import parse
from livertx.compiler.sql import compile_sql
from livertx.engine.frames import CompiledTable
from livertx.engine.hit_policy import (
    condition_column,
    decision_code_node,
    decision_column,
    outcome_node,
)
from livertx.scores import DERIVED_COLUMNS, library
from livertx.vocabulary import FIELDS, FieldSpec

ORIGINAL = "_in_"  # prefix of the input's own columns inside the query
VOCABULARY_TYPES = {"bool": "BOOLEAN", "int": "INTEGER", "float": "DOUBLE", "enum": "VARCHAR"}


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _orig(name: str) -> str:
    return quote(ORIGINAL + name)


@dataclass
class Query:
    """A chain of CTEs, each selecting the previous one's columns plus new or replaced ones."""

    columns: list[str]
    ctes: list[str]

    def step(self, **new: str) -> None:
        replaced = [f"{new.pop(c)} AS {quote(c)}" if c in new else quote(c) for c in self.columns]
        added = [f"{expr} AS {quote(name)}" for name, expr in new.items()]
        source = f"s{len(self.ctes) - 1}"
        self.ctes.append(f"SELECT {', '.join(replaced + added)} FROM {source}")
        self.columns += list(new)

    def sql(self, final: str) -> str:
        withs = ",\n".join(f"s{i} AS ({cte})" for i, cte in enumerate(self.ctes))
        return f"WITH {withs}\n{final}"


# --- input: normalised vocabulary and row checks -------------------------------------

def _normalised(spec: FieldSpec, present: set[str]) -> str:
    if spec.name not in present:
        value = f"CAST(NULL AS {VOCABULARY_TYPES[spec.type]})"
    elif spec.type == "enum":
        spellings = checks.spellings(spec)
        spelled = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in spellings.items())
        text = f"CAST({_orig(spec.name)} AS VARCHAR)"
        # a value already spelled as the vocabulary spells it is kept without lower/trim
        # (as the Polars engine does): most cells are, and those string copies cost
        exact = [v for v in dict.fromkeys(spellings.values())
                 if spellings.get(v.strip().lower()) == v]
        value = (f"(CASE WHEN {text} IN ({', '.join(literal(v) for v in exact)}) THEN {text} "
                 f"ELSE (CASE lower(trim({text})) {spelled} END) END)")
    elif spec.type == "int":
        value = f"TRY_CAST({_orig(spec.name)} AS INTEGER)"
    else:
        value = f"CAST({_orig(spec.name)} AS {VOCABULARY_TYPES[spec.type]})"
    if spec.kind == "qualifier":
        value = f"COALESCE({value}, {literal(spec.default)})"
    return value


def _error(present: set[str]) -> str:
    """The row checks' messages, joined; NULL for a valid row. The messages are built only
    for a row that fails some check (most rows pass: the text would cost every row)."""
    failed: list[tuple[str, str]] = []  # (condition, message): the message when it is TRUE
    for check in checks.range_checks():
        spec = check.spec
        if spec.name not in present:
            continue
        x = f"CAST({_orig(spec.name)} AS DOUBLE)"
        low = f"{x} <= {spec.minimum!r}" if spec.exclusive_minimum else f"{x} < {spec.minimum!r}"
        failed.append((f"{low} OR {x} > {spec.maximum!r}", literal(check.message)))
    for value_check in checks.value_checks():
        spec = value_check.spec
        if spec.name not in present:
            continue
        before, after = value_check.message_parts()
        given = f"CAST({_orig(spec.name)} AS VARCHAR)"
        failed.append((f"{given} IS NOT NULL AND {quote(spec.name)} IS NULL",
                       f"{literal(before)} || {given} || {literal(after)}"))
    failed.append(("major_vascular_invasion AND NOT vascular_invasion",
                   literal(checks.VESSEL_MESSAGE)))
    if "recurrent" in present:  # given as false (not left empty) beside a site
        said_no = f"{_orig('recurrent')} IS NOT NULL AND NOT recurrent"
        failed.append((f"{said_no} AND recurrence_site IS NOT NULL",
                       literal(checks.RECURRENCE_MESSAGE)))
    for condition, message in checks.CONTRADICTIONS:
        failed.append((compile_sql(parse(condition)), literal(message)))
    head, tail = (literal(part) for part in checks.SPREAD_PARTS)
    failed.append((f"spread_throughout_liver AND tumor_count <= {checks.SPREAD_MAX_COUNT}",
                   f"{head} || CAST(tumor_count AS VARCHAR) || {tail}"))
    # each message is not NULL exactly when its condition is TRUE, and an OR is TRUE
    # exactly when one of its parts is
    parts = ", ".join(f"CASE WHEN {c} THEN {m} END" for c, m in failed)
    any_failed = " OR ".join(f"({c})" for c, _ in failed)
    return (f"CASE WHEN {any_failed} THEN "
            f"NULLIF(concat_ws({literal(checks.SEPARATOR)}, {parts}), '') END")


# --- derived values: the score library compiled by the SQL backend -------------------

_LIBRARY_TYPES = {"bool": "BOOLEAN", "int8": "TINYINT", "float": "DOUBLE", "string": "VARCHAR"}


def derived_steps(query: Query) -> None:
    """The score library (`livertx/scores/library`), one step per level, compiled by the
    SQL backend from the same plan the Python and Polars backends compile."""
    for group in library.levels():
        query.step(**{o.name: f"CAST({compile_sql(o.node)} AS {_LIBRARY_TYPES[o.type]})"
                      for o in group})


# --- decision tables -----------------------------------------------------------------

def _conditions(table: CompiledTable) -> dict[str, str]:
    """Each row's condition, compiled by the SQL backend, in its condition column."""
    return {condition_column(rule.id): compile_sql(parse(rule.when))
            for rule in table.table.rules}


def _outcomes(table: CompiledTable, codes: bool) -> dict[str, str]:
    """The hit policy (`livertx.engine.hit_policy`) compiled by the SQL backend: the
    outcome and the deciding rule as text; with `codes`, only the decision code (the
    DuckDB engine reads the outcome and the rule by it in Polars, as the Polars engine
    does: one CASE of integers instead of two of text), and the category as text, which
    the option tables read."""
    if codes:
        out = {decision_column(table.column): compile_sql(decision_code_node(table.table))}
        if table.table.output == "category":
            out[table.column] = compile_sql(outcome_node(table.table))
        return out
    return {table.column: compile_sql(outcome_node(table.table)),
            table.rule_column: compile_sql(outcome_node(table.table, deciding_rule=True))}


def decision_steps(query: Query, plan: CohortPlan, *, options: bool = True,
                   codes: bool = False) -> None:
    tables = plan.tables if options else plan.tables[:1]
    category = tables[0]
    query.step(**_conditions(category))
    query.step(**_outcomes(category, codes))
    if options:
        option_steps(query, plan, codes)


def option_steps(query: Query, plan: CohortPlan, codes: bool = False) -> None:
    """Every option table's conditions, then its fit and deciding rule (or, with `codes`,
    its decision code)."""
    rest = plan.tables[1:]
    conditions: dict[str, str] = {}
    for table in rest:
        conditions.update(_conditions(table))
    query.step(**conditions)
    outcomes: dict[str, str] = {}
    for table in rest:
        outcomes.update(_outcomes(table, codes))
    query.step(**outcomes)


def _key_code(part: KeyPart) -> str:
    name = part.name
    if part.kind == "bool":
        return f"COALESCE(CAST({name} AS BIGINT), 2)"
    if part.kind in ("enum", "cp_class"):
        column = "cp_class" if part.kind == "cp_class" else name
        whens = " ".join(f"WHEN {literal(v)} THEN {i}" for i, v in enumerate(part.values))
        return f"(CASE {column} {whens} ELSE {len(part.values)} END)"
    if part.kind == "bucket":  # below the first threshold 0, on it 1, between it and
        # the next 2, ..., above the last 2 * len(values); unknown radix - 1
        whens = " ".join(f"WHEN {name} < {t!r} THEN {2 * i} WHEN {name} = {t!r} THEN {2 * i + 1}"
                         for i, t in enumerate(part.values))
        return (f"(CASE WHEN {name} IS NULL THEN {part.radix - 1} {whens} "
                f"ELSE {2 * len(part.values)} END)")
    return "_cp_lo" if part.kind == "cp_low" else "_cp_hi"


def key_sql(plan: CohortPlan) -> str:
    """Twin of `polars_engine.key_expression`."""
    terms, scale = [], 1
    for part in plan.key_parts:
        terms.append(f"CAST({_key_code(part)} AS BIGINT) * {scale}")
        scale *= part.radix
    return " + ".join(terms)


# --- whole queries ---------------------------------------------------------------------

def _base(source: str, columns: list[str]) -> Query:
    present = set(columns)
    kept = [f"{quote(c)} AS {_orig(c)}" for c in columns]
    query = Query([ORIGINAL + c for c in columns], [f"SELECT {', '.join(kept)} FROM {source}"])
    query.step(**{s.name: _normalised(s, present) for s in FIELDS})
    query.step(**{ERROR: _error(present)})
    derived_steps(query)
    return query


def cohort_query(plan: CohortPlan, source: str, columns: list[str]) -> str:
    """Every row, as the Polars engine's `assess_rows` reads it once the outcomes are
    read from their codes (`polars_engine.decoded_outcomes`): the input's columns under
    `polars_engine.ORIGINAL`, the vocabulary, derived values, each table's decision code,
    the candidate key, the row-check flag and `error`. The candidates of the key, the fits
    they agree on and `missing` are added by the same code as in the Polars engine
    (`sql_run`). Projections only (no join, no window): DuckDB keeps the input's order."""
    from livertx.cohort.polars_engine import CHECKS
    from livertx.cohort.polars_engine import ORIGINAL as POLARS_ORIGINAL

    query = _base(source, columns)
    decision_steps(query, plan, codes=True)
    # the key of valid open rows only, as the Polars engine's `with_open_keys`: the other
    # rows have no candidates, and a CASE evaluates its branch only where it is taken
    query.step(**{KEY: f"CASE WHEN category IS NULL AND {ERROR} IS NULL THEN {key_sql(plan)} END"})
    last = f"s{len(query.ctes) - 1}"
    select = [f"q.{_orig(c)} AS {quote(POLARS_ORIGINAL + c)}" for c in columns]
    select += [f"q.{quote(s.name)}" for s in FIELDS]
    select += [f"q.{quote(name)}" for name in DERIVED_COLUMNS]
    select += [f"CAST(q.{quote(decision_column(t.column))} AS USMALLINT) AS "
               f"{quote(decision_column(t.column))}" for t in plan.tables]
    select += [f"q.{KEY}", f"CASE WHEN q.{ERROR} IS NULL THEN 0 ELSE 1 END AS {CHECKS}",
               f"q.{ERROR}"]
    return query.sql(f"SELECT {', '.join(select)} FROM {last} AS q")


__all__ = ["DERIVED_COLUMNS", "cohort_query", "literal", "quote"]
