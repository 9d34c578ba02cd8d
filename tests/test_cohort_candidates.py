"""The cohort's candidate search (`livertx.cohort.search`) against trying every combination.

The candidates of the open keys of a cohort (the candidate ids in table order and the bit
mask, per key) must be exactly what the enumeration of every combination of the probed
values gives: that enumeration, which the cohort used before the search, lives here as the
oracle. The search rests on the Polars flags of `livertx.compiler.unsettled`: where a
value is not flagged, it must be the value the partial-row backend gives, and the flag
must be set exactly where that backend says ANY; that is checked here too, on every score
step, every category rule of both packs and the contradiction check.
"""

from __future__ import annotations

import math
import random
from typing import Any

import polars as pl
import pytest

from livertx.cohort import combinations, search
from livertx.cohort.candidates import candidates_for_keys, representatives
from livertx.cohort.combinations import CHUNK, GRID_LIMIT
from livertx.cohort.plan import CANDIDATE_MASK, CANDIDATES, KEY, CohortPlan, build_plan
from livertx.cohort.polars_engine import key_expression, normalise, open_keys
from livertx.cohort.probes import dimensions
from livertx.compiler import nodes
from livertx.compiler.parse import parse
from livertx.compiler.partial import ANY, compile_partial
from livertx.compiler.polars import compile_polars
from livertx.compiler.unsettled import compile_unsettled
from livertx.engine.conditions import (
    DERIVED_INPUTS,
    columns_of,
    direct_child_pugh_labs,
    facts_behind,
)
from livertx.engine.frames import evaluate_category
from livertx.engine.rows import (
    POSSIBLE,
    candidate_thresholds,
    category_columns,
    evaluate_row,
    probe_values,
    probed_facts,
)
from livertx.engine.search import category_candidates
from livertx.frame import COLUMN_SCHEMA
from livertx.generate import generate_patients
from livertx.knowledge.pack import Pack, load_guideline
from livertx.scores import derive, library

PACKS = {g: load_guideline(g) for g in ("acs-2017", "bclc-2022")}
AFFORDABLE = 20_000  # combinations the oracle tries for one key


def _enumerated(keys: pl.Series, plan: CohortPlan, pack: Pack) -> pl.DataFrame:
    """The oracle: every combination of every probe value of the unknown facts of each key
    (the Child-Pugh class within the classes its labs allow), contradictions dropped, the
    category table evaluated on each."""
    columns = frozenset().union(*(columns_of(r.when) for r in pack.category_table.rules))
    thresholds = candidate_thresholds(pack)
    frame = representatives(keys.unique(), plan).lazy()
    classes = pl.lit(pl.Series([["A", "B", "C"]]))
    tried = classes.list.slice(pl.col("_lo"), pl.col("_hi") - pl.col("_lo") + 1)
    frame = frame.with_columns(
        child_pugh_class=pl.when("_open_cp").then(tried)
        .otherwise(pl.concat_list(pl.col("child_pugh_class")))).explode("child_pugh_class")
    direct = direct_child_pugh_labs(columns)
    for fact in sorted(facts_behind(columns)):
        if fact in DERIVED_INPUTS["cp_class"] and fact not in direct:
            continue
        probes = pl.lit(pl.Series([probe_values(fact, thresholds.get(fact, set()))],
                                  dtype=pl.List(COLUMN_SCHEMA[fact])))
        frame = frame.with_columns(
            pl.when(pl.col(fact).is_null()).then(probes)
            .otherwise(pl.concat_list(pl.col(fact))).alias(fact)).explode(fact)
    frame = frame.filter(compile_polars(parse(POSSIBLE))).drop("_open_cp", "_lo", "_hi")
    bits = {c: 1 << i for i, c in enumerate(plan.categories)}
    return (evaluate_category(frame, pack).select(KEY, "category")
            .filter(pl.col("category").is_not_null()).unique()
            .with_columns(_order=pl.col("category").replace_strict(
                {c: i for i, c in enumerate(plan.categories)}, return_dtype=pl.Int8),
                _bit=pl.col("category").replace_strict(bits, return_dtype=pl.UInt16))
            .sort(KEY, "_order")
            .group_by(KEY, maintain_order=True).agg(
                pl.col("category").alias(CANDIDATES),
                pl.col("_bit").sum().cast(pl.UInt16).alias(CANDIDATE_MASK))
            .collect())


def _combinations(keys: pl.Series, plan: CohortPlan, pack: Pack) -> pl.Series:
    """How many combinations the oracle tries for each key (in the order of `keys`)."""
    thresholds = candidate_thresholds(pack)
    rows = representatives(keys, plan)
    facts, _ = probed_facts(pack)
    sizes = [pl.when(pl.col(f).is_null())
             .then(len(probe_values(f, thresholds.get(f, set())))).otherwise(1)
             for f in facts]
    sizes.append(pl.when("_open_cp").then(pl.col("_hi") - pl.col("_lo") + 1).otherwise(1))
    product = pl.reduce(lambda a, b: a * b, [s.cast(pl.Int64) for s in sizes])
    return rows.select(product).to_series()


def _open_keys(pack: Pack, n: int, seed: int, unknown_rate: float) -> pl.Series:
    frame = generate_patients(n, seed=seed, unknown_rate=unknown_rate)
    # a few patients of whom little or nothing is known: the widest searches
    blank = pl.DataFrame([{}] * 3, schema=frame.schema)
    frame = pl.concat([frame, blank, frame.head(20).select(
        *(pl.lit(None, t).alias(c) if c not in ("tumor_count", "ecog") else pl.col(c)
          for c, t in frame.schema.items()))])
    plan = build_plan(pack)
    return open_keys(normalise(frame.lazy(), frame.columns), plan).collect()[KEY]


@pytest.mark.parametrize("guideline", list(PACKS))
@pytest.mark.parametrize(("seed", "unknown_rate"), [(1, 0.1), (2, 0.3), (3, 0.6)])
@pytest.mark.parametrize(("limit", "chunk"), [(0, CHUNK), (search.ENUMERATE_LIMIT, CHUNK),
                                              (search.ENUMERATE_LIMIT, 700)],
                         ids=["split", "enumerate", "chunked"])
def test_search_equals_enumeration_on_generated_cohorts(
        guideline: str, seed: int, unknown_rate: float, limit: int, chunk: int,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Split level by level down to every fact (`limit` 0), and as the cohort runs (the
    rows with few combinations tried in every one, packed; `chunk`: a few rows at a time)."""
    monkeypatch.setattr(search, "ENUMERATE_LIMIT", limit)
    monkeypatch.setattr(combinations, "CHUNK", chunk)
    pack = PACKS[guideline]
    plan = build_plan(pack)
    keys = _open_keys(pack, 3_000, seed, unknown_rate)
    sizes = _combinations(keys, plan, pack)
    affordable = keys.filter(sizes <= AFFORDABLE)
    assert affordable.len() > 200 and (sizes.filter(sizes <= AFFORDABLE) > 100).sum() >= 5
    found = candidates_for_keys(keys, plan, pack)
    assert found.columns == [KEY, CANDIDATES, CANDIDATE_MASK]
    assert found[KEY].is_sorted() and found[KEY].n_unique() == found.height
    expected = _enumerated(affordable, plan, pack)
    got = found.filter(pl.col(KEY).is_in(affordable.implode()))
    assert got.schema == expected.schema
    assert got.equals(expected)
    # every open key that some combination decides has candidates (none is lost)
    assert set(found[KEY]) >= set(expected[KEY])


@pytest.mark.parametrize("guideline", list(PACKS))
def test_a_contradiction_is_never_a_candidate(guideline: str) -> None:
    """The cohort fills qualifiers in (`spread_throughout_liver` false unless given), so its
    keys never leave them unknown; the search must still drop the combinations the
    contradiction check rejects (spread throughout the liver with 3 tumours or fewer)."""
    pack = PACKS[guideline]
    plan = build_plan(pack)
    frame = generate_patients(2_000, seed=5, unknown_rate=0.3).with_columns(
        spread_throughout_liver=pl.lit(None, pl.Boolean),
        tumor_count=pl.col("tumor_count").fill_null(1).clip(1, 3))
    keys = derive(frame.lazy()).select(key_expression(plan)).collect()[KEY].unique()
    expected = _enumerated(keys, plan, pack)
    # searched, tried in every combination, and searched for want of room for the grid
    for limit, grid in ((0, GRID_LIMIT), (search.ENUMERATE_LIMIT, GRID_LIMIT),
                        (search.ENUMERATE_LIMIT, 0)):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(search, "ENUMERATE_LIMIT", limit)
            patch.setattr(combinations, "GRID_LIMIT", grid)
            assert candidates_for_keys(keys, plan, pack).equals(expected)


def test_one_small_tumour_with_the_spread_unknown_can_only_be_stage_0() -> None:
    """Spread throughout the liver cannot be with one tumour, so stage B (which that spread
    would give) is not a candidate, in the cohort as for one patient."""
    pack = PACKS["bclc-2022"]
    plan = build_plan(pack)
    patient = {"tumor_count": 1, "largest_tumor_cm": 1.5, "vascular_invasion": False,
               "major_vascular_invasion": False, "lymph_node_spread": False,
               "distant_spread": False, "adjacent_organ_invasion": False, "ecog": 0,
               "child_pugh_class": "A", "cirrhosis": False, "fit_for_surgery": True,
               "hard_to_remove_location": False, "bilirubin": 0.8, "albumin": 4.0,
               "inr": 1.0, "ascites": "none", "encephalopathy": "none"}
    one = pl.DataFrame([patient], schema=COLUMN_SCHEMA)
    key = derive(one.lazy()).select(key_expression(plan)).collect()[KEY]
    row = evaluate_row(patient, pack)
    assert row["category"] is None  # open: BCL.05 waits for the spread
    assert [c["id"] for c in category_candidates(row, pack)] == ["bclc_0"]
    assert candidates_for_keys(key, plan, pack)[CANDIDATES].to_list() == [["bclc_0"]]


def test_no_open_key_has_no_candidates() -> None:
    for pack in PACKS.values():
        plan = build_plan(pack)
        empty = candidates_for_keys(pl.Series(KEY, [], dtype=pl.Int64), plan, pack)
        assert empty.height == 0 and empty.columns == [KEY, CANDIDATES, CANDIDATE_MASK]


def test_probe_values_merge_only_what_every_comparison_treats_alike() -> None:
    pack = PACKS["bclc-2022"]
    names = category_columns(pack)
    read = [parse(POSSIBLE), *(parse(r.when) for r in pack.category_table.rules),
            *(o.node for o in library.steps_for(names))]
    tried = {d.name: d.values for d in dimensions(pack, read)}
    assert tried["ecog"] == (0, 1, 3)  # ecog >= 1 and ecog >= 3: 2 behaves as 1, 4 as 3
    assert tried["afp"] == (0.0, 1000.0)  # afp < 1000 only
    # largest size and count are added in up-to-seven: every probe value is kept
    thresholds = candidate_thresholds(pack)
    for fact in ("largest_tumor_cm", "tumor_count"):
        assert list(tried[fact]) == probe_values(fact, thresholds[fact])


# --- the flags of `livertx.compiler.unsettled` against the partial-row backend ----------

def _expressions(pack: Pack) -> list[nodes.Node]:
    names = category_columns(pack)
    return [parse(POSSIBLE), *(parse(r.when) for r in pack.category_table.rules),
            *(o.node for o in library.steps_for(names))]


def _domains() -> dict[str, list[Any]]:
    """The values each column takes over generated patients (derived values included)."""
    frame = generate_patients(400, seed=7, unknown_rate=0.2)
    found: dict[str, set[Any]] = {}
    for facts in frame.iter_rows(named=True):
        for name, value in library.derive_row(facts).items():
            if value is not None:
                found.setdefault(name, set()).add(value)
    return {k: sorted(v, key=repr) for k, v in found.items()}


def _dtype(column: str) -> pl.DataType:
    if column in COLUMN_SCHEMA:
        return COLUMN_SCHEMA[column]
    kind = next(o.type for o in library.steps() if o.name == column)
    return {"bool": pl.Boolean(), "int8": pl.Int8(), "float": pl.Float64(),
            "string": pl.String()}[kind]


@pytest.mark.parametrize("guideline", list(PACKS))
def test_flags_say_exactly_where_the_partial_backend_says_any(guideline: str) -> None:
    rng = random.Random(11)
    domains = _domains()
    for node in _expressions(PACKS[guideline]):
        columns = sorted(nodes.columns(node))
        rows = []
        for _ in range(300):
            row: dict[str, Any] = {}
            for c in columns:
                draw = rng.random()
                row[c] = ANY if draw < 0.3 else None if draw < 0.45 or c not in domains \
                    else rng.choice(domains[c])
            rows.append(row)
        frame = pl.DataFrame(
            {**{c: [None if r[c] is ANY else r[c] for r in rows] for c in columns},
             **{"?" + c: [r[c] is ANY for r in rows] for c in columns}},
            schema_overrides={c: _dtype(c) for c in columns})
        flag = compile_unsettled(node, lambda c: pl.col("?" + c))
        got = frame.select(
            value=compile_polars(node),
            flag=pl.lit(False) if flag is None else flag).to_dicts()
        partial = compile_partial(node)
        for row, out in zip(rows, got):
            expected = partial(row)
            assert out["flag"] == (expected is ANY), (node, row)
            if expected is not ANY:
                assert out["value"] == expected or (
                    isinstance(expected, float) and math.isclose(out["value"], expected)), (
                    node, row)
