"""Text alternatives for the figures a lesson shows (WCAG 1.1.1).

The lecturer's own words come first: an image output's metadata (``metadata["image/png"]["alt"]``),
then the drawing cell's ``metadata.sabaq.alt``. Without them a ``text/plain`` that describes
the image is used (never a repr such as matplotlib's ``<Figure size 640x480 with 1 Axes>``),
then the title and axis labels the cell's plotting calls set, in the lesson's language. A
figure is never hidden from a screen reader as decorative because nobody described it.
"""

from __future__ import annotations

import re
from typing import Any

from . import i18n
from . import notebook as nbmod

_REPR = re.compile(r"^\s*<.*>\s*$", re.S)
_LABEL_CALLS = {"set_title": "title", "title": "title", "suptitle": "title",
                "set_xlabel": "x", "xlabel": "x", "set_ylabel": "y", "ylabel": "y"}
_SET_KEYWORDS = {"title": "title", "xlabel": "x", "ylabel": "y"}


def figure_alt(cell: nbmod.Cell) -> str:
    """The lecturer's text alternative for the figures a cell draws (``metadata.sabaq.alt``)."""
    sabaq = (cell.get("metadata") or {}).get("sabaq")
    alt = sabaq.get("alt") if isinstance(sabaq, dict) else None
    return alt.strip() if isinstance(alt, str) else ""


def figure_labels(code: str) -> dict[str, str]:
    """The ``title``, ``x`` and ``y`` labels a plotting cell sets with string literals.

    matplotlib's names: ``plt.title``/``ax.set_title``/``fig.suptitle``, ``xlabel``/``set_xlabel``,
    ``ylabel``/``set_ylabel`` and ``ax.set(title=..., xlabel=..., ylabel=...)``; the first of each wins.
    """
    import ast

    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return {}
    found: dict[str, str] = {}

    def keep(role: str, node: ast.AST) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip():
            found.setdefault(role, " ".join(node.value.split()))

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        if name in _LABEL_CALLS:
            given = node.args[:1] + [k.value for k in node.keywords if k.arg in ("label", "t", "xlabel", "ylabel")]
            if given:
                keep(_LABEL_CALLS[name], given[0])
        elif name == "set":
            for keyword in node.keywords:
                if keyword.arg in _SET_KEYWORDS:
                    keep(_SET_KEYWORDS[keyword.arg], keyword.value)
    return found


def figure_fallback(cell: nbmod.Cell, language: str) -> str:
    """The text alternative of a figure nobody described: its title and axes, in ``language``."""
    t = i18n.translator(language.split("-")[0])
    ui = i18n.UI_STRINGS
    labels = figure_labels(nbmod.source(cell)) if cell.get("cell_type") == "code" else {}
    title, x, y = labels.get("title"), labels.get("x"), labels.get("y")
    if title and x and y:
        return t(ui["figure_titled_axes"]).format(title=title, x=x, y=y)
    if title:
        return t(ui["figure_titled"]).format(title=title)
    if x and y:
        return t(ui["figure_axes"]).format(x=x, y=y)
    return t(ui["figure_undescribed"])


def image_alt(output: dict[str, Any], mime: str, alt: str = "", fallback: str = "") -> str:
    """The ``alt`` of an image output: its own metadata, the cell's ``alt``, a describing
    ``text/plain``, else ``fallback`` (empty only when every one of them is)."""
    metadata = output.get("metadata")
    entry = metadata.get(mime) if isinstance(metadata, dict) else None
    own = entry.get("alt") if isinstance(entry, dict) else None
    if isinstance(own, str) and own.strip():
        return own.strip()
    if alt:
        return alt
    data = output.get("data")
    plain = data.get("text/plain", "") if isinstance(data, dict) else ""
    text = " ".join(("".join(plain) if isinstance(plain, list) else str(plain)).split())
    return text if text and not _REPR.match(text) else fallback
