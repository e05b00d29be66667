"""End to end in a lecturer's JupyterLab: run a lesson notebook, answer a widget, see feedback.

Starts a real JupyterLab server on 127.0.0.1 (isolated config and runtime directories),
drives it with Chromium, and always stops it. Bounded to well under 90 seconds.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

LESSON = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "cells": [
        {
            "cell_type": "code",
            "id": "quiz",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": (
                "from sabaq_widgets import MultipleChoice\n"
                "quiz = MultipleChoice('Which compartment grows first?', ['recovered', 'infected'],\n"
                "                      answer=1, feedback=['Not yet.', 'Yes: infections come first.'],\n"
                "                      explanation='Nobody recovers before being infected.', max_attempts=2)\n"
                "quiz"
            ),
        },
        {
            "cell_type": "code",
            "id": "kernel",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": "print('kernel:', quiz.attempts, quiz.result['correct'], quiz.result['explanation'])",
        },
    ],
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def jupyter_lab(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "root"
    root.mkdir()
    (root / "lesson.ipynb").write_text(json.dumps(LESSON), "utf-8")
    token = secrets.token_hex(16)
    port = _free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
    }
    jupyter = Path(sys.executable).parent / "jupyter"
    log = (tmp_path / "lab.log").open("wb")
    server = subprocess.Popen(
        [str(jupyter), "lab", "--no-browser", f"--ServerApp.token={token}", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", "--allow-root", f"--ServerApp.root_dir={root}", "--ServerApp.port_retries=0",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 40
        while True:
            if server.poll() is not None:
                pytest.fail(f"jupyter lab exited: {(tmp_path / 'lab.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("jupyter lab did not answer within 40 s")
                time.sleep(0.3)
        yield f"{base}/lab/tree/lesson.ipynb?token={token}"
    finally:
        _stop(server)
        log.close()


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server and its kernels (they share its process group)."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            break
        try:
            server.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue


def test_lecturer_runs_a_lesson_and_gets_feedback(guarded: Any, jupyter_lab: str) -> None:
    page = guarded.page
    page.set_default_timeout(30_000)
    page.goto(jupyter_lab)
    # The status bar reads "Python 3 (ipykernel) | Idle" once the kernel is up; a busy machine is slow.
    page.locator(".jp-StatusBar-Widget", has_text=re.compile(r"\| Idle")).first.wait_for(timeout=120_000)
    quiz = page.locator(".jp-OutputArea .sabaq-mc")
    for attempt in range(2):  # a run sent while the kernel was still connecting can be dropped: send it again
        page.locator(".jp-Notebook .jp-Cell .cm-content").first.click()
        page.keyboard.press("Shift+Enter")
        try:
            quiz.wait_for(timeout=45_000)
            break
        except Exception as error:
            if attempt:
                outputs = page.locator(".jp-OutputArea").all_inner_texts()
                raise AssertionError(f"no quiz in the cell's output; the output area shows {outputs!r}") from error
    status = quiz.get_by_role("status")
    quiz.get_by_label("recovered").check()
    quiz.get_by_role("button", name="Check").click()
    assert "Try again" in status.inner_text() and "Nobody recovers" not in status.inner_text()
    quiz.get_by_label("infected").check()
    quiz.get_by_role("button", name="Check").click()
    assert "Correct" in status.inner_text()
    assert "Yes: infections come first." in status.inner_text()
    assert "Explanation: Nobody recovers before being infected." in status.inner_text()
    assert "Attempts: 2 of 2" in quiz.inner_text() and quiz.get_by_role("button", name="Check").is_disabled()
    guarded.shot("jupyterlab_multiple_choice", page.locator(".jp-Cell").first)
    # The kernel's widget counted and scored the two checks itself (the page's counts are not taken).
    page.locator(".jp-Notebook .jp-Cell .cm-content").nth(1).click()
    page.keyboard.press("Shift+Enter")
    kernel = page.locator(".jp-Cell").nth(1).locator(".jp-OutputArea-output", has_text="kernel:")
    kernel.wait_for(timeout=45_000)
    assert kernel.inner_text().strip() == "kernel: 2 True Nobody recovers before being infected."
    assert guarded.blocked == [], guarded.blocked
