"""What every cohort engine computes, described once as data read from the knowledge pack.

The Polars, DuckDB and Spark engines all build their expressions from these structures
(output columns, the hit-policy rows of each table, the paths by which an unknown fact
keeps an outcome open, the key that groups open rows for their category candidates), so
they cannot drift apart; `tests/test_differential.py` checks that they do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from livertx.engine.conditions import (
    CHILD_PUGH_INPUTS,
    CHILD_PUGH_LABS,
    columns_of,
    direct_child_pugh_labs,
    facts_behind,
)
from livertx.engine.frames import (
    CompiledPack,
    CompiledTable,
    compile_pack,
)
from livertx.engine.missing import Path, missing_paths
from livertx.engine.rows import UNKNOWN_FIT, candidate_thresholds
from livertx.knowledge.pack import Pack
from livertx.scores import DERIVED_COLUMNS
from livertx.vocabulary import FIELD_BY_NAME, FIELDS, QUALIFIERS

CANDIDATES = "category_candidates"
MISSING = "missing"
ERROR = "error"
KEY = "_cohort_key"
CANDIDATE_MASK = "_cohort_candidate_mask"  # a bit per category (table order) while running
FITS = ("primary", "alternative", "not_advised", UNKNOWN_FIT)


@dataclass(frozen=True)
class KeyPart:
    """One component of the candidate key: a column coded as a small integer."""

    name: str
    kind: str  # "bool", "enum", "bucket", "cp_class", "cp_low", "cp_high"
    values: tuple[Any, ...] = ()  # enum values, or bucket thresholds (sorted)
    radix: int = 0


@dataclass(frozen=True)
class CohortPlan:
    compiled: CompiledPack
    categories: tuple[str, ...]  # in table order
    missing_paths: tuple[tuple[str, tuple[Path, ...]], ...]  # (fact, paths), FACTS order
    key_parts: tuple[KeyPart, ...]

    @property
    def tables(self) -> tuple[CompiledTable, ...]:
        return self.compiled.tables

    @property
    def decision_columns(self) -> list[str]:
        out = ["category", "category_rule"]
        for table in self.compiled.options:
            out += [table.column, table.rule_column]
        return out

    @property
    def output_columns(self) -> list[str]:
        """Columns added after the input's own, in order."""
        options = [c for t in self.compiled.options for c in (t.column, t.rule_column)]
        return [*DERIVED_COLUMNS, "category", "category_rule", CANDIDATES, *options, MISSING,
                ERROR]

    def rule_ids(self, table: CompiledTable) -> list[str]:
        return [r.id for r in table.table.rules]

    def outcomes(self, table: CompiledTable) -> list[str]:
        """The values the table's output column can take (fit words or category ids)."""
        if table.table.output == "category":
            return list(self.categories)
        return list(FITS)


def reserved_columns(pack: Pack) -> set[str]:
    """Names an input table may not use: they are written by the cohort run."""
    return set(build_plan(pack).output_columns) | {KEY}


def _key_parts(pack: Pack) -> tuple[KeyPart, ...]:
    """Everything the category candidates of an open row depend on, coded small.

    Numbers are replaced by their place among the thresholds the tables and scores use,
    and the Child-Pugh inputs by the class (when known) or the classes the known labs
    still allow: exactly what `livertx.engine.search.category_candidates` reads.
    """
    columns = frozenset().union(*(columns_of(r.when) for r in pack.category_table.rules))
    relevant = facts_behind(columns) | set(QUALIFIERS)
    direct = direct_child_pugh_labs(columns)  # Child-Pugh items the category reads itself
    thresholds = candidate_thresholds(pack)
    parts: list[KeyPart] = []
    for spec in FIELDS:
        if spec.name not in relevant or (spec.name in CHILD_PUGH_INPUTS and spec.name not in direct):
            continue
        if spec.type == "bool":
            parts.append(KeyPart(spec.name, "bool", radix=3))
        elif spec.type == "enum":
            parts.append(KeyPart(spec.name, "enum", spec.values, radix=len(spec.values) + 1))
        else:
            cuts = tuple(sorted(thresholds.get(spec.name, set())))
            parts.append(KeyPart(spec.name, "bucket", cuts, radix=2 * len(cuts) + 2))
    parts += [KeyPart("cp_class", "cp_class", ("A", "B", "C"), radix=4),
              KeyPart("cp_low", "cp_low", radix=3), KeyPart("cp_high", "cp_high", radix=3)]
    return tuple(parts)


def build_plan(pack: Pack) -> CohortPlan:
    """The cohort plan of a pack (built once per pack, cached beside its compiled tables)."""
    cached = pack._cache.get("cohort_plan")
    if cached is None:
        compiled = compile_pack(pack)
        categories = tuple(dict.fromkeys(r.outcome for r in pack.category_table.rules))
        cached = CohortPlan(compiled, categories, missing_paths(pack), _key_parts(pack))
        pack._cache["cohort_plan"] = cached
    return cached


__all__ = ["CANDIDATES", "CANDIDATE_MASK", "CHILD_PUGH_LABS", "ERROR", "FIELD_BY_NAME", "KEY", "MISSING",
           "CohortPlan", "KeyPart", "Path", "build_plan",
           "reserved_columns"]
