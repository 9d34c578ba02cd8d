"""livertx: liver cancer treatment options from a trusted patient guide, explained."""

__version__ = "0.1.0"
