"""Write tests/data/source-fingerprint.txt: hashes of every 10-word run of the source text.

Usage: python3 scripts/source_fingerprint.py [SOURCE] [--output FILE]

SOURCE defaults to ../shared/source/treating-liver-cancer.txt beside the repository. The
output holds one hash per distinct 10-word shingle of the source, never its words, so the
test `tests/test_pack_validation.py` can check that no project file repeats a sentence of
the copyrighted source without the source itself being present.

Words are found as `../shared/tools/source_overlap.py` finds them (lower-cased runs of
a-z and 0-9); `project_files` picks the same files that tool scans. The test imports this
file by path, so the script and the test share one definition of a shingle and its hash.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO.parent / "shared" / "source" / "treating-liver-cancer.txt"
FINGERPRINT = REPO / "tests" / "data" / "source-fingerprint.txt"
N_WORDS = 10
WORD = re.compile(r"[a-z0-9]+")

HEADER = """\
# Fingerprint of the copyrighted source text: American Cancer Society, "Treating Liver
# Cancer" (medical reviews 2016-03-31 to 2017-10-02, last revised 2017-10-03).
# One line per distinct run of {n} consecutive words of the source: the first 16 hex digits
# of BLAKE2b of the run, lower-cased, split into a-z/0-9 words and joined by single spaces.
# Sorted. It holds no text of the source, only these hashes.
# Made with: python3 scripts/source_fingerprint.py ../shared/source/treating-liver-cancer.txt
# Used by tests/test_pack_validation.py (no project file repeats {n} words of the source).
"""


def words(text: str) -> list[str]:
    """The words of `text` as the shared overlap tool sees them."""
    return WORD.findall(text.lower())


def shingle_hash(shingle: list[str] | tuple[str, ...]) -> str:
    """The fingerprint of one run of words."""
    return hashlib.blake2b(" ".join(shingle).encode("utf-8")).hexdigest()[:16]


def shingle_hashes(tokens: list[str], n: int = N_WORDS) -> Iterator[str]:
    """The hash of every run of `n` consecutive words, in order (position i gives run i)."""
    for i in range(len(tokens) - n + 1):
        yield shingle_hash(tokens[i:i + n])


def fingerprint(text: str, n: int = N_WORDS) -> list[str]:
    """The sorted distinct hashes of the `n`-word runs of `text`."""
    return sorted(set(shingle_hashes(words(text), n)))


def read_fingerprint(path: Path = FINGERPRINT) -> set[str]:
    """The hashes in a fingerprint file (comment and blank lines skipped)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def project_files(repo: Path = REPO) -> Iterator[tuple[str, str]]:
    """(name, text) of each file the shared overlap tool scans: tracked and untracked files
    not ignored by git, at most 2,000,000 bytes, UTF-8, and not under an `external/` folder."""
    listing = subprocess.run(["git", "-C", str(repo), "ls-files", "-co", "--exclude-standard",
                              "-z"], capture_output=True, text=True, check=True).stdout
    for name in listing.split("\0"):
        path = repo / name
        if not name or not path.is_file() or path.stat().st_size > 2_000_000 \
                or "external/" in name:
            continue
        try:
            yield name, path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--output", type=Path, default=FINGERPRINT)
    args = parser.parse_args(argv)
    hashes = fingerprint(args.source.read_text(encoding="utf-8", errors="replace"))
    args.output.write_text(HEADER.format(n=N_WORDS) + "".join(h + "\n" for h in hashes),
                           encoding="utf-8")
    print(f"{args.output}: {len(hashes)} hashes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
