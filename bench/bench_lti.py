"""The LTI tool's figures, against a real LTI 1.3 platform on loopback, beside the XBlock SDK workbench.

What a learner waits for in an LMS: a whole launch (the platform's start page, the tool's OIDC
login, the platform's authorisation, the tool's checks of the id_token and the unit's page), a
page shown again, a status poll; and what the gradebook waits for: from the tutor's last grade to
the platform accepting the score (the tool's access token, then the AGS score POST). Side by side,
in the same run: the same unit's page served by the XBlock SDK workbench (the demo's host), so the
ratio is what hosting the block in the tool costs over the block's own rendering.

Run: ``.venv/bin/python bench/bench_lti.py [--runs 30] [--scores 5]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "lti"))
sys.path.append(str(ROOT / "tests" / "plugin"))


def timed(runs: int, step: Callable[[], Any]) -> list[float]:
    step()  # warm
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - started)
    return seconds


def summary(name: str, seconds: list[float]) -> dict[str, Any]:
    ordered = sorted(seconds)
    return {"figure": name, "runs": len(seconds), "median_ms": round(statistics.median(ordered) * 1000, 1),
            "p95_ms": round(ordered[max(0, round(0.95 * len(ordered)) - 1)] * 1000, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--scores", type=int, default=5)
    args = parser.parse_args(argv)
    import requests
    import servers
    from lti_platform import User
    from lti_tool import INSTRUCTOR, RIGHT, ROLE, running_tool, wait
    from test_tool_flow import call, page_prefix

    results = []
    with tempfile.TemporaryDirectory(prefix="sabaq-bench-lti-") as scratch, running_tool(Path(scratch)) as tool:
        link = tool.squares_link("bench")
        learners = [User(f"bench-{n}", f"Learner {n}", f"l{n}@example.edu", [ROLE + "Learner"])
                    for n in range(args.scores)]
        for learner in learners:
            tool.platform.add_user(learner)
        launches = timed(args.runs, lambda: tool.platform.launch(requests.Session(), learners[0].sub, link.id))
        results.append(summary("launch: start page to the unit's page (OIDC login, id_token checks, page)",
                               launches))
        http = requests.Session()
        page = tool.platform.launch(http, learners[0].sub, link.id)
        tool_page = timed(args.runs, lambda: http.get(page.url, timeout=60).raise_for_status())
        results.append(summary("the unit's page again (tool)", tool_page))
        prefix = page_prefix(page)
        results.append(summary("status poll (tool)", timed(args.runs, lambda: call(http, prefix, "status", {}))))

        # the gradebook's wait: each learner submits, the tutor grades the written answer, the platform
        # accepts the score; timed from the tutor's save answering to the platform's acceptance
        staff = requests.Session()
        staff_prefix = page_prefix(tool.platform.launch(staff, INSTRUCTOR.sub, link.id))
        for learner in learners:
            session = requests.Session()
            learner_prefix = page_prefix(tool.platform.launch(session, learner.sub, link.id))
            assert call(session, learner_prefix, "submit", {"answers": RIGHT})[0] == 200
        waiting = wait(lambda: (items := [i for i in call(staff, staff_prefix, "manual_queue", {})[1]["items"]
                                          if i["manual"] == "waiting"]) and len(items) == len(learners) and items,
                       timeout=300, what="every submission graded and waiting for the tutor")
        passback = []
        for item in waiting:
            before = len(tool.platform.scores)
            code, saved = call(staff, staff_prefix, "save_manual_grade", {
                "submission_id": item["submission_id"], "grade_id": "explain-mean", "points": 1, "comment": "",
                "rubric": [], "revision": 0})
            assert code == 200, saved
            started = time.perf_counter()
            while len(tool.platform.scores) == before:  # polled finely: the figure is tens of milliseconds
                assert time.perf_counter() - started < 60, "the platform never got the score"
                time.sleep(0.002)
            passback.append(time.perf_counter() - started)
        results.append(summary("score to the platform: tutor's save answered to the score accepted (AGS)",
                               passback))

        [(olx,)] = tool.rows("SELECT olx FROM sabaq_lti_unit WHERE item = 'source/squares/squares.ipynb'")
        bench_root = Path(scratch) / "workbench"
        (bench_root / "scenarios").mkdir(parents=True)
        (bench_root / "scenarios" / "squares.xml").write_text(olx, "utf-8")
        port = servers.free_port()
        env = servers.environment(bench_root, port)
        with servers.workbench(bench_root, env, port) as base:
            client = servers.Client(base, "bench-learner")
            bench_page = timed(args.runs, lambda: client.page("sabaq_notebook.0"))
        results.append(summary("the unit's page again (XBlock SDK workbench)", bench_page))
    for row in results:
        print(json.dumps(row, ensure_ascii=False))
    ratio = statistics.median(tool_page) / statistics.median(bench_page)
    print(json.dumps({"figure": "tool page / workbench page (median)", "ratio": round(ratio, 2)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
