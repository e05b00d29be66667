"""Parameter grids for ParameterExplorer, evaluated ahead of time (no Jupyter imports).

The page explores a function with no kernel behind it, so every combination of the
parameters is evaluated when the cell runs and the results travel in the widget state.
Both the number of combinations and the total amount of data are bounded, because all
of it is embedded in the lesson page.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import ExplorerFunctionError, GridTooLargeError, InvalidParameterError

MAX_COMBINATIONS = 2000
MAX_NUMBERS = 2_000_000
"""Upper bound on the numbers (x values plus series values) stored for the whole grid."""
SIGNIFICANT_DIGITS = 4
"""Digits kept per value: finer than a plot's pixels, and it keeps pages small."""

Scalar = str | int | float | bool


@dataclass(frozen=True)
class Parameter:
    """One explorer control: a slider over evenly spaced numbers, or a dropdown of choices."""

    name: str
    control: str  # "slider" or "choice"
    values: tuple[Scalar, ...]

    def as_state(self) -> dict[str, Any]:
        """The JSON form kept in the widget's ``parameters`` trait."""
        return {"name": self.name, "control": self.control, "values": list(self.values)}


def parse_parameters(parameters: Mapping[str, Any]) -> list[Parameter]:
    """Turn ``{"beta": (0.1, 1.0, 0.05), "gamma": [0.1, 0.2]}`` into controls, validating each."""
    if not isinstance(parameters, Mapping) or not parameters:
        raise InvalidParameterError("parameters must be a non-empty dict {name: spec}")
    result = []
    for name, spec in parameters.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise InvalidParameterError(f"parameter name {name!r} must be a Python identifier")
        if isinstance(spec, tuple):
            result.append(Parameter(name, "slider", _slider_values(name, spec)))
        elif isinstance(spec, list):
            result.append(Parameter(name, "choice", _choice_values(name, spec)))
        else:
            raise InvalidParameterError(
                f"parameter {name!r}: use a tuple (start, stop, step) for a slider or a list of "
                f"choices for a dropdown, not {type(spec).__name__}"
            )
    return result


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _slider_values(name: str, spec: tuple[Any, ...]) -> tuple[float, ...]:
    if len(spec) != 3 or not all(_is_number(v) for v in spec):
        raise InvalidParameterError(f"parameter {name!r}: a slider is (start, stop, step) of 3 numbers")
    start, stop, step = (float(v) for v in spec)
    if step <= 0:
        raise InvalidParameterError(f"parameter {name!r}: step must be positive, got {step}")
    if stop < start:
        raise InvalidParameterError(f"parameter {name!r}: stop {stop} is below start {start}")
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > MAX_COMBINATIONS:
        raise GridTooLargeError(
            f"parameter {name!r} alone has {count} values; the limit is {MAX_COMBINATIONS}: "
            "use a larger step"
        )
    return tuple(round(start + i * step, 12) for i in range(count))


def _choice_values(name: str, spec: list[Any]) -> tuple[Scalar, ...]:
    if not spec:
        raise InvalidParameterError(f"parameter {name!r}: the list of choices is empty")
    for value in spec:
        if not isinstance(value, str | bool) and not _is_number(value):
            raise InvalidParameterError(
                f"parameter {name!r}: choices must be strings or finite numbers, got {value!r}"
            )
    if len({(type(v), v) for v in spec}) != len(spec):
        raise InvalidParameterError(f"parameter {name!r}: choices must be different")
    return tuple(spec)


def _number_list(value: Any, what: str) -> list[float | None]:
    if isinstance(value, str | bytes | Mapping):
        raise ExplorerFunctionError(f"{what} must be a sequence of numbers")
    try:
        items = list(value)
    except TypeError:
        raise ExplorerFunctionError(f"{what} must be a sequence of numbers") from None
    out: list[float | None] = []
    for item in items:
        try:
            number = float(item)
        except (TypeError, ValueError):
            raise ExplorerFunctionError(f"{what} holds {item!r}, which is not a number") from None
        out.append(float(f"{number:.{SIGNIFICANT_DIGITS}g}") if math.isfinite(number) else None)
    return out


def evaluate(
    function: Callable[..., Mapping[str, Any]], parameters: Sequence[Parameter]
) -> tuple[list[str], list[float | None], list[dict[str, Any]]]:
    """Evaluate ``function`` on every combination, row-major in parameter order.

    Returns ``(series names, shared x, frames)``. Each frame is ``{"series": [[...], ...]}``
    plus its own ``"x"`` unless every combination has the same x values, which are then
    returned once as ``shared x`` (else ``[]``). Values keep ``SIGNIFICANT_DIGITS``
    significant digits; NaN and infinities become gaps (``None``).
    """
    if not callable(function):
        raise ExplorerFunctionError("function must be callable: function(**params) -> {'x': ..., ...}")
    total = math.prod(len(p.values) for p in parameters)
    if total > MAX_COMBINATIONS:
        sizes = " x ".join(f"{p.name} ({len(p.values)})" for p in parameters)
        raise GridTooLargeError(
            f"{sizes} = {total} combinations; the limit is {MAX_COMBINATIONS}: use fewer values"
        )
    names: list[str] | None = None
    frames: list[dict[str, Any]] = []
    stored = 0
    for combo in itertools.product(*(p.values for p in parameters)):
        kwargs = {p.name: v for p, v in zip(parameters, combo, strict=True)}
        where = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        try:
            data = function(**kwargs)
        except Exception as exc:
            raise ExplorerFunctionError(f"function raised {exc!r} for {where}") from exc
        if not isinstance(data, Mapping) or "x" not in data or len(data) < 2:
            raise ExplorerFunctionError(
                f"function must return {{'x': [...], '<series name>': [...], ...}}; for {where} "
                f"it returned {type(data).__name__}"
            )
        these = [str(k) for k in data if k != "x"]
        if names is None:
            names = these
        elif these != names:
            raise ExplorerFunctionError(f"series changed to {these} for {where}; expected {names}")
        x = _number_list(data["x"], f"'x' for {where}")
        series = [_number_list(data[k], f"series {k!r} for {where}") for k in data if k != "x"]
        for key, values in zip(names, series, strict=True):
            if len(values) != len(x):
                raise ExplorerFunctionError(
                    f"series {key!r} has {len(values)} values but 'x' has {len(x)} for {where}"
                )
        stored += len(x) * (1 + len(series))
        if stored > MAX_NUMBERS:
            raise GridTooLargeError(
                f"the grid produces more than {MAX_NUMBERS} numbers; use fewer points or values"
            )
        frames.append({"x": x, "series": series})
    shared: list[float | None] = frames[0]["x"] if frames else []
    if all(frame["x"] == shared for frame in frames):
        for frame in frames:
            del frame["x"]
    else:
        shared = []
    return names or [], shared, frames
