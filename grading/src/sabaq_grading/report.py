"""Building the grade report from a grading run.

The report's schema, version and check are the contract's (``sabaq_contract.report``),
shared with the XBlock. Reports never carry hidden test source, output or error text.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Sequence
from typing import Any

from nbformat import NotebookNode

from sabaq_contract import report as contract
from sabaq_contract.report import SCHEMA_MINOR, SCHEMA_VERSION

from . import __version__
from .plan import Plan, TestSpec

MAX_MESSAGE_CHARS = 2000
MAX_OUTPUT_CHARS = 4000
HIDDEN_FAILURE = "A hidden test failed. Hidden tests check cases you were not shown; re-read the task."
BLANK_ANSWER = "Your answer is still blank: replace `raise NotImplementedError()` with your code."
BLANK_ERROR = "NotImplementedError"  # what nbgrader's ClearSolutions leaves in a blank answer
OVER_MAXIMUM = "The test reported more points than it is worth (nbgrader's autograde stops on this); tell your teacher."
STDERR_FAILURE = "The test wrote to stderr (a warning or an error message), which counts as a failed test."
_BUILTIN_EXCEPTIONS = frozenset(
    name for name, value in vars(builtins).items() if isinstance(value, type) and issubclass(value, BaseException)
)


def validate_report(report: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` if ``report`` breaks the contract's schema."""
    import jsonschema

    jsonschema.validate(report, contract.schema())


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n… ({len(text) - limit} more characters)"


def _stream_text(outputs: list[dict[str, Any]]) -> str:
    parts = []
    for output in outputs:
        if output.get("output_type") == "stream":
            text = output.get("text", "")
            parts.append("".join(text) if isinstance(text, list) else str(text))
        elif output.get("output_type") in ("execute_result", "display_data"):
            plain = output.get("data", {}).get("text/plain", "")
            parts.append(("".join(plain) if isinstance(plain, list) else str(plain)) + "\n")
    return "".join(parts)


def _points(spec: TestSpec, outputs: list[dict[str, Any]]) -> float:
    """nbgrader's own rule: an error or stderr output earns 0, a numeric result partial credit.

    -1 means the test claimed more than it is worth, where nbgrader's autograde fails.
    """
    from .startup import nbgrader_utils

    determine_grade = nbgrader_utils().determine_grade

    cell = NotebookNode(
        cell_type="code",
        source="",
        metadata=NotebookNode(
            nbgrader=NotebookNode(grade=True, solution=False, grade_id=spec.grade_id, points=spec.max_points)
        ),
        outputs=[NotebookNode(output) for output in outputs],
    )
    try:
        earned, _ = determine_grade(cell)
    except (ValueError, KeyError):  # nbgrader stops here: partial credit above the maximum
        return -1.0
    return max(0.0, min(float(earned or 0.0), spec.max_points))


def _assert_message(line: str) -> str | None:
    """The literal message of a one-line ``assert test, "message"``, if that is what ``line`` is."""
    try:
        tree = ast.parse(line)
    except SyntaxError:
        return None
    if len(tree.body) == 1 and isinstance(statement := tree.body[0], ast.Assert):
        message = statement.msg
        if isinstance(message, ast.Constant) and isinstance(message.value, str):
            return message.value
    return None


def failure_message(spec: TestSpec, error: dict[str, Any]) -> str:
    """What a learner is told about a failed test.

    A blank answer says so. In a test cell without hidden tests, the failing line and the
    error are shown, as nbgrader's feedback shows them. In a cell with hidden tests, code the
    test calls can read the hidden tests' constants, so only text of the student version is
    shown: the failing line if it is visible, the error's name if it is a built-in one, and
    the assert's own message if it is a literal on that line; a hidden line, only that a
    hidden test failed.
    """
    name, value = str(error.get("ename", "Error")), str(error.get("evalue", ""))
    if name == BLANK_ERROR:
        return BLANK_ANSWER
    line = spec.visible_line(error.get("test_line"))
    if spec.hidden:
        if line is None:
            return HIDDEN_FAILURE
        literal = _assert_message(line)
        if name == "AssertionError" and literal is not None and value == literal:
            detail = f"{name}: {literal}"
        else:
            detail = name if name in _BUILTIN_EXCEPTIONS else "an error"
        return _truncate(f"This check failed: {line}\n{detail}", MAX_MESSAGE_CHARS)
    detail = f"{name}: {value}" if value else name
    return _truncate(f"This check failed: {line}\n{detail}" if line else detail, MAX_MESSAGE_CHARS)


def _test_entry(spec: TestSpec, result: Any, ended_message: str, blank_before: bool = False) -> dict[str, Any]:
    """A test's report entry; ``blank_before``: an answer since the previous test was left blank."""
    entry: dict[str, Any] = {
        "grade_id": spec.grade_id,
        "points": 0.0,
        "max_points": spec.max_points,
        "passed": False,
        "hidden": spec.hidden,
        "message": "",
    }
    status = result.status if result is not None else "not_run"
    if status == "ok":
        earned = _points(spec, result.outputs)
        entry["points"], entry["passed"] = max(earned, 0.0), earned >= spec.max_points
        if earned < 0:
            entry["message"] = OVER_MAXIMUM
        elif blank_before and not entry["passed"]:
            entry["message"] = BLANK_ANSWER
        elif not entry["passed"]:
            wrote_stderr = any(o.get("output_type") == "stream" and o.get("name") == "stderr" for o in result.outputs)
            entry["message"] = (
                STDERR_FAILURE
                if wrote_stderr
                else f"The test gave partial credit: {earned:g} of {spec.max_points:g} points."
            )
    elif status == "timeout":
        entry["message"] = "The test did not finish within the time limit."
    elif status == "not_run":
        entry["message"] = f"The test did not run: {ended_message}" if ended_message else "The test did not run."
    else:
        entry["message"] = BLANK_ANSWER if blank_before else failure_message(spec, result.error or {})
    if not spec.hidden and result is not None and (text := _stream_text(result.outputs)):
        entry["output"] = _truncate(text, MAX_OUTPUT_CHARS)  # hidden tests never show what they printed
    return entry


def _after_blank_answers(plan: Plan, results: dict[str, Any]) -> set[str]:
    """Tests that follow, with no test between, a code cell that raised ``NotImplementedError``: a blank answer."""
    after: set[str] = set()
    blank = False
    for step in plan.steps:
        if step.kind == "test":
            if blank:
                after.add(step.cell_id)
            blank = False
            continue
        result = results.get(step.cell_id)
        if result is not None and result.status == "error" and (result.error or {}).get("ename") == BLANK_ERROR:
            blank = True
    return after


def graded_report(
    plan: Plan,
    run: Any,
    *,
    assignment: dict[str, str],
    timings: dict[str, float],
    warnings: Sequence[str] = (),
) -> dict[str, Any]:
    results = {cell.cell_id: cell for cell in run.cells}
    message = "" if run.ended == "completed" else run.message
    after_blank = _after_blank_answers(plan, results)
    tests = [_test_entry(spec, results.get(spec.cell_id), message, spec.cell_id in after_blank) for spec in plan.tests]
    manual = [
        {
            "grade_id": spec.grade_id,
            "max_points": spec.max_points,
            "answered": spec.answered,
            "kind": spec.kind,
            "points": spec.points,
            "needs_manual_grade": spec.needs_manual_grade,
            **({"source": spec.source} if spec.needs_manual_grade and spec.source is not None else {}),
        }
        for spec in plan.manual
    ]
    earned = sum(test["points"] for test in tests) + sum(spec.points or 0.0 for spec in plan.manual)
    return {
        "schema_version": SCHEMA_VERSION,
        "schema_minor": SCHEMA_MINOR,
        "engine_version": __version__,
        "assignment": assignment,
        "status": "graded",
        "score": round(earned, 6),
        "max_score": round(sum(spec.max_points for spec in plan.tests) + sum(s.max_points for s in plan.manual), 6),
        "needs_manual_grade": any(spec.needs_manual_grade for spec in plan.manual),
        "tests": tests,
        "manual": manual,
        "error": None,
        "warnings": [*warnings, *plan.warnings],
        "timings": timings,
    }


def error_report(
    kind: str,
    message: str,
    *,
    assignment: dict[str, str] | None = None,
    max_score: float = 0.0,
    timings: dict[str, float] | None = None,
) -> dict[str, Any]:
    """The contract's report of a submission this engine could not grade."""
    return contract.error_report(
        kind, message, engine_version=__version__, assignment=assignment, max_score=max_score, timings=timings
    )
