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
from livertx.vocabulary import FIELD_BY_NAME

Condition = Callable[[Mapping[str, Any]], Any]
EXPLORE_BUDGET = 40  # visits before the search asks value by value instead


class _Blame:
    """Which fact not chosen yet leaves an expression undecided: the fact to split on.

    It follows the expression down through the parts that are still ANY (into a derived
    value's own expression when that value is ANY), so the split is on a fact that matters
    here and now: a fact that only a settled part reads is never chosen.
    """

    def __init__(self, outputs: dict[str, nodes.Node]) -> None:
        self.outputs = outputs  # derived value -> its expression
        self._compiled: dict[int, tuple[nodes.Node, Condition]] = {}

    def _value(self, node: nodes.Node, row: Mapping[str, Any]) -> Any:
        found = self._compiled.get(id(node))
        if found is None:  # the node is kept beside its closure, so its id stays its own
            found = self._compiled[id(node)] = (node, compile_partial(node))
        return found[1](row)

    def fact(self, node: nodes.Node, row: Mapping[str, Any], open_: AbstractSet[str]) -> str | None:
        if isinstance(node, nodes.Column):
            if node.name in open_:
                return node.name
            inner = self.outputs.get(node.name)
            return None if inner is None or row.get(node.name) is not ANY \
                else self.fact(inner, row, open_)
        if isinstance(node, nodes.Case):
            for condition, value in node.whens:
                held = self._value(condition, row)
                if held is ANY:
                    return self.fact(condition, row, open_)
                if held is True:
                    return self.fact(value, row, open_)
            return self.fact(node.otherwise, row, open_)
        for child in nodes.children(node):
            if self._value(child, row) is ANY and (found := self.fact(child, row, open_)):
                return found
        return None


@dataclass(frozen=True)
class _Row:
    node: nodes.Node
    condition: Condition
    outcome: str


@dataclass(frozen=True)
class _Table:
    """The pack's category table and what it needs, compiled for partial rows."""

    derive: Callable[[dict[str, Any]], None]  # the derived values the table reads
    rows: tuple[_Row, ...]
    possible: _Row
    order: tuple[str, ...]  # categories in table order
    blame: _Blame

    def outcomes(self, row: dict[str, Any]) -> tuple[Any, int | None, frozenset[str]]:
        """Hit policy "first" (`livertx.engine.hit_policy`) on a partial row: the category
        (an id, None when a row before any that holds is unknown, or ANY), the first
        unsettled row (when ANY) and the categories some completion may still reach."""
        self.derive(row)
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
            compile_partial_steps([(o.name, o.node) for o in steps]),
            tuple(_Row(node, compile_partial(node), r.outcome)
                  for r in table.rules for node in [parse(r.when)]),
            _Row(possible, compile_partial(possible), ""),
            tuple(dict.fromkeys(r.outcome for r in table.rules)),
            _Blame({o.name: o.node for o in steps}))
        pack._cache["candidate_search"] = cached
    return cached


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

    def witness(self, chosen: dict[str, Any], target: str | None) -> bool:
        """Whether some possible completion of `chosen` reaches `target` (with None: any
        possible completion at all); what it settles on the way is recorded."""
        probe = {**self.base, **chosen}
        table = self.table
        possible = table.possible.condition(probe)
        if possible is False:
            return False
        category, first, reachable = table.outcomes(probe)
        if possible is True and (category is not ANY or target is None):
            self.record(chosen, None if category is ANY else category)
            return target is None or category == target
        if target is not None and target not in reachable:
            return False
        name = self.split(chosen, probe, table.rows[first].node
                          if first is not None and target is not None else table.possible.node)
        return any(self.witness({**chosen, name: value}, target)
                   for value in self.dimensions[name])

    def explore(self, chosen: dict[str, Any], budget: list[int]) -> bool:
        """Split every unsettled branch (each visit spends one of `budget`): complete
        and cheapest when the branches settle early; False when the budget ran out."""
        budget[0] -= 1
        if budget[0] < 0:
            return False
        probe = {**self.base, **chosen}
        table = self.table
        possible = table.possible.condition(probe)
        if possible is False:
            return True
        category, first, _ = table.outcomes(probe)
        if possible is True and category is not ANY:
            self.record(chosen, category)
            return True
        name = self.split(chosen, probe, table.possible.node if first is None
                          else table.rows[first].node)
        return all(self.explore({**chosen, name: value}, budget)
                   for value in self.dimensions[name])

    def split(self, chosen: dict[str, Any], probe: dict[str, Any],
              blocking: nodes.Node) -> str:
        """The fact to split on: one the blocking condition waits for."""
        open_ = self.dimensions.keys() - chosen.keys()
        return self.table.blame.fact(blocking, probe, open_) or next(iter(open_))

    def run(self) -> None:
        """Explore within a small budget; when that is not enough, ask for each category
        and each tried value of each fact whether some completion with that value reaches
        it (values already seen reaching it are not asked again)."""
        if self.explore({}, [EXPLORE_BUDGET]):
            return
        for target in (None, *self.table.order):
            seen = self.tried if target is None else self.reached[target]
            if target is not None and not self.witness({}, target):
                continue
            for name, values in self.dimensions.items():
                for value in values:
                    if value not in seen[name]:
                        self.witness({name: value}, target)


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


__all__ = ["category_candidates"]
