"""Decision-table conditions: SQL expressions over vocabulary and derived columns.

The compiler (`livertx.compiler`) turns the same text into Python, Polars and SQL, so only
a small, portable subset is allowed: AND, OR, NOT, comparisons, IN, BETWEEN, columns,
numbers, strings, TRUE/FALSE. No IS [NOT] NULL/TRUE: unknown is handled by SQL's
three-valued logic and the hit policy, never by a condition that tests for it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from livertx.compiler import nodes
from livertx.compiler.parse import parse
from livertx.scores import DERIVED_COLUMNS, library
from livertx.vocabulary import FACTS, FIELD_BY_NAME, QUALIFIERS

CHILD_PUGH_INPUTS = ("child_pugh_class", "bilirubin", "albumin", "inr", "ascites",
                     "encephalopathy")
CHILD_PUGH_LABS = CHILD_PUGH_INPUTS[1:]

# The facts each derived column is computed from (what to ask for when it is unknown),
# read from the score library, in vocabulary order.
DERIVED_INPUTS: dict[str, tuple[str, ...]] = {
    name: tuple(f for f in FIELD_BY_NAME if f in library.inputs_of()[name])
    for name in DERIVED_COLUMNS}

CATEGORY_COLUMN = "category"


def uses_child_pugh_class(columns: frozenset[str] | set[str]) -> bool:
    """Whether these columns read the Child-Pugh class (directly or through a derived
    value): then candidates try the class itself, within what the known labs allow."""
    return any("child_pugh_class" in DERIVED_INPUTS.get(c, ()) for c in columns)


def direct_child_pugh_labs(columns: frozenset[str] | set[str]) -> frozenset[str]:
    """The Child-Pugh items a condition names itself (BCLC reads ascites, encephalopathy and
    bilirubin beside the class): candidates try these as facts of their own and keep them
    when they try the class."""
    return frozenset(c for c in columns if c in CHILD_PUGH_LABS)


KNOWN_COLUMNS: frozenset[str] = frozenset(FACTS + QUALIFIERS + DERIVED_COLUMNS
                                          + (CATEGORY_COLUMN,))


@functools.cache
def columns_of(condition: str) -> frozenset[str]:
    """The column names a condition reads (from its compiled plan)."""
    return nodes.columns(parse(condition))


def thresholds_of(condition: str) -> dict[str, set[float]]:
    """Numbers each column is compared with (`largest_tumor_cm > 5` gives {5})."""
    return nodes.thresholds(parse(condition))


def facts_behind(columns: frozenset[str] | set[str],
                 category_facts: frozenset[str] = frozenset()) -> frozenset[str]:
    """The vocabulary facts that decide these columns, derived ones expanded."""
    out: set[str] = set()
    for column in columns:
        if column == CATEGORY_COLUMN:
            out |= category_facts
        elif column in DERIVED_INPUTS:
            out |= set(DERIVED_INPUTS[column])
        elif column in FACTS:
            out.add(column)
    return frozenset(out)


def parse_problems(condition: str, extra_columns: frozenset[str] | set[str] = frozenset()
                   ) -> list[str]:
    """Why a condition is not acceptable (empty when it is): syntax, constructs, columns.
    `extra_columns` admits more columns (safety notes also read the outcomes)."""
    import sqlglot
    from sqlglot import exp

    allowed = (exp.And, exp.Or, exp.Not, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE,
               exp.In, exp.Between, exp.Column, exp.Identifier, exp.Literal, exp.Boolean,
               exp.Paren, exp.Neg)
    try:
        tree = sqlglot.parse_one(condition)
    except sqlglot.errors.ParseError as exc:
        return [f"does not parse as SQL: {str(exc).splitlines()[0]}"]
    problems = []
    for node in tree.walk():
        if not isinstance(node, allowed):
            problems.append(f"uses {node.key.upper()}, which is not allowed in a condition "
                            "(use AND, OR, NOT, comparisons, IN, BETWEEN)")
        if isinstance(node, exp.Column) and node.name not in KNOWN_COLUMNS | set(extra_columns):
            problems.append(f"names unknown column {node.name!r}")
    return problems


def values_of(columns: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A row's values of these columns as a tuple (None for a column it lacks): the key of
    an answer that rests only on them."""
    return lambda row: tuple(map(row.get, columns))

