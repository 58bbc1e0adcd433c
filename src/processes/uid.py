"""Process UIDs: ``"{layer}-{hex}"`` with at least four lowercase hex digits."""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing costs start-up time; only type checkers need it
if TYPE_CHECKING:
    from collections.abc import Callable

MIN_WIDTH = 4
ATTEMPTS_PER_WIDTH = 8
"""Collisions in a row at one width before the hex part grows by a digit.

Eight misses in a row happen by chance only when the width's space is mostly
taken (more than about 3/4 full for a one-in-ten chance), so UIDs stay short
until a layer is crowded, and a draw never loops for long.
"""


def draw_uid(layer: int, taken: Callable[[str], bool]) -> str:
    """A random UID on ``layer`` for which ``taken(uid)`` is false."""
    if layer < 0:
        raise ValueError(f"a layer is an integer >= 0, not {layer}")
    width = MIN_WIDTH
    while True:
        for _ in range(ATTEMPTS_PER_WIDTH):
            uid = f"{layer}-{os.urandom((width + 1) // 2).hex()[:width]}"
            if not taken(uid):
                return uid
        width += 1
