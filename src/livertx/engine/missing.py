"""`missing`, defined once (DESIGN.md, output contract).

For each table (the category and each option), the unknown facts behind the row that
blocks it (the first row whose condition is unknown before any row holds). A derived
input stands for the unknown facts it comes from, and `category` for the facts that leave
the category open; the Child-Pugh items count only while the class itself is unknown (with
no lab known, the class is asked for instead). The paths below are data: the Python path
reads them for one patient (`missing_by_table`), and the Polars and SQL engines build their
expressions from the same paths, so every backend lists exactly the same facts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from livertx.engine.conditions import (
    CATEGORY_COLUMN,
    CHILD_PUGH_INPUTS,
    CHILD_PUGH_LABS,
    DERIVED_INPUTS,
    columns_of,
    facts_behind,
    values_of,
)
from livertx.engine.hit_policy import UNKNOWN_FIT, blocking_codes, rule_column
from livertx.knowledge.model import DecisionTable
from livertx.knowledge.pack import Pack
from livertx.vocabulary import FACTS


@dataclass(frozen=True)
class Path:
    """One way a fact keeps a table's outcome open: the table is blocked at one of `rows`
    and (when `through` is not empty) one of these derived columns, or the category, is
    unknown too."""

    output: str  # "category" or "fit"
    column: str  # the table's output column
    rule_column: str
    rows: tuple[str, ...]
    through: tuple[str, ...]  # empty: the fact is named directly by a row
    codes: tuple[int, ...] = ()  # the table's decision codes for "blocked at one of `rows`"


def category_facts(pack: Pack) -> frozenset[str]:
    """The facts the category rests on."""
    return frozenset().union(*(facts_behind(columns_of(r.when))
                               for r in pack.category_table.rules))


def through_columns(fact: str, table: DecisionTable, rows: tuple[str, ...]) -> tuple[str, ...]:
    """The derived columns (or `category`) a fact reaches these rows through; empty when it
    is named directly (then it counts whenever it is unknown)."""
    direct, derived = False, set()
    for rule in table.rules:
        if rule.id not in rows:
            continue
        columns = columns_of(rule.when)
        direct |= fact in columns
        derived |= {c for c in columns if fact in DERIVED_INPUTS.get(c, ())}
        if CATEGORY_COLUMN in columns and fact not in columns:
            derived.add(CATEGORY_COLUMN)
    return () if direct or not derived else tuple(sorted(derived))


def missing_paths(pack: Pack) -> tuple[tuple[str, tuple[Path, ...]], ...]:
    """(fact, its paths) for every fact some table rests on, in vocabulary order (cached
    on the pack)."""
    cached: tuple[tuple[str, tuple[Path, ...]], ...] | None = pack._cache.get("missing_paths")
    if cached is not None:
        return cached
    behind = category_facts(pack)
    out = []
    for fact in FACTS:
        paths = []
        for table in pack.tables:
            rows = tuple(r.id for r in table.rules
                         if fact in facts_behind(columns_of(r.when), behind))
            if rows:
                paths.append(Path(table.output, table.column, rule_column(table), rows,
                                  through_columns(fact, table, rows),
                                  blocking_codes(table, rows)))
        if paths:
            out.append((fact, tuple(paths)))
    result = tuple(out)
    pack._cache["missing_paths"] = result
    return result


def asked_for(fact: str, row: Mapping[str, Any]) -> bool:
    """Whether an unknown fact is one to ask for (the Child-Pugh rule above)."""
    if row.get(fact) is not None:
        return False
    if fact in CHILD_PUGH_INPUTS and row.get("cp_class") is not None:
        return False
    return not (fact in CHILD_PUGH_LABS
                and all(row.get(lab) is None for lab in CHILD_PUGH_LABS))


def blocked(output: str, value: Any) -> bool:
    """Whether a table's output says it is blocked: no category, or an unknown fit."""
    return value is None if output == "category" else bool(value == UNKNOWN_FIT)


def is_open(path: Path, row: Mapping[str, Any]) -> bool:
    """Whether the path holds for a row: its table blocked at one of its rows (and the
    derived value or category it goes through unknown)."""
    return (blocked(path.output, row.get(path.column))
            and row.get(path.rule_column) in path.rows
            and (not path.through or any(row.get(c) is None for c in path.through)))


MISSING_KEPT = 4096  # answers kept per pack (`missing_by_table`)


def missing_by_table(row: Mapping[str, Any], pack: Pack) -> dict[str, list[str]]:
    """For one evaluated row: each open table's output column -> its missing facts.

    The answer rests only on each table's output and blocking row and on which facts (and
    derived columns) are unknown, not on the known values (`_Reads`), so it is kept by
    those: a chart whose values changed but not what is known is answered at once."""
    reads = _reads(pack)
    key = (reads.outputs(row), tuple([value is None for value in reads.unknown(row)]))
    found = reads.answers.get(key)
    if found is None:
        found = _missing_by_table(row, pack)
        if len(reads.answers) < MISSING_KEPT:
            reads.answers[key] = found
    return {column: list(facts) for column, facts in found.items()}


@dataclass(frozen=True)
class _Reads:
    """What `_missing_by_table` reads of a row: each table's output and rule columns
    (`outputs`, their values), and the columns of which only whether they are unknown
    (`unknown`); its answers so far by those."""

    outputs: Callable[[Mapping[str, Any]], tuple[Any, ...]]
    unknown: Callable[[Mapping[str, Any]], tuple[Any, ...]]
    answers: dict[tuple[Any, ...], dict[str, list[str]]]


def _reads(pack: Pack) -> _Reads:
    cached: _Reads | None = pack._cache.get("missing_reads")
    if cached is None:
        tables = _blocking(pack)
        outputs = tuple(c for t in tables for c in (t.column, t.rule_column))
        unknown = {"cp_class": None, **dict.fromkeys(CHILD_PUGH_LABS)}
        for table in tables:
            for blocking in table.facts.values():
                for fact, through in blocking:
                    unknown.update(dict.fromkeys((fact, *through)))
        cached = _Reads(values_of(outputs), values_of(tuple(unknown)), {})
        pack._cache["missing_reads"] = cached
    return cached


def _missing_by_table(row: Mapping[str, Any], pack: Pack) -> dict[str, list[str]]:
    """`missing_by_table` worked out (each table's state read once: only the facts behind
    the row that blocks it are looked at)."""
    out: dict[str, list[str]] = {}
    asked: dict[str, bool] = {}  # each fact's `asked_for`, and each `through`'s state, once
    unknown: dict[tuple[str, ...], bool] = {(): True}
    done: dict[int, list[str]] = {}  # by blocking facts (tables often share them), once
    for table in _blocking(pack):
        if not blocked(table.output, row.get(table.column)):
            continue
        blocking = table.facts.get(row.get(table.rule_column), ())
        found = done.get(id(blocking))
        if found is None:
            found = done[id(blocking)] = []
            for fact, through in blocking:
                ask = asked.get(fact)
                if ask is None:
                    ask = asked[fact] = asked_for(fact, row)
                if not ask:
                    continue
                open_ = unknown.get(through)
                if open_ is None:
                    open_ = unknown[through] = any(row.get(c) is None for c in through)
                if open_:
                    found.append(fact)
        if found:
            out[table.column] = list(found)
    return out


@dataclass(frozen=True)
class _Blocking:
    """One table's paths by the row that blocks it: the facts (in vocabulary order) a
    table blocked at that row may be missing, each with the derived columns (or the
    category) it counts through (`Path.through`, as `is_open` reads it)."""

    output: str
    column: str
    rule_column: str
    facts: dict[str | None, tuple[tuple[str, tuple[str, ...]], ...]]


def _blocking(pack: Pack) -> tuple[_Blocking, ...]:
    """`missing_paths` turned around: by table, then by blocking row (cached on the pack).
    Equal lists of facts are one object, so that `missing_by_table` reads each once."""
    cached: tuple[_Blocking, ...] | None = pack._cache.get("missing_blocking")
    if cached is not None:
        return cached
    tables: dict[str, tuple[Path, dict[str | None, list[tuple[str, tuple[str, ...]]]]]] = {}
    for fact, paths in missing_paths(pack):
        for path in paths:
            _, by_rule = tables.setdefault(path.column, (path, {}))
            for rule in path.rows:
                by_rule.setdefault(rule, []).append((fact, path.through))
    same: dict[tuple[tuple[str, tuple[str, ...]], ...], tuple[tuple[str, tuple[str, ...]], ...]] = {}
    cached = tuple(_Blocking(first.output, column, first.rule_column,
                             {rule: same.setdefault(tuple(facts), tuple(facts))
                              for rule, facts in by_rule.items()})
                   for column, (first, by_rule) in tables.items())
    pack._cache["missing_blocking"] = cached
    return cached


def missing(row: Mapping[str, Any], pack: Pack) -> list[str]:
    """The union over every table, in vocabulary order (the cohort's `missing` column)."""
    return union_of(missing_by_table(row, pack))


def union_of(by_table: Mapping[str, list[str]]) -> list[str]:
    """`missing` from what `missing_by_table` gave (when the caller has it already)."""
    found = {f for facts in by_table.values() for f in facts}
    return [f for f in FACTS if f in found]


__all__ = ["Path", "asked_for", "category_facts", "is_open", "missing", "missing_by_table",
           "missing_paths", "through_columns", "union_of"]
