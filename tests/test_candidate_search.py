"""The candidate search (`livertx.engine.search`) against trying every combination.

An open case's candidates (ids, and what each requires, in order) must be exactly what the
enumeration of every combination of the probed values gives: the enumeration lives here,
as the oracle, and nowhere in the package. The search rests on the partial-row backend
(`livertx.compiler.partial`): a result that is not ANY must hold for every completion, for
every score output and every condition of both packs; that is checked here too.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livertx.compiler import nodes
from livertx.compiler.parse import parse
from livertx.compiler.partial import ANY, compile_partial, compile_partial_residuals
from livertx.compiler.python import compile_python
from livertx.engine import assess, search
from livertx.engine import rows as rows_module
from livertx.engine.conditions import CHILD_PUGH_LABS, direct_child_pugh_labs
from livertx.engine.rows import (
    POSSIBLE,
    candidate_thresholds,
    category_columns,
    evaluate_row,
    probe_dimensions,
    probe_values,
    row_plan,
    with_category,
)
from livertx.engine.search import EXPLORE_LIMIT, answer_key, category_candidates
from livertx.errors import InvalidInput
from livertx.generate import generate_patients
from livertx.knowledge.pack import Pack, load_guideline
from livertx.patient import parse_patient
from livertx.scores import library
from livertx.vocabulary import FIELD_BY_NAME

PACKS = {g: load_guideline(g) for g in ("acs-2017", "bclc-2022")}
AFFORDABLE = 2_000  # combinations the oracle tries per generated patient


def _enumerated_candidates(row: dict[str, Any], pack: Pack) -> list[dict[str, Any]]:
    """The oracle: every combination of the probed values, each one evaluated."""
    from livertx.engine.search import _order, _requirement

    dimensions = probe_dimensions(row, pack)
    names = list(dimensions)
    facts = {k: v for k, v in row.items() if k in FIELD_BY_NAME}
    if "child_pugh_class" in dimensions:
        direct = direct_child_pugh_labs(category_columns(pack))
        facts.update(dict.fromkeys(lab for lab in CHILD_PUGH_LABS if lab not in direct))
    possible = compile_python(parse(POSSIBLE))
    category = row_plan(pack).category
    reached: dict[str, list[tuple[Any, ...]]] = {}
    tried: list[tuple[Any, ...]] = []
    for combo in itertools.product(*dimensions.values()):
        probe = {**facts, **dict(zip(names, combo))}
        if not possible(probe):
            continue
        derived = library.derive_row(probe)
        category.decide(derived)
        tried.append(combo)
        if derived["category"] is not None:
            reached.setdefault(derived["category"], []).append(combo)
    order = list(dict.fromkeys(r.outcome for r in pack.category_table.rules))
    out = []
    for category_id in sorted(reached, key=order.index):
        requires: dict[str, Any] = {}
        for i, name in enumerate(names):
            values = sorted({c[i] for c in reached[category_id]}, key=_order)
            every = sorted({c[i] for c in tried}, key=_order)
            if len(values) < len(every):
                requires[name] = _requirement(values, every)
        out.append({"id": category_id, "requires": requires})
    return out


def _ordered(candidates: list[dict[str, Any]]) -> list[tuple[str, list[tuple[str, Any]]]]:
    """Ids and requirements with their order kept (dicts compare without order)."""
    return [(c["id"], list(c["requires"].items())) for c in candidates]


def _open_rows(frame: pl.DataFrame, pack: Pack, budget: int) -> list[dict[str, Any]]:
    rows = []
    for facts in frame.iter_rows(named=True):
        patient = parse_patient({k: v for k, v in facts.items() if v is not None})
        row = evaluate_row(patient.facts(), pack)
        size = math.prod(len(v) for v in probe_dimensions(row, pack).values())
        if row["category"] is None and size <= budget:
            rows.append(row)
    return rows


@pytest.mark.parametrize("guideline", list(PACKS))
@settings(deadline=None, max_examples=20, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), unknown_rate=st.sampled_from([0.2, 0.35, 0.5]))
def test_search_equals_enumeration_on_generated_patients(guideline: str, seed: int,
                                                         unknown_rate: float) -> None:
    pack = PACKS[guideline]
    frame = generate_patients(40, seed=seed, unknown_rate=unknown_rate)
    for row in _open_rows(frame, pack, AFFORDABLE):
        assert _ordered(category_candidates(row, pack)) == _ordered(
            _enumerated_candidates(row, pack)), {k: v for k, v in row.items()
                                                 if k in FIELD_BY_NAME}


@pytest.mark.parametrize(("guideline", "facts"), [
    ("acs-2017", {}),
    ("acs-2017", {"ecog": 1, "albumin": 3.0}),
    ("acs-2017", {"tumor_count": 3, "albumin": 3.0, "inr": 1.0}),
    ("bclc-2022", {"tumor_count": 1, "largest_tumor_cm": 3.5, "vascular_invasion": False,
                   "lymph_node_spread": False, "distant_spread": False, "cirrhosis": False}),
    ("bclc-2022", {"tumor_count": 4, "largest_tumor_cm": 6.0, "ecog": 0, "afp": 20.0,
                   "albumin": 3.0, "inr": 1.2}),
    # both vein facts unknown: each implies the other (the search's partial rows and its
    # recomputation of implications must agree with trying every combination)
    ("bclc-2022", {"tumor_count": 2, "largest_tumor_cm": 2.5, "ecog": 0, "bilirubin": 1.0,
                   "albumin": 3.0, "inr": 1.2, "ascites": "none", "encephalopathy": "none"}),
])
def test_search_equals_enumeration_on_wide_open_cases(guideline: str, facts: dict[str, Any]
                                                      ) -> None:
    """Cases with many combinations (many facts unknown, labs partly known): beyond
    `EXPLORE_LIMIT` (not `quick`), where the search's shortcuts (facts no unsettled row
    reads, answers shared between partial choices with the same residuals) matter most."""
    pack = PACKS[guideline]
    row = evaluate_row(parse_patient(facts).facts(), pack)
    assert math.prod(len(v) for v in probe_dimensions(row, pack).values()) > EXPLORE_LIMIT
    found = category_candidates(row, pack)
    assert len(found) >= 2
    assert _ordered(found) == _ordered(_enumerated_candidates(row, pack))


def test_tumours_only_on_bclc_is_answered_at_once() -> None:
    """The case of issue 11 (only the tumours known: ~10^6 combinations) gives its
    candidates, and what separates them, without trying them all."""
    pack = PACKS["bclc-2022"]
    result = assess({"tumor_count": 2, "largest_tumor_cm": 2.5}, pack)
    candidates = {c["id"]: c["requires"] for c in result["category"]["candidates"]}
    assert list(candidates) == ["bclc_d", "bclc_c", "bclc_a"]
    assert candidates["bclc_a"] == {"distant_spread": False, "ecog": 0,
                                    "lymph_node_spread": False,
                                    "major_vascular_invasion": False}
    assert candidates["bclc_c"] == {"ecog": {"at_most": 2}}


# --- the partial backend: a settled result holds for every completion --------------------

def _expressions() -> list[tuple[str, str]]:
    """Every score output and every condition of both packs (with POSSIBLE)."""
    out = [(o.name, o.expr) for o in library.steps()]
    for pack in PACKS.values():
        out += [(r.id, r.when) for t in pack.tables for r in t.rules]
    return list({expr: (name, expr) for name, expr in [*out, ("POSSIBLE", POSSIBLE)]}.values())


EXPRESSIONS = _expressions()


def _literals(node: nodes.Node) -> set[Any]:
    found = {node.value} if isinstance(node, nodes.Literal) else set()
    if isinstance(node, nodes.In):
        found |= set(node.values)
    return found.union(*(_literals(child) for child in nodes.children(node)))


LITERALS = set().union(*(_literals(parse(e)) for _, e in EXPRESSIONS)) - {None}
TYPES = {o.name: o.type for o in library.steps()}


def _choices(name: str) -> list[Any]:
    """Values a column may hold in a row: probe values for facts; for derived values and
    outcomes, every literal of its type that the expressions use."""
    if name in FIELD_BY_NAME:
        spec = FIELD_BY_NAME[name]
        found = set(library.thresholds().get(name, set())).union(
            *(candidate_thresholds(p).get(name, set()) for p in PACKS.values()))
        return [None, *probe_values(name, found if spec.type not in ("bool", "enum") else set())]
    kind = TYPES.get(name, "string")
    if kind == "bool":
        return [None, True, False]
    if kind == "string":
        return [None, *sorted(v for v in LITERALS if isinstance(v, str))]
    numbers = {v for v in LITERALS if isinstance(v, (int, float)) and not isinstance(v, bool)}
    return [None, *sorted(numbers | {v + 0.5 for v in numbers})]


@pytest.mark.parametrize(("name", "expr"), EXPRESSIONS, ids=[n for n, _ in EXPRESSIONS])
@settings(deadline=None, max_examples=10, derandomize=True)
@given(data=st.data())
def test_partial_results_hold_for_every_completion(name: str, expr: str,
                                                   data: st.DataObject) -> None:
    node = parse(expr)
    columns = sorted(nodes.columns(node))
    row = {c: data.draw(st.sampled_from(_choices(c))) for c in columns}
    concrete, partial = compile_python(node), compile_partial(node)
    assert partial(row) == concrete(row) or (partial(row) is None and concrete(row) is None)
    hidden = sorted(data.draw(st.sets(st.sampled_from(columns), min_size=1, max_size=2))
                    if columns else set())
    settled = partial({**row, **dict.fromkeys(hidden, ANY)})
    if settled is ANY:
        return
    for values in itertools.product(*(_choices(c) for c in hidden)):
        completed = {**row, **dict(zip(hidden, values))}
        assert concrete(completed) == settled, (name, completed, settled)


@pytest.mark.parametrize(("name", "expr"), EXPRESSIONS, ids=[n for n, _ in EXPRESSIONS])
@settings(deadline=None, max_examples=10, derandomize=True)
@given(data=st.data())
def test_same_residual_means_same_value_for_every_completion(name: str, expr: str,
                                                             data: st.DataObject) -> None:
    """The search reuses the answer of a partial row for another with the same residual
    (`compile_partial_residuals`): both must agree for every way of choosing the rest."""
    node = parse(expr)
    columns = sorted(nodes.columns(node))
    if not columns:
        return
    slot = {c: i for i, c in enumerate(columns)}
    residuals = compile_partial_residuals(
        [node], lambda leaf: (tuple(slot[c] for c in sorted(nodes.columns(leaf))),
                              sum(1 << slot[c] for c in nodes.columns(leaf))))
    concrete = compile_python(node)
    hidden = data.draw(st.sets(st.sampled_from(columns), min_size=1, max_size=2))
    first = {c: ANY if c in hidden else data.draw(st.sampled_from(_choices(c))) for c in columns}
    chosen = [c for c in columns if c not in hidden]
    other = data.draw(st.sampled_from(chosen)) if chosen else columns[0]
    rows = [first, {**first, other: first[other] if other in hidden
                    else data.draw(st.sampled_from(_choices(other)))}]
    answers = [residuals(row, [row[c] for c in columns]) for row in rows]
    (value,), (residual,), reads, split = answers[0]
    assert value is compile_partial(node)(rows[0]) or value == compile_partial(node)(rows[0])
    if value is not ANY:
        assert residual == value and reads == 0 and split == -1
        return
    assert columns[split] in hidden and reads >> split & 1
    if answers[1][1] != answers[0][1]:
        return
    for values in itertools.product(*(_choices(c) for c in sorted(hidden))):
        completion = dict(zip(sorted(hidden), values))
        assert concrete({**rows[0], **completion}) == concrete({**rows[1], **completion}), (
            name, rows, completion)


@pytest.mark.parametrize("guideline", list(PACKS))
def test_a_kept_answer_is_the_answer_of_every_patient_with_its_key(guideline: str) -> None:
    """`category_candidates` keeps its answers by the facts the search reads
    (`answer_key`): two patients with the same key must have the same candidates when
    each is searched afresh. Each generated patient is paired with another one's values
    for every fact the key leaves out."""
    pack = PACKS[guideline]
    table = search._table(pack)
    frame = generate_patients(300, seed=11, unknown_rate=0.35)
    rows = [{k: v for k, v in r.items() if v is not None} for r in frame.iter_rows(named=True)]
    compared = 0
    for facts, donor in zip(rows, rows[1:] + rows[:1]):
        other = {**{k: v for k, v in donor.items() if k not in table.inputs},
                 **{k: v for k, v in facts.items() if k in table.inputs}}
        try:
            first, second = (evaluate_row(parse_patient(p).facts(), pack) for p in (facts, other))
        except InvalidInput:
            continue
        if first["category"] is not None or answer_key(first, pack)[0] != answer_key(second, pack)[0]:
            continue
        table.answers.clear()
        answer = _ordered(category_candidates(first, pack))
        table.answers.clear()
        assert _ordered(category_candidates(second, pack)) == answer, other
        assert _ordered(category_candidates(second, pack)) == answer  # kept, the same
        compared += 1
    assert compared >= 50, compared


@pytest.mark.parametrize("guideline", list(PACKS))
def test_a_kept_redecision_is_that_of_every_row_with_its_key(guideline: str) -> None:
    """`with_category` keeps what the re-decision under a candidate wrote, by the columns
    it reads: an open row that differs from a kept one only where no re-decided condition
    looks must get exactly the options' fits, rules and conditions a fresh re-decision
    gives. Each generated patient is paired with itself with one fact the re-decision does
    not read directly taken from another patient."""
    pack = PACKS[guideline]
    kept = rows_module._redecided(pack)
    read = _read_columns(pack)
    frame = generate_patients(120, seed=5, unknown_rate=0.35)
    rows = [{k: v for k, v in r.items() if v is not None} for r in frame.iter_rows(named=True)]
    compared = 0
    for facts, donor in zip(rows, rows[1:] + rows[:1]):
        for name in sorted(set(donor) - read - {"age"}):
            other = {**facts, name: donor[name]}
            try:
                first, second = (evaluate_row(parse_patient(p).facts(), pack)
                                 for p in (facts, other))
            except InvalidInput:
                continue
            if first["category"] is not None or first == second:
                continue
            for category in (c.id for c in pack.categories):
                kept.values.clear()
                with_category(first, category, pack)  # kept
                fresh = {**second, "category": category}
                row_plan(pack).redecide(fresh)
                if kept.reads({**first, "category": category}) == kept.reads(fresh):
                    assert with_category(second, category, pack) == fresh, (category, other)
                    compared += 1
    assert compared >= 100, compared


def _read_columns(pack: Pack) -> set[str]:
    """Every column the re-decision's steps read."""
    return set().union(*(nodes.columns(node) for _, node in rows_module._redecisions(pack)))
