"""A review of the claims "code a test calls cannot change its outcome" and "cannot read its
names or frames", attacked from answer cells.

Each attack is a wrong student function (``double`` does not compute ``2 * x``, ``mean``
returns 1) that, when an honest test calls it, tries to read or rewrite what the test holds,
or to patch what it relies on; each must fail the test, and the next honest test must pass.
The controls are what nbgrader-style tests legitimately do; every one must still pass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Runner

HONEST_DOUBLE = "expected = 6\nassert double(3) == expected"
HONEST_MEAN = "import math\nassert math.isclose(mean([1, 2, 3]), 2.0)"
NEXT = "import math\nassert not math.isclose(1.0, 2.0)\nassert 2 * 3 == 6"

ATTACKS = {
    # frames through a C-level callable the student's own code calls
    "getframe_through_map": (
        "import sys\n"
        "def double(x):\n"
        "    frame = next(map(sys._getframe, [1]))\n"
        "    return frame.f_globals['expected']",
        HONEST_DOUBLE),
    "getframe_through_partial": (
        "import sys, functools\n"
        "def double(x):\n"
        "    frame = functools.partial(sys._getframe, 1)()\n"
        "    return frame.f_globals['expected']",
        HONEST_DOUBLE),
    "getframe_through_pickle_reduce": (
        "import sys, pickle\n"
        "class Reduce:\n"
        "    def __reduce__(self):\n"
        "        return (sys._getframe, (1,))\n"
        "def double(x):\n"
        "    frame = pickle.loads(pickle.dumps(Reduce()))\n"
        "    return frame.f_globals['expected']",
        HONEST_DOUBLE),
    "getframe_from_exec_with_own_globals": (
        "def double(x):\n"
        "    ns = {}\n"
        "    exec('import sys\\nframe = sys._getframe(2)', ns)\n"
        "    return ns['frame'].f_globals['expected']",
        HONEST_DOUBLE),
    # frames from magic methods and generators the test drives
    "getframe_in_a_generator_the_test_iterates": (
        "import sys\n"
        "def evens(n):\n"
        "    frame = sys._getframe(1)\n"
        "    yield frame.f_globals['expected'][0]",
        "expected = [0]\nassert list(evens(1)) == expected"),
    "getframe_in___float__": (
        "import sys\n"
        "class Value:\n"
        "    def __float__(self):\n"
        "        return float(sys._getframe(1).f_globals['expected'])\n"
        "def mean(values):\n"
        "    return Value()",
        "expected = 2.0\nassert float(mean([1, 2, 3])) == expected"),
    "getframe_in___eq__": (
        "import sys\n"
        "class Value:\n"
        "    def __eq__(self, other):\n"
        "        sys._getframe(1).f_globals['expected'] = self\n"
        "        return False\n"
        "def double(x):\n"
        "    return Value()",
        "expected = 6\nresult = double(3)\nassert result == expected or result is expected"),
    "cr_frame_of_a_coroutine": (
        "async def co():\n"
        "    pass\n"
        "def double(x):\n"
        "    c = co()\n"
        "    frame = c.cr_frame\n"
        "    c.close()\n"
        "    return frame.f_back.f_globals['expected']",
        HONEST_DOUBLE),
    "inspect_trace": (
        "import inspect\n"
        "def double(x):\n"
        "    try:\n"
        "        raise ValueError\n"
        "    except ValueError:\n"
        "        frame = inspect.trace()[0].frame.f_back\n"
        "    return frame.f_globals['expected']",
        HONEST_DOUBLE),
    "unraisablehook_gets_a_traceback": (
        "import sys\n"
        "GOT = []\n"
        "class Dies:\n"
        "    def __del__(self):\n"
        "        raise ValueError\n"
        "def hook(unraisable):\n"
        "    GOT.append(unraisable.exc_traceback.tb_frame.f_back.f_globals.get('expected'))\n"
        "def double(x):\n"
        "    sys.unraisablehook = hook\n"
        "    Dies()\n"
        "    return GOT[0] if GOT else 0",
        HONEST_DOUBLE),
    "logging_stack_info_holds_no_test_source": (
        "import logging\n"
        "OUT = []\n"
        "class Spy(logging.Handler):\n"
        "    def emit(self, record):\n"
        "        OUT.append(record.stack_info or '')\n"
        "log = logging.getLogger('spy')\n"
        "log.addHandler(Spy())\n"
        "log.propagate = False\n"
        "def double(x):\n"
        "    log.warning('x', stack_info=True)\n"
        "    return 6 if 'expected = 6' in OUT[-1] else 0",
        HONEST_DOUBLE),
    # patching what the test relies on, from callbacks that fire while it runs
    "weakref_finalize_patches_math": (
        "import math, weakref\n"
        "class Box:\n"
        "    pass\n"
        "def mean(values):\n"
        "    box = Box()\n"
        "    weakref.finalize(box, setattr, math, 'isclose', lambda *a, **k: True)\n"
        "    del box\n"
        "    return 1",
        HONEST_MEAN),
    "gc_callback_patches_math": (
        "import gc, math\n"
        "def callback(phase, info):\n"
        "    math.isclose = lambda *a, **k: True\n"
        "def mean(values):\n"
        "    gc.callbacks.append(callback)\n"
        "    gc.collect()\n"
        "    return 1",
        HONEST_MEAN),
    "gc_callback_set_in_the_cell": (
        "import gc, math\n"
        "def callback(phase, info):\n"
        "    math.isclose = lambda *a, **k: True\n"
        "gc.callbacks.append(callback)\n"
        "def mean(values):\n"
        "    gc.collect()\n"
        "    return 1",
        HONEST_MEAN),
    "thread_patches_while_the_function_sleeps": (
        "import threading, time, numpy.testing\n"
        "def patch():\n"
        "    numpy.testing.assert_allclose = lambda *a, **k: None\n"
        "def mean(values):\n"
        "    threading.Thread(target=patch).start()\n"
        "    time.sleep(0.2)\n"
        "    return 1",
        "import numpy as np\nnp.testing.assert_allclose(mean([1, 2, 3]), 2.0)"),
    "warnings_showwarning_patches_math": (
        "import math, warnings\n"
        "def show(*args, **kwargs):\n"
        "    math.isclose = lambda *a, **k: True\n"
        "warnings.showwarning = show\n"
        "def mean(values):\n"
        "    warnings.warn('careful')\n"
        "    return 1",
        HONEST_MEAN),
    "student_global_shadows_the_test_module": (
        "import math\n"
        "class FakeMath:\n"
        "    @staticmethod\n"
        "    def isclose(*a, **k):\n"
        "        return True\n"
        "def mean(values):\n"
        "    global math\n"
        "    math = FakeMath\n"
        "    return 1",
        "import math\nmean([1])\nassert math.isclose(1, 2.0)"),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_on_a_running_test_earns_nothing(sbx: Runner, attack: str) -> None:
    student, test = ATTACKS[attack]
    result = sbx(("code", student), ("test", test), ("test", NEXT))
    assert result.cells[0].status == "ok", (attack, result.cells[0].error)
    assert result.cells[1].status == "error", (attack, result.cells[1])
    assert result.cells[2].status == "ok", (attack, result.cells[2].error)


@pytest.mark.parametrize("where", ["code", "test"])
def test_ctypes_is_refused_in_cells_and_tests(sbx: Runner, where: str) -> None:
    result = sbx((where, "import ctypes\nctypes.string_at(id(1), 8)"),
                 (where, "import ctypes\nctypes.create_string_buffer(8)"), ("test", NEXT))
    for cell in result.cells[:2]:
        assert cell.status == "error" and cell.error is not None, cell
        assert cell.error["ename"] == "TamperBlocked", cell.error
    assert result.cells[2].status == "ok", result.cells[2].error


def test_ctypes_is_refused_in_threads(sbx: Runner) -> None:
    source = ("import ctypes, threading\nR = []\n"
              "def probe():\n"
              "    try:\n"
              "        ctypes.string_at(id(1), 8)\n"
              "        R.append('read')\n"
              "    except Exception as exc:\n"
              "        R.append(type(exc).__name__)\n"
              "t = threading.Thread(target=probe)\nt.start()\nt.join()\nprint(R)")
    result = sbx(("code", source))
    assert sbx.text(result, 0) == "['TamperBlocked']\n", result.cells[0]


STUDENT = '''import warnings
def double(x):
    """Return twice x."""
    if x < 0:
        raise ValueError("x must not be negative")
    print("doubling", x)
    return 2 * x
def helper(x):
    return x + 1
def uses_helper(x):
    return helper(x) * 2
def noisy(x):
    warnings.warn("careful", UserWarning)
    return x
'''

CONTROLS = {
    "np_testing": ("import numpy as np\nnp.testing.assert_allclose(double(1.5), 3.0)\n"
                   "np.testing.assert_array_equal(np.array([double(1), double(2)]), [2, 4])"),
    "pd_testing": ("import pandas as pd\n"
                   "pd.testing.assert_frame_equal(pd.DataFrame({'a': [double(1)]}), pd.DataFrame({'a': [2]}))\n"
                   "pd.testing.assert_series_equal(pd.Series([double(2)]), pd.Series([4]))"),
    "unittest_testcase": ("import unittest\ntc = unittest.TestCase()\ntc.assertEqual(double(3), 6)\n"
                          "tc.assertAlmostEqual(double(0.1), 0.2)\n"
                          "with tc.assertRaises(ValueError):\n    double(-1)"),
    "unittest_runner": ("import unittest, io\nclass T(unittest.TestCase):\n    def test_it(self):\n"
                        "        self.assertEqual(double(2), 4)\n"
                        "suite = unittest.defaultTestLoader.loadTestsFromTestCase(T)\n"
                        "res = unittest.TextTestRunner(stream=io.StringIO()).run(suite)\n"
                        "assert res.wasSuccessful()"),
    "math_isclose": "import math\nassert math.isclose(double(0.1), 0.2)",
    "helper_in_the_test": "def check(v, want):\n    assert v == want, (v, want)\ncheck(double(3), 6)",
    "del_a_student_helper": ("orig = helper\ndel helper\ntry:\n    uses_helper(1)\nexcept NameError:\n"
                             "    pass\nelse:\n    raise AssertionError('helper unused')\n"
                             "finally:\n    helper = orig\nassert uses_helper(1) == 4"),
    "inspect_signature": "import inspect\nassert list(inspect.signature(double).parameters) == ['x']",
    "inspect_getsource": "import inspect\nassert 'def double' in inspect.getsource(double)",
    "docstring": "assert double.__doc__ and 'twice' in double.__doc__",
    "help": ("import io, contextlib\nbuf = io.StringIO()\nwith contextlib.redirect_stdout(buf):\n"
             "    help(double)\nassert 'twice' in buf.getvalue()"),
    "exception_message": ("try:\n    double(-1)\nexcept ValueError as e:\n    assert 'negative' in str(e)\n"
                          "else:\n    raise AssertionError('no error')"),
    "hand_written_raises": ("class raises:\n    def __init__(self, t):\n        self.t = t\n"
                            "    def __enter__(self):\n        return self\n"
                            "    def __exit__(self, et, ev, tb):\n        if et is None:\n"
                            "            raise AssertionError('did not raise')\n        self.value = ev\n"
                            "        return issubclass(et, self.t)\n"
                            "with raises(ValueError) as r:\n    double(-2)\nassert 'negative' in str(r.value)"),
    "redirect_stdout": ("import io, contextlib\nbuf = io.StringIO()\nwith contextlib.redirect_stdout(buf):\n"
                        "    double(2)\nassert buf.getvalue() == 'doubling 2\\n'"),
    "random_and_time": ("import random, time\nrandom.seed(0)\na = random.random()\nrandom.seed(0)\n"
                        "assert random.random() == a\nt = time.time()\nassert double(1) == 2 and time.time() >= t"),
    "numpy_random": ("import numpy as np\nnp.random.seed(0)\nx = np.random.rand(3)\n"
                     "rng = np.random.default_rng(1)\nassert 0 <= rng.integers(0, 10) < 10"),
    "traceback_format_exc": ("import traceback\ntry:\n    double(-1)\nexcept ValueError:\n"
                             "    text = traceback.format_exc()\nassert 'negative' in text"),
    "warnings_record": ("import warnings\nwith warnings.catch_warnings(record=True) as w:\n"
                        "    warnings.simplefilter('always')\n    noisy(1)\n"
                        "assert len(w) == 1 and 'careful' in str(w[0].message)"),
    "dataclass": "from dataclasses import dataclass\n@dataclass\nclass P:\n    x: int\nassert P(double(1)).x == 2",
    "matplotlib": ("import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
                   "fig, ax = plt.subplots()\nax.plot([1, 2], [double(1), double(2)])\n"
                   "assert len(ax.lines) == 1\nplt.close('all')"),
    "display": "display(double(1))",
    "partial_credit_value": "score = 0.5 if double(1) == 2 else 0\nscore",
    "typing_get_type_hints": "import typing\nassert typing.get_type_hints(double) == {}",
    "lambda_key": "assert sorted([3, 1, 2], key=lambda v: -double(v)) == [3, 2, 1]",
    "generator_expression": "assert all(double(i) == 2 * i for i in range(3))",
    "lru_cache": "import functools\n@functools.lru_cache\ndef f(n):\n    return double(n)\nassert f(2) == 4",
    "print_options": ("import numpy as np\nimport pandas as pd\nnp.set_printoptions(precision=3)\n"
                      "pd.set_option('display.max_rows', 5)\nassert double(1) == 2"),
    "statistics": "import statistics\nassert statistics.mean([double(1), double(2)]) == 3",
}


def test_what_nbgrader_tests_do_still_passes(sbx: Runner) -> None:
    names = sorted(CONTROLS)
    result = sbx(("code", STUDENT), *[("test", CONTROLS[name]) for name in names])
    failed = {name: cell.error for name, cell in zip(names, result.cells[1:], strict=True)
              if cell.status != "ok"}
    assert result.cells[0].status == "ok", result.cells[0].error
    assert not failed, failed
