"""The decision engine: tables compiled to expressions, hit policy, explanations."""

from livertx.engine.assess import assess, assess_many
from livertx.engine.evaluate import evaluate

__all__ = ["assess", "assess_many", "evaluate"]
