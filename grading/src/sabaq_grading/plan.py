"""Protection: decide what runs when a submission is graded.

The instructor notebook is the authority. Each cell of the submission is
matched to a cell of the student version (one to one with the instructor
notebook) by nbgrader ``grade_id``, then by nbformat cell ``id``, then by
identical source, then by position between matched neighbours, so notebooks
whose metadata another editor stripped still grade. Test cells and read-only
cells always run the instructor's source; deleted ones are put back; copies
are ignored; answers come from the student; cells the student added run where
the student put them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from nbformat import NotebookNode

from .notebook import Role, grade_id, has_hidden_tests, hidden_line_numbers, normalized, points, role

StepKind = Literal["code", "locked", "test"]


@dataclass(frozen=True)
class Step:
    """One cell to execute."""

    cell_id: str
    source: str
    kind: StepKind
    grade_id: str | None = None


@dataclass(frozen=True)
class TestSpec:
    grade_id: str
    cell_id: str
    max_points: float
    hidden: bool
    visible_source: str  # the student version's source: what the student may see
    source: str = ""  # the instructor's source, as run: never reported whole
    hidden_lines: frozenset[int] = frozenset()  # 1-based lines of ``source`` in hidden regions

    def visible_line(self, number: int | None) -> str | None:
        """Line ``number`` of the test as run, if the student may see it."""
        lines = self.source.splitlines()
        if number is None or not 1 <= number <= len(lines) or number in self.hidden_lines:
            return None
        return lines[number - 1].strip() or None


@dataclass(frozen=True)
class ManualSpec:
    """A cell graded by hand: a written (or code) answer, or a task.

    ``points`` is what nbgrader's autograder gives it: 0 for an answer left exactly as
    released (its checksum is unchanged), otherwise None, meaning a tutor must grade it.
    """

    grade_id: str
    max_points: float
    answered: bool
    kind: Literal["answer", "task"] = "answer"
    points: float | None = None
    source: str | None = None  # the answer as graded (matched as nbgrader would), for the tutor

    @property
    def needs_manual_grade(self) -> bool:
        return self.points is None


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)
    tests: list[TestSpec] = field(default_factory=list)
    manual: list[ManualSpec] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    matched_any: bool = False


class WrongAssignment(Exception):
    """The submission does not belong to this assignment."""


def _match(release: list[NotebookNode], submission: list[NotebookNode], plan: Plan) -> dict[int, int]:
    """Map release cell index -> submission cell index."""
    by_grade_id = {grade_id(cell): r for r, cell in enumerate(release) if grade_id(cell)}
    by_cell_id = {cell.get("id"): r for r, cell in enumerate(release) if cell.get("id")}
    matched: dict[int, int] = {}
    used: set[int] = set()
    seen_ids: dict[str, int] = {}

    for s, cell in enumerate(submission):
        gid = grade_id(cell)
        if gid is None:
            continue
        seen_ids[gid] = seen_ids.get(gid, 0) + 1
        r = by_grade_id.get(gid)
        if r is not None and r not in matched:
            matched[r] = s
            used.add(s)
    for gid, count in seen_ids.items():
        if count > 1 and gid in by_grade_id:
            plan.warnings.append(f"cell '{gid}' appears {count} times; the first one was graded")
    if seen_ids and not matched:
        raise WrongAssignment(
            "none of the submission's graded cells belongs to this assignment "
            f"(it has {', '.join(sorted(seen_ids)[:5])}); submit the notebook of this assignment"
        )

    for s, cell in enumerate(submission):
        r = by_cell_id.get(cell.get("id"))
        if s not in used and r is not None and r not in matched and release[r].cell_type == cell.cell_type:
            matched[r] = s
            used.add(s)

    # Identical source, in order, for cells the student could not usefully change.
    anchors: dict[tuple[str, str], list[int]] = {}
    for r, cell in enumerate(release):
        if r not in matched and role(cell) not in (Role.ANSWER, Role.MANUAL) and cell.source.strip():
            anchors.setdefault((cell.cell_type, normalized(cell.source)), []).append(r)
    for s, cell in enumerate(submission):
        if s in used:
            continue
        candidates = anchors.get((cell.cell_type, normalized(cell.source)))
        if candidates:
            r = candidates.pop(0)
            matched[r] = s
            used.add(s)

    if not matched and any(anchors.values()):
        raise WrongAssignment("no cell of the submission matches this assignment; submit its notebook")

    # Answers: the first unmatched student cell of the same type between matched neighbours.
    for r, cell in enumerate(release):
        if r in matched or role(cell) not in (Role.ANSWER, Role.MANUAL, Role.PLAIN):
            continue
        before = [matched[p] for p in range(r) if p in matched]
        after = [matched[p] for p in range(r + 1, len(release)) if p in matched]
        low = max(before, default=-1)
        high = min((s for s in after if s > low), default=len(submission))
        for s in range(low + 1, high):
            if s not in used and submission[s].cell_type == cell.cell_type:
                matched[r] = s
                used.add(s)
                break
    plan.matched_any = bool(matched)
    return matched


def build_plan(instructor: NotebookNode, release: NotebookNode, submission: NotebookNode) -> Plan:
    """The cells to run for ``submission``, in the instructor's order, and what each test is worth."""
    plan = Plan()
    rcells, scells = release.cells, submission.cells
    if not scells and rcells:  # nbgrader would "grade" it, leaving every cell to a tutor: say what it is
        raise WrongAssignment("the submission has no cells: it is an empty notebook; submit this assignment's notebook")
    matched = _match(rcells, scells, plan)

    # Student cells nobody claimed run after the cell that precedes them in the submission.
    position = {s: r for r, s in matched.items()}
    extras: dict[int, list[int]] = {}
    last_r = -1
    for s, cell in enumerate(scells):
        if s in position:
            last_r = max(last_r, position[s])
        elif cell.cell_type == "code" and cell.source.strip():
            extras.setdefault(last_r, []).append(s)

    def add_extras(r: int) -> None:
        for s in extras.get(r, []):
            plan.steps.append(Step(f"student-{s}", scells[s].source, "code"))

    add_extras(-1)
    for r, (icell, rcell) in enumerate(zip(instructor.cells, rcells, strict=True)):
        cell_role, gid, cell_id = role(icell), grade_id(icell), f"cell-{r}"
        student = scells[matched[r]] if r in matched else None
        if cell_role is Role.TEST:
            assert gid is not None
            if student is None:
                plan.warnings.append(f"test cell '{gid}' was missing and has been restored")
            elif normalized(student.source) not in (normalized(rcell.source), normalized(icell.source)):
                plan.warnings.append(f"changes to test cell '{gid}' were ignored")
            plan.steps.append(Step(cell_id, icell.source, "test", gid))
            plan.tests.append(
                TestSpec(
                    gid,
                    cell_id,
                    points(icell),
                    has_hidden_tests(icell),
                    rcell.source,
                    icell.source,
                    hidden_line_numbers(icell.source),
                )
            )
        elif cell_role is Role.LOCKED:
            if student is not None and normalized(student.source) != normalized(rcell.source):
                plan.warnings.append(f"changes to read-only cell '{gid}' were ignored")
            if icell.cell_type == "code":
                plan.steps.append(Step(cell_id, icell.source, "locked"))
        elif cell_role in (Role.ANSWER, Role.MANUAL, Role.PLAIN):
            answer = student  # a changed cell type is changed back, the answer kept (nbgrader's OverwriteCells)
            if answer is None and cell_role is not Role.PLAIN:
                plan.warnings.append(f"answer cell '{gid}' was missing; its blank version was used")
            source = (answer or rcell).source
            if rcell.cell_type == "code":
                plan.steps.append(Step(cell_id, source, "code"))
            if cell_role is Role.MANUAL and gid is not None:
                answered = answer is not None and normalized(source) != normalized(rcell.source)
                unchanged = source == rcell.source  # nbgrader compares checksums of the exact source
                plan.manual.append(ManualSpec(gid, points(icell), answered, "answer", 0.0 if unchanged else None,
                                              source))
        elif cell_role is Role.TASK and gid is not None:
            plan.manual.append(ManualSpec(gid, points(icell), True, "task", None))
        add_extras(r)
    return plan
