"""The candidate categories of an open case, found by a search that does not enumerate.

An open case lists each category some value of its unknown facts reaches, and what each
requires (`category_candidates`). The values tried per fact are those of
`livertx.engine.rows.probe_dimensions`; their product can be 10^5 combinations and
more. The search chooses one fact at a time and, at each partial choice, evaluates the
contradiction check (`rows.POSSIBLE`) and the category table's rows with the facts not
chosen yet set to `ANY` (`livertx.compiler.partial`: a result that is not `ANY` holds for
every way of choosing the rest). A contradiction prunes the branch; a settled category (or
a settled "no category") stands for every completion at once. An unsettled branch is
split on the open fact, of those an unsettled row still reads, with the fewest values to
try, and the answers of its branches merged. Two shortcuts keep the branches few: an open fact that no unsettled row reads is
not split on (it takes every value in whatever the branch reaches), and a partial choice
whose rows are left in the same state as one already answered (the same residuals,
`compile_partial_residuals`) takes that answer. The result is exactly that of trying every
combination (`tests/test_candidate_search.py` checks it against that enumeration).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from livertx.compiler import nodes
from livertx.compiler.parse import parse
from livertx.compiler.partial import (
    ANY,
    Residuals,
    compile_partial,
    compile_partial_residuals,
    compile_partial_steps,
)
from livertx.engine.conditions import CHILD_PUGH_LABS, direct_child_pugh_labs
from livertx.engine.hit_policy import condition_column, outcome_node
from livertx.engine.rows import POSSIBLE, category_columns, probe_dimensions, probed_facts
from livertx.knowledge.pack import Pack
from livertx.scores import library
from livertx.scores.library import Output
from livertx.vocabulary import FIELD_BY_NAME

Condition = Callable[[Mapping[str, Any]], Any]
EXPLORE_LIMIT = 100  # combinations up to which a search is `quick`
ANSWERS_KEPT = 4096  # searches kept per pack (`category_candidates`)


class _Facts:
    """The facts an expression depends on, in the order it names them (through the
    expressions of the derived values it reads)."""

    def __init__(self, steps: tuple[Output, ...]) -> None:
        self.outputs = {o.name: o.node for o in steps}  # derived value -> its expression

    def __call__(self, node: nodes.Node) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self._named(node, ())))

    def _named(self, node: nodes.Node, inside: tuple[str, ...]) -> list[str]:
        if isinstance(node, nodes.Column):
            inner = self.outputs.get(node.name)
            own = [node.name] if node.name in FIELD_BY_NAME else []
            if inner is None or node.name in inside:  # an implication reads its own field
                return own
            return own + self._named(inner, (*inside, node.name))
        return [f for child in nodes.children(node) for f in self._named(child, inside)]


@dataclass(frozen=True, eq=False)
class _Table:
    """The pack's category table and what it needs, compiled for partial rows."""

    steps: tuple[Output, ...]  # the derived values the table reads, in order
    rows: tuple[nodes.Node, ...]
    outcomes: tuple[str, ...]  # each row's category
    outcome: Condition  # the hit policy over the rows' condition columns (partial)
    columns: tuple[str, ...]  # each row's condition column
    possible: Condition  # the contradiction check, over the facts as given
    possible_columns: tuple[str, ...]
    layout: tuple[str, ...]  # the facts a search may try, in `chosen` order
    facts: _Facts

    @functools.cached_property
    def order(self) -> tuple[str, ...]:
        """The categories in table order."""
        return tuple(dict.fromkeys(self.outcomes))

    @functools.cached_property
    def derive(self) -> Callable[[dict[str, Any]], None]:
        return compile_partial_steps([(o.name, o.node) for o in self.steps])

    @functools.cached_property
    def residuals(self) -> Residuals:
        """Every row's value on a partial row, with its residual, the facts it still
        reads (bit i: `layout[i]`) (`compile_partial_residuals`; its fact to split on is
        not used: `summary` picks the open fact with the fewest values)."""
        slot = {name: i for i, name in enumerate(self.layout)}

        def leaf(node: nodes.Node) -> tuple[tuple[int, ...], int]:
            found = tuple(slot[f] for f in self.facts(node) if f in slot)
            return found, sum(1 << i for i in set(found))
        return compile_partial_residuals(self.rows, leaf)

    @functools.lru_cache(maxsize=64)  # noqa: B019 (one table per pack, kept with the pack)
    def rederive(self, fact: str) -> tuple[tuple[str, ...], Callable[[dict[str, Any]], None]]:
        """What changes when `fact` is chosen: the fields whose implication is computed
        again (set back to their given value first) and the steps that read it."""
        changed, steps = {fact}, []
        for output in self.steps:
            if changed & nodes.columns(output.node):
                steps.append(output)
                changed.add(output.name)
        implied = tuple(o.name for o in steps if o.name in FIELD_BY_NAME)
        return implied, compile_partial_steps([(o.name, o.node) for o in steps])

    @functools.cached_property
    def inputs(self) -> tuple[str, ...]:
        """The given facts a search can read: those the derived values, the rows and the
        contradiction check name, and the fields an implication sets."""
        read = set(self.possible_columns).union(
            *(nodes.columns(o.node) | {o.name} for o in self.steps),
            *(nodes.columns(r) for r in self.rows))
        return tuple(f for f in FIELD_BY_NAME if f in read)

    @functools.cached_property
    def answers(self) -> dict[tuple[Any, ...], Answer]:
        """`category_candidates`' answers so far, by the facts they rest on."""
        return {}

    @functools.cached_property
    def decided(self) -> dict[tuple[Any, ...], Any]:
        """`decide`'s answers so far (the rows' values repeat across searches)."""
        return {}

    def decide(self, held: tuple[Any, ...]) -> Any:
        """The table's hit policy (`livertx.engine.hit_policy`, its outcome node through
        the partial backend) over the rows' values on a partial row: the category, None
        (no category), or ANY when the rows not settled yet could still change it."""
        found = self.decided.get(held, self)
        if found is self:
            found = self.decided[held] = self.outcome(dict(zip(self.columns, held)))
        return found


def _table(pack: Pack) -> _Table:
    """The category table compiled for the search (cached on the pack)."""
    cached: _Table | None = pack._cache.get("candidate_search")
    if cached is None:
        table = pack.category_table
        steps = library.steps_for(category_columns(pack))
        possible = parse(POSSIBLE)
        facts, tries_class = probed_facts(pack)
        cached = _Table(
            steps, tuple(parse(r.when) for r in table.rules),
            tuple(r.outcome for r in table.rules),
            compile_partial(outcome_node(table)),
            tuple(condition_column(r.id) for r in table.rules),
            compile_partial(possible), tuple(sorted(nodes.columns(possible))),
            tuple(dict.fromkeys([*(["child_pugh_class"] if tries_class else []), *facts])),
            _Facts(steps))
        pack._cache["candidate_search"] = cached
    return cached


Summary = dict[str, int]  # outcome ("" = any possible completion) -> bits of the values
TRIED = ""


class _Search:
    """One open case: its unknown facts, the values tried for each, and what was found.

    `summary` answers, for a partial choice, each outcome its completions reach (a
    category, or `TRIED` for any completion that is no contradiction) with the values of
    each fact not chosen yet that some such completion has. The values are bits of one
    integer (fact i's values from `offsets[i]` on), so the answers of a split's branches
    merge by `|`. An open fact that no unsettled row reads takes every value in whatever
    is reached; and two partial choices whose rows are left in the same state (the same
    residuals, `livertx.compiler.partial.compile_partial_residuals`) have the same answer,
    computed once (`memo`).
    """

    def __init__(self, dimensions: dict[str, list[Any]], facts: dict[str, Any],
                 table: _Table) -> None:
        self.table = table
        self.names = tuple(dimensions)
        self.values = tuple(dimensions.values())
        self.offsets = tuple(itertools.accumulate((len(v) for v in self.values), initial=0))
        self.full = tuple(((1 << len(v)) - 1) << o for v, o in zip(self.values, self.offsets))
        self.base = {**facts, **dict.fromkeys(dimensions, ANY)}
        self.slot = {name: i for i, name in enumerate(table.layout)}
        self.dimension = {self.slot[name]: i for i, name in enumerate(self.names)}
        self.width = {at: len(self.values[d]) for at, d in self.dimension.items()}
        self.check = tuple(self.slot[c] for c in table.possible_columns
                           if c in dimensions)
        self.checked_values = _items(self.check)  # the chosen values the check reads
        self.check_bits = sum(1 << i for i in self.check)
        self.memo: dict[tuple[Any, ...], Summary] = {}
        self.bits: dict[int, int] = {}  # facts (bit i: layout[i]) -> bits of their values
        self.checked: dict[tuple[Any, ...], Any] = {}  # the contradiction check's answers
        self.given = {c: self.base.get(c) for c in table.possible_columns}

    def root(self) -> Summary:
        probe = dict(self.base)
        self.table.derive(probe)
        chosen = [self.base.get(name) for name in self.table.layout]
        return self.summary(chosen, sum(self.full), probe)

    def summary(self, chosen: list[Any], open_bits: int, probe: dict[str, Any]) -> Summary:
        """What the completions of a partial choice reach (`chosen[i]` is ANY while fact
        `layout[i]` is open; `open_bits` holds every value of the open facts)."""
        possible = self._possible(chosen)
        if possible is False:
            return {}
        held, residual, reads, _ = self.table.residuals(probe, chosen)
        category = self.table.decide(held)
        if category is not ANY:
            reached = open_bits if possible is True else self._possible_bits(chosen, open_bits)
            if reached is None:
                return {}
            return {TRIED: reached} if category is None else {TRIED: reached, category: reached}
        if possible is ANY:
            residual = (*residual, self.checked_values(chosen))
            reads |= self.check_bits
        read = self.bits.get(reads)
        if read is None:
            read = self.bits[reads] = sum(self.full[d] for i, d in self.dimension.items()
                                          if reads >> i & 1)
        # the open facts nothing unsettled reads take every value in whatever is reached
        free, open_bits = open_bits & ~read, open_bits & read
        key = (open_bits, residual)
        found = self.memo.get(key)
        if found is None:
            # split on the open fact, of those still read, with the fewest values: fewer
            # branches at the top, and more of them meet again below (`memo`)
            split = min((i for i, d in self.dimension.items() if open_bits & self.full[d]),
                        key=self.width.__getitem__)
            found = self.memo[key] = self._split(chosen, open_bits, probe, split)
        return {outcome: bits | free for outcome, bits in found.items()} if free else found

    def _split(self, chosen: list[Any], open_bits: int, probe: dict[str, Any],
               at: int) -> Summary:
        """Each value of fact `layout[at]` in turn: the branches' answers merged."""
        found: Summary = {}
        name, d = self.table.layout[at], self.dimension[at]
        rest = open_bits & ~self.full[d]
        for k, value in enumerate(self.values[d]):
            bit = 1 << (self.offsets[d] + k)
            chosen[at] = value
            for outcome, bits in self.summary(chosen, rest, self.child(chosen, probe, name, value)).items():
                found[outcome] = found.get(outcome, 0) | bits | bit
        chosen[at] = ANY
        return found

    def child(self, chosen: list[Any], probe: dict[str, Any], name: str, value: Any
              ) -> dict[str, Any]:
        """The partial row with one more fact chosen: only what reads it is computed again."""
        probe = dict(probe)
        probe[name] = value
        implied, rederive = self.table.rederive(name)
        for field in implied:  # an implication reads the field as given
            at = self.slot.get(field)
            probe[field] = self.base[field] if at is None else chosen[at]
        rederive(probe)
        return probe

    def _possible(self, chosen: list[Any]) -> Any:
        """The contradiction check over the facts as given (and as chosen)."""
        key = self.checked_values(chosen)
        found = self.checked.get(key, self)
        if found is self:
            given = self.given
            for i in self.check:
                given[self.table.layout[i]] = chosen[i]
            found = self.checked[key] = self.table.possible(given)
        return found

    def _possible_bits(self, chosen: list[Any], open_bits: int) -> int | None:
        """The open values that some choice of the open facts the contradiction check
        reads allows (the facts it does not read are free); None when it allows none."""
        check = [i for i in self.check if chosen[i] is ANY]
        free = open_bits
        for i in check:
            free &= ~self.full[self.dimension[i]]
        allowed, some = 0, False
        for ks in itertools.product(*(range(len(self.values[self.dimension[i]])) for i in check)):
            for i, k in zip(check, ks):
                chosen[i] = self.values[self.dimension[i]][k]
            if self._possible(chosen) is True:
                some = True
                for i, k in zip(check, ks):
                    allowed |= 1 << (self.offsets[self.dimension[i]] + k)
        for i in check:
            chosen[i] = ANY
        return free | allowed if some else None


def _items(indices: tuple[int, ...]) -> Callable[[list[Any]], tuple[Any, ...]]:
    """The items at these indices, as a tuple (one `itemgetter` call, no loop in Python;
    one index or none still gives a tuple)."""
    if len(indices) > 1:
        return itemgetter(*indices)
    return lambda items: tuple(items[i] for i in indices)


def quick(row: Mapping[str, Any], pack: Pack) -> bool:
    """Whether an open row's search is short (few combinations to try): the API runs it on
    the event loop."""
    return _size(probe_dimensions(row, pack)) <= EXPLORE_LIMIT


def _size(dimensions: dict[str, list[Any]]) -> int:
    return math.prod(len(values) for values in dimensions.values())


def category_candidates(row: Mapping[str, Any], pack: Pack) -> list[dict[str, Any]]:
    """Each category some value of the unknown facts reaches, in table order, with the
    values it requires ("requires": one value, a bound, or a list of values).

    The answer rests only on the facts the search reads (`_Table.inputs`) and the values
    it tries, so it is kept by them (`ANSWERS_KEPT` per pack): an open case seen before, or
    one that differs only in facts the category does not read, is not searched again."""
    table = _table(pack)
    key, dimensions, facts = answer_key(row, pack)
    found = table.answers.get(key)
    if found is None:
        found = _search(dimensions, facts(), table)
        if len(table.answers) < ANSWERS_KEPT:
            table.answers[key] = found
    return [{"id": category_id, "requires": {name: _copy(value) for name, value in
                                             requires.items()}}
            for category_id, requires in found]


def answer_key(row: Mapping[str, Any], pack: Pack
               ) -> tuple[tuple[Any, ...], dict[str, list[Any]], Callable[[], dict[str, Any]]]:
    """What a search rests on, as a key (the values tried for each unknown fact, and the
    given facts it reads), with the values tried and the facts as the search takes them
    (built only when a search is run)."""
    dimensions = probe_dimensions(row, pack)
    # the tried class stands in for undecided labs
    cleared = _cleared_labs(pack) if "child_pugh_class" in dimensions else frozenset()

    def facts() -> dict[str, Any]:
        given = {k: v for k, v in row.items() if k in FIELD_BY_NAME}
        given.update(dict.fromkeys(cleared))
        return given

    key = (tuple((name, tuple(values)) for name, values in dimensions.items()),
           tuple(None if name in cleared else row.get(name) for name in _table(pack).inputs))
    return key, dimensions, facts


def _cleared_labs(pack: Pack) -> frozenset[str]:
    """The Child-Pugh labs the search leaves unknown while it tries the class."""
    direct = direct_child_pugh_labs(category_columns(pack))
    return frozenset(lab for lab in CHILD_PUGH_LABS if lab not in direct)


def forget_answers(pack: Pack) -> None:
    """Drop the kept answers (`category_candidates`): the next open case is searched
    afresh (the benchmark measures a case seen for the first time this way)."""
    _table(pack).answers.clear()


def _copy(value: Any) -> Any:
    """A requirement as a new object (a list of values, or a bound)."""
    return list(value) if isinstance(value, list) else dict(value) \
        if isinstance(value, dict) else value


Answer = tuple[tuple[str, dict[str, Any]], ...]  # (category, what it requires), kept


def _search(dimensions: dict[str, list[Any]], facts: dict[str, Any], table: _Table
            ) -> Answer:
    search = _Search(dimensions, facts, table)
    found = search.root()
    tried = found.get(TRIED, 0)
    every = [sorted((v for k, v in enumerate(values) if tried >> (offset + k) & 1), key=_order)
             for values, offset in zip(search.values, search.offsets)]
    out = []
    for category_id in search.table.order:
        if category_id not in found:
            continue
        requires: dict[str, Any] = {}
        for name, values, offset, all_tried in zip(search.names, search.values,
                                                   search.offsets, every):
            reaching = sorted((v for k, v in enumerate(values)
                               if found[category_id] >> (offset + k) & 1), key=_order)
            if len(reaching) < len(all_tried):
                requires[name] = _requirement(reaching, all_tried)
        out.append((category_id, requires))
    return tuple(out)


def _order(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, (int, float)) else (1, str(value))


def _requirement(reaching: list[Any], every: list[Any]) -> Any:
    """One value, a bound ("at_most"/"more_than") for numbers, or the list of values."""
    if len(reaching) == 1:
        return reaching[0]
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in every):
        k = len(reaching)
        if reaching == every[:k]:
            return {"at_most": reaching[-1]}
        if reaching == every[-k:]:
            return {"more_than": every[-k - 1]}
    return reaching


__all__ = ["answer_key", "category_candidates", "forget_answers", "quick"]
