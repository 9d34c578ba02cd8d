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

import polars as pl

from livertx.cohort import checks
from livertx.cohort.plan import (
    CANDIDATE_MASK,
    CANDIDATES,
    ERROR,
    FITS,
    KEY,
    CohortPlan,
    KeyPart,
)
from livertx.compiler.parse import parse
from livertx.compiler.polars import compile_polars
from livertx.engine.frames import CompiledTable, missing_from_paths
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
    return (frame.with_columns(t.decision for t in tables)
            .with_columns(decoded_outcomes(plan, tables)))


def decoded_outcomes(plan: CohortPlan, tables: tuple[CompiledTable, ...]) -> list[pl.Expr]:
    """The tables' outcome and rule columns (as `Enum`s), read by their decision codes
    (`UInt16` columns, computed here or by the DuckDB engine's SQL)."""
    return [e for t in tables for e in t.decoded(pl.Enum(plan.outcomes(t)),
                                                 pl.Enum(plan.rule_ids(t)))]


def missing_expression(plan: CohortPlan) -> pl.Expr:
    """`livertx.engine.missing`, as `livertx.engine.frames` computes it."""
    return missing_from_paths(plan.missing_paths)


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
    """Every option's fit and rule, and the candidate key (`missing` comes after the
    candidates: see `agree_over_candidates`)."""
    compiled = plan.compiled
    return (with_outcomes(frame.with_columns(**compiled.option_conditions), plan,
                          compiled.options)
            .with_columns(key_expression(plan)))


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

    The open rows are taken out, every option's decision is computed under each category
    they may have (the rows once per category, in one query), read only where that
    category is a candidate, and the fits they agree on are written back in place."""
    mask = pl.col(CANDIDATE_MASK)
    rows = frame.select((pl.col("category").is_null() & (pl.col(CHECKS) == 0) & (mask > 0))
                        .arg_true()).to_series()
    if rows.is_empty():
        return frame
    options = plan.compiled.options
    fits = [c for t in options for c in (t.column, t.rule_column)]
    tried = frame.select(pl.col(*_read_by_options(plan), *fits).gather(rows))
    schema = frame.schema
    dtype = schema["category"]
    present = _union(tried[CANDIDATE_MASK])
    tries = [j for j in range(len(plan.categories)) if present >> j & 1]
    # the open rows once per tried category, one under the other: one query (its plan
    # costs tens of milliseconds, as much as evaluating tens of thousands of rows), then
    # cut back into one block of decision codes per category, side by side
    stacked = pl.concat([tried.with_columns(category=pl.lit(plan.categories[j]).cast(dtype))
                         for j in tries])
    decisions = (stacked.lazy().with_columns(**plan.compiled.option_conditions)
                 .select(t.decision for t in options).collect())
    n = tried.height
    decided = [decisions.slice(i * n, n).rename({decision_column(t.column): f"{j}|{t.column}"
                                                  for t in options})
               for i, j in enumerate(tries)]
    codes = pl.concat([tried.select(CANDIDATE_MASK, *fits), *decided], how="horizontal")
    summary, values = _agreement(plan, tuple(tries), tuple(schema[c] for c in fits))
    agreed = codes.lazy().with_columns(summary).select(values).collect()
    return frame.with_columns(frame[c].scatter(rows, agreed[c]) for c in fits)


@functools.cache
def _agreement(plan: CohortPlan, tries: tuple[int, ...],
               dtypes: tuple[pl.DataType, ...]) -> tuple[list[pl.Expr], list[pl.Expr]]:
    """The two steps that read the decision codes under each tried category (built once
    per pack, set of tried categories and column types: building them costs as much as
    running them on thousands of rows): the lowest and highest fit and the first code of
    each option, then each fit and rule column as written back to the open rows. Only a
    fit still unknown takes the candidates' fit: a fit the row settled on its own keeps
    its rule (one that holds whatever the category), as in `assess`."""
    summary: list[pl.Expr] = []
    values: list[pl.Expr] = []
    types = iter(dtypes)
    for table in plan.compiled.options:
        summary += _agreed(table, list(tries))
        fit_type, rule_type = next(types), next(types)
        fit, rule = _agreed_values(table, fit_type, rule_type)
        takes = (pl.col(table.column) == UNKNOWN_FIT).fill_null(False) & fit.is_not_null()
        values += [pl.when(takes).then(fit).otherwise(pl.col(table.column)).alias(table.column),
                   pl.when(takes).then(rule).otherwise(pl.col(table.rule_column))
                   .alias(table.rule_column)]
    return summary, values


@functools.cache
def _read_by_options(plan: CohortPlan) -> list[str]:
    """The columns the option conditions read (and the candidates' mask)."""
    names = {n for e in plan.compiled.option_conditions.values() for n in e.meta.root_names()}
    return sorted(names - {"category"} | {CANDIDATE_MASK, "category"})


def _union(masks: pl.Series) -> int:
    """The categories that are a candidate of any open row (bitwise OR of the masks)."""
    union = masks.bitwise_or()
    return union if isinstance(union, int) else 0


def _agreed(table: CompiledTable, tries: list[int]) -> list[pl.Expr]:
    """Over the decision codes under each tried category: the lowest and highest fit
    (as indexes into `FITS`) among the candidates, and the code of the first candidate."""
    fit_index = pl.Series([FITS.index(o) for o in decision_values(table.table)[0]],
                          dtype=pl.UInt8)
    bit = pl.col(CANDIDATE_MASK)
    code = [pl.when((bit & (1 << j)) != 0).then(pl.col(f"{j}|{table.column}")) for j in tries]
    fit = [pl.lit(fit_index).gather(c) for c in code]
    return [pl.min_horizontal(fit).alias(f"{table.column}|low"),
            pl.max_horizontal(fit).alias(f"{table.column}|high"),
            pl.coalesce(code).alias(f"{table.column}|first")]


def _agreed_values(table: CompiledTable, fit_type: pl.DataType,
                   rule_type: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    """The fit the candidates agree on and the rule of the first (null where they differ
    or agree on unknown), in the frame's own types."""
    low, high = pl.col(f"{table.column}|low"), pl.col(f"{table.column}|high")
    agreed = (low == high) & (low != FITS.index(UNKNOWN_FIT))
    fits = pl.Series(list(FITS), dtype=fit_type)
    rule_ids = pl.Series(decision_values(table.table)[1], dtype=rule_type)
    first = pl.col(f"{table.column}|first")
    return (pl.when(agreed).then(pl.lit(fits).gather(low)),
            pl.when(agreed).then(pl.lit(rule_ids).gather(first)))


def open_keys(frame: pl.LazyFrame, plan: CohortPlan) -> pl.LazyFrame:
    """The distinct candidate keys of the valid open rows."""
    return (assess_category(frame.drop(ERROR), plan)
            .filter(pl.col("category").is_null() & (pl.col(CHECKS) == 0))
            .select(key_expression(plan)).unique())


def finish(frame: pl.LazyFrame, plan: CohortPlan, columns: list[str]) -> pl.LazyFrame:
    """`missing`, blank the rows that were not assessed, order the columns."""
    frame = frame.with_columns(missing_expression(plan))
    valid = pl.col(CHECKS) == 0
    assessed = [c for c in plan.output_columns if c not in (ERROR, CANDIDATES)]
    return frame.select(
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
    )


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
    found = with_candidates(frame.lazy(), candidates).collect()
    return finish(agree_over_candidates(found, plan).lazy(), plan, columns).collect()
