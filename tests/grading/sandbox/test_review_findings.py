"""Attacks a review found succeeding, each now defeated (sources as the review wrote them).

Every attack is a wrong student function (``double`` should return ``2 * x``) against an
honest test; none may pass, and the next honest test still runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Runner

HONEST = "expected = 6\nassert double(3) == expected"

RESTORE = (
    "import sys, os, functools, collections, weakref\n"
    "class Restore:\n"
    "    def __init__(self, fd):\n"
    "        self.fd = fd\n"
    "    def __del__(self):\n"
    "        os.dup2(self.fd, 3)\n"
    "        os.close(self.fd)\n"
    "DONE = []\n"
    "def _forge(f):\n"
    "    request = send = proof = None\n"
    "    while f is not None:\n"
    "        loc = f.f_locals\n"
    "        if f.f_code.co_name == '_run_test':\n"
    "            proof = loc.get('proof')\n"
    "        r = loc.get('request')\n"
    "        if isinstance(r, dict) and r.get('op') == 'cell':\n"
    "            request, send = r, loc.get('send')\n"
    "        f = f.f_back\n"
    "    if proof and request and proof not in DONE:\n"
    "        DONE.append(proof)\n"
    "        send(3, {'op': 'result', 'nonce': request['nonce'], 'pid': os.getpid(), 'status': 'ok',\n"
    "                 'outputs': [], 'error': None, 'duration_ms': 1, 'proof': proof})\n"
    "        saved = os.dup(3)\n"
    "        null = os.open('/dev/null', os.O_WRONLY)\n"
    "        os.dup2(null, 3)\n"
    "        os.close(null)\n"
    "        os.curdir = Restore(saved)\n"
)

FORGERIES = {
    "error_str_after_the_test": RESTORE + (
        "class Oops(Exception):\n"
        "    def __str__(self):\n"
        "        _forge(sys._getframe())\n"
        "        return 'oops'\n"
        "def double(x):\n"
        "    raise Oops()\n"),
    "weakref_callback_of_c_callables": RESTORE + (
        "KEEP = []\n"
        "class Res(float):\n"
        "    pass\n"
        "def double(x):\n"
        "    r = Res(0.0)\n"
        "    KEEP.append(weakref.ref(r, functools.partial(next, map(_forge, map(sys._getframe, [0])))))\n"
        "    return r\n"),
}


@pytest.mark.parametrize("attack", sorted(FORGERIES))
def test_no_forged_pass_from_code_run_around_the_test(sbx: Runner, attack: str) -> None:
    for test in ("assert double(3) == 6", "import numpy as np\nnp.testing.assert_allclose(double(3), 6.0)"):
        result = sbx(("code", FORGERIES[attack]), ("test", test), ("test", "assert False"))
        assert result.cells[1].status != "ok", (attack, test, result.message)
        assert result.ended != "completed" or result.cells[2].status == "error", result.message


def test_ctypes_in_a_finalizer_between_cells_is_refused(sbx: Runner) -> None:
    bomb = ("import os\nKEEP = []\n"
            "class Bomb:\n"
            "    def __del__(self):\n"
            "        import ctypes, numpy as np\n"
            "        new = (lambda *a, **k: None).__code__\n"
            "        KEEP.append(new)\n"
            "        ctypes.c_void_p.from_address(id(np.testing.assert_allclose) + 48).value = id(new)\n"
            "os.curdir = Bomb()\n"
            "def double(x):\n"
            "    return 0\n")
    result = sbx(("code", bomb), ("code", "x = 1"),
                 ("test", "import numpy as np\nnp.testing.assert_allclose(double(3), 6)"))
    assert result.cells[2].status == "error", result.message


LAUNDERED = {
    "chain_the_test_consumes": (
        "import sys, itertools\n"
        "def _sink(frame):\n"
        "    while frame is not None and 'expected' not in frame.f_globals:\n"
        "        frame = frame.f_back\n"
        "    return frame.f_globals['expected']\n"
        "def evens(n):\n"
        "    return itertools.chain.from_iterable(map(_sink, map(sys._getframe, [0])))\n",
        "expected = [0, 2, 4]\nassert list(evens(3)) == expected"),
    "chain_that_writes": (
        "import sys\n"
        "def _sink(frame):\n"
        "    frame.f_globals['expected'] = 0\n"
        "    return 0\n"
        "def total(values):\n"
        "    return map(_sink, map(sys._getframe, [0]))\n",
        "expected = 6\nassert sum(total([1, 2, 3])) == expected"),
    "attrgetter_tb_frame": (
        "import operator, itertools\n"
        "def _sink(frame):\n"
        "    return frame.f_back.f_globals['expected']\n"
        "def evens(n):\n"
        "    try:\n"
        "        raise ValueError\n"
        "    except ValueError as e:\n"
        "        tb = e.__traceback__\n"
        "    return itertools.chain.from_iterable(map(_sink, map(operator.attrgetter('tb_frame'), [tb])))\n",
        "expected = [0, 2, 4]\nassert list(evens(3)) == expected"),
    "deepcopy_reduce": (
        "import sys, collections\n"
        "class R:\n"
        "    def __reduce__(self):\n"
        "        return (collections.deque, (map(_sink, map(sys._getframe, [0])), 0))\n"
        "def _sink(frame):\n"
        "    while frame is not None and 'expected' not in frame.f_globals:\n"
        "        frame = frame.f_back\n"
        "    if frame is not None:\n"
        "        frame.f_globals['expected'] = [collections.deque()]\n"
        "def make(n):\n"
        "    return [R()]\n",
        "import copy\nexpected = [1, 2]\nresult = copy.deepcopy(make(2))\nassert result == expected"),
    "weakref_finalize_chain": (
        "import sys, collections, weakref\n"
        "def _sink(frame):\n"
        "    while frame is not None and 'expected' not in frame.f_globals:\n"
        "        frame = frame.f_back\n"
        "    if frame is not None:\n"
        "        frame.f_globals['expected'] = 0\n"
        "class Box:\n"
        "    pass\n"
        "def double(x):\n"
        "    b = Box()\n"
        "    weakref.finalize(b, collections.deque, map(_sink, map(sys._getframe, [1])), 0)\n"
        "    return [b, 0]\n",
        "expected = 6\nresult = double(3)[1]\nassert result == expected"),
    "traceback_capture_locals": (
        "import traceback\n"
        "def double(x):\n"
        "    for fs in traceback.StackSummary.extract(traceback.walk_stack(None), capture_locals=True):\n"
        "        if fs.locals and 'expected' in fs.locals:\n"
        "            return int(fs.locals['expected'])\n",
        HONEST),
    "forged_library_path": (
        "import os, sys\n"
        "os.makedirs('collections', exist_ok=True)\n"
        "src = 'import sys\\ndef namedtuple():\\n    return sys._getframe(2)\\n'\n"
        "open('collections/__init__.py', 'w').write(src)\n"
        "ns = {}\n"
        "try:\n"
        "    exec(compile(src, sys.base_prefix.rstrip('/') + '/..' + os.getcwd() + '/collections/__init__.py',\n"
        "                 'exec'), ns)\n"
        "except Exception:\n"
        "    ns['namedtuple'] = lambda: None\n"
        "def double(x):\n"
        "    frame = ns['namedtuple']()\n"
        "    while 'expected' not in frame.f_globals:\n"
        "        frame = frame.f_back\n"
        "    return frame.f_globals['expected']\n",
        HONEST),
    "generator_frame_kept_from_a_cell": (
        "def _spy():\n"
        "    while True:\n"
        "        f = FRAME.f_back\n"
        "        while f is not None and 'expected' not in f.f_globals:\n"
        "            f = f.f_back\n"
        "        yield f.f_globals['expected']\n"
        "G = _spy()\n"
        "try:\n"
        "    FRAME = G.gi_frame\n"
        "except Exception:\n"
        "    FRAME = None\n"
        "def double(x):\n"
        "    return next(G)\n",
        HONEST),
    "module_class_swapped_in_a_cell": (
        "import math, types\n"
        "class FakeMath(types.ModuleType):\n"
        "    @property\n"
        "    def isclose(self):\n"
        "        return lambda *a, **k: True\n"
        "try:\n"
        "    math.__class__ = FakeMath\n"
        "except Exception:\n"
        "    pass\n"
        "def mean(values):\n"
        "    return 1\n",
        "import math\nassert math.isclose(mean([1, 2, 3]), 2.0)"),
    "module_class_swapped_during_the_test": (
        "import math, types\n"
        "class FakeMath(types.ModuleType):\n"
        "    @property\n"
        "    def isclose(self):\n"
        "        return lambda *a, **k: True\n"
        "def mean(values):\n"
        "    math.__class__ = FakeMath\n"
        "    return 1\n",
        "import math\nm = mean([1, 2, 3])\nassert math.isclose(m, 2.0)"),
    "import_finder_added_during_the_test": (
        "import sys, importlib.abc, importlib.machinery\n"
        "class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name == 'numpy.polynomial':\n"
        "            return importlib.machinery.ModuleSpec(name, self)\n"
        "    def create_module(self, spec):\n"
        "        return None\n"
        "    def exec_module(self, module):\n"
        "        module.Polynomial = lambda coef: (lambda x: 0)\n"
        "def fit(x):\n"
        "    sys.meta_path.insert(0, Finder())\n"
        "    return 0\n",
        "got = fit(1)\nimport numpy as np\nassert got == np.polynomial.Polynomial([1, 2])(1)"),
}


@pytest.mark.parametrize("attack", sorted(LAUNDERED))
def test_review_attacks_earn_nothing(sbx: Runner, attack: str) -> None:
    code, test = LAUNDERED[attack]
    result = sbx(("code", code), ("test", test), ("test", "assert True"))
    assert result.cells[1].status == "error", (attack, result.cells[1])
    assert result.cells[2].status == "ok", (attack, result.cells[2].error)


def test_names_a_test_bound_survive_a_student_cell(sbx: Runner) -> None:
    result = sbx(("code", "def double(x):\n    return 2 * x"),
                 ("test", "expected = 6\ndef check(v):\n    assert v == 6"), ("code", "x = 1"),
                 ("test", "assert expected == 6\ncheck(double(3))"))
    assert [c.status for c in result.cells] == ["ok"] * 4, [c.error for c in result.cells]


def test_library_frame_users_still_work_from_a_test(sbx: Runner) -> None:
    result = sbx(
        ("code", "def double(x):\n    return 2 * x"),
        ("test", "import collections, enum, typing, logging, traceback, io, warnings\n"
                 "P = collections.namedtuple('P', 'x y')\nC = enum.Enum('C', 'A B')\n"
                 "class N(typing.NamedTuple):\n    a: int\n"
                 "logging.getLogger('t').warning('w')\n"
                 "buf = io.StringIO()\ntry:\n    1 / 0\nexcept ZeroDivisionError:\n    traceback.print_exc(file=buf)\n"
                 "assert 'ZeroDivisionError' in buf.getvalue() and double(3) == 6"),
        ("test", "import inspect\nassert list(inspect.signature(double).parameters) == ['x']"),
    )
    assert [c.status for c in result.cells] == ["ok"] * 3, [c.error for c in result.cells]


def test_tests_that_patch_with_unittest_mock_pass(sbx: Runner) -> None:
    """A test may patch modules itself (mock.patch puts them back); left changed, it fails."""
    result = sbx(
        ("code", "def ask():\n    return int(input()) * 2\ndef shout(x):\n    print(x)\n    return x"),
        ("test", "from unittest import mock\nwith mock.patch('builtins.input', return_value='3'):\n"
                 "    assert ask() == 6"),
        ("test", "from unittest import mock\nwith mock.patch('builtins.print') as p:\n    shout(2)\n"
                 "p.assert_called_once()"),
        ("test", "import math\nfrom unittest import mock\n"
                 "with mock.patch.object(math, 'sqrt', wraps=math.sqrt) as s:\n    math.sqrt(4)\nassert s.called"),
        ("code", "import math\ndef mean(values):\n    math.isclose = lambda *a, **k: True\n    return 1"),
        ("test", "from unittest import mock\nimport math\nwith mock.patch('builtins.input', return_value='1'):\n"
                 "    m = mean([1, 2, 3])\nassert math.isclose(m, 2.0)"),
    )
    assert [c.status for c in result.cells] == ["ok", "ok", "ok", "ok", "ok", "error"], \
        [c.error for c in result.cells]
