"""The values the cohort's candidate search tries for each unknown fact, and the known
values it treats alike.

`livertx.engine.rows.probe_values` gives, per fact, a value on each side of every
threshold any table or score compares it with; the single-patient search needs them all
to say what each candidate requires. The cohort keeps only the candidate ids, so a fact
that the category (its rules, the scores they read and the contradiction check) only ever
compares with constants needs one value per way those comparisons can come out: `ecog >= 1`
and `ecog >= 3` tell 0, 1 and 3 apart, not 1 from 2. For the same reason a known value
can be replaced by the tried value that every comparison treats alike (`canonical`), so
that keys differing only there are searched once. A fact read any other way (in
arithmetic, as a value, beside another column) keeps every probe value and its own value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl

from livertx.compiler import nodes
from livertx.compiler.polars import compile_polars
from livertx.compiler.python import compile_python
from livertx.engine.rows import candidate_thresholds, probe_values, probed_facts
from livertx.frame import COLUMN_SCHEMA
from livertx.knowledge.pack import Pack
from livertx.scores.child_pugh import CLASSES

CLASS = "child_pugh_class"  # tried within the classes the known labs allow (`_lo`, `_hi`)


@dataclass(frozen=True)
class Dimension:
    """An unknown fact the search chooses, with the values it tries."""

    name: str
    values: tuple[Any, ...]  # for the class: every class (each row tries its own range)
    tests: tuple[nodes.Node, ...] | None = None  # its comparisons, when it is read only so

    def choices(self) -> pl.Expr:
        """The values a row tries for this fact, as a list."""
        if self.name == CLASS:
            lo, hi = pl.col("_lo"), pl.col("_hi")
            return pl.lit(pl.Series([list(self.values)])).list.slice(lo, hi - lo + 1)
        values = pl.Series([list(self.values)], dtype=pl.List(COLUMN_SCHEMA[self.name]))
        return pl.lit(values).first()  # one list for every row

    def canonical(self) -> pl.Expr:
        """The known value as the tried value every comparison treats alike (itself when
        the fact is read otherwise or no tried value matches)."""
        column = pl.col(self.name)
        if self.tests is None:
            return column
        chain: Any = pl
        for value in self.values:
            alike = pl.all_horizontal([compile_polars(t) == _outcome(t, self.name, value)
                                       for t in self.tests])
            chain = chain.when(alike).then(pl.lit(value, COLUMN_SCHEMA[self.name]))
        return column if chain is pl else chain.otherwise(column).alias(self.name)


def dimensions(pack: Pack, read: Iterable[nodes.Node]) -> tuple[Dimension, ...]:
    """The facts the candidates try, with the values the expressions `read` tell apart
    (the first of each kind), those with the fewest values first (the search splits on
    them first: fewer children, as often settled)."""
    facts, tries_class = probed_facts(pack)
    thresholds = candidate_thresholds(pack)
    expressions = list(read)
    found = []
    for fact in facts:
        values = probe_values(fact, thresholds.get(fact, set()))
        tests: list[nodes.Node] = []
        if all(_comparisons(node, fact, tests) for node in expressions):
            kinds: dict[tuple[Any, ...], Any] = {}
            for value in values:
                kinds.setdefault(tuple(_outcome(t, fact, value) for t in tests), value)
            found.append(Dimension(fact, tuple(kinds.values()), tuple(tests)))
        else:
            found.append(Dimension(fact, tuple(values)))
    found += [Dimension(CLASS, CLASSES)] if tries_class else []
    return tuple(sorted(found, key=lambda d: len(d.values)))


def _outcome(test: nodes.Node, fact: str, value: Any) -> Any:
    return compile_python(test)({fact: value})


def _comparisons(node: nodes.Node, fact: str, into: list[nodes.Node]) -> bool:
    """Collect the comparisons of `fact` with a constant in `node`; False when the fact is
    read any other way."""
    column = nodes.Column(fact)
    if isinstance(node, nodes.Compare) and column in (node.left, node.right) and any(
            isinstance(side, nodes.Literal) for side in (node.left, node.right)):
        into.append(node)
        return True
    if isinstance(node, nodes.In) and node.item == column:
        into.append(node)
        return True
    if node == column:
        return False
    return all(_comparisons(child, fact, into) for child in nodes.children(node))


__all__ = ["CLASS", "Dimension", "dimensions"]
