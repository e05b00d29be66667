"""ParameterExplorer: sliders and dropdowns over a function, plotted in the browser."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import traitlets as t

from sabaq_contract.widgets.assets import widget_module

from ._base import SabaqWidget, require_text
from .grid import evaluate, parse_parameters


class ParameterExplorer(SabaqWidget):
    """Explore ``function(**params)`` over a grid of parameter values, with no kernel needed.

    ``parameters`` maps each name to ``(start, stop, step)`` (a slider) or a list of
    choices (a dropdown). ``function`` returns ``{"x": [...], "<series>": [...], ...}``; it
    runs for every combination when the widget is created (at most
    ``grid.MAX_COMBINATIONS``), and the page draws the chosen combination as an SVG plot.
    """

    kind = t.Unicode("parameter_explorer", read_only=True, help="Widget kind.").tag(sync=True)
    _esm, _css = widget_module("parameter_explorer")

    title = t.Unicode("", help="Plot title (plain text).").tag(sync=True)
    x_label = t.Unicode(help="Horizontal axis label (plain text).").tag(sync=True)
    y_label = t.Unicode(help="Vertical axis label (plain text).").tag(sync=True)
    parameters = t.List(
        t.Dict(), help="Controls: [{name, control: 'slider' | 'choice', values: [...]}]."
    ).tag(sync=True)
    series = t.List(t.Unicode(), help="Names of the plotted series, in legend order.").tag(sync=True)
    x: t.List[float | None] = t.List(
        help="x values shared by every combination; empty when each frame has its own 'x'.",
    ).tag(sync=True)
    frames = t.List(
        t.Dict(),
        help="Precomputed data, one {series: [[...], ...], x?} per combination, row-major in "
        "parameter order.",
    ).tag(sync=True)
    selection = t.List(
        t.Int(), help="Index of the chosen value of each parameter (the learner's setting)."
    ).tag(sync=True)

    def __init__(
        self,
        function: Callable[..., Mapping[str, Any]],
        parameters: Mapping[str, Any],
        *,
        x_label: str,
        y_label: str,
        title: str = "",
        language: str = "",
        labels: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        require_text("x_label", x_label)
        require_text("y_label", y_label)
        require_text("title", title, allow_empty=True)
        controls = parse_parameters(parameters)
        names, shared_x, frames = evaluate(function, controls)
        super().__init__(
            title=title,
            x_label=x_label,
            y_label=y_label,
            parameters=[c.as_state() for c in controls],
            series=names,
            x=shared_x,
            frames=frames,
            selection=[0] * len(controls),
            language=language,
            labels=labels,
            **kwargs,
        )

    @property
    def value(self) -> dict[str, Any]:
        """The parameter values currently chosen, by name."""
        return {
            p["name"]: p["values"][i] for p, i in zip(self.parameters, self.selection, strict=True)
        }
