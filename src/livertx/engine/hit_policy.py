"""Hit policy "first", defined once, as a plan node every backend compiles.

The first row whose condition holds decides. A row whose condition is unknown (NULL)
before any row holds makes the outcome unknown (`category` null, a fit "unknown") and is
reported as the row that blocked, unless the table is settled anyway: a later row with the
same outcome holds, and every row between them with another outcome is false. Then
whichever way the unknown row goes the outcome is the same, and the later row decides
(its condition is the reason that is certainly true). Without that, a failing liver with
ECOG unknown would leave the BCLC stage "not yet clear" although every ECOG gives stage D.
Each row's condition is computed first, into the column `condition_column(id)`; the outcome and the deciding rule are then one CASE over those
columns, compiled to Python, Polars or SQL like any other expression.

Frame backends may instead compute the *decision code* (`decision_code_node`): one small
integer per table saying which row decided and whether it held or was unknown, and read
the outcome and the rule from `decision_values` by that code. It is the same CASE with
integers in place of text, and much cheaper over millions of rows than two CASEs of text.
"""

from __future__ import annotations

from collections.abc import Iterator

from livertx.compiler import nodes
from livertx.knowledge.model import DecisionTable

CONDITION_PREFIX = "_c|"
UNKNOWN_FIT = "unknown"


def condition_column(rule_id: str) -> str:
    return CONDITION_PREFIX + rule_id


def rule_column(table: DecisionTable) -> str:
    """The column that holds the id of the row that decided (or blocked) a table."""
    return "category_rule" if table.output == "category" else f"rule_{table.option}"


def decision_column(column: str) -> str:
    """The column of the decision code of the table whose output column is `column` (a
    working column, dropped with the conditions)."""
    return CONDITION_PREFIX + "decision|" + column


def _holds(rule_id: str) -> nodes.Node:
    return nodes.Column(condition_column(rule_id))


def _settled_after(table: DecisionTable, index: int) -> nodes.Node | None:
    """True when rows after `index` are sure to give the outcome of row `index`: some
    later row with that outcome holds and every row between with another outcome is
    false. None when no later row has that outcome."""
    rules = table.rules
    outcome = rules[index].outcome
    ways: list[nodes.Node] = []
    for later in range(index + 1, len(rules)):
        if rules[later].outcome != outcome:
            continue
        others_false = [nodes.Not(_holds(rules[k].id)) for k in range(index + 1, later)
                        if rules[k].outcome != outcome]
        ways.append(nodes.And((*others_false, _holds(rules[later].id)))
                    if others_false else _holds(rules[later].id))
    if not ways:
        return None
    return ways[0] if len(ways) == 1 else nodes.Or(tuple(ways))


def _not_true(test: nodes.Node) -> nodes.Node:
    """FALSE when `test` is TRUE, else TRUE (NULL counts as not true)."""
    return nodes.Case(((test, nodes.Literal(False)),), nodes.Literal(True))


def _decisions(table: DecisionTable) -> Iterator[tuple[nodes.Node, str | None, str]]:
    """(test, outcome, rule id) in the order the policy tries them (`_labels`): for each
    row, first "unknown here and not settled by the rows after" (the outcome is unknown,
    this row blocked), then "holds here"."""
    for code, (outcome, rule_id, blocked) in enumerate(_labels(table)):
        holds = _holds(rule_id)
        if not blocked:
            yield holds, outcome, rule_id
            continue
        settled = _settled_after(table, code // 2)
        test: nodes.Node = nodes.IsNull(holds)
        yield (test if settled is None else nodes.And((test, _not_true(settled))),
               outcome, rule_id)


def outcome_node(table: DecisionTable, *, deciding_rule: bool = False) -> nodes.Node:
    """The table's outcome (or, with `deciding_rule`, the id of the row that decided or
    blocked it) over its condition columns."""
    whens = tuple((test, nodes.Literal(rule if deciding_rule else outcome))
                  for test, outcome, rule in _decisions(table))
    return nodes.Case(whens, nodes.Literal(None))


def decision_code_node(table: DecisionTable) -> nodes.Node:
    """The index (into `decision_values`) of the test that decided; NULL when none did."""
    whens = tuple((test, nodes.Literal(code)) for code, (test, _, __) in
                  enumerate(_decisions(table)))
    return nodes.Case(whens, nodes.Literal(None))


def decision_code_steps(table: DecisionTable) -> tuple[nodes.Node, ...]:
    """`decision_code_node`'s code computed from the last row back, one step per row, for
    a backend that can write a column per step (the cohort engine's Polars backend).

    Step `s` is the code of the rows from `len - 1 - s` on, reading the previous step's
    code in `decision_column(table.column)` (NULL before the first step): the row holds
    (its "holds" code), or it is unknown and the rows after it do not settle on its
    outcome (its "blocked" code), or it passes the decision on. "The rows after settle on
    its outcome" is exactly "the code after it is a later row of that outcome that holds"
    (`_settled_after`), so the codes are the same, with each row read once: the forward
    CASE reads the rows after each unknown row again, which grows with the square of the
    rows (half of bclc-2022's option tables' cost over a cohort)."""
    after = nodes.Column(decision_column(table.column))
    rules = table.rules
    steps: list[nodes.Node] = []
    for i in reversed(range(len(rules))):
        holds = _holds(rules[i].id)
        same = tuple(2 * later + 1 for later in range(i + 1, len(rules))
                     if rules[later].outcome == rules[i].outcome)
        blocked: nodes.Node = nodes.IsNull(holds)
        if same:
            settled = nodes.Coalesce((nodes.In(after, same), nodes.Literal(False)))
            blocked = nodes.And((blocked, nodes.Not(settled)))
        previous = after if steps else nodes.Literal(None)
        steps.append(nodes.Case(((holds, nodes.Literal(2 * i + 1)),
                                 (blocked, nodes.Literal(2 * i))), previous))
    return tuple(steps)


def _labels(table: DecisionTable) -> Iterator[tuple[str | None, str, bool]]:
    """(outcome, rule id, blocked) of each decision code, in `_decisions`' order, without
    building the tests."""
    unknown = None if table.output == "category" else UNKNOWN_FIT
    for rule in table.rules:
        yield unknown, rule.id, True
        yield rule.outcome, rule.id, False


def blocking_codes(table: DecisionTable, rows: tuple[str, ...]) -> tuple[int, ...]:
    """The decision codes that say "blocked at one of `rows`" (the outcome unknown there)."""
    return tuple(code for code, (_, rule, blocked) in enumerate(_labels(table))
                 if blocked and rule in rows)


def decision_values(table: DecisionTable) -> tuple[list[str | None], list[str]]:
    """The outcome and the rule id of each decision code."""
    labels = list(_labels(table))
    return [outcome for outcome, _, __ in labels], [rule for _, rule, __ in labels]


__all__ = ["CONDITION_PREFIX", "UNKNOWN_FIT", "blocking_codes", "condition_column",
           "decision_code_node", "decision_code_steps",
           "decision_column", "decision_values", "outcome_node", "rule_column"]
