"""Sabaq lesson widgets: quizzes and parameter explorers that also run without a kernel.

Importing this package is cheap: the widget classes (which need anywidget and
ipywidgets) load on first access, so ``sabaq_widgets.scoring`` and
``sabaq_widgets.assets`` can be used by hosts that have no Jupyter installed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .explorer import ParameterExplorer
    from .multiple_choice import MultipleChoice
    from .numeric import NumericAnswer
    from .short_answer import ShortAnswer

__all__ = ["MultipleChoice", "NumericAnswer", "ParameterExplorer", "ShortAnswer"]

_LAZY = {
    "MultipleChoice": ".multiple_choice",
    "NumericAnswer": ".numeric",
    "ParameterExplorer": ".explorer",
    "ShortAnswer": ".short_answer",
}


def __getattr__(name: str) -> Any:
    """Import a widget class on first access (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
