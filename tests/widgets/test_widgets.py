"""Widget classes: traits, help texts and input validation (no kernel needed)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import traitlets

from sabaq_contract.widgets.assets import COMMON_FILES, WIDGET_MODULES, static_dir, widget_module
from sabaq_widgets import MultipleChoice, NumericAnswer, ParameterExplorer, ShortAnswer, errors
from sabaq_widgets.i18n import DEFAULT_LABELS

from ._pages import sir_curves


def test_package_import_is_cheap() -> None:
    code = (
        "import sys, sabaq_widgets, sabaq_widgets.scoring, sabaq_widgets.attempts, sabaq_widgets.assets, "
        "sabaq_widgets.errors, sabaq_widgets.static_render, sabaq_widgets.grid;"
        "sabaq_widgets.assets.widget_module('numeric');"
        "bad = [m for m in ('anywidget', 'ipywidgets', 'traitlets', 'IPython', 'jupyter_client') "
        "if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("kind", sorted(WIDGET_MODULES))
def test_widget_module_is_the_common_part_then_the_kinds_own(kind: str) -> None:
    js, css = widget_module(kind)
    for text, common, own in zip((js, css), COMMON_FILES, WIDGET_MODULES[kind], strict=True):
        assert text == (static_dir() / common).read_text("utf-8") + "\n" + (static_dir() / own).read_text("utf-8")
    assert js.count("export default") == 1 and "function pickLanguage(" in js
    with pytest.raises(KeyError):
        widget_module("_common")


def test_lazy_attributes() -> None:
    import sabaq_widgets

    assert sabaq_widgets.MultipleChoice is MultipleChoice
    assert "ShortAnswer" in dir(sabaq_widgets)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = sabaq_widgets.Nope


@pytest.mark.parametrize("cls", [MultipleChoice, NumericAnswer, ShortAnswer, ParameterExplorer])
def test_every_synced_trait_has_help(cls: type) -> None:
    own = {"kind", "language", "labels"} | set(cls.class_own_traits(sync=True))
    for name in own:
        trait = cls.class_traits()[name]
        assert trait.help, f"{cls.__name__}.{name} has no help"
    js, css = widget_module(cls.class_traits()["kind"].default_value or cls.KIND)
    assert str(cls._esm) == js and str(cls._css) == css


def test_multiple_choice_contract() -> None:
    w = MultipleChoice("Which?", ["a", "b", "c"], answer=1, feedback=["x", "y", "z"], explanation="e")
    assert (w.kind, w.question, w.options, w.multiple, w.order) == (
        "multiple_choice", "Which?", ["a", "b", "c"], False, [0, 1, 2])
    assert w.key == {"answer": [1], "feedback": ["x", "y", "z"], "explanation": "e"}
    assert w.answer == [1]
    assert (w.attempts, w.response, w.result) == (0, {}, {})
    assert w.labels["ur"]["check"] == DEFAULT_LABELS["ur"]["check"]
    assert w.score({"selected": [1]}).correct
    state = w.get_state()
    assert "key" in state and (state["_esm"], state["_css"]) == widget_module("multiple_choice")


def test_multiple_choice_multiple_and_shuffle() -> None:
    w = MultipleChoice("Pick", ["a", "b", "c", "d"], answer=[2, 0], multiple=True, shuffle=True, seed=3)
    assert w.key["answer"] == [0, 2] and w.multiple
    assert sorted(w.order) == [0, 1, 2, 3] and w.order != [0, 1, 2, 3]
    assert MultipleChoice("P", ["a", "b", "c", "d"], 0, shuffle=True, seed=3).order == w.order


def test_key_never_in_repr() -> None:
    w = MultipleChoice("Which?", ["a", "b"], answer=1, feedback=["secret-a", "secret-b"])
    assert "secret" not in repr(w)
    assert "key" not in list(w._repr_keys())


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"question": "", "options": ["a", "b"], "answer": 0}, errors.InvalidQuestionError, "question"),
        ({"question": 3, "options": ["a", "b"], "answer": 0}, errors.InvalidQuestionError, "string"),
        ({"question": "Q", "options": ["a"], "answer": 0}, errors.InvalidQuestionError, "at least 2"),
        ({"question": "Q", "options": "ab", "answer": 0}, errors.InvalidQuestionError, "list"),
        ({"question": "Q", "options": ["a", "a"], "answer": 0}, errors.InvalidQuestionError, "different"),
        ({"question": "Q", "options": ["a", ""], "answer": 0}, errors.InvalidQuestionError, "option 1"),
        ({"question": "Q", "options": ["a", "b"], "answer": 2}, errors.InvalidAnswerKeyError, "out of range"),
        ({"question": "Q", "options": ["a", "b"], "answer": []}, errors.InvalidAnswerKeyError, "non-empty"),
        ({"question": "Q", "options": ["a", "b"], "answer": True}, errors.InvalidAnswerKeyError, "integers"),
        ({"question": "Q", "options": ["a", "b"], "answer": [0, 1]}, errors.InvalidAnswerKeyError, "multiple=True"),
        ({"question": "Q", "options": ["a", "b"], "answer": [0, 0], "multiple": True},
         errors.InvalidAnswerKeyError, "twice"),
        ({"question": "Q", "options": ["a", "b"], "answer": 0, "feedback": ["x"]},
         errors.InvalidQuestionError, "2 strings"),
        ({"question": "Q", "options": ["a", "b"], "answer": 0, "labels": {"chek": "x"}},
         errors.InvalidQuestionError, "unknown label 'chek'"),
        ({"question": "Q", "options": ["a", "b"], "answer": 0, "labels": {"check": 1}},
         errors.InvalidQuestionError, "must be a string"),
    ],
)
def test_multiple_choice_validation(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        MultipleChoice(**kwargs)


@pytest.mark.parametrize("cls", [NumericAnswer, ShortAnswer])
@pytest.mark.parametrize("name", ["feedback_correct", "feedback_incorrect"])
def test_feedback_texts_must_be_strings(cls: type, name: str) -> None:
    answer = {"answer": 1} if cls is NumericAnswer else {"accepted": ["a"]}
    with pytest.raises(errors.InvalidQuestionError, match=f"{name} must be a string"):
        cls("Q", **answer, **{name: 3})


def test_errors_are_value_errors() -> None:
    with pytest.raises(ValueError):
        NumericAnswer("Q", float("nan"))


def test_numeric_answer() -> None:
    w = NumericAnswer("R0?", 2.5, abs_tol=0.05, unit="people", feedback_correct="yes",
                      feedback_incorrect="no", hint="divide", explanation="beta / gamma")
    assert (w.kind, w.unit, w.answer, w.hint) == ("numeric", "people", 2.5, "divide")
    assert w.key == {"answer": 2.5, "abs_tol": 0.05, "rel_tol": 1e-6, "feedback_correct": "yes",
                     "feedback_incorrect": "no", "hint": "divide", "explanation": "beta / gamma"}
    assert w.score({"value": "2.54"}).feedback == "yes"
    assert (w.max_attempts, w.reveal) == (0, "after_correct_or_exhausted")
    assert "hint" not in w.get_state(), "the hint travels in the key, stripped from student pages"


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (("Q", "2.5"), {}, "answer must be a number"),
        (("Q", float("inf")), {}, "finite"),
        (("Q", 1), {"abs_tol": -1}, "abs_tol must not be negative"),
        (("Q", 1), {"rel_tol": True}, "rel_tol must be a number"),
        (("Q", 1), {"unit": 5}, "unit must be a string"),
        (("Q", 1), {"hint": 5}, "hint must be a string"),
        (("Q", 1), {"explanation": None}, "explanation must be a string"),
    ],
)
def test_numeric_validation(args: tuple, kwargs: dict, match: str) -> None:
    with pytest.raises(errors.SabaqWidgetError, match=match):
        NumericAnswer(*args, **kwargs)


def test_short_answer() -> None:
    w = ShortAnswer("Capital of Sindh?", ["Karachi"], pattern="kar[a]?chi", feedback_correct="ok")
    assert w.kind == "short_answer"
    assert w.key["accepted"] == ["Karachi"] and w.key["case_sensitive"] is False
    assert w.key["explanation"] == ""
    assert ShortAnswer("Q", ["a"], explanation="why").key["explanation"] == "why"
    with pytest.raises(errors.InvalidAnswerKeyError, match="at least one"):
        ShortAnswer("Q")
    with pytest.raises(errors.InvalidAnswerKeyError, match="not a valid regular expression"):
        ShortAnswer("Q", pattern="(")
    with pytest.raises(errors.InvalidAnswerKeyError, match="list of strings"):
        ShortAnswer("Q", "Karachi")


def test_parameter_explorer_contract() -> None:
    w = ParameterExplorer(sir_curves, {"beta": (0.1, 1.0, 0.05), "gamma": [0.1, 0.2, 0.25]},
                          x_label="day", y_label="fraction of population", title="SIR")
    assert w.kind == "parameter_explorer"
    assert [p["control"] for p in w.parameters] == ["slider", "choice"]
    assert len(w.parameters[0]["values"]) == 19 and w.parameters[0]["values"][-1] == 1.0
    assert len(w.frames) == 19 * 3
    assert w.series == ["susceptible", "infected", "recovered"]
    assert w.value == {"beta": 0.1, "gamma": 0.1}
    frame = w.frames[1]  # beta=0.1, gamma=0.2
    expected = sir_curves(0.1, 0.2)
    assert w.x == expected["x"] and "x" not in frame
    assert frame["series"][1][5] == pytest.approx(expected["infected"][5], rel=1e-3)


def test_explorer_validation_errors() -> None:
    good = {"x": [0, 1], "y": [1, 2]}
    with pytest.raises(errors.GridTooLargeError, match="2000"):
        ParameterExplorer(lambda a, b: good, {"a": (0, 99, 1), "b": (0, 99, 1)}, x_label="x", y_label="y")
    with pytest.raises(errors.InvalidParameterError, match="tuple"):
        ParameterExplorer(lambda a: good, {"a": 3}, x_label="x", y_label="y")
    with pytest.raises(errors.InvalidParameterError, match="step must be positive"):
        ParameterExplorer(lambda a: good, {"a": (0, 1, 0)}, x_label="x", y_label="y")
    with pytest.raises(errors.InvalidParameterError, match="below start"):
        ParameterExplorer(lambda a: good, {"a": (1, 0, 0.1)}, x_label="x", y_label="y")
    with pytest.raises(errors.InvalidParameterError, match="3 numbers"):
        ParameterExplorer(lambda a: good, {"a": (0, 1)}, x_label="x", y_label="y")
    with pytest.raises(errors.InvalidParameterError, match="empty"):
        ParameterExplorer(lambda a: good, {"a": []}, x_label="x", y_label="y")
    with pytest.raises(errors.InvalidParameterError, match="different"):
        ParameterExplorer(lambda a: good, {"a": [1, 1]}, x_label="x", y_label="y")
    with pytest.raises(errors.InvalidParameterError, match="identifier"):
        ParameterExplorer(lambda a: good, {"a b": [1]}, x_label="x", y_label="y")
    with pytest.raises(errors.InvalidParameterError, match="non-empty dict"):
        ParameterExplorer(lambda: good, {}, x_label="x", y_label="y")
    with pytest.raises(errors.InvalidQuestionError, match="x_label"):
        ParameterExplorer(lambda a: good, {"a": [1]}, x_label="", y_label="y")


def test_explorer_function_errors() -> None:
    with pytest.raises(errors.ExplorerFunctionError, match=r"ZeroDivisionError.*a=0"):
        ParameterExplorer(lambda a: {"x": [1], "y": [1 / a]}, {"a": [0]}, x_label="x", y_label="y")
    with pytest.raises(errors.ExplorerFunctionError, match="must return"):
        ParameterExplorer(lambda a: [1, 2], {"a": [0]}, x_label="x", y_label="y")
    with pytest.raises(errors.ExplorerFunctionError, match="has 1 values but 'x' has 2"):
        ParameterExplorer(lambda a: {"x": [1, 2], "y": [1]}, {"a": [0]}, x_label="x", y_label="y")
    with pytest.raises(errors.ExplorerFunctionError, match="not a number"):
        ParameterExplorer(lambda a: {"x": [1], "y": ["z"]}, {"a": [0]}, x_label="x", y_label="y")
    with pytest.raises(errors.ExplorerFunctionError, match="series changed"):
        ParameterExplorer(lambda a: {"x": [1], ("y" if a else "z"): [1]}, {"a": [0, 1]},
                          x_label="x", y_label="y")
    with pytest.raises(errors.ExplorerFunctionError, match="callable"):
        ParameterExplorer(3, {"a": [0]}, x_label="x", y_label="y")  # type: ignore[arg-type]


def test_explorer_bounds_data_volume(monkeypatch: pytest.MonkeyPatch) -> None:
    from sabaq_widgets import grid

    monkeypatch.setattr(grid, "MAX_NUMBERS", 100)
    with pytest.raises(errors.GridTooLargeError, match="more than 100 numbers"):
        ParameterExplorer(lambda a: {"x": list(range(40)), "y": list(range(40))}, {"a": [1, 2]},
                          x_label="x", y_label="y")


def test_explorer_gaps_and_rounding() -> None:
    w = ParameterExplorer(lambda a: {"x": [0, 1, 2], "y": [1 / 3, float("nan"), float("inf")]},
                          {"a": [1]}, x_label="x", y_label="y")
    assert w.frames[0]["series"][0] == [0.3333, None, None]


def test_explorer_keeps_x_per_frame_when_it_varies() -> None:
    w = ParameterExplorer(lambda n: {"x": list(range(n)), "y": [1.0] * n}, {"n": [2, 3]},
                          x_label="x", y_label="y")
    assert w.x == [] and [f["x"] for f in w.frames] == [[0, 1], [0, 1, 2]]


def test_read_only_kind() -> None:
    w = NumericAnswer("Q", 1)
    with pytest.raises(traitlets.TraitError):
        w.kind = "multiple_choice"
