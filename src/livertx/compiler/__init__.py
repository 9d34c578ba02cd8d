"""One description, compiled for every place it runs (DESIGN.md): SQL expression text ->
plan nodes (`parse`) -> Python closures, Polars expressions or SQL text."""

from livertx.compiler.nodes import Node, columns, thresholds
from livertx.compiler.parse import ExpressionError, parse

__all__ = ["ExpressionError", "Node", "columns", "parse", "thresholds"]
