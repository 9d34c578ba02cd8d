"""`livertx assess` without Typer: a cold start is mostly imports, and Typer (with the
pydantic adapters it builds for each parameter) was a third of one.

Only a plain command line takes this path: `assess`, then files and the options
--format/-f, --guideline, --pack (each once, with a value that does not start with `-`)
and --fhir. Anything else (help, a misspelt option, a bad format, no file) goes to the
Typer app, which answers it as it always has. Both call the same `run_assess`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

_VALUED = {"--format": "format", "-f": "format", "--guideline": "guideline",
           "--pack": "pack_path"}
_FORMATS = ("text", "json", "markdown", "html", "cds")  # Format's values (a test checks)
EXIT_BROKEN_PIPE, EXIT_INTERRUPTED = 1, 130  # what Typer answers for these


def plain_assess(argv: list[str]) -> dict[str, Any] | None:
    """The arguments of a plain `assess` command line, or None for anything else."""
    if not argv or argv[0] != "assess":
        return None
    found: dict[str, Any] = {"sources": [], "fhir": False}
    words = iter(argv[1:])
    for word in words:
        if word == "-" or not word.startswith("-"):
            found["sources"].append(word)
            continue
        name, given, value = word.partition("=")
        if name == "--fhir" and not given and not found["fhir"]:
            found["fhir"] = True
            continue
        key = _VALUED.get(name)
        if key is None or key in found or (given and name == "-f"):
            return None
        if not given:
            value = next(words, "-")
        if not value or value.startswith("-"):
            return None
        found[key] = value
    if not found["sources"] or found.get("format", "text") not in _FORMATS:
        return None
    return found


def fast_assess(argv: list[str]) -> bool:
    """Run a plain `assess` command line (True), or leave it to Typer (False)."""
    found = plain_assess(argv)
    if found is None:
        return False
    from livertx.cli.assess_run import Format, run_assess

    pack_path = found.get("pack_path")
    try:
        run_assess(found["sources"], Format(found.get("format", "text")), found["fhir"],
                   Path(pack_path) if pack_path is not None else None,
                   found.get("guideline", "acs-2017"))
    except BrokenPipeError:  # `livertx assess … | head`: quiet, as through Typer
        # what is still buffered cannot be written: send it nowhere (Python's advice)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(EXIT_BROKEN_PIPE) from None
    except KeyboardInterrupt:
        raise SystemExit(EXIT_INTERRUPTED) from None
    return True
