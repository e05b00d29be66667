"""Every lesson executes top to bottom in a fresh kernel, and the numbers its text quotes
are the numbers its code computes.

Each lesson runs once (cached per test session) with nbclient, with the lesson's folder as
the working directory, exactly as the build executes it. After the last cell, the kernel
evaluates the checks below, which tie a phrase of the lesson's text to the value computed
by the lesson's own functions and variables.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, NamedTuple

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

WIDGETS = ("MultipleChoice", "NumericAnswer", "ParameterExplorer")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class Quote(NamedTuple):
    """A phrase of the lesson and a Python expression, true when the code agrees with it."""

    phrase: str
    check: str


BASICS = [
    Quote("89.3", "round(visits_per_staff, 1) == 89.3"),
    Quote("1410", "sum(week) == 1410"),
    Quote("201.4", "round(mean_visits, 1) == 201.4"),
    Quote("201.43", "round(mean_visits, 2) == 201.43"),
    Quote("0.8", "bed_occupancy(96, 120) == 0.8"),
    Quote("week[1]", "week[1] == 198"),
    Quote("busy_days", "busy_days == ['Wed', 'Thu', 'Fri']"),
]

QUOTES: dict[str, list[Quote]] = {
    "python-data-science/lessons/01-python-basics.ipynb": [
        *BASICS,
        Quote("Three days (Wednesday, Thursday\nand Friday) were busy", "busy_days == ['Wed', 'Thu', 'Fri']"),
    ],
    "python-data-science/lessons/01-python-basics.ur.ipynb": [
        *BASICS,
        Quote("تین دن (بدھ، جمعرات اور جمعہ) مصروف رہے", "busy_days == ['Wed', 'Thu', 'Fri']"),
    ],
    "python-data-science/lessons/02-numpy-arrays.ipynb": [
        Quote("37.975", "np.isclose(temps.mean(), 37.975)"),
        Quote("Four of the eight patients (50%)", "fever.sum() == 4 and len(temps) == 8"),
        Quote("9759", "visits.sum() == 9759"),
        Quote("about 18.3 visits a day", "round(per_staff.mean(axis=1)[2], 1) == 18.3"),
        Quote("about 14.4 each", "np.allclose(per_staff.mean(axis=1)[:2].round(1), 14.4)"),
        Quote("37.025", "np.isclose(temps[temps < 38.0].mean(), 37.025)"),
        Quote("visits.sum(axis=0)", "visits.sum(axis=0).shape == (7,)"),
    ],
    "python-data-science/lessons/03-pandas-dataframes.ipynb": [
        Quote("248 rows and 7 columns", "facilities.shape == (248, 7)"),
        Quote("minimum of `outpatient_visits` is −1", "facilities['outpatient_visits'].min() == -1"),
        Quote("Eight rows are exact duplicates", "facilities.duplicated().sum() == 8"),
        Quote("240 rows", "len(facilities.drop_duplicates()) == 240"),
        Quote("40 health facilities", "facilities['facility_id'].nunique() == 40"),
        Quote("There should be five districts", "fixed['district'].nunique() == 5"),
    ],
    "python-data-science/lessons/04-plotting-matplotlib.ipynb": [
        Quote("mean (49.5 minutes)", "round(wait.mean(), 1) == 49.5"),
        Quote("median\n(40 minutes)", "wait.median() == 40"),
        Quote("most patients wait between 20 and 60 minutes", "((wait >= 20) & (wait <= 60)).mean() > 0.5"),
        Quote("about 0.5 mmHg per year", "round(slope, 1) == 0.5"),
        Quote("24.75", "np.isclose((visits['wait_minutes'] > 60).mean() * 100, 24.75)"),
    ],
    "epidemic-modelling/lessons/01-sir-model.ipynb": [
        Quote("peaks around day 39", "round(chk_t[chk_peak]) == 39"),
        Quote("about 30% of the population infectious", "round(chk_i[chk_peak], 2) == 0.30"),
        Quote("about 94% of the population has been infected", "round(chk_r[-1], 2) == 0.94"),
        Quote("a third of the population is still susceptible", "abs(chk_s[chk_peak] - 1 / 3) < 0.01"),
        Quote("overestimated by more than two percentage points", "chk_coarse[2].max() - chk_finest[2].max() > 0.02"),
        Quote("agree to about three decimal places",
              "abs(chk_fine[2].max() - chk_finest[2].max()) < 0.0015"
              " and abs(chk_fine[3][-1] - chk_finest[3][-1]) < 0.001"),
        Quote("fewer than half of the infections",
              "outbreak['reported_cases'].sum() < 0.5 * outbreak['true_infections'].sum()"),
        Quote("nothing happens", "sir_euler(0.1, 0.1)[2].max() <= 0.001"),
    ],
    "epidemic-modelling/lessons/02-r0-herd-immunity.ipynb": [
        Quote("$R_0 = 3$", "np.isclose(0.3 / 0.1, 3.0)"),
        Quote("50% for $R_0 = 2$, 67% for $R_0 = 3$",
              "herd_immunity_threshold(2.0) == 0.5 and round(herd_immunity_threshold(3.0), 2) == 0.67"),
        Quote("above\n90% for $R_0$ between 12 and 18", "herd_immunity_threshold(12.0) > 0.9"),
        Quote("94.0% of the population will be infected", "round(final_size(3.0), 3) == 0.940"),
        Quote("The simulation and the algebra agree",
              "abs(sir_euler(0.3, 0.1, i0=1e-6, days=400, dt=0.01)[3][-1] - final_size(3.0)) < 0.001"),
        Quote("66.7% are immune", "round(herd_immunity_threshold(3.0), 3) == 0.667"),
        Quote("more than a\nquarter of the population", "final_size(3.0) - herd_immunity_threshold(3.0) > 0.25"),
        Quote("0.75", "herd_immunity_threshold(4.0) == 0.75"),
    ],
    "epidemic-modelling/lessons/03-vaccination-strategies.ipynb": [
        Quote("a perfect vaccine needs 66.7% coverage", "round(critical_coverage(3.0, 1.0), 3) == 0.667"),
        Quote("90% efficacy needs\n74.1%", "round(critical_coverage(3.0, 0.9), 3) == 0.741"),
        Quote("70% efficacy 95.2%", "round(critical_coverage(3.0, 0.7), 3) == 0.952"),
        Quote("For $R_0 = 5$ and 70% efficacy the required coverage\nis above 100%", "critical_coverage(5.0, 0.7) > 1"),
        Quote("from 94.0% to 36.7%",
              "round(final_size_vaccinated(3.0, 0.0, 0.9), 3) == 0.940"
              " and round(final_size_vaccinated(3.0, 0.5, 0.9), 3) == 0.367"),
        Quote("their risk falls from 94.0% to 66.8%",
              "round(1 - np.exp(-3.0 * final_size_vaccinated(3.0, 0.5, 0.9)), 3) == 0.668"),
        Quote("Without vaccination 94% of the population is infected",
              "round(campaign(0.0, 0)[1][-1] + campaign(0.0, 0)[2][-1], 2) == 0.94"),
        Quote("starts on day 0 cuts this to about 54%",
              "round(campaign(0.01, 0)[1][-1] + campaign(0.01, 0)[2][-1], 2) == 0.54"),
        Quote("started on day 40, near the peak, still leaves about 92% infected",
              "round(campaign(0.01, 40)[1][-1] + campaign(0.01, 40)[2][-1], 2) == 0.92"),
        Quote("about 90% for the late, fast one",
              "round(campaign(0.02, 40)[1][-1] + campaign(0.02, 40)[2][-1], 2) == 0.90"),
        Quote("0.8333", "round(critical_coverage(4.0, 0.9), 4) == 0.8333"),
        Quote("≈ 1.11", "round(critical_coverage(3.0, 0.6), 2) == 1.11"),
    ],
}


# Shared values the checks of a lesson use, computed once after the lesson has run.
PRELUDES = {
    "epidemic-modelling/lessons/01-sir-model.ipynb": "\n".join([
        "chk_t, chk_s, chk_i, chk_r = sir_euler(0.3, 0.1)",
        "chk_peak = chk_i.argmax()",
        "chk_coarse = sir_euler(0.3, 0.1, dt=2.0, days=200)",
        "chk_fine = sir_euler(0.3, 0.1, dt=0.1, days=200)",
        "chk_finest = sir_euler(0.3, 0.1, dt=0.01, days=200)",
    ]),
}


def _widgets_available() -> bool:
    module = importlib.import_module("sabaq_widgets")
    return all(hasattr(module, name) for name in WIDGETS)


def _is_widget_cell(cell: Any) -> bool:
    return cell.cell_type == "code" and any(f"{name}(" in cell.source for name in WIDGETS)


class Run(NamedTuple):
    notebook: nbformat.NotebookNode
    error: str | None
    quotes: dict[str, str | None]
    widgets_stripped: bool


_RUNS: dict[Path, Run] = {}


def _run(path: Path, quotes: list[Quote], prelude: str = "") -> Run:
    """Execute the lesson, then each quote check in the same kernel."""
    if path in _RUNS:
        return _RUNS[path]
    notebook = nbformat.read(str(path), as_version=4)
    stripped = not _widgets_available()
    if stripped:
        notebook.cells = [cell for cell in notebook.cells if not _is_widget_cell(cell)]
    client = NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    error: str | None = None
    results: dict[str, str | None] = {}
    with client.setup_kernel():
        try:
            for index, cell in enumerate(notebook.cells):
                client.execute_cell(cell, index)
        except CellExecutionError as failure:
            error = str(failure)
        if prelude and error is None:
            cell = nbformat.v4.new_code_cell(prelude)
            notebook.cells.append(cell)
            try:
                client.execute_cell(cell, len(notebook.cells) - 1)
            except CellExecutionError as failure:
                error = f"the checks' prelude failed: {failure}"
        for quote in quotes if error is None else []:
            check = nbformat.v4.new_code_cell(f"assert {quote.check}")
            notebook.cells.append(check)
            try:
                client.execute_cell(check, len(notebook.cells) - 1)
                results[quote.phrase] = None
            except CellExecutionError as failure:
                results[quote.phrase] = str(failure)
    _RUNS[path] = Run(notebook, error, results, stripped)
    return _RUNS[path]


def _key(lesson: Any) -> str:
    return f"{lesson.slug}/{lesson.relpath}"


def _lesson_run(lesson: Any) -> Run:
    return _run(lesson.path, QUOTES.get(_key(lesson), []), PRELUDES.get(_key(lesson), ""))


def test_lesson_executes_without_error(lesson: Any) -> None:
    run = _lesson_run(lesson)
    assert run.error is None, run.error


def test_quoted_numbers_match_the_code(lesson: Any) -> None:
    quotes = QUOTES.get(_key(lesson), [])
    assert quotes, f"{_key(lesson)} has no quote checks: add the numbers its text relies on"
    text = "\n".join(cell.source for cell in nbformat.read(str(lesson.path), as_version=4).cells)
    for quote in quotes:
        assert quote.phrase in text, f"the lesson no longer says {quote.phrase!r}: update the check"
    run = _lesson_run(lesson)
    assert run.error is None, run.error
    wrong = {phrase: message for phrase, message in run.quotes.items() if message is not None}
    assert not wrong, "\n\n".join(f"{phrase!r}: {message}" for phrase, message in wrong.items())


def test_widget_cells_display_widgets(lesson: Any) -> None:
    run = _lesson_run(lesson)
    if run.widgets_stripped:
        pytest.skip("sabaq_widgets lacks MultipleChoice, NumericAnswer or ParameterExplorer: widget cells not run")
    assert run.error is None, run.error
    widget_cells = [cell for cell in run.notebook.cells if _is_widget_cell(cell)]
    assert widget_cells, "every lesson has a quiz widget or an explorer"
    for cell in widget_cells:
        shown = [out for out in cell.outputs if WIDGET_VIEW in out.get("data", {})]
        assert shown, f"the widget cell does not display a widget:\n{cell.source}"
