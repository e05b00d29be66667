"""Per-submission HTML feedback pages, made from the grade report alone.

The report never holds hidden test source, so neither can the page. Visible
test source comes from the student version of the assignment.
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path, PurePath
from typing import Any

from nbformat import NotebookNode

from .notebook import Role, grade_id, role

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.4rem}.score{font-size:1.2rem;font-weight:600}
.test{border:1px solid #ccc;border-radius:6px;margin:1rem 0;padding:.5rem 1rem}
.test.passed{border-left:6px solid #1a7f37}.test.failed{border-left:6px solid #cf222e}
pre{background:#f6f8fa;padding:.5rem;overflow:auto;white-space:pre-wrap}
.error{color:#cf222e}.warn{color:#7d4e00}
"""


def feedback_html(
    report: dict[str, Any], *, visible_sources: dict[str, str] | None = None, title: str = "Feedback"
) -> str:
    """A self-contained HTML page for one report (no scripts, no external resources)."""
    sources = visible_sources or {}
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
    ]
    if report["status"] == "error":
        error = report["error"]
        parts.append(
            f"<p class='error'>This submission could not be graded ({escape(error['kind'])}): "
            f"{escape(error['message'])}</p>"
        )
    else:
        parts.append(f"<p class='score'>Score: {report['score']:g} / {report['max_score']:g}</p>")
    for warning in report.get("warnings", []):
        parts.append(f"<p class='warn'>Note: {escape(warning)}</p>")
    for test in report["tests"]:
        state = "passed" if test["passed"] else "failed"
        parts.append(
            f"<section class='test {state}'><h2>{escape(test['grade_id'])} — "
            f"{test['points']:g} / {test['max_points']:g}</h2>"
        )
        source = sources.get(test["grade_id"])
        if source:
            parts.append(f"<pre>{escape(source)}</pre>")
        if test["hidden"]:
            parts.append("<p>This test includes hidden checks; their code is not shown.</p>")
        if test["message"]:
            parts.append(f"<p class='error'>{escape(test['message'])}</p>")
        if test.get("output"):
            parts.append(f"<pre>{escape(test['output'])}</pre>")
        parts.append("</section>")
    if report["manual"]:
        parts.append("<h2>Graded by hand</h2><ul>")
        for item in report["manual"]:
            answered = "answered" if item["answered"] else "not answered"
            parts.append(f"<li>{escape(item['grade_id'])}: {answered} (up to {item['max_points']:g} points)</li>")
        parts.append("</ul>")
    parts.append("</body></html>")
    return "".join(parts)


def feedback_paths(submissions: list[str]) -> list[PurePath]:
    """Where each submission's feedback page goes, relative to the feedback directory.

    Each page mirrors its submission's path below the folder all submissions share, so
    nbgrader's layout (``submitted/<student>/<assignment>/<notebook>.ipynb``) keeps the
    student: ``<student>/<assignment>/<notebook>.html``, as ``nbgrader generate_feedback``
    writes it. The same file given twice gets a numbered second page.
    """
    paths = [Path(os.path.abspath(path)) for path in submissions]
    common = Path(os.path.commonpath([str(p.parent) for p in paths])) if paths else Path()
    taken: set[PurePath] = set()
    names: list[PurePath] = []
    for path in paths:
        name = path.relative_to(common).with_suffix(".html")
        candidate, number = name, 2
        while candidate in taken:
            candidate = name.with_name(f"{name.stem}-{number}.html")
            number += 1
        taken.add(candidate)
        names.append(candidate)
    return names


def visible_sources(release: NotebookNode) -> dict[str, str]:
    """Test sources the student may see: the student version's, hidden tests removed."""
    return {
        gid: cell.source for cell in release.cells if role(cell) is Role.TEST and (gid := grade_id(cell)) is not None
    }
