"""The main job: `.ci/demo` serves every course notebook in the workbench, with grading working."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT / "tests" / "plugin"))

from servers import Client, free_port  # noqa: E402

ASSIGNMENT = ROOT / "courses" / "epidemic-modelling" / "source" / "sir-euler-step" / "sir-euler-step.ipynb"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    port = free_port()
    data = tmp_path_factory.mktemp("demo-data")
    env = {**os.environ, "SABAQ_PORT": str(port), "SABAQ_DATA_DIR": str(data)}
    log_path = data / "demo.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(["bash", str(ROOT / ".ci" / "demo")], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while "Sabaq workbench at" not in log_path.read_text(errors="replace"):
            assert proc.poll() is None, log_path.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the demo did not come up in time"
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}", log_path.read_text(errors="replace")
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def reference_answers(path: Path) -> dict[str, str]:
    answers = {}
    for cell in json.loads(path.read_text())["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        source = "".join(cell["source"])
        if meta.get("solution") and cell["cell_type"] == "code":
            answers[meta["grade_id"]] = "\n".join(
                line for line in source.splitlines() if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line
            )
    return answers


def test_every_course_notebook_is_a_scenario(demo: tuple[str, str]) -> None:
    base, log = demo
    assert f"demo: Sabaq workbench at {base}/" in log
    with urllib.request.urlopen(f"{base}/", timeout=60) as response:
        home = response.read().decode()
    notebooks = sorted(ROOT.glob("courses/*/lessons/*.ipynb")) + sorted(ROOT.glob("courses/*/source/*/*.ipynb"))
    assert len(re.findall(r'href="/scenario/sabaq_notebook\.\d+/"', home)) == len(notebooks)
    assert "Modelling Epidemics for Public Health: sir-euler-step" in home


def test_the_reference_solution_is_graded_full_marks_through_the_page(demo: tuple[str, str]) -> None:
    base, _ = demo
    with urllib.request.urlopen(f"{base}/", timeout=60) as response:
        home = response.read().decode()
    scenario = re.search(r'href="/scenario/(sabaq_notebook\.\d+)/">[^<]*sir-euler-step<', home)
    assert scenario, home[:2000]
    client = Client(base, "demo-learner")
    usage = client.usage_id(scenario.group(1))
    page = client.page(scenario.group(1))
    assert "BEGIN SOLUTION" not in page and "HIDDEN TESTS" not in page
    status, queued = client.post(usage, "submit", {"answers": reference_answers(ASSIGNMENT)})
    assert status == 200 and queued["state"] == "queued", queued
    final = client.wait_final(usage, queued["submission_id"], limit=180)
    assert final["state"] == "graded", final
    # every autograded point; the written answer's points wait for a tutor, as in nbgrader
    cells = json.loads(ASSIGNMENT.read_text("utf-8"))["cells"]
    meta = [c["metadata"].get("nbgrader", {}) for c in cells]
    autograded = sum(m["points"] for m in meta if m.get("grade") and not m.get("solution"))
    by_hand = sum(m["points"] for m in meta if (m.get("grade") and m.get("solution")) or m.get("task"))
    assert by_hand > 0 and final["score"] == autograded > 0
    assert final["max_score"] == autograded + by_hand
