"""One document to render: its template context and its file-name stem."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class DocJob:
    """One document to render: its template context and its file-name stem (made safe later)."""
    context: dict[str, Any]
    name: str
    meta: dict[str, Any] = field(default_factory=dict)  # e.g. staff_id, month: for callers, not the template
