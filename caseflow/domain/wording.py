"""Counts as a sentence says them, for messages a user reads ("1 row", "2 rows")."""

from __future__ import annotations


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``number`` and the noun, singular for exactly one (``plural`` where adding an s is wrong)."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"
