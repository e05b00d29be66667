"""A test's names, and its frames, are out of reach of the code it calls.

Each attack is a wrong student function that, when the test calls it, rebinds a name the test
relies on or reaches the test's frame to read or write what it needs; none may earn a pass.
The controls check what nbgrader's tests legitimately do with names and frames: student
functions changing their own globals, helpers and names shared between tests, library code
that looks at frames (``namedtuple``, ``enum``, ``typing``, ``logging``, ``traceback``,
``unittest``, pandas' warnings).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Runner

REBINDING = {
    "the_test_own_name": (
        [("code", "def double(x):\n    global expected\n    expected = 0\n    return 0")],
        "expected = 6\nassert double(3) == expected"),
    "a_read_only_cell_name": (
        [("locked", "from math import isclose\nEXPECTED = 2.0"),
         ("code", "def mean(values):\n    global EXPECTED, isclose\n    EXPECTED = 1\n"
                  "    isclose = lambda *a, **k: True\n    return 1")],
        "assert isclose(mean([1, 2, 3]), EXPECTED)"),
    "an_earlier_test_name": (
        [("code", "def mean(values):\n    global target\n    target = 1\n    return 1"),
         ("test", "target = 2.0")],
        "assert mean([1, 2, 3]) == target"),
    "a_module_name": (
        [("code", "import numpy as np\nclass FakeTesting:\n    @staticmethod\n"
                  "    def assert_allclose(*a, **k):\n        pass\nclass FakeNp:\n"
                  "    testing = FakeTesting\ndef total(values):\n    global np\n"
                  "    np = FakeNp\n    return 0")],
        "x = total([1, 2])\nnp.testing.assert_allclose(x, 3)"),
    "globals_of_the_function": (
        [("code", "def double(x):\n    globals()['expected'] = 0\n    return 0")],
        "expected = 6\nassert double(3) == expected"),
    "reading_the_expected_value_from_globals": (
        [("code", "def double(x):\n    return globals().get('expected')")],
        "expected = 6\nassert double(3) == expected"),
    "reading_an_earlier_test_value_from_globals": (
        [("code", "def double(x):\n    return globals().get('expected')"), ("test", "expected = 6")],
        "assert double(3) == expected"),
}


@pytest.mark.parametrize("attack", sorted(REBINDING))
def test_rebinding_a_name_the_test_relies_on_earns_nothing(sbx: Runner, attack: str) -> None:
    before, test = REBINDING[attack]
    result = sbx(*before, ("test", test))
    assert result.cells[-1].status == "error", (attack, result.cells[-1])
    assert result.cells[-1].error and result.cells[-1].error["ename"] == "AssertionError", result.cells[-1].error


FRAME_ROUTES = {
    "sys._getframe": "import sys\n    frame = sys._getframe(1)",
    "inspect.currentframe": "import inspect\n    frame = inspect.currentframe().f_back",
    "inspect.stack": "import inspect\n    frame = inspect.stack()[1].frame",
    "traceback.walk_stack": "import traceback\n    frame = next(traceback.walk_stack(None))[0]",
    "tb_frame": "try:\n        raise ValueError\n    except ValueError as exc:\n"
                "        frame = exc.__traceback__.tb_frame.f_back",
    "traceback.walk_tb": "import sys, traceback\n    try:\n        raise ValueError\n"
                         "    except ValueError:\n        frame = next(traceback.walk_tb(sys.exc_info()[2]))[0].f_back",
    "gi_frame": "def gen():\n        yield\n    g = gen()\n    frame = g.gi_frame",
    "logging_handler": "import logging\n    frame = logging.currentframe()",
}


@pytest.mark.parametrize("route", sorted(FRAME_ROUTES))
def test_no_route_to_a_frame_while_a_test_runs(sbx: Runner, route: str) -> None:
    """The classic: read the expected value off the test's frame, or write it."""
    student = (
        "def double(x):\n"
        f"    {FRAME_ROUTES[route]}\n"
        "    while frame is not None and 'expected' not in frame.f_globals:\n"
        "        frame = frame.f_back\n"
        "    frame.f_globals['expected'] = 0\n"
        "    return frame.f_globals['expected']\n")
    result = sbx(("code", student), ("test", "expected = 6\nassert double(3) == expected"),
                 ("test", "assert True"))
    error = result.cells[1].error or {}
    assert result.cells[1].status == "error", (route, result.cells[1])
    assert error.get("ename") == "TamperBlocked" and "frame" in error.get("evalue", ""), error
    assert result.cells[2].status == "ok"


FORGERIES = {
    "compile_under_a_library_name": "import inspect\ncode = compile('x = 1', inspect.__file__, 'exec')",
    "compile_under_a_test_name": "code = compile('x = 1', '<test cell-3>', 'exec')",
    "replace_the_file_name": (
        "import inspect\ndef f():\n    pass\ncode = f.__code__.replace(co_filename=inspect.__file__)"),
    "unmarshal_code": "import marshal\ncode = marshal.loads(marshal.dumps(compile('x = 1', 'x', 'exec')))",
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_student_code_cannot_pass_for_library_code(sbx: Runner, forgery: str) -> None:
    """Library code may look at frames; code compiled to look like it is refused."""
    result = sbx(("code", FORGERIES[forgery]))
    error = result.cells[0].error or {}
    assert error.get("ename") == "TamperBlocked", (forgery, error)


def test_a_signal_handler_set_while_a_test_runs_fails_it(sbx: Runner) -> None:
    """A handler gets the interrupted frame without any audit event: setting one fails the test."""
    student = ("import signal\n"
               "def double(x):\n"
               "    def peek(signum, frame):\n"
               "        pass\n"
               "    signal.signal(signal.SIGUSR1, peek)\n"
               "    return 2 * x\n")
    result = sbx(("code", student), ("test", "assert double(3) == 6"), ("test", "assert double(1) == 2"))
    error = result.cells[1].error or {}
    assert result.cells[1].status == "error" and "signal" in error.get("evalue", ""), error


def test_building_a_function_while_a_test_runs_is_refused(sbx: Runner) -> None:
    """A function built with a test's namespace as its globals could write it unseen."""
    student = ("import types\n"
               "def apply(callback):\n"
               "    return types.FunctionType(callback.__code__, {})\n")
    result = sbx(("code", student), ("test", "apply(lambda: 1)"))
    error = result.cells[1].error or {}
    assert error.get("ename") == "TamperBlocked", error


def test_what_tests_do_with_names_and_frames_still_passes(sbx: Runner) -> None:
    result = sbx(
        ("locked", "import math\nDATA = [1, 2, 3]"),
        ("code", "import collections, enum, logging, typing\n"
                 "def mean(values):\n"
                 "    Point = collections.namedtuple('Point', 'x y')\n"  # frames, from student code
                 "    Colour = enum.Enum('Colour', 'RED GREEN')\n"
                 "    class Pair(typing.NamedTuple):\n"
                 "        a: int\n"
                 "    logging.getLogger('student').warning('computing')\n"
                 "    return sum(values) / len(values)\n"
                 "calls = 0\n"
                 "def counted():\n"
                 "    global calls\n"
                 "    calls += 1\n"
                 "    return calls\n"),
        ("test", "def close(a, b):\n    return math.isclose(a, b)\n"  # a helper reading the test's names
                 "expected = 2.0\nassert close(mean(DATA), expected)"),
        ("test", "assert close(mean([2, 4]), 3.0)\nassert expected == 2.0"),  # names of an earlier test
        ("test", "assert counted() == 1\nassert calls == 1"),  # the student's globals, live
        ("test", "import traceback, io, unittest\nbuf = io.StringIO()\n"
                 "try:\n    1 / 0\nexcept ZeroDivisionError:\n    traceback.print_exc(file=buf)\n"
                 "assert 'ZeroDivisionError' in buf.getvalue()\n"
                 "traceback.extract_stack()\n"
                 "with unittest.TestCase().assertRaises(ZeroDivisionError):\n    1 / 0"),
        ("test", "import warnings\nimport pandas as pd\n"
                 "with warnings.catch_warnings(record=True):\n"
                 "    warnings.simplefilter('always')\n"
                 "    pd.DataFrame({'a': [1]}).groupby('a').apply(lambda g: g)\nassert True"),
    )
    assert [c.status for c in result.cells] == ["ok"] * 7, [c.error for c in result.cells]


def test_a_test_can_swap_the_functions_the_student_code_calls(sbx: Runner) -> None:
    """nbgrader's own idiom: delete a helper to prove the answer uses it, then put it back."""
    probe = ("orig_squares = squares\ndel squares\ntry:\n    sum_of_squares(1)\n"
             "except NameError:\n    pass\nelse:\n    raise AssertionError('does not use squares')\n"
             "finally:\n    squares = orig_squares")
    student = ("def squares(n):\n    return [i * i for i in range(1, n + 1)]\n"
               "def sum_of_squares(n):\n    return sum(squares(n))")
    cheat = ("def squares(n):\n    return [i * i for i in range(1, n + 1)]\n"
             "def sum_of_squares(n):\n    return sum(i * i for i in range(1, n + 1))")
    honest = sbx(("code", student), ("test", probe), ("test", "assert sum_of_squares(2) == 5"))
    assert [c.status for c in honest.cells] == ["ok"] * 3, [c.error for c in honest.cells]
    caught = sbx(("code", cheat), ("test", probe))
    assert caught.cells[1].status == "error"


def test_a_student_cell_that_rebinds_an_instructor_name_takes_it_over(sbx: Runner) -> None:
    """As in nbgrader, a name the student's own cell rebinds before the test is the student's."""
    result = sbx(("locked", "answer = None"), ("code", "answer = 42"), ("test", "assert answer == 42"))
    assert result.cells[2].status == "ok", result.cells[2].error
