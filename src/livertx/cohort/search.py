"""The candidate categories of many open keys at once, by a search over partial choices.

The batch form of `livertx.engine.search`: one frame row per partial choice of the unknown
facts of a key, every key together, one level of the search per Polars query. A row
starts with every unknown fact not chosen; the contradiction check (`rows.POSSIBLE`) and
the category table (hit policy "first") are evaluated with a flag per value that says it
is not settled yet (`livertx.compiler.unsettled`). Then:
- a row whose check is settled but not true, or whose category is settled as none, is
  dropped: no completion of it is a candidate;
- a row whose check is true and whose category is settled reaches that category (every
  completion of it does), without choosing the rest;
- any other row is split: on a fact the first unsettled rule of the table waits for
  (followed down through its unsettled AND, OR, NOT and CASE parts, as the single-patient
  search does), or, once the category is settled and only the check waits, on a fact the
  check reads; among several, the one with the fewest values. Each child takes one of the
  values `livertx.cohort.probes` tries for that fact.
Keys whose rows are alike once their known values are taken as the tried value they behave
as are searched once. A row (or key) with at most `ENUMERATE_LIMIT` combinations left is
not split but tried in every one, in packed integer codes (`livertx.cohort.combinations`):
cheaper than a level of the search, whose query plan alone costs tens of milliseconds;
most keys go that way straight from the codes of their key parts (`key_candidates`), and
the search proper only takes keys with many facts unknown. The cohort keeps only the
candidate ids, so that is all either records (no "requires"): exactly the categories the
enumeration of every combination reaches (`tests/test_cohort_candidates.py` checks it, every column, on generated cohorts of
both packs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl

from livertx.cohort.combinations import Rows, candidate_masks, coded
from livertx.cohort.plan import CANDIDATE_MASK, CANDIDATES, KEY, CohortPlan
from livertx.cohort.polars_engine import candidate_lists
from livertx.cohort.probes import CLASS, Dimension, dimensions
from livertx.compiler import nodes
from livertx.compiler.parse import parse
from livertx.compiler.polars import compile_polars
from livertx.compiler.unsettled import Flag, compile_unsettled
from livertx.engine.hit_policy import (
    CONDITION_PREFIX,
    condition_column,
    decision_code_node,
    decision_values,
)
from livertx.engine.rows import POSSIBLE, category_columns
from livertx.frame import COLUMN_SCHEMA
from livertx.knowledge.pack import Pack
from livertx.scores import library, stages

ENUMERATE_LIMIT = 100_000  # combinations up to which a row's are all tried at once
# (`livertx.cohort.combinations`): each level of the search costs a query plan (tens of
# milliseconds), as much as evaluating tens of thousands of rows
OPEN = "_open"  # the facts this row has not chosen yet, a bit per dimension
UNSETTLED = "_unsettled|"  # a derived value or a rule's condition not settled yet
WAITS = "_waits|"  # the dimension a rule's unsettled condition waits for
_CATEGORY, _POSSIBLE, _SPLIT, _FOUND, _ID = "_category", "_possible", "_split", "_found", "_row"
_UNSETTLED_CATEGORY, _NO_CATEGORY = -1, -2  # `_category` besides a category's index


@dataclass(frozen=True, eq=False)
class _Search:
    """What one level of the search computes, built once per pack."""

    dimensions: tuple[Dimension, ...]
    carried: tuple[str, ...]  # the columns a row keeps from level to level
    steps: tuple[dict[str, pl.Expr], ...]  # the check, then per level of the scores
    conditions: dict[str, pl.Expr]  # the category table's conditions and their flags
    waits: dict[str, pl.Expr]  # per unsettled condition, the dimension it waits for
    verdict: dict[str, pl.Expr]  # `_category` and `_split`
    complete: tuple[dict[str, pl.Expr], ...]  # the same without flags, stage by stage

    @property
    def columns(self) -> tuple[str, ...]:
        """The carried columns that hold facts."""
        return tuple(c for c in self.carried if c not in (KEY, "_lo", "_hi", OPEN))

    def masks(self, complete: pl.DataFrame) -> np.ndarray:
        """A bit for the category of each complete row the check lets through (else 0)."""
        assessed = self.settle(complete)
        category = assessed[_CATEGORY].to_numpy().astype(np.int64)
        held = (assessed[_POSSIBLE].to_numpy() == 1) & (category >= 0)
        return np.where(held, np.left_shift(1, np.maximum(category, 0)), 0).astype(np.uint16)

    def settle(self, frame: pl.DataFrame) -> pl.DataFrame:
        """`_POSSIBLE` and `_CATEGORY` of complete rows (every fact chosen), by the same
        expressions without the flags (all false there): a few times cheaper."""
        lazy = frame.lazy()
        for stage in self.complete:
            lazy = lazy.with_columns(**stage)
        return lazy.select(_POSSIBLE, _CATEGORY).collect()

    def evaluate(self, frame: pl.DataFrame) -> pl.DataFrame:
        lazy = frame.lazy()
        for stage in self.steps:
            lazy = lazy.with_columns(**stage)
        return (lazy.with_columns(**self.conditions).with_columns(**self.waits)
                .with_columns(**self.verdict)
                .select(*self.carried, *self.verdict, _POSSIBLE).collect())

    def expand(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Each row once per value of the fact it is split on (the rows split on one fact
        together: one explode of one column)."""
        parts = []
        for k, d in enumerate(self.dimensions):
            part = frame.filter(pl.col(_SPLIT) == k)
            if part.height:
                parts.append(part.select(self.carried).with_columns(d.choices().alias(d.name))
                             .explode(d.name).with_columns(pl.col(OPEN) - (1 << k)))
        return pl.concat(parts) if parts else frame.select(self.carried)


def _search(pack: Pack, plan: CohortPlan) -> _Search:
    """The search's expressions for a pack (cached on the pack)."""
    cached: _Search | None = pack._cache.get("cohort_search")
    if cached is not None:
        return cached
    names = category_columns(pack)
    possible = parse(POSSIBLE)
    rules = plan.compiled.category.table.rules
    scores = library.steps_for(names)
    found = dimensions(pack, [possible, *(parse(r.when) for r in rules),
                              *(o.node for o in scores)])
    read = names | nodes.columns(possible) | {c for o in scores for c in nodes.columns(o.node)}
    # a column the key leaves out is unknown in every row: a constant, not carried
    kept = {p.name for p in plan.key_parts} | {d.name for d in found}
    carried = (KEY, "_lo", "_hi", OPEN, *(c for c in COLUMN_SCHEMA if c in read and c in kept))
    absent = {c: pl.lit(None, t) for c, t in COLUMN_SCHEMA.items() if c in read and c not in kept}
    opened = {f"{OPEN}|{d.name}": _opened(k) for k, d in enumerate(found)}
    flags: dict[str, pl.Expr] = {d.name: pl.col(f"{OPEN}|{d.name}") for d in found}
    # the check reads the facts as chosen, before the implications replace them
    checked = _state(compile_polars(possible), compile_unsettled(possible, _flag_of(flags)))
    scored = _scores(names, flags)  # (updates `flags`)
    steps = [{**absent, **opened}, {_POSSIBLE: checked}, *scored]
    conditions: dict[str, pl.Expr] = dict(plan.compiled.category.conditions())
    waits: dict[str, str] = {}
    for rule in rules:
        flag = compile_unsettled(parse(rule.when), _flag_of(flags))
        if flag is not None:
            conditions[UNSETTLED + rule.id] = flag
            waits[condition_column(rule.id)] = WAITS + rule.id
    # a rule's wait is computed once, where its flag is read (not once per place the hit
    # policy reads the rule: its node reads a rule up to once per earlier rule)
    waiting = {waits[condition_column(r.id)]: _blame(parse(r.when), _flag_of(flags), found, {})
               for r in rules if condition_column(r.id) in waits}
    flags.update({c: pl.col(UNSETTLED + c.removeprefix(CONDITION_PREFIX)) for c in waits})
    category, split, settled = _decided(plan, flags, found, waits)
    verdict = {_CATEGORY: category,
               _SPLIT: pl.coalesce(split, _first_open(nodes.columns(possible), found))}
    complete = (absent, {_POSSIBLE: _state(compile_polars(possible), None)}, *scored[1::2],
                dict(plan.compiled.category.conditions()), {_CATEGORY: settled})
    cached = _Search(found, carried, tuple(steps), conditions, waiting, verdict, complete)
    pack._cache["cohort_search"] = cached
    return cached


def _scores(names: frozenset[str], flags: dict[str, pl.Expr]) -> list[dict[str, pl.Expr]]:
    """The score steps the category reads, level by level: first their flags (they read
    the level before), then their values (which may replace a field they imply). `flags`
    is updated to name the flag column of every value that may be unsettled."""
    out: list[dict[str, pl.Expr]] = []
    by_name = {o.name: o for o in library.steps()}
    for values in stages(names):
        unsettled = {}
        for name in values:
            flag = compile_unsettled(by_name[name].node, _flag_of(flags))
            if flag is not None:
                unsettled[UNSETTLED + name] = flag
        out += [unsettled, values]
        for name in values:
            if UNSETTLED + name in unsettled:
                flags[name] = pl.col(UNSETTLED + name)
            else:
                flags.pop(name, None)
    return out


def _decided(plan: CohortPlan, flags: dict[str, pl.Expr], found: tuple[Dimension, ...],
             waits: dict[str, str]) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """The pack's own hit policy (`hit_policy.decision_code_node`, which every backend
    compiles) on a partial row: the category's index, `_UNSETTLED_CATEGORY` while the
    values not chosen yet may change it, `_NO_CATEGORY` when it is unknown or no rule
    holds; while it is not settled, the dimension to split on (the one it waits for); and
    the category's index as though every value were settled."""
    compiled = plan.compiled.category
    node = decision_code_node(compiled.table)
    flag = compile_unsettled(node, _flag_of(flags))
    outcomes, _ = decision_values(compiled.table)
    index = {c: i for i, c in enumerate(plan.categories)}
    codes = {code: index[o] for code, o in enumerate(outcomes) if o is not None}
    settled = (compiled.decision.replace_strict(codes, default=_NO_CATEGORY,
                                                return_dtype=pl.Int8)
               .fill_null(_NO_CATEGORY))
    if flag is None:
        return settled, pl.lit(None, pl.Int64), settled
    return (pl.when(flag).then(_UNSETTLED_CATEGORY).otherwise(settled).cast(pl.Int8),
            pl.when(flag).then(_blame(node, _flag_of(flags), found, waits)), settled)


def _flag_of(flags: dict[str, pl.Expr]) -> Any:
    return flags.get


def _opened(k: int) -> pl.Expr:
    """Whether the row has not chosen dimension `k` yet."""
    return (pl.col(OPEN) & (1 << k)) != 0


def _state(value: pl.Expr, flag: Flag) -> pl.Expr:
    """1: settled true, 0: settled otherwise, -1: not settled."""
    held = pl.when(value.fill_null(False)).then(1).otherwise(0)
    if flag is not None:
        held = pl.when(flag).then(-1).otherwise(held)
    return held.cast(pl.Int8)


def _blame(node: nodes.Node, flag_of: Any, found: tuple[Dimension, ...],
           waits: dict[str, str]) -> pl.Expr:
    """The dimension an unsettled expression waits for, followed down through its AND,
    OR, NOT, IS NULL and CASE parts that are not settled (as `livertx.engine.search`
    splits); for a rule's condition column, the column that says what it waits for."""
    if isinstance(node, nodes.Column) and node.name in waits:
        return pl.col(waits[node.name])
    if isinstance(node, (nodes.And, nodes.Or, nodes.Not, nodes.IsNull)):
        parts = [(compile_unsettled(c, flag_of), c) for c in nodes.children(node)]
        inner: list[pl.Expr] = [pl.when(f).then(_blame(c, flag_of, found, waits))
                                for f, c in parts if f is not None]
        return pl.coalesce(inner or [pl.lit(None, pl.Int64)])
    if isinstance(node, nodes.Case):
        chain: Any = pl
        for condition, value in node.whens:
            held = compile_unsettled(condition, flag_of)
            if held is not None:
                chain = chain.when(held).then(_blame(condition, flag_of, found, waits))
            chain = chain.when(compile_polars(condition)).then(
                _blame(value, flag_of, found, waits))
        return chain.otherwise(_blame(node.otherwise, flag_of, found, waits))  # type: ignore[no-any-return]
    facts = set().union(*(_facts_of(c) for c in nodes.columns(node)))
    return _first_open(facts, found, fallback=False)


def _facts_of(column: str) -> frozenset[str]:
    """The vocabulary fields a column is computed from, through implications too."""
    out, todo = {column}, [column]
    while todo:
        for name in library.inputs_of().get(todo.pop(), ()):
            if name not in out:
                out.add(name)
                todo += [name] if name in library.implied_fields() else []
    return frozenset(out)


def _first_open(facts: Iterable[str], found: tuple[Dimension, ...], *,
                fallback: bool = True) -> pl.Expr:
    """The dimension to split on: the first (`dimensions` puts those with the fewest values
    first) among `facts` not chosen yet, or, with `fallback`, of any; null if none."""
    named = set(facts)
    mask = pl.lit(sum(1 << k for k, d in enumerate(found) if d.name in named), pl.UInt32)
    first = _lowest(pl.col(OPEN) & mask)
    return pl.coalesce(first, _lowest(pl.col(OPEN))) if fallback else first


def _lowest(bits: pl.Expr) -> pl.Expr:
    """The index of the lowest bit set (null when none is)."""
    return pl.when(bits != 0).then(bits.bitwise_trailing_zeros().cast(pl.Int64))


def search_candidates(start: pl.DataFrame, plan: CohortPlan, pack: Pack) -> pl.DataFrame:
    """`KEY` -> the candidate ids (`CANDIDATES`, table order) and `CANDIDATE_MASK`, from
    one representative row per key (`livertx.cohort.candidates.representatives`)."""
    search = _search(pack, plan)
    keys, frame = _distinct_rows(start, search)
    reached, enumerated = [], []
    while frame.height:
        few, masks = _enumerated(coded(frame, search.dimensions, search.columns), search)
        if few.any():
            enumerated.append(pl.DataFrame([frame[KEY].filter(few),
                                            pl.Series(_FOUND, masks, dtype=pl.UInt16)]))
            frame = frame.filter(~few)
            if not frame.height:
                break
        assessed = search.evaluate(frame)
        possible, category = pl.col(_POSSIBLE), pl.col(_CATEGORY)
        done = (possible == 1) & (category >= 0)
        dropped = (possible == 0) | (category == _NO_CATEGORY)
        reached.append(assessed.filter(done).select(KEY, category))
        frame = assessed.filter(~done & ~dropped)
        if frame[_SPLIT].null_count():
            raise AssertionError("an unsettled row with every fact chosen")  # pragma: no cover
        frame = search.expand(frame)
    bits = pl.Series([1 << i for i in range(len(plan.categories))], dtype=pl.UInt16)
    searched = (pl.concat(reached).select(KEY, pl.lit(bits).gather(pl.col(_CATEGORY))
                                          .alias(_FOUND)) if reached else None)
    none = pl.DataFrame(schema={KEY: pl.Int64, _FOUND: pl.UInt16})
    found = (pl.concat([f for f in (none, searched, *enumerated) if f is not None])
             .group_by(KEY).agg(pl.col(_FOUND).bitwise_or()).filter(pl.col(_FOUND) != 0))
    return _listed(keys.join(found.rename({KEY: _ID}), on=_ID), plan)


def _enumerated(rows: Rows, search: _Search) -> tuple[np.ndarray, np.ndarray]:
    """Which rows have at most `ENUMERATE_LIMIT` combinations, and those rows' masks from
    trying every one (none taken when their grid is too large: `candidate_masks`)."""
    few = rows.counts() <= ENUMERATE_LIMIT
    masks = candidate_masks(rows.take(few), search.masks) if few.any() else None
    if masks is None:
        return np.zeros(len(few), dtype=bool), np.zeros(0, dtype=np.uint16)
    return few, masks

def _listed(found: pl.DataFrame, plan: CohortPlan) -> pl.DataFrame:
    """`KEY`, `_FOUND` -> the output: `KEY` sorted, `CANDIDATES` and `CANDIDATE_MASK`."""
    lists = candidate_lists(plan.categories)
    return found.sort(KEY).select(KEY, pl.lit(lists).gather(pl.col(_FOUND)).alias(CANDIDATES),
                                  pl.col(_FOUND).alias(CANDIDATE_MASK))


def key_candidates(keys: pl.Series, decode: Callable[[pl.Series], pl.DataFrame],
                   plan: CohortPlan, pack: Pack) -> pl.DataFrame:
    """`KEY` -> the candidates (as `search_candidates`) of distinct keys: of those with few
    combinations by trying every one, coded straight from the parts of the key (no row
    per key: `decode`, `representatives`, is run on one key per code of a part); of the
    rest by the search, from their rows."""
    search = _search(pack, plan)
    few, masks = _enumerated(_coded_keys(keys, decode, plan, search), search)
    found = [_listed(pl.DataFrame([keys.cast(pl.Int64).alias(KEY).filter(few),
                                   pl.Series(_FOUND, masks, dtype=pl.UInt16)])
                     .filter(pl.col(_FOUND) != 0), plan)]
    rest = keys.filter(~few)
    if rest.len():
        found.append(search_candidates(decode(rest), plan, pack))
    return pl.concat(found).sort(KEY)


_PART = {CLASS: "cp_class"}  # the key part a column is decoded from, where not its own


def _coded_keys(keys: pl.Series, decode: Callable[[pl.Series], pl.DataFrame],
                plan: CohortPlan, search: _Search) -> Rows:
    """The rows of keys in codes. Each column of a key's row is decoded from one part of
    the key (and taken canonical alone), so one row per code of every part, decoded and
    coded, gives each key's codes by indexing."""
    radices = [p.radix for p in plan.key_parts]
    scales = dict(zip((p.name for p in plan.key_parts),
                      zip(np.cumprod([1, *radices[:-1]]), radices)))
    tries = np.arange(max(radices))
    probes = np.zeros(len(tries), dtype=np.int64)
    for scale, radix in scales.values():
        probes += np.minimum(tries, radix - 1) * int(scale)
    raw = decode(pl.Series(KEY, probes, dtype=pl.Int64))
    probe = coded(_canonical(raw, search), search.dimensions, search.columns)
    values = keys.cast(pl.Int64).to_numpy()

    def part(name: str) -> np.ndarray:
        scale, radix = scales[_PART.get(name, name)]
        return (values // int(scale)) % radix

    columns = [replace(c, codes=c.codes[part(c.name)] if _PART.get(c.name, c.name) in scales
                       else np.full(len(values), c.codes[0]))
               for c in probe.columns]
    opened = [c.codes < 0 for c in columns if c.name == CLASS]
    if not opened:
        zeros = np.zeros(len(values), dtype=np.int64)
        return Rows(columns, zeros, zeros)
    lo = raw["_lo"].to_numpy().astype(np.int64)[part("cp_low")]
    hi = raw["_hi"].to_numpy().astype(np.int64)[part("cp_high")]
    return Rows(columns, np.where(opened[0], lo, 0),
                np.where(opened[0], np.maximum(hi - lo + 1, 0), 0))


def _distinct_rows(start: pl.DataFrame, search: _Search) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows to search, one per distinct row once known values are taken as the tried
    value they are alike to (`probes.Dimension.canonical`), with the row (`_row`) each key
    stands for; the search runs with `_row` in the key's place."""
    rows = _canonical(start, search)
    values = [c for c in search.carried if c != KEY]
    distinct = (rows.group_by(values).agg(pl.col(KEY).alias(_ID))
                .with_row_index(KEY).with_columns(pl.col(KEY).cast(pl.Int64)))
    keys = distinct.select(pl.col(_ID).alias(KEY), pl.col(KEY).alias(_ID)).explode(KEY)
    return keys, distinct.select(search.carried)


def _canonical(start: pl.DataFrame, search: _Search) -> pl.DataFrame:
    """The rows with known values taken as the tried value they are alike to, `OPEN` and
    the class range (NULL where the class is not open)."""
    tries_class = any(d.name == CLASS for d in search.dimensions)
    open_cp = pl.col("_open_cp") if tries_class else pl.lit(False)
    rows = start.with_columns(
        *(d.canonical() for d in search.dimensions if d.name != CLASS),
        pl.sum_horizontal(
            (pl.col("_open_cp") if d.name == CLASS else pl.col(d.name).is_null())
            .cast(pl.UInt32) * (1 << k) for k, d in enumerate(search.dimensions))
        .cast(pl.UInt32).alias(OPEN),
        pl.when(open_cp).then("_lo").alias("_lo"), pl.when(open_cp).then("_hi").alias("_hi"),
    )
    return rows.select(search.carried)


__all__ = ["key_candidates", "search_candidates"]
