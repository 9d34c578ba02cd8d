"""The Polars engine (default): the pack's tables as Polars expressions, streamed.

Conditions are the pack's own SQL compiled by `CompiledTable.conditions()` and the
derived values are `livertx.scores.derive`, exactly as `livertx.engine.frames` uses
them. Two things differ from `evaluate`, for speed over millions of rows, with the same
values (checked by `tests/test_differential.py`):
- outcome and rule columns are Polars `Enum`s (small integers) instead of strings;
- `missing` is computed as a bit mask per row and looked up in a table of lists, instead
  of building a list of strings row by row.
"""

from __future__ import annotations

import functools

import numpy as np
import polars as pl

from livertx.cohort import checks
from livertx.cohort.plan import (
    CANDIDATE_MASK,
    CANDIDATES,
    ERROR,
    FITS,
    KEY,
    MISSING,
    CohortPlan,
    KeyPart,
)
from livertx.compiler.parse import parse
from livertx.compiler.polars import compile_polars
from livertx.engine.frames import (
    CompiledTable,
    missing_lists,
    missing_mask,
    with_decisions,
)
from livertx.engine.hit_policy import UNKNOWN_FIT, decision_column, decision_values
from livertx.scores import DERIVED_COLUMNS, derive
from livertx.vocabulary import FIELDS, FieldSpec

ORIGINAL = "__in|"  # prefix of the input's own columns while the engine runs
_DTYPES = {"bool": pl.Boolean, "int": pl.Int32, "float": pl.Float64, "enum": pl.String}


def normalise(frame: pl.LazyFrame, columns: list[str]) -> pl.LazyFrame:
    """Keep the input's columns under a prefix; add every vocabulary column in its schema
    (qualifiers defaulted, spellings resolved), a bit mask of failed row checks and the
    row `error`."""
    present = set(columns)
    kept = [pl.col(c).alias(ORIGINAL + c) for c in columns]
    values = [_normalised(spec, present) for spec in FIELDS]
    checks_ = _checks(present)
    mask = pl.sum_horizontal([bad.fill_null(False).cast(pl.UInt32) * (1 << i)
                              for i, (bad, _) in enumerate(checks_)])
    inputs = sorted({c for _, (__, needs) in checks_ for c in needs})
    messages = [message for _, (message, _) in checks_]
    error = (pl.struct(mask.alias(CHECKS), *inputs)
             .map_batches(functools.partial(_error_text, messages), return_dtype=pl.String,
                          is_elementwise=True)
             .alias(ERROR))
    return frame.select(*kept, *values).with_columns(mask.alias(CHECKS)).with_columns(error)


CHECKS = "_cohort_checks"  # bit mask of failed row checks (0: a valid row)
IS_OPEN = pl.col("category").is_null() & (pl.col(CHECKS) == 0)  # a valid row, category open


def _normalised(spec: FieldSpec, present: set[str]) -> pl.Expr:
    dtype = _DTYPES[spec.type]
    if spec.name not in present:
        value = pl.lit(None, dtype)
    elif spec.type == "enum":
        value = pl.col(spec.name).cast(pl.String).map_batches(
            functools.partial(_spelled, checks.spellings(spec)), return_dtype=pl.String,
            is_elementwise=True)
    elif spec.type == "int":
        value = pl.col(spec.name).cast(pl.Int32, strict=False)
    else:
        value = pl.col(spec.name).cast(dtype)
    if spec.kind == "qualifier":
        value = value.fill_null(spec.default)
    return value.alias(spec.name)


def _spelled(spellings: dict[str, str], values: pl.Series) -> pl.Series:
    """Vocabulary values for a column of text, resolved once per distinct spelling."""
    distinct = values.drop_nulls().unique()
    resolved = distinct.str.strip_chars().str.to_lowercase().replace_strict(
        spellings, default=None, return_dtype=pl.String)
    if resolved.eq_missing(distinct).all():  # every value already in the vocabulary's spelling
        return values
    return values.replace_strict(distinct, resolved, default=None, return_dtype=pl.String)


def _checks(present: set[str]) -> list[tuple[pl.Expr, tuple[pl.Expr, list[str]]]]:
    """(failed, (message, columns the message reads)) for each row check that applies."""
    out: list[tuple[pl.Expr, tuple[pl.Expr, list[str]]]] = []
    for check in checks.range_checks():
        spec = check.spec
        if spec.name not in present:
            continue
        x = pl.col(ORIGINAL + spec.name).cast(pl.Float64)
        low = (x <= spec.minimum) if spec.exclusive_minimum else (x < spec.minimum)
        out.append((low | (x > spec.maximum), (pl.lit(check.message), [])))
    for value_check in checks.value_checks():
        spec = value_check.spec
        if spec.name not in present:
            continue
        given = pl.col(ORIGINAL + spec.name).cast(pl.String)
        before, after = value_check.message_parts()
        out.append((given.is_not_null() & pl.col(spec.name).is_null(),
                    (pl.concat_str(pl.lit(before), given, pl.lit(after)),
                     [ORIGINAL + spec.name])))
    out.append((pl.col("major_vascular_invasion") & ~pl.col("vascular_invasion"),
                (pl.lit(checks.VESSEL_MESSAGE), [])))
    if "recurrent" in present:  # given as false (not left empty) beside a site
        out.append((pl.col(ORIGINAL + "recurrent").is_not_null() & ~pl.col("recurrent")
                    & pl.col("recurrence_site").is_not_null(),
                    (pl.lit(checks.RECURRENCE_MESSAGE), [])))
    for condition, message in checks.CONTRADICTIONS:
        out.append((compile_polars(parse(condition)), (pl.lit(message), [])))
    count = pl.col("tumor_count")
    out.append((pl.col("spread_throughout_liver") & (count <= checks.SPREAD_MAX_COUNT),
                (pl.concat_str(pl.lit(checks.SPREAD_PARTS[0]), count.cast(pl.String),
                               pl.lit(checks.SPREAD_PARTS[1])), ["tumor_count"])))
    return out


def _error_text(messages: list[pl.Expr], rows: pl.Series) -> pl.Series:
    """The `error` text, built only for the (few) rows whose check mask is not 0."""
    frame = rows.struct.unnest()
    bad = frame[CHECKS] != 0
    out = pl.Series(ERROR, [None] * len(frame), dtype=pl.String)
    if not bad.any():
        return out
    failed = frame.with_row_index("_row").filter(bad)
    parts = [pl.when((pl.col(CHECKS) & (1 << i)) != 0).then(message)
             for i, message in enumerate(messages)]
    texts = failed.select(
        "_row", pl.concat_str(parts, separator=checks.SEPARATOR, ignore_nulls=True).alias(ERROR))
    return out.scatter(texts["_row"], texts[ERROR])


def with_outcomes(frame: pl.LazyFrame, plan: CohortPlan,
                  tables: tuple[CompiledTable, ...]) -> pl.LazyFrame:
    """The tables' outcome and rule columns (as `Enum`s), from their decision codes."""
    return with_decisions(frame, tables).with_columns(decoded_outcomes(plan, tables))


def decoded_outcomes(plan: CohortPlan, tables: tuple[CompiledTable, ...]) -> list[pl.Expr]:
    """The tables' outcome and rule columns (as `Enum`s), read by their decision codes
    (`UInt16` columns, computed here or by the DuckDB engine's SQL)."""
    return [e for t in tables for e in t.decoded(pl.Enum(plan.outcomes(t)),
                                                 pl.Enum(plan.rule_ids(t)))]


def _key_code(part: KeyPart) -> pl.Expr:
    if part.kind == "bool":
        return pl.col(part.name).cast(pl.Int64).fill_null(2)
    if part.kind == "enum":
        index = {v: i for i, v in enumerate(part.values)}
        return pl.col(part.name).replace_strict(index, default=len(part.values),
                                                return_dtype=pl.Int64)
    if part.kind == "bucket":
        x = pl.col(part.name)
        code = pl.sum_horizontal([(x > t).cast(pl.Int64) * 2 + (x == t).cast(pl.Int64)
                                  for t in part.values])
        return pl.when(x.is_null()).then(part.radix - 1).otherwise(code)
    if part.kind == "cp_class":
        return pl.col("cp_class").replace_strict({"A": 0, "B": 1, "C": 2}, default=3,
                                                 return_dtype=pl.Int64)
    # the classes the labs allow, as the score library bounds them
    return pl.col("_cp_lo" if part.kind == "cp_low" else "_cp_hi").cast(pl.Int64)


def key_expression(plan: CohortPlan) -> pl.Expr:
    """The candidate key: the key parts as one mixed-radix integer."""
    key, scale = pl.lit(0, pl.Int64), 1
    for part in plan.key_parts:
        key = key + _key_code(part) * scale
        scale *= part.radix
    return key.alias(KEY)


def assess_category(frame: pl.LazyFrame, plan: CohortPlan) -> pl.LazyFrame:
    """Derived values and the category (with its rule) over a normalised table."""
    table = plan.compiled.category
    return with_outcomes(derive(frame).with_columns(**table.conditions()), plan, (table,))


def assess_options(frame: pl.LazyFrame, plan: CohortPlan) -> pl.LazyFrame:
    """Every option's fit and rule (the candidate key comes after: `with_open_keys`;
    `missing` after the candidates: see `agree_over_candidates`)."""
    compiled = plan.compiled
    return with_outcomes(frame.with_columns(**compiled.option_conditions), plan,
                         compiled.options)


def with_open_keys(frame: pl.DataFrame, plan: CohortPlan) -> pl.DataFrame:
    """The candidate key of each valid open row, null on the others: only open rows have
    candidates, they are a small part of a cohort (12-23% of generated rows), and the key
    reads some twenty columns (computed on every row it cost as much as all the option
    tables together)."""
    rows = frame.select(IS_OPEN.arg_true()).to_series()
    keys = frame.lazy().filter(IS_OPEN).select(key_expression(plan)).collect().to_series()
    return frame.with_columns(
        pl.repeat(None, frame.height, dtype=pl.Int64, eager=True).scatter(rows, keys)
        .alias(KEY))


def with_candidates(frame: pl.LazyFrame, candidates: pl.DataFrame) -> pl.LazyFrame:
    """The candidate categories of each row's key, as a bit mask (0: none)."""
    # A lookup, not a join: keeps the streamed rows in order without buffering them.
    return frame.with_columns(pl.col(KEY).replace_strict(
        candidates[KEY], candidates[CANDIDATE_MASK], default=0, return_dtype=pl.UInt16)
        .alias(CANDIDATE_MASK))


def agree_over_candidates(frame: pl.DataFrame, plan: CohortPlan) -> pl.DataFrame:
    """Twin of the single-patient rule in `livertx.engine.assess`: while the category is
    open, an option whose fit is unknown but the same known value under every candidate
    category takes that fit, with the rule of the first candidate (in the category table's
    order).

    The open rows are taken out and every option's decision is computed under each of the
    row's own candidate categories (about 2 of the 5 tried in a slice), in one query: the
    rows of each tried category one block under the other (a query's plan costs tens of
    milliseconds, as much as evaluating tens of thousands of rows). The blocks are folded
    into each row's lowest and highest fit and first rule as arrays, and only the fits that
    change are written back."""
    rows = frame.select((IS_OPEN & (pl.col(CANDIDATE_MASK) > 0)).arg_true()).to_series()
    if rows.is_empty():
        return frame
    options = plan.compiled.options
    tried = frame.select(pl.col(*_read_by_options(plan), *(t.column for t in options))
                         .gather(rows))
    schema = frame.schema
    present = _union(tried[CANDIDATE_MASK])
    tries = [j for j in range(len(plan.categories)) if present >> j & 1]
    masks = tried[CANDIDATE_MASK].to_numpy()
    picked = [np.flatnonzero(masks & (1 << j)) for j in tries]
    category = pl.Series(plan.categories, dtype=schema["category"]).gather(
        np.repeat(tries, [at.size for at in picked])).alias("category")
    stacked = tried.drop("category")[np.concatenate(picked)].with_columns(category)
    decisions = (with_decisions(stacked.lazy().with_columns(**plan.compiled.option_conditions),
                                options)
                 .select(decision_column(t.column) for t in options).collect())
    unknown = tried.select((pl.col(t.column) == UNKNOWN_FIT).fill_null(False) for t in options)
    n, at_rows = tried.height, rows.to_numpy()
    written: list[pl.Series] = []
    for table, codes, is_unknown in zip(options, decisions.iter_columns(),
                                        unknown.iter_columns()):
        fit, rule = _agreed(table, picked, codes.to_numpy(), n)
        takes = np.flatnonzero(is_unknown.to_numpy() & (fit >= 0))
        if takes.size:
            fits, rule_ids = _labels(table, schema[table.column], schema[table.rule_column])
            written += [frame[table.column].scatter(at_rows[takes], fits.gather(fit[takes])),
                        frame[table.rule_column].scatter(at_rows[takes],
                                                         rule_ids.gather(rule[takes]))]
    return frame.with_columns(written)


def _agreed(table: CompiledTable, picked: list[np.ndarray], codes: np.ndarray,
            n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per open row, from its decision codes under each of its candidates (block by block,
    in the category table's order): the fit they agree on (an index into `FITS`; -1 where
    they differ or agree on unknown) and the code of the first candidate."""
    fit_index = np.array([FITS.index(o) for o in decision_values(table.table)[0]], np.int8)
    none = len(FITS)  # not a candidate
    fits = np.full((len(picked), n), none, np.int8)
    first = np.zeros(n, codes.dtype)
    blocks = np.split(codes, np.cumsum([at.size for at in picked])[:-1])
    for k in reversed(range(len(picked))):  # the first candidate's code written last
        fits[k, picked[k]] = fit_index[blocks[k]]
        first[picked[k]] = blocks[k]
    low = fits.min(axis=0)
    high = np.where(fits == none, -1, fits).max(axis=0)
    agreed = (low == high) & (low != FITS.index(UNKNOWN_FIT))
    return np.where(agreed, low, -1), first


def _labels(table: CompiledTable, fit_type: pl.DataType,
            rule_type: pl.DataType) -> tuple[pl.Series, pl.Series]:
    """The fits (by index) and the rule ids (by decision code), in the frame's own types."""
    return (pl.Series(list(FITS), dtype=fit_type),
            pl.Series(decision_values(table.table)[1], dtype=rule_type))


@functools.cache
def _read_by_options(plan: CohortPlan) -> list[str]:
    """The columns the option conditions read (and the candidates' mask)."""
    names = {n for e in plan.compiled.option_conditions.values() for n in e.meta.root_names()}
    return sorted(names - {"category"} | {CANDIDATE_MASK, "category"})


def _union(masks: pl.Series) -> int:
    """The categories that are a candidate of any open row (bitwise OR of the masks)."""
    union = masks.bitwise_or()
    return union if isinstance(union, int) else 0


def open_keys(frame: pl.LazyFrame, plan: CohortPlan) -> pl.LazyFrame:
    """The distinct candidate keys of the valid open rows."""
    return (assess_category(frame.drop(ERROR), plan)
            .filter(IS_OPEN)
            .select(key_expression(plan)).unique())


def with_missing(frame: pl.DataFrame, plan: CohortPlan) -> pl.DataFrame:
    """`missing` from the same paths as `livertx.engine.frames`, its bits computed only on
    the rows where some table is blocked (14-37% of generated rows): on the others it is
    empty, and its hundreds of path tests cost as much as a pack's option tables."""
    paths = plan.missing_paths
    blocked = pl.any_horizontal(
        [pl.col("category").is_null(),
         *[pl.col(t.column) == UNKNOWN_FIT for t in plan.compiled.options]])
    rows = frame.select(blocked.arg_true()).to_series()
    masks = frame.lazy().filter(blocked).select(missing_mask(paths)).collect().to_series()
    everywhere = pl.zeros(frame.height, pl.UInt32, eager=True).scatter(rows, masks)
    return frame.with_columns(missing_lists(paths).gather(everywhere).alias(MISSING))


def finish(frame: pl.DataFrame, plan: CohortPlan, columns: list[str]) -> pl.DataFrame:
    """`missing`, blank the rows that were not assessed, order the columns."""
    valid = pl.col(CHECKS) == 0
    assessed = [c for c in plan.output_columns if c not in (ERROR, CANDIDATES)]
    return with_missing(frame, plan).lazy().select(
        *[pl.col(ORIGINAL + c).alias(c) for c in columns],
        *[pl.when(valid).then(pl.col(c)).alias(c) for c in assessed if c != "category"
          and c in DERIVED_COLUMNS],
        pl.when(valid).then(pl.col("category")).alias("category"),
        pl.when(valid).then(pl.col("category_rule")).alias("category_rule"),
        pl.when(valid & pl.col("category").is_null())
        .then(pl.lit(candidate_lists(plan.categories)).gather(pl.col(CANDIDATE_MASK)))
        .alias(CANDIDATES),
        *[pl.when(valid).then(pl.col(c)).alias(c) for c in assessed
          if c not in DERIVED_COLUMNS and c not in ("category", "category_rule")],
        pl.col(ERROR),
    ).collect()


@functools.cache
def candidate_lists(categories: tuple[str, ...]) -> pl.Series:
    """The candidate list of every mask (null for none), indexed by the mask."""
    lists = [[c for j, c in enumerate(categories) if mask >> j & 1] or None
             for mask in range(1 << len(categories))]
    return pl.Series(CANDIDATES, lists, dtype=pl.List(pl.String))


def assess_rows(frame: pl.DataFrame, plan: CohortPlan, candidates: pl.DataFrame,
                columns: list[str]) -> pl.DataFrame:
    """An assessed table (`assess_options` over `assess_category`) to its output: the
    candidates of open rows, the fits they agree on, `missing`, the output columns."""
    found = with_candidates(with_open_keys(frame, plan).lazy(), candidates).collect()
    return finish(agree_over_candidates(found, plan), plan, columns)
