"""Checks a pack must pass: on every load (static) and in `livertx pack check` (dynamic)."""

from __future__ import annotations

from livertx.engine.hit_policy import rule_column
from livertx.errors import PackError
from livertx.knowledge.model import FITS
from livertx.knowledge.pack import Pack
from livertx.vocabulary import FIELD_BY_NAME


def category_ids(pack: Pack) -> tuple[str, ...]:
    """The categories the pack declares (categories.yaml), in its order: no category is
    named in code."""
    return tuple(c.id for c in pack.categories)


def check_static(pack: Pack, *, parse_conditions: bool = True) -> None:
    """Raise PackError listing every problem found without evaluating anything."""
    problems = (_source_problems(pack) + _duplicate_problems(pack)
                + _table_problems(pack, parse_conditions) + _coverage_problems(pack))
    if problems:
        raise PackError(problems)


def _known_sources(pack: Pack) -> set[str]:
    return set(pack.sections) | set(pack.references)


def _walk_sources(value: object, where: str) -> list[tuple[str, str]]:
    """Every (where, source-or-reference) pair in a model's data."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("source", "reference") and isinstance(item, str):
                found.append((where, item))
            else:
                found.extend(_walk_sources(item, where))
    elif isinstance(value, list):
        for item in value:
            found.extend(_walk_sources(item, where))
    return found


def _source_problems(pack: Pack) -> list[str]:
    known = _known_sources(pack)
    places: list[tuple[str, str]] = []
    for option in pack.options:
        places += _walk_sources(option.model_dump(), f"options.yaml: option {option.id}")
    for topic in pack.topics:
        places += _walk_sources(topic.model_dump(), f"topics.yaml: topic {topic.id}")
    for category in pack.categories:
        places += _walk_sources(category.model_dump(), f"categories.yaml: {category.id}")
    for table in pack.tables:
        for row in table.rows:
            places.append((f"tables/{_file(table)}: row {row.id}", row.source))
    for note in pack.safety_notes:
        places.append((f"safety.yaml: {note.id}", note.reference))
    for term in pack.glossary:
        places.append((f"glossary.yaml: {term.term}", term.source))
    return [f"{where}: source {source!r} is neither a section nor a reference"
            for where, source in places if source not in known]


def _file(table: object) -> str:
    option = getattr(table, "option", None)
    return f"{option}.yaml" if option else "category.yaml"


def _duplicate_problems(pack: Pack) -> list[str]:
    seen: dict[str, str] = {}
    problems = []
    for table in pack.tables:
        for row in table.rows:
            where = f"tables/{_file(table)}"
            if row.id in seen:
                problems.append(f"{where}: row {row.id}: duplicate rule id (also in {seen[row.id]})")
            seen[row.id] = where
    for note in pack.safety_notes:
        if note.id in seen:
            problems.append(f"safety.yaml: {note.id}: duplicate rule id (also in {seen[note.id]})")
        seen[note.id] = "safety.yaml"
    words = [w.lower() for t in pack.glossary for w in (t.term, *t.also)]
    for dup in sorted({w for w in words if words.count(w) > 1}):
        problems.append(f"glossary.yaml: {dup!r} names more than one entry")
    for kind, ids in (("option", [o.id for o in pack.options]),
                      ("category", [c.id for c in pack.categories]),
                      ("topic", [t.id for t in pack.topics])):
        for dup in {i for i in ids if ids.count(i) > 1}:
            problems.append(f"duplicate {kind} id {dup!r}")
    return problems


def _table_problems(pack: Pack, parse_conditions: bool = True) -> list[str]:
    from livertx.engine.conditions import parse_problems

    problems = []
    option_ids = {o.id for o in pack.options}
    for table in pack.tables:
        where = f"tables/{_file(table)}"
        allowed = (set(category_ids(pack)) if table.output == "category"
                   else set(FITS) - {"unknown"})
        techniques = set()
        if table.option in option_ids:
            techniques = {t.id for t in pack.option(table.option).techniques}
        elif table.output == "fit":
            problems.append(f"{where}: option {table.option!r} is not in options.yaml")
        for row in table.rows if parse_conditions else []:
            problems += [f"{where}: row {row.id}: condition {p}" for p in parse_problems(row.when)]
        for row in table.rules:
            if row.outcome not in allowed:
                problems.append(f"{where}: row {row.id}: outcome {row.outcome!r} is not one of "
                                f"{', '.join(sorted(allowed))}")
            for technique in row.techniques or []:
                if technique not in techniques:
                    problems.append(f"{where}: row {row.id}: technique {technique!r} is not a "
                                    f"technique of {table.option}")
        if table.rules[-1].when.strip().upper() != "TRUE":
            problems.append(f"{where}: row {table.rules[-1].id}: the last row must be TRUE, "
                            "so that every known situation has an outcome")
    outcomes = {f"fit_{o.id}" for o in pack.options} | {"category"}
    for note in pack.safety_notes if parse_conditions else []:
        problems += [f"safety.yaml: {note.id}: condition {p}"
                     for p in parse_problems(note.when, extra_columns=outcomes)]
    return problems


def _coverage_problems(pack: Pack) -> list[str]:
    problems = []
    category_outcomes = {r.outcome for r in pack.category_table.rules}
    for category in category_ids(pack):
        if category not in category_outcomes:
            problems.append(f"tables/category.yaml: category {category!r} is never an outcome")
    for described in pack.categories:
        note = described.candidate_note
        if note is not None and note.unless is not None and note.unless not in FIELD_BY_NAME:
            problems.append(f"categories.yaml: {described.id}: candidate_note unless "
                            f"{note.unless!r} is not a vocabulary field")
    orders = [c.display_order for c in pack.categories]
    if any(o is not None for o in orders) and (None in orders or len(set(orders)) != len(orders)):
        problems.append("categories.yaml: display_order must be given once for every category, "
                        "each a different number")
    for option in pack.options:
        table = pack.option_tables.get(option.id)
        if table is None:
            problems.append(f"tables/: option {option.id!r} has no decision table")
        elif all(r.outcome == "not_advised" for r in table.rules):
            problems.append(f"tables/{option.id}.yaml: option {option.id!r} is never advised")
    return problems


def check_dynamic(pack: Pack, patients: int = 20_000, seed: int = 7) -> list[str]:
    """Evaluate the pack over generated patients: every category, every advised fit and
    every rule row must be reached by someone (a row nobody reaches is dead)."""
    import polars as pl

    from livertx.engine.frames import evaluate
    from livertx.generate import generate_patients

    frame = evaluate(generate_patients(patients, seed=seed, unknown_rate=0.0).lazy(), pack)
    result = frame.collect()
    problems = []
    seen_categories = set(result["category"].drop_nulls().unique())
    for category in category_ids(pack):
        if category not in seen_categories:
            problems.append(f"tables/category.yaml: no patient reaches category {category!r}")
    hit_rules = set()
    for table in pack.tables:
        hit_rules |= set(result[rule_column(table)].drop_nulls().unique())
        if table.output == "fit":
            fits = set(result[f"fit_{table.option}"].drop_nulls().unique())
            if not fits & {"primary", "alternative"}:
                problems.append(f"tables/{table.option}.yaml: no patient is advised "
                                f"{table.option!r} (unreachable option)")
    for table in pack.tables:
        for row in table.rules:
            if row.id not in hit_rules:
                problems.append(f"tables/{_file(table)}: row {row.id}: no patient reaches this "
                                "row (dead rule)")
    del pl
    return problems


def check_pack(pack: Pack) -> list[str]:
    """All problems of a pack: the static checks (conditions parsed) and the dynamic ones."""
    try:
        check_static(pack)
    except PackError as exc:
        return exc.problems
    return check_dynamic(pack)
