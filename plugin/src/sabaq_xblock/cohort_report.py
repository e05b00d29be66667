"""``sabaq report``: the cohort dashboard of every assignment in a store, on the command line.

    python -m sabaq_xblock.cohort_report [--store URL] [--course EXPORT] [--block ID]
                                         [--json] [--html FILE] [--csv DIR]

The store defaults to the deployment's (``SABAQ_SUBMISSIONS_DB`` or the data directory's). With
``--course`` (an Open edX course export, ``.tar.gz`` or its folder, such as ``sabaq build`` writes)
only that course's units are reported, under their display names. ``--html`` writes the
dashboards with their score charts as one page; ``--csv`` one grade export per assignment, in
the columns the block's own export uses. Exit 0, 2 on bad usage, 3 when the store or the export
cannot be read.
"""

from __future__ import annotations

import argparse
import html
import json
import sys
import tarfile
from pathlib import Path
from typing import Any

from sabaq_contract import settings as deployment
from sabaq_contract.errors import SettingsInvalid

from . import dashboard, grade_csv
from .queue import EXIT_OK, EXIT_STORE, EXIT_USAGE, Unreachable, _safe

BAR = "█"


def course_units(path: Path) -> dict[str, str]:
    """The ``sabaq_notebook`` units of a course export: url_name -> display name."""
    from lxml import etree

    units: dict[str, str] = {}

    def add(name: str, text: bytes) -> None:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
        root = etree.fromstring(text, parser)
        units[Path(name).stem] = root.get("display_name") or Path(name).stem

    if path.is_dir():
        for file in sorted(path.rglob("sabaq_notebook/*.xml")):
            add(file.name, file.read_bytes())
        return units
    with tarfile.open(path, "r:*") as archive:
        for member in archive.getmembers():
            if member.isfile() and Path(member.name).parent.name == "sabaq_notebook" and member.name.endswith(".xml"):
                handle = archive.extractfile(member)
                if handle is not None:
                    add(member.name, handle.read())
    return units


def _name(block_id: str, units: dict[str, str] | None) -> str | None:
    if units is None:
        return block_id
    tail = block_id.rsplit("@", 1)[-1]
    return units.get(tail)


def text(name: str, figures: dict[str, Any]) -> str:
    """One assignment's dashboard as lines of text."""
    lines = [name, "=" * len(name),
             f"  learners {figures['learners']}, submissions {figures['submissions']}, "
             f"waiting for a tutor {figures['waiting_for_tutor']}",
             "  states   " + ", ".join(f"{k} {v}" for k, v in figures["states"].items())]
    scores = figures["scores"]
    lines.append(f"  scores   median {scores['median']}, mean {scores['mean']} (of {scores['max_score']})")
    top = max(scores["histogram"], default=0) or 1
    for index, count in enumerate(scores["histogram"]):
        low = index * 100 // len(scores["histogram"])
        lines.append(f"    {low:>3}%+ {BAR * round(20 * count / top):<20} {count}")
    lines.append("  tests (hardest first)")
    for test in figures["tests"]:
        rate = "-" if test["pass_rate"] is None else f"{100 * test['pass_rate']:.0f}%"
        lines.append(f"    {test['grade_id']}{' (hidden)' if test['hidden'] else ''}: "
                     f"{test['passed']}/{test['total']} passed ({rate})")
    if figures["errors"]:
        lines.append("  most common errors")
        lines += [f"    {e['count']} x {e['where']}: {e['message']}" for e in figures["errors"]]
    if figures["stuck"]:
        stuck = (f"{s['learner_id']} ({s['kind'] or s['state']})" for s in figures["stuck"])
        lines.append("  stuck: " + ", ".join(stuck))
    if figures["not_submitted"] is not None:
        lines.append(f"  not submitted: {len(figures['not_submitted'])}")
    timing = figures["grading_ms"]
    lines.append(f"  grading  median {timing['median']} ms, 95th percentile {timing['p95']} ms")
    return "\n".join(lines)


def page(reports: list[tuple[str, dict[str, Any]]]) -> str:
    """The dashboards as one HTML page, each with its score chart."""
    from .charts import score_chart

    sections = []
    for name, figures in reports:
        rows = "".join(f"<tr><th scope=\"row\">{html.escape(t['grade_id'])}</th>"
                       f"<td>{t['passed']} / {t['total']}</td></tr>" for t in figures["tests"])
        sections.append(f"<section><h2>{html.escape(name)}</h2>{score_chart(figures['scores']['histogram'], 'en')}"
                        f"<pre>{html.escape(text(name, figures))}</pre>"
                        f"<table><thead><tr><th scope=\"col\">Test</th><th scope=\"col\">Passed</th></tr></thead>"
                        f"<tbody>{rows}</tbody></table></section>")
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sabaq report</title></head>"
            f"<body><h1>Sabaq report</h1>{''.join(sections)}</body></html>\n")


def main(argv: list[str] | None = None, prog: str = "python -m sabaq_xblock.cohort_report") -> int:
    parser = argparse.ArgumentParser(prog=prog, description="Every assignment's cohort dashboard, from a store.")
    parser.add_argument("--store", metavar="URL", help="the submissions store (default: the deployment's)")
    parser.add_argument("--course", metavar="EXPORT", help="only this course export's units, by display name")
    parser.add_argument("--block", metavar="BLOCK_ID", help="only this block")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--html", metavar="FILE", help="also write the dashboards, with charts, as an HTML page")
    parser.add_argument("--csv", metavar="DIR", help="also write each assignment's grades as CSV into DIR")
    args = parser.parse_args(argv)
    try:
        url = args.store or deployment.load().submissions_db
    except SettingsInvalid as error:
        print(f"{prog}: error: bad settings: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        units = course_units(Path(args.course)) if args.course else None
    except (OSError, tarfile.TarError, ValueError, SyntaxError) as error:  # lxml's XMLSyntaxError is a SyntaxError
        print(f"{prog}: error: the course export {args.course} cannot be read: {error}", file=sys.stderr)
        return EXIT_STORE
    try:
        found = _collect(url, args.block, units)
    except Unreachable as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return EXIT_STORE
    if args.json:
        print(json.dumps({name: figures for name, figures, _ in found}, indent=1))
    else:
        print("\n\n".join(text(name, figures) for name, figures, _ in found) or "no submissions")
    if args.html:
        Path(args.html).write_text(page([(n, f) for n, f, _ in found]), "utf-8")
    if args.csv:
        folder = Path(args.csv)
        folder.mkdir(parents=True, exist_ok=True)
        for index, (name, _figures, rows) in enumerate(found, start=1):
            (folder / f"{index:02d}-{_slug(name)}.csv").write_text(grade_csv.export(name, rows), "utf-8")
    return EXIT_OK


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name).strip("-")[:60] or "assignment"


def _collect(url: str, block: str | None, units: dict[str, str] | None) -> list[tuple[
        str, dict[str, Any], list[grade_csv.Row]]]:
    import sqlalchemy as sa

    from .manual_grades import ManualGrades
    from .submissions import SubmissionStore, latest_graded

    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///").split("?")[0]).is_file():
        raise Unreachable(f"the submissions store ({_safe(url)}) cannot be read: there is no such file")
    try:
        store = SubmissionStore(url)
        manual = ManualGrades(store.engine)
        out = []
        named = [(b, _name(b, units)) for b in ([block] if block else store.block_ids())]
        blocks = [(block_id, name) for block_id, name in named if name is not None]  # the course's own
        for index, (block_id, name) in enumerate(blocks, start=1):
            print(f"reading {index}/{len(blocks)}: {name}", file=sys.stderr, flush=True)
            subs = store.for_block(block_id)
            rows = [grade_csv.Row(s, manual.for_submission(s.block_id, s.learner_id, s.notebook, s.report))
                    for s in latest_graded(subs).values()]
            out.append((name, dashboard.figures(subs), rows))
        return out
    except (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.ProgrammingError, sa.exc.ArgumentError,
            OSError) as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise Unreachable(f"the submissions store ({_safe(url)}) cannot be read: {reason}") from error


if __name__ == "__main__":
    sys.exit(main())
