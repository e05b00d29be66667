"""Tamper attempts by student code must never earn a pass.

Each case runs a student cell that tries to subvert grading, then a test cell that must
fail; where the attack also has a legitimate-looking side, a passing test checks that the
runner restored the real behaviour instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Runner

ATTACKS = {
    "custom_exc": "get_ipython().set_custom_exc((AssertionError,), lambda *a, **k: None)",
    "excepthook": "import sys\nsys.excepthook = lambda *a: None",
    "ast_transformer": (
        "import ast\n"
        "class NoAsserts(ast.NodeTransformer):\n"
        "    def visit_Assert(self, node):\n"
        "        return ast.Pass()\n"
        "get_ipython().ast_transformers.append(NoAsserts())"),
    "input_transformer": "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])",
    "builtins_assertionerror": (
        "import builtins\n"
        "class Quiet(Exception):\n"
        "    pass\n"
        "builtins.AssertionError = Quiet\nbuiltins.Exception = Quiet"),
    "assert_allclose": "import numpy.testing\nnumpy.testing.assert_allclose = lambda *a, **k: None",
    "assert_allclose_code": (
        "import numpy as np\n"
        "np.testing.assert_allclose.__code__ = (lambda *a, **k: None).__code__"),
    "assert_frame_equal": (
        "import pandas.testing\npandas.testing.assert_frame_equal = lambda *a, **k: None"),
    "sys_modules": (
        "import sys, types\nfake = types.ModuleType('numpy')\n"
        "fake.testing = types.SimpleNamespace(assert_allclose=lambda *a, **k: None)\n"
        "sys.modules['numpy'] = fake"),
    "redefine_np": (
        "class Fake:\n"
        "    class testing:\n"
        "        @staticmethod\n"
        "        def assert_allclose(*a, **k):\n"
        "            pass\n"
        "np = Fake()"),
    "settrace": "import sys\nsys.settrace(lambda *a: None)",
    "thread_patching": (
        "import threading, time, numpy.testing\n"
        "def patch():\n"
        "    while True:\n"
        "        numpy.testing.assert_allclose = lambda *a, **k: None\n"
        "        time.sleep(0.0005)\n"
        "threading.Thread(target=patch, daemon=True).start()\ntime.sleep(0.05)"),
    "thread_stealing_the_channel": (
        "import json, os, struct, threading\n"
        "def steal():\n"
        "    while True:\n"
        "        size = struct.unpack('>I', os.read(3, 4))[0]\n"
        "        request = json.loads(os.read(3, size))\n"
        "        body = json.dumps({'op': 'result', 'nonce': request['nonce'], 'status': 'ok',\n"
        "                           'outputs': [], 'error': None, 'duration_ms': 1}).encode()\n"
        "        os.write(3, struct.pack('>I', len(body)) + body)\n"
        "threading.Thread(target=steal, daemon=True).start()"),
    "forked_process_stealing_the_channel": (
        "import json, os, struct\n"
        "if os.fork() == 0:\n"
        "    size = struct.unpack('>I', os.read(3, 4))[0]\n"
        "    request = json.loads(os.read(3, size))\n"
        "    body = json.dumps({'op': 'result', 'nonce': request['nonce'], 'status': 'ok',\n"
        "                       'outputs': [], 'error': None, 'duration_ms': 1}).encode()\n"
        "    os.write(3, struct.pack('>I', len(body)) + body)\n"
        "    os._exit(0)"),
    "runner_restore_disabled": (
        "import sys, numpy.testing\n"
        "sys.modules['sabaq_runtime.guard'].Snapshot.restore = lambda self, ns: None\n"
        "sys.modules['sabaq_runtime.guard'].Snapshot.heal = lambda self: None\n"
        "numpy.testing.assert_allclose = lambda *a, **k: None"),
    "runner_exec_skipped": (
        "import sys\nguard = sys.modules['sabaq_runtime.guard']\n"
        "guard._exec_test = lambda code, namespace: None\n"
        "guard.compile = lambda *a, **k: compile('pass', 'x', 'exec')"),
    "runner_code_replaced": (
        "import sys\nguard = sys.modules['sabaq_runtime.guard']\n"
        "try:\n"
        "    guard.run_test.__code__ = (lambda *a: (True, None)).__code__\n"
        "except RuntimeError as exc:\n"
        "    print('blocked', exc)"),
    "wire_json_forged": (
        "import json, sys\n"
        "class Forged:\n"
        "    @staticmethod\n"
        "    def dumps(obj, **kw):\n"
        "        if obj.get('op') == 'result':\n"
        "            obj = {**obj, 'status': 'ok', 'error': None}\n"
        "        return json.dumps(obj, **kw)\n"
        "    loads = staticmethod(json.loads)\n"
        "sys.modules['sabaq_runtime.wire'].json = Forged"),
    "os_write_forged": (
        "import os\nreal_write = os.write\n"
        "def write(fd, data):\n"
        "    return real_write(fd, bytes(data).replace(b'\"status\":\"error\"', b'\"status\":\"ok\"   '))\n"
        "os.write = write"),
    "signal_alarm": (
        "import signal\n"
        "def boom(*a):\n"
        "    raise SystemExit(0)\n"
        "signal.signal(signal.SIGALRM, boom)\nsignal.setitimer(signal.ITIMER_REAL, 0.001)"),
}

FAILING_TEST = ("import numpy as np\nimport numpy.testing\nimport pandas as pd\n"
                "assert 1 == 1\n"
                "np.testing.assert_allclose(1.0, 2.0)")


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_does_not_earn_a_pass(sbx: Runner, attack: str) -> None:
    result = sbx(("code", "import numpy as np"), ("code", ATTACKS[attack]),
                 ("test", "assert False, 'must fail'"), ("test", FAILING_TEST),
                 ("test", "import numpy as np\nnp.testing.assert_allclose(1.0, 1.0)"))
    statuses = [c.status for c in result.cells]
    if result.ended == "protocol_violation":  # e.g. a timer firing while the runner answers:
        assert "ok" not in statuses[2:], statuses  # the run ends as tampering, nothing passes
        return
    assert statuses[2:4] == ["error", "error"], (statuses, result.message)
    assert statuses[4] in ("ok", "not_run")
    if result.ended == "completed":
        assert statuses[4] == "ok", result.cells[4].error


def test_assert_false_fails_with_the_real_assertion_error(sbx: Runner) -> None:
    result = sbx(("code", ATTACKS["builtins_assertionerror"]),
                 ("test", "raise AssertionError('real')"), ("test", "assert len([1]) == 1"))
    error = result.cells[1].error
    assert error is not None and error["ename"] == "AssertionError"
    assert result.cells[2].status == "ok"


def test_patched_pandas_method_is_restored(sbx: Runner) -> None:
    result = sbx(("code", "import pandas as pd\npd.DataFrame.equals = lambda self, other: True"),
                 ("test", "import pandas as pd\n"
                          "assert pd.DataFrame({'a': [1]}).equals(pd.DataFrame({'a': [2]}))"))
    assert result.cells[1].status == "error"


@pytest.mark.parametrize("exception", ["SystemExit(0)", "KeyboardInterrupt()",
                                       "GeneratorExit()", "type('Custom', (BaseException,), {})()"])
def test_base_exceptions_in_tests_fail(sbx: Runner, exception: str) -> None:
    result = sbx(("code", f"def f():\n    raise {exception}"), ("test", "f()"),
                 ("test", "assert True"))
    assert [c.status for c in result.cells] == ["ok", "error", "ok"]
    assert result.ended == "completed"


def test_os_exit_inside_a_tested_function(sbx: Runner) -> None:
    result = sbx(("code", "import os\ndef f():\n    os._exit(0)"), ("test", "assert f() == 1"),
                 ("test", "assert True"))
    assert result.ended == "interpreter_exited"
    assert [c.status for c in result.cells] == ["ok", "error", "not_run"]
    assert "os._exit(0)" in result.message and "'c1'" in result.message


def test_killing_itself_is_reported(sbx: Runner) -> None:
    result = sbx(("code", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)"),
                 ("test", "assert True"))
    assert result.ended == "interpreter_exited" and "SIGSEGV" in result.message
    assert [c.status for c in result.cells] == ["error", "not_run"]


def test_cannot_kill_the_zygote(sbx: Runner) -> None:
    result = sbx(("code", "import os\nos.kill(os.getppid(), 9)"), ("test", "assert True"))
    error = result.cells[0].error
    assert error is not None and error["ename"] == "PermissionError"
    assert result.cells[1].status == "ok"


def test_hidden_tests_are_not_readable_before_they_run(sbx: Runner) -> None:
    spy = ("import os\nos.set_blocking(3, False)\n"
           "try:\n    print(os.read(3, 1 << 20))\nexcept BlockingIOError:\n    print('nothing')")
    result = sbx(("code", spy), ("test", "SECRET = 'hidden-test-42'\nassert SECRET"))
    assert sbx.text(result, 0) == "nothing\n"
    assert result.cells[1].status == "ok" and result.ended == "completed"


def test_garbage_on_the_channel_is_a_protocol_violation(sbx: Runner) -> None:
    result = sbx(("code", "import os\nos.write(3, b'\\xff\\xff\\xff\\xffgarbage')"),
                 ("test", "assert True"))
    assert result.ended == "protocol_violation"
    assert [c.status for c in result.cells] == ["error", "not_run"]


def test_closing_the_channel_is_reported(sbx: Runner) -> None:
    result = sbx(("code", "import os, time\nos.close(3)\ntime.sleep(30)"), ("test", "assert True"))
    assert result.ended == "protocol_violation" and "grading channel" in result.message
    assert [c.status for c in result.cells] == ["error", "not_run"]


def test_fork_bomb_and_threads_before_a_test(sbx: Runner) -> None:
    """Isolating the runner before a test works even at the process limit."""
    source = ("import os, threading, time\n"
              "threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
              "while True:\n"
              "    try:\n"
              "        if os.fork() == 0:\n"
              "            time.sleep(60)\n"
              "            os._exit(0)\n"
              "    except OSError:\n"
              "        break")
    result = sbx(("code", source), ("test", "import threading\n"
                                            "assert threading.active_count() == 1"),
                 ("test", "assert False"))
    assert [c.status for c in result.cells] == ["ok", "ok", "error"], result.message


def test_exit_codes_of_the_runner_cannot_fake_a_sandbox_failure(sbx: Runner) -> None:
    result = sbx(("code", "import os\nos._exit(70)"), ("test", "assert True"))
    assert result.ended == "interpreter_exited" and "status 70" in result.message


@pytest.mark.parametrize("attack", ["wire_json_forged", "os_write_forged"])
def test_forging_the_answer_from_inside_a_test(sbx: Runner, attack: str) -> None:
    body = "\n".join("    " + line for line in ATTACKS[attack].splitlines())
    result = sbx(("code", f"def answer():\n{body}\n    return 1"),
                 ("test", "assert answer() == 2"), ("test", "assert False"))
    assert [c.status for c in result.cells] == ["ok", "error", "error"], result.message


def test_finalizer_cannot_re_tamper_after_the_restore(sbx: Runner) -> None:
    """Replacing a planted object must not let its __del__ forge the answer."""
    plant = ("def answer():\n"
             "    import os, sys\n"
             "    real_write = os.write\n"
             "    class Bomb:\n"
             "        def __del__(self):\n"
             "            def write(fd, data):\n"
             "                data = bytes(data).replace(b'\"status\":\"error\"', b'\"status\":\"ok\"   ')\n"
             "                return real_write(fd, data)\n"
             "            os.write = write\n"
             "    sys.modules['sabaq_runtime.wire'].struct = Bomb()\n"
             "    return 1")
    result = sbx(("code", plant), ("test", "assert answer() == 2"), ("code", "1"))
    assert [c.status for c in result.cells] == ["ok", "error", "ok"], result.message


def test_rewriting_protected_code_and_tracing_are_refused(sbx: Runner) -> None:
    result = sbx(("code", ATTACKS["assert_allclose_code"]), ("code", ATTACKS["settrace"]),
                 ("code", "import gc\ngc.get_objects()"))
    for cell in result.cells:
        assert cell.status == "error" and cell.error is not None
        assert cell.error["ename"] == "TamperBlocked" and "not allowed" in cell.error["evalue"]


FRAME_WALK_FORGERY = (
    "def answer():\n"
    "    import os, re, sys\n"
    "    hexes, request, send = [], None, None\n"
    "    def scan(value, depth=0):\n"
    "        if isinstance(value, str) and re.fullmatch('[0-9a-f]{32}', value):\n"
    "            hexes.append(value)\n"
    "        elif depth < 3 and isinstance(value, dict):\n"
    "            for item in list(value.values()):\n"
    "                scan(item, depth + 1)\n"
    "        elif depth < 3 and isinstance(value, (list, tuple)):\n"
    "            for item in list(value):\n"
    "                scan(item, depth + 1)\n"
    "    {WHERE}\n"
    "    while frame is not None:\n"
    "        for name, value in list(frame.f_locals.items()):\n"
    "            scan(value)\n"
    "            if isinstance(value, dict) and value.get('op') == 'cell':\n"
    "                request = value\n"
    "            if name == 'send' and callable(value):\n"
    "                send = value\n"
    "        frame = frame.f_back\n"
    "    proofs = [h for h in hexes if request is None or h != request['nonce']]\n"
    "    send(3, {'op': 'result', 'nonce': request['nonce'], 'pid': os.getpid(), 'status': 'ok',\n"
    "             'outputs': [], 'error': None, 'duration_ms': 1,\n"
    "             'proof': proofs[0] if proofs else request.get('proof')})\n"
    "    os._exit(0)\n")


@pytest.mark.parametrize("where", [
    "frame = sys._getframe()", "frame = __import__('inspect').currentframe()",
    "try:\n        raise ValueError\n    except ValueError as exc:\n"
    "        frame = exc.__traceback__.tb_frame"])
def test_reaching_a_frame_while_a_test_runs_is_refused(sbx: Runner, where: str) -> None:
    """Code a test calls gets no frame at all: no route to the test's names or the runner's."""
    result = sbx(("code", FRAME_WALK_FORGERY.replace("{WHERE}", where)),
                 ("test", "assert answer() == 2"), ("test", "assert True"))
    error = result.cells[1].error or {}
    assert result.cells[1].status == "error", result.message
    assert error.get("ename") == "TamperBlocked" and "frame" in error.get("evalue", ""), error
    assert result.cells[2].status == "ok"


def test_a_frame_kept_from_a_cell_cannot_forge_a_pass(sbx: Runner) -> None:
    """A frame kept from a cell, walked while a test runs, reaches no runner state to forge
    an answer with (IPython runs cells as coroutines: the walk ends at the cell's runner)."""
    keep = ("import sys\nKEPT = sys._getframe()\n"
            "while KEPT.f_back is not None and 'recv' not in KEPT.f_locals:\n    KEPT = KEPT.f_back\n")
    result = sbx(("code", keep + FRAME_WALK_FORGERY.replace("{WHERE}", "frame = KEPT")),
                 ("test", "assert answer() == 2"), ("test", "assert True"))
    assert result.cells[1].status == "error", result.message
    assert result.ended in ("completed", "protocol_violation"), result.message
    if result.ended == "completed":
        assert result.cells[2].status == "ok"


WALK = ("import sys\n"
        "def runner_locals():\n"
        "    found, frame = [], sys._getframe()\n"
        "    while frame is not None:\n"
        "        found.append(frame.f_locals)\n"
        "        frame = frame.f_back\n"
        "    return found\n")


def test_reaching_the_runner_cannot_skip_the_isolation_before_a_test(sbx: Runner) -> None:
    """A thread that outlives the isolation could read the next test's request (and proof)."""
    attack = (WALK + "for found in runner_locals():\n"
                     "    request = found.get('request')\n"
                     "    if isinstance(request, dict) and request.get('op') == 'cell':\n"
                     "        request['isolate_after'] = False\n"
              + ATTACKS["thread_stealing_the_channel"].replace(
                  "'status': 'ok',", "'status': 'ok', 'proof': request.get('proof'),"))
    result = sbx(("code", attack), ("test", "assert False, 'must fail'"), ("test", "assert False"))
    assert [c.status for c in result.cells][1:] == ["error", "error"], result.message
    assert result.ended == "completed"


def test_reaching_the_runner_cannot_unprotect_module_names(sbx: Runner) -> None:
    """The names bound to protected modules (np) are kept where code cannot change them."""
    attack = (WALK + "for found in runner_locals():\n"
                     "    for value in list(found.values()):\n"
                     "        for name in ('namespace_modules', 'noted'):\n"
                     "            try:\n"
                     "                getattr(value, name).clear()\n"
                     "            except Exception:\n"
                     "                pass\n"
              + ATTACKS["redefine_np"])
    result = sbx(("code", "import numpy as np"), ("code", attack),
                 ("test", "np.testing.assert_allclose(1.0, 2.0)"),
                 ("test", "np.testing.assert_allclose(1.0, 1.0)"))
    assert [c.status for c in result.cells] == ["ok", "ok", "error", "ok"], result.message


@pytest.mark.parametrize("attack", [
    "import ctypes\nctypes.CDLL(None)",
    "import ctypes\nctypes.c_int.from_address(id(1) + 8)",
    "import ctypes\nctypes.pythonapi.PyFrame_LocalsToFast",
    "open('/proc/self/mem', 'rb')",
    "import os\nos.open('/proc/self/mem', os.O_RDWR)",
    "import os\nos.open('mem', os.O_RDONLY, dir_fd=os.open('/proc/self', os.O_RDONLY))",
    "import os\nos.symlink('/proc/self/mem', 'innocent')",
    "open('/proc/self/task/' + __import__('os').listdir('/proc/self/task')[0] + '/mem/', 'rb')",
    "import glob, importlib.machinery, importlib.util, shutil\n"
    "shutil.copy(glob.glob('/usr/lib/python3*/lib-dynload/_lzma*.so')[0], 'evil.txt')\n"
    "loader = importlib.machinery.ExtensionFileLoader('_lzma', 'evil.txt')\n"
    "importlib.util.module_from_spec(importlib.util.spec_from_loader('_lzma', loader))",
])
def test_native_memory_access_is_refused_in_code_cells(sbx: Runner, attack: str) -> None:
    result = sbx(("code", attack), ("test", "assert True"))
    error = result.cells[0].error
    assert error is not None and error["ename"] == "TamperBlocked", error
    assert result.cells[1].status == "ok"


def test_reading_the_runner_from_another_process_is_refused(sbx: Runner) -> None:
    """A fresh interpreter (no audit hook) started by the code cannot read the runner."""
    source = ("import os, subprocess, sys\n"
              "probe = 'open(\"/proc/%d/mem\" % int(__import__(\"sys\").argv[1]), \"rb\")'\n"
              "run = subprocess.run([sys.executable, '-c', probe, str(os.getpid())],\n"
              "                     capture_output=True, text=True)\n"
              "print(run.returncode, run.stderr.strip().splitlines()[-1])")
    result = sbx(("code", source))
    assert result.cells[0].status == "ok", result.cells[0].error
    assert sbx.text(result, 0).startswith("1 PermissionError"), sbx.text(result, 0)


def test_reaching_the_runner_cannot_rewire_its_helpers(sbx: Runner) -> None:
    """The runner's helpers are no closures whose cells code could rewrite."""
    attack = (WALK + "for found in runner_locals():\n"
                     "    for value in list(found.values()):\n"
                     "        for cell in getattr(value, '__closure__', None) or ():\n"
                     "            try:\n"
                     "                held = cell.cell_contents\n"
                     "            except ValueError:\n"
                     "                continue\n"
                     "            if isinstance(held, tuple):\n"
                     "                cell.cell_contents = ()\n"
                     "            elif getattr(held, '__name__', '') == 'heal':\n"
                     "                cell.cell_contents = lambda *a: None\n"
                     "import numpy.testing\n"
                     "sys.modules['sabaq_runtime.guard'].Snapshot.restore = lambda *a, **k: None\n"
                     "numpy.testing.assert_allclose = lambda *a, **k: None")
    result = sbx(("code", attack), ("test", FAILING_TEST),
                 ("test", "import numpy as np\nnp.testing.assert_allclose(1.0, 1.0)"))
    assert [c.status for c in result.cells] == ["ok", "error", "ok"], result.message
