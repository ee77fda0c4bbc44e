"""App-wide messages."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class StoreChanged(Message):
    """The register changed (here or in another process): screens showing it reload."""

    external: bool = False
    """True when another process made the change."""
