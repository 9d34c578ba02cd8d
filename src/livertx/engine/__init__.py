"""The decision engine: one patient (`assess`, Python backend) or a table (`evaluate`,
Polars backend), both compiled from the same pack."""

from typing import Any

from livertx.engine.assess import assess, assess_many


def __getattr__(name: str) -> Any:
    """`evaluate` imports Polars: only when a table of patients is evaluated."""
    if name == "evaluate":
        from livertx.engine.frames import evaluate

        return evaluate
    raise AttributeError(name)


__all__ = ["assess", "assess_many", "evaluate"]
