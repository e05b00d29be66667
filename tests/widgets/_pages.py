"""Builders of the lesson widgets used by several tests."""

from __future__ import annotations

import math
from typing import Any


def sir_curves(beta: float, gamma: float, days: int = 60) -> dict[str, list[float]]:
    """A tiny SIR model (Euler steps), the explorer example from the lessons."""
    s, i, r = 0.99, 0.01, 0.0
    xs, ss, is_, rs = [], [], [], []
    for day in range(days + 1):
        xs.append(day)
        ss.append(s)
        is_.append(i)
        rs.append(r)
        new_inf, new_rec = beta * s * i, gamma * i
        s, i, r = s - new_inf, i + new_inf - new_rec, r + new_rec
    return {"x": xs, "susceptible": ss, "infected": is_, "recovered": rs}


def wave(shape: str, frequency: float) -> dict[str, Any]:
    xs = [k / 20 for k in range(41)]
    fn = math.sin if shape == "sine" else math.cos
    return {"x": xs, "y": [fn(2 * math.pi * frequency * x) for x in xs]}
