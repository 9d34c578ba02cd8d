"""Child-Pugh's items, as the views list them. The points, score, class and bounds are
data: `livertx/scores/library/child_pugh.yaml`."""

from __future__ import annotations

ITEMS = ("bilirubin", "albumin", "inr", "ascites", "encephalopathy")
CLASSES = ("A", "B", "C")
