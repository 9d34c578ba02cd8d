"""The candidate categories of an open case, found by a search that does not enumerate.

An open case lists each category some value of its unknown facts reaches, and what each
requires (`category_candidates`). The values tried per fact are those of
`livertx.engine.rows.probe_dimensions`; their product can be 10^5 combinations and
more. The search chooses one fact at a time and, at each partial choice, evaluates the
contradiction check (`rows.POSSIBLE`) and the category table with the facts not chosen
yet set to `ANY` (`livertx.compiler.partial`: a result that is not `ANY` holds for every
way of choosing the rest). A contradiction prunes the branch; a settled category (or a
settled "no category") stands for every completion at once, so each value of every fact
not chosen yet is recorded as tried (and, for a category, as reaching it) without
visiting them. Only an unsettled branch is split, on a fact that the row blocking the
table reads. The result is exactly that of trying every combination
(`tests/test_candidate_search.py` checks it against that enumeration).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from livertx.compiler import nodes
from livertx.compiler.parse import parse
from livertx.compiler.partial import ANY, compile_partial, compile_partial_steps
from livertx.engine.conditions import CHILD_PUGH_LABS, direct_child_pugh_labs
from livertx.engine.rows import POSSIBLE, category_columns, probe_dimensions
from livertx.knowledge.pack import Pack
from livertx.scores import library
from livertx.scores.library import Output
from livertx.vocabulary import FIELD_BY_NAME

Condition = Callable[[Mapping[str, Any]], Any]
EXPLORE_LIMIT = 100  # combinations up to which every branch is split (no value by value)


class _Blame:
    """Which fact not chosen yet leaves an expression undecided: the fact to split on.

    It follows the condition down through its AND, OR, NOT and CASE parts that are still
    ANY, so the split is on a fact that matters here and now (a fact that only a settled
    part reads is never chosen); below that (a comparison, a derived value) it takes the
    first fact not chosen yet in the order the expressions name them.
    """

    def __init__(self, steps: tuple[Output, ...]) -> None:
        self.outputs = {o.name: o.node for o in steps}  # derived value -> its expression
        self._compiled: dict[int, tuple[nodes.Node, Condition]] = {}
        self._facts: dict[int, tuple[nodes.Node, tuple[str, ...]]] = {}

    def _value(self, node: nodes.Node, row: Mapping[str, Any]) -> Any:
        if isinstance(node, nodes.Literal):
            return node.value
        found = self._compiled.get(id(node))
        if found is None:  # the node is kept beside its function, so its id stays its own
            found = self._compiled[id(node)] = (node, compile_partial(node))
        return found[1](row)

    def facts(self, node: nodes.Node) -> tuple[str, ...]:
        """The facts an expression depends on, in the order it names them (through the
        expressions of the derived values it reads)."""
        found = self._facts.get(id(node))
        if found is None:
            found = self._facts[id(node)] = (node, tuple(dict.fromkeys(self._named(node, ()))))
        return found[1]

    def _named(self, node: nodes.Node, inside: tuple[str, ...]) -> list[str]:
        if isinstance(node, nodes.Column):
            inner = self.outputs.get(node.name)
            own = [node.name] if node.name in FIELD_BY_NAME else []
            if inner is None or node.name in inside:  # an implication reads its own field
                return own
            return own + self._named(inner, (*inside, node.name))
        return [f for child in nodes.children(node) for f in self._named(child, inside)]

    def fact(self, node: nodes.Node, row: Mapping[str, Any], open_: AbstractSet[str]) -> str | None:
        if isinstance(node, (nodes.And, nodes.Or, nodes.Not)):
            for child in nodes.children(node):
                if self._value(child, row) is ANY and (found := self.fact(child, row, open_)):
                    return found
            return None
        if isinstance(node, nodes.Case):
            for condition, value in node.whens:
                held = self._value(condition, row)
                if held is ANY:
                    return self.fact(condition, row, open_)
                if held is True:
                    return self.fact(value, row, open_)
            return self.fact(node.otherwise, row, open_)
        return next((f for f in self.facts(node) if f in open_), None)


@dataclass(frozen=True)
class _Row:
    node: nodes.Node
    condition: Condition
    outcome: str


@dataclass(frozen=True, eq=False)
class _Table:
    """The pack's category table and what it needs, compiled for partial rows."""

    steps: tuple[Output, ...]  # the derived values the table reads, in order
    rows: tuple[_Row, ...]
    possible: _Row
    possible_columns: tuple[str, ...]
    order: tuple[str, ...]  # categories in table order
    blame: _Blame

    @functools.cached_property
    def derive(self) -> Callable[[dict[str, Any]], None]:
        return compile_partial_steps([(o.name, o.node) for o in self.steps])

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

    def outcomes(self, row: dict[str, Any]) -> tuple[Any, int | None, frozenset[str]]:
        """Hit policy "first" (`livertx.engine.hit_policy`) on a partial row with its
        derived values: the category (an id, None when a row before any that holds is
        unknown, or ANY), the first unsettled row (when ANY) and the categories some
        completion may still reach."""
        first: int | None = None
        reachable: set[str] = set()
        for i, rule in enumerate(self.rows):
            held = rule.condition(row)
            if held is False:
                continue
            if held is not None:
                reachable.add(rule.outcome)
            if held is ANY:
                first = i if first is None else first
                continue
            if first is None:
                return (rule.outcome if held else None), None, frozenset(reachable)
            break
        return ANY if first is not None else None, first, frozenset(reachable)


def _table(pack: Pack) -> _Table:
    """The category table compiled for the search (cached on the pack)."""
    cached: _Table | None = pack._cache.get("candidate_search")
    if cached is None:
        table = pack.category_table
        steps = library.steps_for(category_columns(pack))
        possible = parse(POSSIBLE)
        cached = _Table(
            steps,
            tuple(_Row(node, compile_partial(node), r.outcome)
                  for r in table.rules for node in [parse(r.when)]),
            _Row(possible, compile_partial(possible), ""),
            tuple(sorted(nodes.columns(possible))),
            tuple(dict.fromkeys(r.outcome for r in table.rules)),
            _Blame(steps))
        pack._cache["candidate_search"] = cached
    return cached


@dataclass(frozen=True)
class _Visit:
    """The table at one partial choice."""

    chosen: dict[str, Any]
    probe: dict[str, Any]  # the facts (chosen or ANY) and the derived values over them
    possible: Any
    category: Any
    first: int | None  # the first unsettled row
    reachable: frozenset[str]

    def blocking(self, table: _Table, target: str | None = "") -> nodes.Node:
        """The condition to split on: the first unsettled row, or the contradiction check
        (when the category is settled, or any possible completion will do)."""
        if self.first is None or target is None:
            return table.possible.node
        return table.rows[self.first].node


class _Search:
    """One open case: the values tried for each unknown fact, and what was found."""

    def __init__(self, dimensions: dict[str, list[Any]], facts: dict[str, Any],
                 table: _Table) -> None:
        self.dimensions, self.table = dimensions, table
        self.base = {**facts, **dict.fromkeys(dimensions, ANY)}
        self.tried: dict[str, set[Any]] = {name: set() for name in dimensions}
        self.reached: dict[str, dict[str, set[Any]]] = {
            c: {name: set() for name in dimensions} for c in table.order}
        self.found: set[str] = set()  # the categories reached
        probe = dict(self.base)
        table.derive(probe)
        self.root = self._visit({}, probe)

    def record(self, chosen: dict[str, Any], category: str | None) -> None:
        """Every completion of `chosen` is possible (and, unless None, decides `category`)."""
        into = [self.tried]
        if category is not None:
            self.found.add(category)
            into.append(self.reached[category])
        for name, values in self.dimensions.items():
            some = (chosen[name],) if name in chosen else values
            for sets in into:
                sets[name].update(some)

    def child(self, parent: _Visit, name: str, value: Any) -> _Visit:
        """`parent` with one more fact chosen: only what reads it is computed again."""
        chosen = {**parent.chosen, name: value}
        probe = dict(parent.probe)
        probe[name] = value
        implied, rederive = self.table.rederive(name)
        for field in implied:  # an implication reads the field as given
            probe[field] = chosen.get(field, self.base[field])
        rederive(probe)
        return self._visit(chosen, probe)

    def _visit(self, chosen: dict[str, Any], probe: dict[str, Any]) -> _Visit:
        table = self.table
        given = {c: chosen.get(c, self.base.get(c)) for c in table.possible_columns}
        possible = table.possible.condition(given)
        if possible is False:
            return _Visit(chosen, probe, False, None, None, frozenset())
        category, first, reachable = table.outcomes(probe)
        if possible is ANY and category is not ANY:
            # The category is settled; which completions are contradictions depends only
            # on the few facts the check reads: try those alone.
            allowed = self.possible_completions(chosen)
            if not allowed:
                return _Visit(chosen, probe, False, None, None, frozenset())
            for extra in allowed:
                self.record({**chosen, **extra}, category)
            return _Visit(chosen, probe, True, category, first, reachable)
        if possible is True and category is not ANY:
            self.record(chosen, category)
        return _Visit(chosen, probe, possible, category, first, reachable)

    def possible_completions(self, chosen: dict[str, Any]) -> list[dict[str, Any]]:
        """Each choice of the open facts the contradiction check reads that it allows."""
        names = [c for c in self.table.possible_columns
                 if c in self.dimensions and c not in chosen]
        allowed = []
        for values in itertools.product(*(self.dimensions[c] for c in names)):
            extra = dict(zip(names, values))
            given = {c: extra.get(c, chosen.get(c, self.base.get(c)))
                     for c in self.table.possible_columns}
            if self.table.possible.condition(given) is True:
                allowed.append(extra)
        return allowed

    @staticmethod
    def status(visit: _Visit, target: str | None) -> bool | None:
        """Whether every (True), no (False) or some (None) possible completion of the
        visit reaches `target` (None: any possible completion)."""
        if visit.possible is False:
            return False
        if visit.possible is True and (visit.category is not ANY or target is None):
            return target is None or visit.category == target
        if target is not None and target not in visit.reachable:
            return False
        return None

    def witness(self, visit: _Visit, target: str | None) -> bool:
        """Whether some possible completion of the visit reaches `target` (None: any
        possible completion); what it settles on the way is recorded."""
        held = self.status(visit, target)
        if held and visit.category is ANY:  # any possible completion was asked for
            self.record(visit.chosen, None)
        if held is not None:
            return held
        name = self.split(visit, visit.blocking(self.table, target))
        return any(self.witness(self.child(visit, name, value), target)
                   for value in self.dimensions[name])

    def explore(self, visit: _Visit) -> None:
        """Split every unsettled branch: the cheapest way for a few combinations."""
        if visit.possible is False or (visit.possible is True and visit.category is not ANY):
            return
        name = self.split(visit, visit.blocking(self.table))
        for value in self.dimensions[name]:
            self.explore(self.child(visit, name, value))

    def split(self, visit: _Visit, blocking: nodes.Node) -> str:
        """The fact to split on: one the blocking condition waits for."""
        open_ = self.dimensions.keys() - visit.chosen.keys()
        return self.table.blame.fact(blocking, visit.probe, open_) or next(iter(open_))

    def run(self) -> None:
        """For a few combinations, explore; otherwise ask for each category and each tried
        value of each fact whether some completion with that value reaches it (values
        already seen reaching it are not asked again)."""
        if _size(self.dimensions) <= EXPLORE_LIMIT:
            self.explore(self.root)
            return
        for target in (None, *self.table.order):
            seen = self.tried if target is None else self.reached[target]
            if target is not None and not self.witness(self.root, target):
                continue
            for name, values in self.dimensions.items():
                for value in values:
                    if value not in seen[name]:
                        self.witness(self.child(self.root, name, value), target)


def quick(row: Mapping[str, Any], pack: Pack) -> bool:
    """Whether an open row's search is a short exploration (few combinations to try)."""
    return _size(probe_dimensions(row, pack)) <= EXPLORE_LIMIT


def _size(dimensions: dict[str, list[Any]]) -> int:
    return math.prod(len(values) for values in dimensions.values())


def category_candidates(row: Mapping[str, Any], pack: Pack) -> list[dict[str, Any]]:
    """Each category some value of the unknown facts reaches, in table order, with the
    values it requires ("requires": one value, a bound, or a list of values)."""
    dimensions = probe_dimensions(row, pack)
    facts = {k: v for k, v in row.items() if k in FIELD_BY_NAME}
    if "child_pugh_class" in dimensions:  # the tried class stands in for undecided labs
        direct = direct_child_pugh_labs(category_columns(pack))
        facts.update(dict.fromkeys(lab for lab in CHILD_PUGH_LABS if lab not in direct))
    search = _Search(dimensions, facts, _table(pack))
    search.run()
    out = []
    for category_id, reached in search.reached.items():
        if category_id not in search.found:
            continue
        requires: dict[str, Any] = {}
        for name, values in reached.items():
            reaching = sorted(values, key=_order)
            every = sorted(search.tried[name], key=_order)
            if len(reaching) < len(every):
                requires[name] = _requirement(reaching, every)
        out.append({"id": category_id, "requires": requires})
    return out


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


__all__ = ["category_candidates", "quick"]
