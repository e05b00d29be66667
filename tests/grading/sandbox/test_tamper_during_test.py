"""Code a test calls cannot patch what the test relies on while it runs.

Each attack is a student function that looks wrong (``mean`` returns 1) and, when the test
calls it, patches a protected module or class so that the test's next check passes; some
put the original back before the test ends. None may earn a pass. Control cases check that
what tests legitimately do while they run (warnings, first imports of submodules, student
functions that change their own globals) still passes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Runner

TEST = "import math\nassert mean([1, 2, 3]) == 1 or True\nassert math.isclose(mean([1, 2, 3]), 2.0)"

PATCHES = {
    "module_attribute": (
        "import math\n"
        "def mean(values):\n"
        "    math.isclose = lambda *a, **k: True\n"
        "    return 1"),
    "module_attribute_put_back": (
        "import math\n"
        "_real = math.isclose\n"
        "def _once(*a, **k):\n"
        "    math.isclose = _real\n"
        "    return True\n"
        "def mean(values):\n"
        "    math.isclose = _once\n"
        "    return 1"),
    "module_dict": (
        "import math\n"
        "def mean(values):\n"
        "    vars(math)['isclose'] = lambda *a, **k: True\n"
        "    return 1"),
    "builtins": (
        "import builtins\n"
        "_real = builtins.AssertionError\n"
        "class Quiet(Exception):\n"
        "    pass\n"
        "def mean(values):\n"
        "    builtins.AssertionError = Quiet\n"
        "    return 1"),
    "library_internals": (
        "import numpy.testing._private.utils as u\n"
        "def mean(values):\n"
        "    u.assert_array_compare = lambda *a, **k: None\n"
        "    return 1"),
    "class_attribute": (
        "import pandas as pd\n"
        "def mean(values):\n"
        "    pd.DataFrame.equals = lambda self, other: True\n"
        "    return 1"),
    "sys_modules": (
        "import sys, types\n"
        "def mean(values):\n"
        "    fake = types.ModuleType('math')\n"
        "    fake.isclose = lambda *a, **k: True\n"
        "    sys.modules['math'] = fake\n"
        "    return 1"),
    "returned_object_magic": (
        "import math\n"
        "class Sneaky(float):\n"
        "    def __float__(self):\n"
        "        math.isclose = lambda *a, **k: True\n"
        "        return 1.0\n"
        "def mean(values):\n"
        "    return Sneaky(1.0)"),
}

TESTS = {
    "sys_modules": "mean([1])\nimport math\nassert math.isclose(1.0, 9.0)",
    "library_internals": (
        "import numpy as np\nmean([1])\nnp.testing.assert_allclose(1.0, 2.0)"),
    "class_attribute": (
        "import pandas as pd\nmean([1])\nassert pd.DataFrame({'a': [1]}).equals(pd.DataFrame({'a': [2]}))"),
    "returned_object_magic": "import math\nx = float(mean([1, 2, 3]))\nassert math.isclose(2.0, 9.0)",
}


@pytest.mark.parametrize("attack", sorted(PATCHES))
def test_patching_while_the_test_runs_earns_nothing(sbx: Runner, attack: str) -> None:
    result = sbx(("code", PATCHES[attack]), ("test", TESTS.get(attack, TEST)),
                 ("test", "import math\nassert math.isclose(1.0, 1.0)\nassert not math.isclose(1.0, 2.0)"))
    assert result.cells[1].status == "error", (attack, result.cells[1])
    assert result.cells[2].status == "ok", (attack, result.cells[2].error)  # restored for the next test


def test_the_refusal_names_what_was_changed(sbx: Runner) -> None:
    result = sbx(("code", PATCHES["module_attribute_put_back"]), ("test", TEST))
    error = result.cells[1].error or {}
    assert error.get("ename") == "TamperBlocked"
    assert "the module math" in error.get("evalue", "")


def test_what_tests_do_while_they_run_still_passes(sbx: Runner) -> None:
    result = sbx(
        ("code", "counter = 0\ndef bump():\n    global counter\n    counter += 1\n    return counter"),
        ("test", "assert bump() == 1\nassert counter == 1"),  # a student function changing its globals
        ("test", "import warnings\nimport numpy as np\nwith warnings.catch_warnings():\n"
                 "    warnings.simplefilter('ignore')\n    np.mean([])\nassert True"),  # a library warning
        ("test", "import numpy as np\nassert np.polynomial.Polynomial([1, 2])(1) == 3"),
        ("test", "from unittest import mock\nassert mock.Mock(return_value=3)() == 3"),
        ("test", "import pandas as pd\npd.testing.assert_frame_equal(pd.DataFrame({'a': [1]}), "
                 "pd.DataFrame({'a': [1]}))"),
    )
    assert [c.status for c in result.cells] == ["ok"] * 6, [c.error for c in result.cells]
