"""PNG rendering of a frame of any kind: the kind registry (engine/kinds.py) says how to draw it."""

from __future__ import annotations

from .frames import Frame
from .kinds import KINDS


def render_png(frame: Frame, size: int = 512) -> bytes:
    """The distribution plot (2D) or the sample grid (images) of `frame` as PNG bytes."""
    return KINDS[frame.header.get("kind", "2d")].render_png(frame, size)
