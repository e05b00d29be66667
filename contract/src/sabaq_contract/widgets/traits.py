"""The synced traits of each Sabaq widget kind, and who may write which.

A host without a kernel (the LMS block) reads widget models from saved state and must know,
for every trait, whether it is the lecturer's (the question and its rules), the answer key,
the learner's (``LEARNER_TRAITS``), the scorer's (``SERVER_OWNED_TRAITS``) or anywidget's
front-end code (``FRONT_END_TRAITS``). The widget classes in ``sabaq_widgets`` declare the
same traits with traitlets; a test pins the classes to ``SYNCED_TRAITS``. Standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

COMMON_TRAITS = frozenset({"kind", "language", "labels"})
"""Every Sabaq widget's: its kind, its UI language and its label tables."""

QUIZ_TRAITS = COMMON_TRAITS | {
    "question", "key", "response", "attempts", "result", "max_attempts", "reveal",
}
"""Every quiz widget's: the question, its key, the learner's answer, the verdict and the rules."""

SYNCED_TRAITS: Mapping[str, frozenset[str]] = MappingProxyType({
    "multiple_choice": QUIZ_TRAITS | {"options", "multiple", "order"},
    "numeric": QUIZ_TRAITS | {"unit"},
    "short_answer": QUIZ_TRAITS,
    "parameter_explorer": COMMON_TRAITS | {
        "title", "x_label", "y_label", "parameters", "series", "x", "frames", "selection",
    },
})
"""Widget kind → its own synced traits (besides anywidget's and ipywidgets' base traits)."""

KEY_TRAITS = frozenset({"key"})
"""The answer key: stripped from student pages and kept on the server (``keys.strip_keys``)."""

LEARNER_TRAITS = frozenset({"response", "selection"})
"""What the learner's page may write: a checked answer (scored and counted by the scorer)
and an explorer's setting."""

SERVER_OWNED_TRAITS = frozenset({"attempts", "result"})
"""Traits only the scorer writes; a learner's page that sends them is refused (or ignored)."""

FRONT_END_TRAITS = frozenset({"_esm", "_css", "_anywidget_id"})
"""anywidget's front-end code: a host serves its own copy (``assets.widget_module``), never
the notebook's."""

PRIVATE_TRAITS = KEY_TRAITS | FRONT_END_TRAITS
"""What a host never sends to the learner's page as model state."""
