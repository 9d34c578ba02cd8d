"""Knowledge packs: a source's facts in the project's words, and its decision tables."""

from livertx.knowledge.pack import DEFAULT_PACK, Pack, load_pack, read_pack

__all__ = ["DEFAULT_PACK", "Pack", "load_pack", "read_pack"]
