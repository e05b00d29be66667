"""Workbench scenarios: one per notebook prepared by the demo launcher.

The demo (``.ci/demo``) writes ``<name>.xml`` OLX files, student versions
already made by the grading package, into ``$SABAQ_SCENARIO_DIR``; the block
itself never runs nbgrader. Without that directory the workbench shows one
small built-in lesson.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

_SAMPLE = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {},
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "# A lesson\n\nEuler: $e^{i\\pi} + 1 = 0$."},
        {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [
            {"output_type": "stream", "name": "stdout", "text": "4\n"}], "source": "print(2 + 2)"},
    ],
}


def workbench_scenarios() -> list[tuple[str, str]]:
    """(title, OLX) pairs for the XBlock SDK workbench."""
    folder = os.environ.get("SABAQ_SCENARIO_DIR")
    if folder and Path(folder).is_dir():
        scenarios = []
        for path in sorted(Path(folder).glob("*.xml")):
            olx = path.read_text("utf-8")
            match = re.search(r'display_name="([^"]*)"', olx[:1000])
            title = html.unescape(match.group(1)) if match else path.stem
            scenarios.append((title, olx))
        if scenarios:
            return scenarios
    text = json.dumps(_SAMPLE).replace("]]>", "]]\\u003e")
    return [(
        "Sabaq notebook: sample lesson",
        f'<sabaq_notebook display_name="Sample lesson"><student_notebook><![CDATA[{text}]]>'
        "</student_notebook></sabaq_notebook>",
    )]
