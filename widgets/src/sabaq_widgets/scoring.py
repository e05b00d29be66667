"""Answer keys and scoring, for code in kernels that imports them from here.

The rules are defined once, with the standard library only, in
``sabaq_contract.widgets.keys`` and ``sabaq_contract.widgets.scoring``, which hosts without
Jupyter (the LMS block, the grader) import directly; these are the same objects.
"""

from __future__ import annotations

from sabaq_contract.widgets.keys import (
    KINDS,
    STRIPPED_SOURCE,
    VIEW_MIME,
    WIDGET_STATE_MIME,
    is_keyed_model,
    strip_keys,
    widget_states,
)
from sabaq_contract.widgets.scoring import ANSWER_FIELDS, Score, normalize_text, parse_number, score_answer

__all__ = [
    "ANSWER_FIELDS",
    "KINDS",
    "STRIPPED_SOURCE",
    "VIEW_MIME",
    "WIDGET_STATE_MIME",
    "Score",
    "is_keyed_model",
    "normalize_text",
    "parse_number",
    "score_answer",
    "strip_keys",
    "widget_states",
]
