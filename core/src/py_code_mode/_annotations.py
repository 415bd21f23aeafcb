"""Annotations as a reader writes them, for signatures shown to models and in `help()`."""

from __future__ import annotations

import types
import typing
from typing import Any

__all__ = ["annotation_text"]


def annotation_text(annotation: Any) -> str:
    """An annotation as a reader writes it: ``str | None``, ``list[dict[str, Any]]``."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if annotation is type(None):
        return "None"
    if annotation is Any:
        return "Any"
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(annotation_text(arg) for arg in typing.get_args(annotation))
    if origin is not None:
        args = ", ".join(annotation_text(arg) for arg in typing.get_args(annotation))
        return f"{getattr(origin, '__name__', str(origin))}[{args}]"
    return getattr(annotation, "__name__", str(annotation))
