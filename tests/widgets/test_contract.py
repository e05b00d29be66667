"""The widget classes agree with the Jupyter-free widget rules they are built on.

``sabaq_contract.widgets`` is what a host without a kernel (the LMS block, the grader)
knows about the widgets; these tests pin the traitlets classes to it, so a trait added to a
widget class without the host learning of it fails here.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import anywidget
import pytest

import sabaq_widgets
from sabaq_contract.widgets import attempts, keys, scoring, traits
from sabaq_contract.widgets import errors as contract_errors
from sabaq_contract.widgets.assets import WIDGET_MODULES
from sabaq_widgets import MultipleChoice, NumericAnswer, ParameterExplorer, ShortAnswer
from sabaq_widgets import attempts as widget_attempts
from sabaq_widgets import errors as widget_errors
from sabaq_widgets import scoring as widget_scoring


def _examples() -> list[Any]:
    return [
        MultipleChoice("Q?", ["a", "b"], answer=0),
        NumericAnswer("N?", 2.5),
        ShortAnswer("S?", ["yes"]),
        ParameterExplorer(lambda a: {"x": [0, 1], "y": [a, a]}, {"a": [1, 2]}, x_label="x", y_label="y"),
    ]


@pytest.mark.parametrize("widget", _examples(), ids=lambda w: type(w).__name__)
def test_a_widgets_synced_traits_are_the_hosts_list(widget: Any) -> None:
    base = set(anywidget.AnyWidget.class_traits(sync=True))
    own = set(widget.keys) - base
    assert own == traits.SYNCED_TRAITS[widget.kind] | traits.FRONT_END_TRAITS
    declared = set(type(widget).class_traits(sync=True)) - base - traits.FRONT_END_TRAITS
    assert declared == traits.SYNCED_TRAITS[widget.kind]


def test_trait_roles_fit_the_kinds() -> None:
    everything = set().union(*traits.SYNCED_TRAITS.values())
    assert everything >= traits.LEARNER_TRAITS
    assert not traits.LEARNER_TRAITS & (traits.SERVER_OWNED_TRAITS | traits.PRIVATE_TRAITS)
    for kind in keys.KINDS:
        assert traits.SERVER_OWNED_TRAITS | traits.KEY_TRAITS | {"response"} <= traits.SYNCED_TRAITS[kind]
    assert not traits.KEY_TRAITS & traits.SYNCED_TRAITS["parameter_explorer"]
    assert set(keys.KINDS) == set(scoring.ANSWER_FIELDS) == set(traits.SYNCED_TRAITS) - {"parameter_explorer"}
    assert set(WIDGET_MODULES) == set(traits.SYNCED_TRAITS)


def test_kernel_modules_re_export_the_same_rules() -> None:
    assert widget_scoring.score_answer is scoring.score_answer
    assert widget_scoring.strip_keys is keys.strip_keys
    assert widget_attempts.check is attempts.check
    assert widget_attempts.SERVER_OWNED_TRAITS is traits.SERVER_OWNED_TRAITS
    assert widget_errors.SabaqWidgetError is contract_errors.SabaqWidgetError
    assert issubclass(widget_errors.UnsafeWidgetError, contract_errors.SabaqWidgetError)
    for module in (widget_scoring, widget_attempts, widget_errors):
        assert all(hasattr(module, name) for name in module.__all__)
    assert sabaq_widgets.MultipleChoice("Q?", ["a", "b"], answer=1).score({"selected": [1]}).correct


def test_the_widget_rules_need_only_the_standard_library() -> None:
    code = (
        "import sys; before = set(sys.modules);"
        "import sabaq_contract.widgets.assets, sabaq_contract.widgets.attempts, "
        "sabaq_contract.widgets.errors, sabaq_contract.widgets.keys, sabaq_contract.widgets.scoring, "
        "sabaq_contract.widgets.traits;"
        "sabaq_contract.widgets.assets.widget_module('numeric');"
        "new = {m.split('.')[0] for m in set(sys.modules) - before};"
        "print(','.join(sorted(new - set(sys.stdlib_module_names) - {'sabaq_contract'})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
