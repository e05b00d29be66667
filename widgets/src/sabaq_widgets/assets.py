"""Paths of the front-end files shipped with sabaq-widgets.

Importing this module never imports anywidget or ipywidgets, so a host can serve the
files (or inline them) cheaply.
"""

from __future__ import annotations

import pathlib

VENDOR_FILES = ("require.js", "html-manager.js", "anywidget.js")
"""Vendored scripts, in the order a page must load them."""

WIDGET_MODULES = {
    "multiple_choice": ("multiple_choice.js", "multiple_choice.css"),
    "numeric": ("numeric.js", "numeric.css"),
    "short_answer": ("short_answer.js", "short_answer.css"),
    "parameter_explorer": ("parameter_explorer.js", "parameter_explorer.css"),
}
"""Each widget kind's own ES module and style sheet under ``static_dir()``."""


def static_dir() -> pathlib.Path:
    """The directory holding the widgets' ES modules and CSS files."""
    return pathlib.Path(__file__).parent / "static"


def vendor_dir() -> pathlib.Path:
    """The directory holding the vendored third-party scripts and their licences."""
    return static_dir() / "vendor"


def widget_module(kind: str) -> tuple[str, str]:
    """Return the ES module source and CSS text of a widget kind."""
    js, css = WIDGET_MODULES[kind]
    return (static_dir() / js).read_text("utf-8"), (static_dir() / css).read_text("utf-8")
