"""Each widget kind's ES module and style sheet, exactly as a page runs them.

The files live here, beside the rules they apply in the browser, so a host without Jupyter
(the LMS block) serves the same code a kernel's widget carries. Standard library only.
"""

from __future__ import annotations

import pathlib

COMMON_FILES = ("_common.js", "_common.css")
"""The shared start of every widget's ES module and style sheet, under ``static_dir()``."""

WIDGET_MODULES = {
    "multiple_choice": ("multiple_choice.js", "multiple_choice.css"),
    "numeric": ("numeric.js", "numeric.css"),
    "short_answer": ("short_answer.js", "short_answer.css"),
    "parameter_explorer": ("parameter_explorer.js", "parameter_explorer.css"),
}
"""Each widget kind's own part of its ES module and style sheet under ``static_dir()``.

The files are not complete on their own: ``widget_module`` puts ``COMMON_FILES`` first.
"""


def static_dir() -> pathlib.Path:
    """The directory holding the widgets' ES modules and CSS files."""
    return pathlib.Path(__file__).parent / "static"


def widget_module(kind: str) -> tuple[str, str]:
    """Return the ES module source and CSS text of a widget kind, exactly as the page runs them.

    Each is the shared file of ``COMMON_FILES`` followed by the kind's own file: anywidget
    loads a widget's module from a single blob, so the module cannot import a sibling file.
    Raises ``KeyError`` for a kind that is not in ``WIDGET_MODULES``.
    """
    own_js, own_css = WIDGET_MODULES[kind]
    common_js, common_css = COMMON_FILES
    return _joined(common_js, own_js), _joined(common_css, own_css)


def _joined(*names: str) -> str:
    return "\n".join((static_dir() / name).read_text("utf-8") for name in names)
