"""Full-text search over a pack's text: SQLite FTS5 in memory, built once at start-up.

Each library page (an option, a technique, a topic, a situation, a section summary) is one
document. A person's query is reduced to plain words (each matched as a prefix), so no
query text ever reaches FTS5's own query syntax.
"""

from __future__ import annotations

import html
import re
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from livertx.knowledge.pack import Pack

MAX_QUERY_CHARS = 200
MAX_TERMS = 12
_START, _END = "\x02", "\x03"  # snippet markers, replaced after escaping
# The pack is in US English; readers may not be.
SPELLINGS = {"tumour": "tumor", "tumours": "tumors", "anaesthesia": "anesthesia",
             "oncologists": "oncologist", "haemorrhage": "hemorrhage", "centre": "center"}
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Document:
    url: str
    kind: str
    title: str
    body: str


@dataclass(frozen=True)
class Hit:
    url: str
    kind: str
    title: str
    snippet_html: str  # escaped text with <mark> around the matched words


def documents(pack: Pack) -> list[Document]:
    """Every page of the library as one searchable document."""
    docs: list[Document] = []
    for option in pack.options:
        texts = [option.summary.text, option.goal.text if option.goal else ""]
        texts += [i.text for i in (*option.involves, *option.facts, *option.questions)]
        texts += [s.text for s in (*option.side_effects.common, *option.side_effects.serious)]
        texts += [t.name + ". " + t.description for t in option.techniques]
        texts += [n.text for n in option.currency_notes]
        if option.care_team.note:
            texts.append(option.care_team.note.text)
        docs.append(Document(f"/treatments/{option.id}", "Treatment", option.name, " ".join(texts)))
        for technique in option.techniques:
            docs.append(Document(f"/treatments/{option.id}/{technique.id}", "Technique",
                                 technique.name, technique.description))
    for topic in pack.topics:
        extra = [str(i.get("text", "")) for key in ("items", "red_flags")
                 for i in (getattr(topic, key, None) or [])]
        extra += [f"{r.get('name', '')}. {r.get('description', '')}"
                  for r in (getattr(topic, "roles", None) or [])]
        docs.append(Document(f"/topics/{topic.id}", "Topic", topic.title,
                             " ".join([p.text for p in topic.paragraphs] + extra)))
    for category in pack.categories:
        body = category.description.text + (" " + category.what_it_means.text
                                            if category.what_it_means else "")
        docs.append(Document(f"/about#category-{category.id}", "Situation", category.name, body))
    for section in pack.sections.values():
        if section.summary:
            docs.append(Document(f"/about#section-{_anchor(section.id)}", "Guide section",
                                 section.title, section.summary))
    return docs


def _anchor(section_id: str) -> str:
    return section_id.replace("/", "-")


class SearchIndex:
    """An in-memory FTS5 table; safe to query from several threads."""

    def __init__(self, docs: Iterable[Document]) -> None:
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._lock = threading.Lock()
        self._db.execute("CREATE VIRTUAL TABLE docs USING fts5(url UNINDEXED, kind UNINDEXED, "
                         "title, body, tokenize='porter unicode61 remove_diacritics 2')")
        self._db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?)",
                             [(d.url, d.kind, d.title, d.body) for d in docs])
        self._db.commit()

    def search(self, query: str, limit: int = 30) -> list[Hit]:
        """Pages holding every word of the query (prefixes match), best first."""
        terms = [SPELLINGS.get(t.lower(), t)
                 for t in _WORD.findall(query[:MAX_QUERY_CHARS])[:MAX_TERMS]]
        if not terms:
            return []
        match = " ".join('"' + t.replace('"', "") + '"*' for t in terms)
        sql = ("SELECT url, kind, title, snippet(docs, 3, ?, ?, ' … ', 24) FROM docs "
               "WHERE docs MATCH ? ORDER BY kind = 'Guide section', bm25(docs, 0.0, 0.0, 5.0, 1.0) "
               "LIMIT ?")
        with self._lock:
            rows = self._db.execute(sql, (_START, _END, match, limit)).fetchall()
        return [Hit(url, kind, title, _highlight(snippet)) for url, kind, title, snippet in rows]


def _highlight(snippet: str) -> str:
    escaped = html.escape(snippet)  # the markers are control characters, left as they are
    return escaped.replace(_START, "<mark>").replace(_END, "</mark>")


def build_index(pack: Pack) -> SearchIndex:
    return SearchIndex(documents(pack))
