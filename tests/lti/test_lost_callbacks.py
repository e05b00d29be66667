"""Callbacks the tool never accepts (a worker with another secret: every one refused) lose nothing:
the tool's own reconciler finishes each submission from the result backend and publishes its score
through the block, and the platform's gradebook gets it, once."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from lti_tool import LEARNER, RIGHT, SQUARES, Tool, running_tool, wait
from test_tool_flow import call, page_prefix

pytestmark = [pytest.mark.slow]


def automatic_only(course: Path) -> None:
    """The squares assignment without its written answer: graded wholly by the grader."""
    path = course / SQUARES
    notebook = json.loads(path.read_text())
    notebook["cells"] = [c for c in notebook["cells"]
                         if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") != "explain-mean"]
    path.write_text(json.dumps(notebook, indent=1))


@pytest.fixture(scope="module")
def deaf_tool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tool]:
    with running_tool(tmp_path_factory.mktemp("lti-deaf"), edit=automatic_only,
                      worker_secret="not-the-tools-secret") as tool:
        yield tool


def test_a_score_whose_callbacks_were_all_refused_still_reaches_the_platform_once(deaf_tool: Tool) -> None:
    tool = deaf_tool
    link = tool.squares_link("link-deaf")
    http = requests.Session()
    prefix = page_prefix(tool.platform.launch(http, LEARNER.sub, link.id))
    code, queued = call(http, prefix, "submit", {"answers": {k: v for k, v in RIGHT.items() if k != "explain-mean"}})
    assert code == 200, queued
    [score] = wait(lambda: [s for s in tool.platform.scores if s.lineitem == link.lineitem], timeout=180,
                   what="the reconciler to finish and publish")
    assert (score.score_given, score.score_maximum, score.grading_progress) == (5.0, 5.0, "FullyGraded")
    assert call(http, prefix, "status", {})[1]["state"] == "graded"
    log = (tool.root / "worker.log").read_text()
    assert "403" in log or "refused" in log.lower() or "signature" in log.lower(), log[-2000:]
    time.sleep(7)  # two more reconcile passes: nothing is published again
    assert len([s for s in tool.platform.scores if s.lineitem == link.lineitem]) == 1
