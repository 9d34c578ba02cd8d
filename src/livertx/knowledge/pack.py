"""Load a knowledge pack from its folder of YAML files, checking it as it loads."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livertx.errors import PackError
from livertx.knowledge.model import (
    Category,
    DecisionTable,
    GlossaryTerm,
    Option,
    PackInfo,
    Reference,
    SafetyNote,
    Section,
    Topic,
)

PACKS_DIR = Path(__file__).parent / "packs"
DEFAULT_PACK = "acs-2017"
# what `Pack._cache` keeps in the disk cache (plain data, computed from the pack alone)
KEPT_IN_CACHE_FILE = ("missing_paths",)


@dataclass(frozen=True)
class Pack:
    """Everything one source says: its text, its sections and its decision tables."""

    path: Path
    info: PackInfo
    sections: dict[str, Section]
    options: list[Option]
    categories: list[Category]
    topics: list[Topic]
    references: dict[str, Reference]
    category_table: DecisionTable
    option_tables: dict[str, DecisionTable]
    safety_notes: list[SafetyNote] = field(default_factory=list)
    glossary: list[GlossaryTerm] = field(default_factory=list)
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def tables(self) -> list[DecisionTable]:
        return [self.category_table, *self.option_tables.values()]

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (`livertx.diskcache`) with only the plain data the engine derived from
        it (closures and frames are rebuilt)."""
        kept = {k: v for k, v in self._cache.items() if k in KEPT_IN_CACHE_FILE}
        return {**self.__dict__, "_cache": kept}

    def option(self, option_id: str) -> Option:
        for option in self.options:
            if option.id == option_id:
                return option
        raise KeyError(option_id)

    def category(self, category_id: str) -> Category:
        for category in self.categories:
            if category.id == category_id:
                return category
        raise KeyError(category_id)

    def display_rank(self, category_id: str) -> int:
        """Where a page lists this category among several (its `display_order`, else its
        place in categories.yaml): the most treatable first, as the pack declares."""
        for index, category in enumerate(self.categories):
            if category.id == category_id:
                order = category.display_order
                return order if order is not None else len(self.categories) + index
        raise KeyError(category_id)

    def topic(self, topic_id: str) -> Topic:
        for topic in self.topics:
            if topic.id == topic_id:
                return topic
        raise KeyError(topic_id)

    def find_option(self, word: str) -> Option | None:
        """The option `word` names, in any case: its id, its name, a brand name of the drug
        (options.yaml `brands`) or the id of one of its techniques (`tace`)."""
        wanted = " ".join(word.lower().replace("-", " ").replace("_", " ").split())
        for option in self.options:
            if wanted in _option_words(option):
                return option
        return None

    def option_words(self) -> list[str]:
        """Every word `find_option` knows (for suggestions)."""
        return [w for option in self.options for w in sorted(_option_words(option))]

    def glossary_term(self, word: str) -> GlossaryTerm | None:
        """The glossary entry `word` names (any case, the term or another form), if any."""
        return next((t for t in self.glossary if t.matches(word)), None)

    def cite(self, source: str) -> dict[str, str | None]:
        """A source id resolved to a title (section) or citation (reference)."""
        if source in self.sections:
            section = self.sections[source]
            return {"id": source, "title": section.title,
                    "reviewed": section.last_medical_review, "revised": section.last_revised}
        reference = self.references[source]
        return {"id": source, "title": reference.citation, "url": reference.url}


def _option_words(option: Option) -> set[str]:
    words = {option.id, option.name, *option.brands, *(t.id for t in option.techniques)}
    return {" ".join(w.lower().replace("-", " ").replace("_", " ").split()) for w in words}


def _read(path: Path) -> Any:
    import yaml  # imported on use: a pack from the disk cache never needs it

    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except FileNotFoundError:
        raise PackError([f"{path}: file missing"]) from None
    except yaml.YAMLError as exc:
        raise PackError([f"{path}: not valid YAML: {exc}"]) from None


def _build(path: Path, model: Any, data: Any, where: str) -> Any:
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [f"{path}: {where}: {'.'.join(map(str, e['loc']))}: {e['msg']}"
                    for e in exc.errors()]
        raise PackError(problems) from None


def _items(path: Path, key: str) -> list[Any]:
    data = _read(path)
    if isinstance(data, dict):
        data = data.get(key)
    if not isinstance(data, list):
        raise PackError([f"{path}: expected a list of {key}"])
    return data


def read_pack(path: Path) -> Pack:
    """Parse a pack folder into models (schema only; see validate.check_pack for the rest)."""
    info = _build(path / "pack.yaml", PackInfo, _read(path / "pack.yaml"), "pack")
    sections = [_build(path / "sections.yaml", Section, s, f"section {i}")
                for i, s in enumerate(_items(path / "sections.yaml", "sections"))]
    options = [_build(path / "options.yaml", Option, o, f"option {i}")
               for i, o in enumerate(_items(path / "options.yaml", "options"))]
    categories = [_build(path / "categories.yaml", Category, c, f"category {i}")
                  for i, c in enumerate(_items(path / "categories.yaml", "categories"))]
    topics = [_build(path / "topics.yaml", Topic, t, f"topic {i}")
              for i, t in enumerate(_items(path / "topics.yaml", "topics"))]
    references = [_build(path / "references.yaml", Reference, r, f"reference {i}")
                  for i, r in enumerate(_items(path / "references.yaml", "references"))]
    tables_dir = path / "tables"
    category_table = _build(tables_dir / "category.yaml", DecisionTable,
                            _read(tables_dir / "category.yaml"), "table")
    option_tables: dict[str, DecisionTable] = {}
    for file in sorted(tables_dir.glob("*.yaml")):
        if file.name == "category.yaml":
            continue
        table = _build(file, DecisionTable, _read(file), "table")
        if table.option is None:
            raise PackError([f"{file}: an option table needs `option:`"])
        option_tables[table.option] = table
    safety_file = path / "safety.yaml"
    safety = ([_build(safety_file, SafetyNote, n, f"safety note {i}")
               for i, n in enumerate(_items(safety_file, "safety_notes"))]
              if safety_file.exists() else [])
    glossary_file = path / "glossary.yaml"
    glossary = ([_build(glossary_file, GlossaryTerm, t, f"term {i}")
                 for i, t in enumerate(_items(glossary_file, "glossary"))]
                if glossary_file.exists() else [])
    order = [o.id for o in options]
    option_tables = dict(sorted(option_tables.items(),
                                key=lambda kv: order.index(kv[0]) if kv[0] in order else 999))
    return Pack(path=path, info=info, sections={s.id: s for s in sections}, options=options,
                categories=categories, topics=topics,
                references={r.key: r for r in references}, category_table=category_table,
                option_tables=option_tables, safety_notes=safety, glossary=glossary)


def load_pack(path: Path | str | None = None) -> Pack:
    """Read and validate a pack; the embedded default when no path is given."""
    if path is None:
        return _default_pack()
    from livertx.knowledge.validate import check_static

    pack = read_pack(Path(path))
    check_static(pack)
    return pack


def guidelines() -> tuple[str, ...]:
    """The ids of the embedded packs (one folder each)."""
    return tuple(sorted(p.name for p in PACKS_DIR.iterdir() if (p / "pack.yaml").exists()))


@functools.cache
def load_guideline(guideline: str = DEFAULT_PACK) -> Pack:
    """An embedded pack by its id (loaded once)."""
    if guideline == DEFAULT_PACK:
        return _default_pack()
    if guideline not in guidelines():
        raise PackError([(f"guideline {guideline!r} is not known; available: "
                         f"{', '.join(guidelines())}")])
    return _embedded(guideline, lambda: load_pack(PACKS_DIR / guideline))


@functools.cache
def _default_pack() -> Pack:
    def load() -> Pack:
        from livertx.knowledge.validate import check_static

        # The embedded pack's SQL conditions are parsed and checked by the test suite and
        # by `livertx pack check`; skipping the SQL parser here keeps a cold start short.
        pack = read_pack(PACKS_DIR / DEFAULT_PACK)
        check_static(pack, parse_conditions=False)
        return pack

    return _embedded(DEFAULT_PACK, load)


def _embedded(guideline: str, load: Callable[[], Pack]) -> Pack:
    """An embedded pack as loaded and checked, from the disk cache when its files and the
    code of its models are unchanged (`livertx.diskcache`)."""
    from livertx.diskcache import cached

    def prepared() -> Pack:
        from livertx.engine.missing import missing_paths

        pack = load()
        missing_paths(pack)  # kept with the pack (KEPT_IN_CACHE_FILE)
        return pack

    files = [p for p in (PACKS_DIR / guideline).rglob("*") if p.is_file()]
    return cached(f"pack-{guideline}", [*files, *code_read_by_cache()], prepared)


def code_read_by_cache() -> list[Path]:
    """What a cached pack depends on besides its files: the code of its classes, its
    checks, and what `missing_paths` reads (the score library included)."""
    src = Path(__file__).parents[1]
    names = ("knowledge/model.py", "knowledge/pack.py", "knowledge/validate.py",
             "engine/missing.py", "engine/conditions.py", "engine/hit_policy.py",
             "vocabulary.py", "compiler/nodes.py", "compiler/parse.py", "scores/library.py")
    return [*(src / name for name in names), *(src / "scores" / "library").glob("*.yaml")]
