"""Small nbgrader notebooks built in code for the plugin tests."""

from __future__ import annotations

import json
from typing import Any

XSS = '<script>window.__sabaq_xss = 1</script><img src=x onerror="window.__sabaq_xss=2">'


def _meta(
    grade_id: str, *, solution: bool = False, grade: bool = False, points: float = 0, locked: bool = True
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def _code(
    source: str, meta: dict[str, Any] | None = None, outputs: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": meta or {},
        "outputs": outputs or [],
        "source": source,
    }


def _md(source: str, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": meta or {}, "source": source}


def quiz_state() -> dict[str, Any]:
    """Saved widget state with one keyed multiple-choice quiz (answer: option 1)."""
    return {
        "application/vnd.jupyter.widget-state+json": {
            "version_major": 2,
            "version_minor": 0,
            "state": {
                "quiz1": {
                    "model_name": "AnyModel",
                    "model_module": "anywidget",
                    "model_module_version": "~0.9.*",
                    "state": {
                        "kind": "multiple_choice",
                        "question": "2 + 2 = ? " + XSS,
                        "options": ["3", "4", "5 " + XSS],
                        "multiple": False,
                        "order": [],
                        "key": {"answer": [1], "explanation": "SECRET-EXPLANATION"},
                        "response": {},
                        "attempts": 0,
                        "result": {},
                        "labels": {},
                        "language": "",
                        "_esm": "window.__sabaq_xss = 3;",
                    },
                }
            },
        }
    }


def instructor() -> dict[str, Any]:
    """An assignment: one answer cell, a visible and a hidden test, a quiz, hostile markup."""
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
            "widgets": quiz_state(),
        },
        "cells": [
            _md("# Adding\n\nThe sum $a_1 + b_1$ of two numbers. " + XSS, _meta("intro")),
            _code(
                "add_quiz",
                {},
                [
                    {
                        "output_type": "display_data",
                        "metadata": {},
                        "data": {
                            "application/vnd.jupyter.widget-view+json": {
                                "model_id": "quiz1",
                                "version_major": 2,
                                "version_minor": 0,
                            },
                            "text/plain": "quiz",
                        },
                    }
                ],
            ),
            _code(
                "print('html')",
                {},
                [
                    {
                        "output_type": "display_data",
                        "metadata": {},
                        "data": {"text/html": "<b>bold output</b>" + XSS, "text/plain": "x"},
                    }
                ],
            ),
            _code(
                "def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b  # SOLUTION-MARK\n    ### END SOLUTION",
                _meta("add", solution=True, locked=False),
            ),
            _code(
                "assert isinstance(add(1, 2), int)\nassert add(1, 2) == 3\n### BEGIN HIDDEN TESTS\n"
                "assert add(-1, 1) == 0  # HIDDEN-MARK\n### END HIDDEN TESTS",
                _meta("test-add", grade=True, points=2),
            ),
            _code("assert add(2, 2) == 4 and isinstance(add(2, 2), int)", _meta("test-add-2", grade=True, points=1)),
        ],
    }


def student() -> dict[str, Any]:
    """The student version, made by the grading package as the demo does."""
    from sabaq_grading.worker.prepare import page_notebook

    return page_notebook(instructor())


def olx(display_name: str = "Adding", **attrs: Any) -> str:
    """OLX of a block holding the instructor and student notebooks."""
    extra = "".join(f' {k}="{v}"' for k, v in attrs.items())
    ins = json.dumps(instructor()).replace("]]>", "]]\\u003e")
    stu = json.dumps(student()).replace("]]>", "]]\\u003e")
    return (
        f'<sabaq_notebook display_name="{display_name}"{extra}>'
        f"<instructor_notebook><![CDATA[{ins}]]></instructor_notebook>"
        f"<student_notebook><![CDATA[{stu}]]></student_notebook></sabaq_notebook>"
    )


def widget_lesson() -> dict[str, Any]:
    """A lesson whose widgets are built by sabaq_widgets itself (real saved state)."""
    from sabaq_widgets import NumericAnswer, ParameterExplorer
    from sabaq_widgets.state import notebook_from_widgets

    def line(slope: float) -> dict[str, list[float]]:
        return {"x": [0, 1, 2], "y": [0, slope, 2 * slope]}

    nb = notebook_from_widgets(
        [
            NumericAnswer("R0 when beta = 0.5 and gamma = 0.2?", 2.5, abs_tol=0.05),
            ParameterExplorer(line, {"slope": (1, 3, 1)}, x_label="x", y_label="y", title="Lines"),
        ]
    )
    nb["cells"].insert(0, _md("# Widgets\n\nA lesson with $R_0$ and a plot."))
    return dict(nb)


def widget_lesson_olx() -> str:
    from sabaq_grading.worker.prepare import page_notebook

    ins = widget_lesson()
    stu = page_notebook(ins)
    enc = lambda nb: json.dumps(nb).replace("]]>", "]]\\u003e")  # noqa: E731
    return (
        f'<sabaq_notebook display_name="Widgets">'
        f"<instructor_notebook><![CDATA[{enc(ins)}]]></instructor_notebook>"
        f"<student_notebook><![CDATA[{enc(stu)}]]></student_notebook></sabaq_notebook>"
    )


def reader() -> dict[str, Any]:
    """An assignment whose code reads a data file shipped beside it (``offset.txt``)."""
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
        "cells": [
            _code("with open('offset.txt') as handle:\n    OFFSET = int(handle.read())", _meta("setup")),
            _code(
                "def shifted(x):\n    ### BEGIN SOLUTION\n    return x + OFFSET\n    ### END SOLUTION",
                _meta("shifted", solution=True, locked=False),
            ),
            _code("assert shifted(1) == 8", _meta("test-shifted", grade=True, points=1)),
        ],
    }


def reader_olx() -> str:
    from sabaq_grading.worker.prepare import page_notebook

    ins = reader()
    enc = lambda nb: json.dumps(nb).replace("]]>", "]]\\u003e")  # noqa: E731
    return (
        f'<sabaq_notebook display_name="Reader">'
        f"<instructor_notebook><![CDATA[{enc(ins)}]]></instructor_notebook>"
        f"<student_notebook><![CDATA[{enc(page_notebook(ins))}]]></student_notebook>"
        '<data_file name="offset.txt"><![CDATA[Nwo=]]></data_file></sabaq_notebook>'
    )


RUBRIC = [{"points": 2, "description": "Names the larger sum and says why"},
          {"points": 1, "description": "Uses the word commutative correctly"}]


def essay() -> dict[str, Any]:
    """An assignment with a written answer a tutor grades (3 points, with a rubric) beside an
    automatically graded function (1 point)."""
    written = _meta("explain", solution=True, grade=True, points=3, locked=False)
    written["sabaq"] = {"rubric": RUBRIC}
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
        "cells": [
            _md("# Sums\n\nWrite `add`, then explain in words why `add(2, 3) == add(3, 2)`.", _meta("intro")),
            _code(
                "def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n    ### END SOLUTION",
                _meta("add", solution=True, locked=False),
            ),
            _code("assert add(2, 3) == 5", _meta("test-add", grade=True, points=1)),
            _md("### BEGIN SOLUTION\nAddition is *commutative*: the order of the terms does not change the sum."
                "\n### END SOLUTION", written),
        ],
    }


def essay_olx(display_name: str = "Sums, explained", **attrs: Any) -> str:
    from sabaq_grading.worker.prepare import page_notebook

    extra = "".join(f' {k}="{v}"' for k, v in attrs.items())
    enc = lambda nb: json.dumps(nb).replace("]]>", "]]\\u003e")  # noqa: E731
    return (
        f'<sabaq_notebook display_name="{display_name}"{extra}>'
        f"<instructor_notebook><![CDATA[{enc(essay())}]]></instructor_notebook>"
        f"<student_notebook><![CDATA[{enc(page_notebook(essay()))}]]></student_notebook></sabaq_notebook>"
    )
