"""The front-end files of static rendering, and each widget's code as a page runs it.

The vendored ipywidgets manager, anywidget's front end and the loader live here (only
static rendering needs them); each widget kind's own ES module and style sheet live with
the widget rules in ``sabaq_contract.widgets.assets`` and are re-exported here. Importing
this module never imports anywidget or ipywidgets.
"""

from __future__ import annotations

import pathlib

from sabaq_contract.widgets.assets import COMMON_FILES, WIDGET_MODULES, widget_module

__all__ = ["COMMON_FILES", "VENDOR_FILES", "WIDGET_MODULES", "static_dir", "vendor_dir", "widget_module"]

VENDOR_FILES = ("require.js", "html-manager.js", "anywidget.js")
"""Vendored scripts, in the order a page must load them."""


def static_dir() -> pathlib.Path:
    """The directory holding static rendering's loader (``loader.js``) and ``vendor/``."""
    return pathlib.Path(__file__).parent / "static"


def vendor_dir() -> pathlib.Path:
    """The directory holding the vendored third-party scripts and their licences."""
    return static_dir() / "vendor"
