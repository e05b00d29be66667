"""The LMS installs only what the LMS runs: the XBlock's imports and its dependency tree.

``sabaq-xblock`` hosts the lesson widgets without a kernel, so neither importing the block
nor installing it may bring Jupyter into the LMS: the widget rules it needs come from the
standard-library-only ``sabaq_contract.widgets``. One test imports the block here and looks
at what got loaded; the slow one installs ``./contract`` and ``./plugin`` into a fresh
virtual environment and looks at what got installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = Path("/usr/bin/python3")

JUPYTER_MODULES = (
    "IPython", "ipywidgets", "traitlets", "jupyter", "nbformat", "nbgrader", "anywidget",
    "ipykernel", "nbclient", "nbconvert", "comm", "sabaq_widgets", "sabaq_grading",
)
"""Top-level modules (and prefixes: ``jupyter`` covers ``jupyter_core``, ``jupyter_client``)
that the block must never load."""

JUPYTER_DISTRIBUTIONS = (
    "ipython", "ipywidgets", "traitlets", "jupyter", "nbformat", "nbgrader", "anywidget",
    "ipykernel", "nbclient", "nbconvert", "comm", "widgetsnbextension", "sabaq-widgets",
    "sabaq-grading",
)
"""Distributions (and name prefixes) that must not be in the XBlock's dependency tree."""

MAX_DISTRIBUTIONS = 45
"""What ``pip install sabaq-xblock`` may bring into the LMS, pip and setuptools aside: 43 today
(Celery and what only it needs are 12 of them); 62 when the block depended on sabaq-widgets."""

# Runs in a fresh interpreter: import the block and what its views and widget handler load,
# host a quiz from saved widget state (no kernel), print the Jupyter modules that got loaded.
BLOCK_SCRIPT = r"""
import json, sys
import sabaq_xblock, sabaq_xblock.block
from sabaq_xblock import fragment, render, widgets
from sabaq_contract.widgets import attempts

state = {"kind": "multiple_choice", "question": "2 + 2?", "options": ["3", "4"], "multiple": False,
         "order": [0, 1], "key": {"answer": [1], "explanation": "four"}, "response": {},
         "attempts": 0, "result": {}, "max_attempts": 2, "reveal": "after_correct_or_exhausted",
         "_esm": "NOTEBOOK CODE"}
view = {"model_id": "q1", "version_major": 2, "version_minor": 0}
nb = {"nbformat": 4, "nbformat_minor": 5,
      "metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": {
          "version_major": 2, "version_minor": 0,
          "state": {"q1": {"model_name": "AnyModel", "model_module": "anywidget", "state": state}}}}},
      "cells": [{"cell_type": "code", "id": "c1", "metadata": {}, "execution_count": 1,
                 "source": "MultipleChoice('2 + 2?', ['3', '4'], answer=1)",
                 "outputs": [{"output_type": "display_data", "metadata": {},
                              "data": {"text/plain": "quiz",
                                       "application/vnd.jupyter.widget-view+json": view}}]}]}
text = json.dumps(nb)
models, keys = widgets.lesson_widgets(text)
assert set(models) == {"q1"} and "key" not in models["q1"]["state"], models
assert "_esm" not in models["q1"]["state"], models
assert keys == {"q1": {"kind": "multiple_choice", "key": state["key"]}}, keys
assert widgets.load(text, {}, {})["models"]["q1"]["kind"] == "multiple_choice"
assert set(widgets.hosted_kinds()) == {"multiple_choice", "numeric", "short_answer", "parameter_explorer"}
js, content_type = fragment.widget_asset("multiple_choice", "js")
assert content_type == "text/javascript" and b"export default" in js
used, result = attempts.check("multiple_choice", {"selected": [1]}, keys["q1"]["key"], attempts=0,
                              rules=attempts.Rules.of(models["q1"]["state"]), previous={})
assert used == 1 and result["correct"] and result["explanation"] == "four", result
page = render.render_notebook(render.without_quiz_sources(nb))
assert "answer=1" not in page
loaded = sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0].startswith(tuple(sys.argv[1:]))})
print(json.dumps(loaded))
"""


def _loaded_jupyter_modules(python: str | Path, env: dict[str, str] | None = None) -> list[str]:
    out = subprocess.run(
        [str(python), "-c", BLOCK_SCRIPT, *JUPYTER_MODULES],
        capture_output=True, text=True, timeout=120, env=env, cwd="/",
    )
    assert out.returncode == 0, out.stderr
    loaded: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


def test_the_block_imports_and_hosts_widgets_without_jupyter() -> None:
    # The development environment has all of Jupyter installed: any import of it would show.
    assert _loaded_jupyter_modules(sys.executable) == []


_UNREACHABLE = (
    "Failed to establish a new connection", "Temporary failure in name resolution",
    "Network is unreachable", "Name or service not known", "ConnectTimeoutError", "ProxyError",
)


def _pip(venv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONNOUSERSITE": "1"}
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", *args],
        capture_output=True, text=True, timeout=1200, env=env, cwd=ROOT,
    )


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_a_fresh_xblock_install_has_no_jupyter(tmp_path: Path) -> None:
    if not SYSTEM_PYTHON.exists():
        pytest.skip(f"{SYSTEM_PYTHON} (Debian's python3) is not installed")
    venv = tmp_path / "lms"
    subprocess.run([str(SYSTEM_PYTHON), "-m", "venv", str(venv)], check=True, timeout=300)
    install = _pip(venv, "install", "-q", "-c", ".ci/constraints.txt", "./contract", "./plugin")
    if install.returncode != 0:
        output = install.stdout + install.stderr
        if any(marker in output for marker in _UNREACHABLE):
            pytest.skip("the package index is unreachable: " + output.strip().splitlines()[-1])
        pytest.fail("pip install ./contract ./plugin failed:\n" + output[-4000:])
    assert _pip(venv, "check").returncode == 0

    listed = _pip(venv, "list", "--format=json")
    assert listed.returncode == 0, listed.stderr
    names = sorted(d["name"].lower().replace("_", "-") for d in json.loads(listed.stdout))
    installed = [n for n in names if n not in ("pip", "setuptools")]
    print(f"\nsabaq-xblock in a fresh environment: {len(installed)} distributions: {', '.join(installed)}")
    assert [n for n in names if n.startswith(JUPYTER_DISTRIBUTIONS)] == []
    assert {"sabaq-xblock", "sabaq-contract", "xblock"} <= set(names)
    assert len(installed) <= MAX_DISTRIBUTIONS

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    assert _loaded_jupyter_modules(venv / "bin" / "python", env) == []
