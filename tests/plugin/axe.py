"""axe-core in a Playwright page: a page passes when it has no serious or critical WCAG 2.1 A/AA violation.

axe-core comes from tests/browser-tools (locked in its package-lock.json; ``bash .ci/setup``
installs it) and is put into the page as a script, so no network is needed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parents[1] / "browser-tools" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
BLOCKING = ("serious", "critical")


def violations(page: Any, include: str | None = None) -> list[dict[str, Any]]:
    """Every WCAG 2.1 A/AA violation axe finds in ``page`` (or in the elements ``include`` selects)."""
    if not AXE.is_file():
        raise AssertionError(f"axe-core is not installed at {AXE}: run `bash .ci/setup` (npm ci in its folder)")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    options = {"runOnly": {"type": "tag", "values": list(TAGS)}, "resultTypes": ["violations"]}
    found: list[dict[str, Any]] = page.evaluate(
        "([include, options]) => axe.run(include ? { include: [include] } : document, options)"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,"
        " nodes: v.nodes.map(n => ({target: n.target, html: n.html.slice(0, 300), summary: n.failureSummary}))})))",
        [include, options],
    )
    return found


def readable(found: list[dict[str, Any]]) -> str:
    """The violations as text a person can act on: rule, impact, help and each element."""
    lines = []
    for violation in found:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"][:10]:
            lines.append(f"    at {json.dumps(node['target'])}: {node['html']}")
            for detail in (node["summary"] or "").splitlines():
                lines.append(f"        {detail}")
    return "\n".join(lines)


def assert_accessible(page: Any, include: str | None = None, where: str = "") -> list[dict[str, Any]]:
    """Fail with every serious or critical violation in ``page``; returns the lesser ones found."""
    found = violations(page, include)
    blocking = [v for v in found if v["impact"] in BLOCKING]
    assert not blocking, f"axe-core found serious or critical WCAG 2.1 violations{' in ' + where if where else ''}:\n" \
        + readable(blocking)
    return [v for v in found if v["impact"] not in BLOCKING]
