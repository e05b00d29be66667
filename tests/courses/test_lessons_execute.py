"""Every lesson executes top to bottom in a fresh kernel, and the numbers its text quotes
are the numbers its code computes.

Each lesson runs once (cached per test session) with nbclient, with the lesson's folder as
the working directory, exactly as the build executes it. After the last cell, the kernel
evaluates the checks below, which tie a phrase of the lesson's text to the value computed
by the lesson's own functions and variables.
"""

from __future__ import annotations

import html
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
    Quote("212, 198, 240, 225, 260, 180", "week == [212, 198, 240, 225, 260, 180, 95]"),
    Quote("201", "round(mean_visits) == 201"),
]

QUOTES: dict[str, list[Quote]] = {
    "python-data-science/lessons/01-python-basics.ipynb": [
        *BASICS,
        Quote("busy_days", "busy_days == ['Wed', 'Thu', 'Fri']"),
        Quote("Three days (Wednesday, Thursday\nand Friday) were busy", "busy_days == ['Wed', 'Thu', 'Fri']"),
        Quote("Wednesday, Thursday and Friday, are drawn darker", "busy_days == ['Wed', 'Thu', 'Fri']"),
        Quote("a dashed line marks the mean of about 201 visits a day", "round(mean_visits) == 201"),
    ],
    "python-data-science/lessons/01-python-basics.ur.ipynb": [
        *BASICS,
        Quote("busy_days", "busy_days == ['بدھ', 'جمعرات', 'جمعہ']"),
        Quote("تین دن (بدھ، جمعرات اور جمعہ) مصروف رہے", "busy_days == ['بدھ', 'جمعرات', 'جمعہ']"),
        Quote("تین مصروف دن، بدھ، جمعرات اور جمعہ", "busy_days == ['بدھ', 'جمعرات', 'جمعہ']"),
        Quote("تقریباً 201 مریض روزانہ کی اوسط", "round(mean_visits) == 201"),
        Quote("کل عملہ", "sum(staff_by_facility.values()) == 83"),
    ],
    "python-data-science/lessons/02-numpy-arrays.ipynb": [
        Quote("37.975", "np.isclose(temps.mean(), 37.975)"),
        Quote("Four of the eight patients (50%)", "fever.sum() == 4 and len(temps) == 8"),
        Quote("9759", "visits.sum() == 9759"),
        Quote("about 18.3 visits a day", "round(per_staff.mean(axis=1)[2], 1) == 18.3"),
        Quote("about 14.4 each", "np.allclose(per_staff.mean(axis=1)[:2].round(1), 14.4)"),
        Quote("37.025", "np.isclose(temps[temps < 38.0].mean(), 37.025)"),
        Quote("visits.sum(axis=0)", "visits.sum(axis=0).shape == (7,)"),
        Quote("(`ddof=0`): 1.16 °C", "round(temps.std(), 2) == 1.16"),
        Quote("`std(ddof=1)` gives 1.24 °C", "round(temps.std(ddof=1), 2) == 1.24"),
        Quote("between 18.5 and 21 on weekdays",
              "round(per_staff[2, :5].min(), 1) == 18.5 and round(per_staff[2, :5].max(), 1) == 21.0"),
        Quote("lie between 14 and 20 on weekdays", "14 <= per_staff[:2, :5].min() and per_staff[:2, :5].max() <= 20"),
        Quote("to 3 visits per member of staff on Sunday", "per_staff[1, 6] == 3 and per_staff[:, 6].argmin() == 1"),
    ],
    "python-data-science/lessons/03-pandas-dataframes.ipynb": [
        Quote("248 rows and 7 columns", "facilities.shape == (248, 7)"),
        Quote("minimum of `outpatient_visits` is −1", "facilities['outpatient_visits'].min() == -1"),
        Quote("Eight rows are exact duplicates", "facilities.duplicated().sum() == 8"),
        Quote("240 rows", "len(facilities.drop_duplicates()) == 240"),
        Quote("40 health facilities", "facilities['facility_id'].nunique() == 40"),
        Quote("There should be five districts", "fixed['district'].nunique() == 5"),
        Quote("The largest facility, F009, a hospital in South, has 65 staff",
              "one_per_facility.sort_values('staff', ascending=False).iloc[0][['facility_id', 'district',"
              " 'facility_type', 'staff']].tolist() == ['F009', 'South', 'hospital', 65]"),
        Quote("Eight facilities have fewer than 5 staff, 22 have 5 to 19 and 10 have 20 or more",
              "size.value_counts(sort=False).tolist() == [8, 22, 10]"),
        Quote("would be counted in the first bin",
              "(one_per_facility['staff'] == 5).any()"
              " and pd.cut(pd.Series([5]), bins=[0, 5, 20, 1000]).cat.codes.tolist() == [0]"),
        Quote("Central 8, East 11, North 7, South 6, West 8",
              "facilities_per_district.to_dict() == {'Central': 8, 'East': 11, 'North': 7, 'South': 6, 'West': 8}"),
    ],
    "python-data-science/lessons/04-plotting-matplotlib.ipynb": [
        Quote("mean (49.5 minutes)", "round(wait.mean(), 1) == 49.5"),
        Quote("median\n(40 minutes)", "wait.median() == 40"),
        Quote("most patients wait between 20 and 60 minutes", "((wait >= 20) & (wait <= 60)).mean() > 0.5"),
        Quote("about 0.5 mmHg per year", "round(slope, 1) == 0.5"),
        Quote("24.75", "np.isclose((visits['wait_minutes'] > 60).mean() * 100, 24.75)"),
        Quote("waiting times of 400 visits", "len(visits) == 400"),
        Quote("reaches beyond 150 minutes", "wait.max() > 150"),
        Quote("A solid line marks the median (40 minutes) and a dashed line the mean (49.5 minutes)",
              "wait.median() == 40 and round(wait.mean(), 1) == 49.5"),
        Quote("The female box spans 103 to 131 mmHg (the quartiles) with a median of 119",
              "[round(x) for x in data[0].quantile([0.25, 0.75, 0.5])] == [103, 130, 119]"
              " or [round(x + 0.01) for x in data[0].quantile([0.25, 0.75, 0.5])] == [103, 131, 119]"),
        Quote("the male box spans 112 to 141 mmHg with a median of 130",
              "[round(x) for x in data[1].quantile([0.25, 0.75, 0.5])] == [112, 141, 130]"),
        Quote("from 69 to 168 mmHg for women and from 76 to 180 mmHg for men, with one male reading above them",
              "(data[0].min(), data[0].max(), data[1].min()) == (69, 168, 76)"
              " and sorted(data[1])[-2:] == [180, 187] and data[1].quantile(0.75) + 1.5 * (data[1].quantile(0.75)"
              " - data[1].quantile(0.25)) < 187"),
        Quote("for 292 adult visits, ages 18 to 92",
              "len(adults) == 292 and (adults['age'].min(), adults['age'].max()) == (18, 92)"),
        Quote("pressures from about 90 to 190 mmHg",
              "85 <= adults['systolic_bp'].min() <= 95 and 185 <= adults['systolic_bp'].max() <= 195"),
        Quote("about 0.5 mmHg per year of age, and a dotted", "round(slope, 1) == 0.5"),
        Quote("Central 108, East 84, North 87, South 64, West 57", "counts.tolist() == [108, 84, 87, 64, 57]"),
        Quote("Central 35.4 years, North 33.9, South 33.2, East 32.3 and West 30.9",
              "longest_first.round(1).to_dict() == {'Central': 35.4, 'North': 33.9, 'South': 33.2, 'East': 32.3,"
              " 'West': 30.9} and list(longest_first.index) == ['Central', 'North', 'South', 'East', 'West']"),
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
        Quote("about 2.4, 1.2 and 0.6 percentage points",
              "[round((run[2].max() - chk_finest[2].max()) * 100, 1) for run in (chk_coarse, chk_one, chk_half)]"
              " == [2.4, 1.2, 0.6]"),
        Quote("peak of about 30% of the population infectious on day 39",
              "round(chk_i[chk_peak], 2) == 0.30 and round(chk_t[chk_peak]) == 39"),
        Quote("falls from almost 1 to about 0.06", "round(chk_s[-1], 2) == 0.06"),
        Quote("rises in an S shape to about 94% of the population", "round(chk_r[-1], 2) == 0.94"),
        Quote("rise slowly for about two weeks",
              "outbreak['reported_cases'][:13].max() < 0.1 * outbreak['reported_cases'].max()"),
        Quote("a peak around day 32",
              "abs(t[daily][expected_reports.argmax()] - 32) <= 1"
              " and abs(outbreak.loc[outbreak['reported_cases'].idxmax(), 'day'] - 32) <= 1"),
    ],
    "epidemic-modelling/lessons/01-sir-model.ur.ipynb": [
        Quote("تقریباً دن 39 پر\nعروج پر پہنچتی ہے", "round(chk_t[chk_peak]) == 39"),
        Quote("آبادی کا تقریباً 30% حصہ متعدی ہوتا ہے", "round(chk_i[chk_peak], 2) == 0.30"),
        Quote("آبادی کا تقریباً 94%\nحصہ متاثر", "round(chk_r[-1], 2) == 0.94"),
        Quote("آبادی کا ایک تہائی حصہ ابھی قابلِ انفیکشن", "abs(chk_s[chk_peak] - 1 / 3) < 0.01"),
        Quote("دو فیصدی پوائنٹس سے زیادہ", "chk_coarse[2].max() - chk_finest[2].max() > 0.02"),
        Quote("تقریباً 2.4، 1.2 اور\n0.6 فیصدی پوائنٹس",
              "[round((run[2].max() - chk_finest[2].max()) * 100, 1) for run in (chk_coarse, chk_one, chk_half)]"
              " == [2.4, 1.2, 0.6]"),
        Quote("تقریباً تین اعشاریہ تک یکساں",
              "abs(chk_fine[2].max() - chk_finest[2].max()) < 0.0015"
              " and abs(chk_fine[3][-1] - chk_finest[3][-1]) < 0.001"),
        Quote("انفیکشنز کے آدھے سے بھی کم",
              "outbreak['reported_cases'].sum() < 0.5 * outbreak['true_infections'].sum()"),
        Quote("کچھ نہیں ہوتا", "sir_euler(0.1, 0.1)[2].max() <= 0.001"),
        Quote("گر کر تقریباً 0.06 رہ جاتا ہے", "round(chk_s[-1], 2) == 0.06"),
        Quote("تقریباً دو ہفتے آہستہ بڑھتے ہیں",
              "outbreak['reported_cases'][:13].max() < 0.1 * outbreak['reported_cases'].max()"),
        Quote("تقریباً دن 32 پر عروج",
              "abs(t[daily][expected_reports.argmax()] - 32) <= 1"
              " and abs(outbreak.loc[outbreak['reported_cases'].idxmax(), 'day'] - 32) <= 1"),
    ],
    "epidemic-modelling/lessons/02-r0-herd-immunity.ipynb": [
        Quote("$R_0 = 3$", "np.isclose(0.3 / 0.1, 3.0)"),
        Quote("50% for $R_0 = 2$, 67% for $R_0 = 3$",
              "herd_immunity_threshold(2.0) == 0.5 and round(herd_immunity_threshold(3.0), 2) == 0.67"),
        Quote("above\n90% for $R_0$ between 12 and 18", "herd_immunity_threshold(12.0) > 0.9"),
        Quote("94.0% of the population will be infected", "round(final_size(3.0), 3) == 0.940"),
        Quote("the simulation and the algebra agree to within 0.1 percentage point",
              "abs(sir_euler(0.3, 0.1, i0=1e-6, days=400, dt=0.01)[3][-1] - final_size(3.0)) < 0.001"),
        Quote("Lesson 1's\nsimulation printed 94.1%", "round(sir_euler(0.3, 0.1)[3][-1], 3) == 0.941"),
        Quote("less than half a percentage point above",
              "0 < sir_euler(0.3, 0.1, days=200, dt=0.25)[2].max() - sir_euler(0.3, 0.1, days=200, dt=0.01)[2].max()"
              " < 0.005"),
        Quote("falls from 3 towards about 0.2", "round(3 * sir_euler(0.3, 0.1)[1][-1], 1) == 0.2"),
        Quote("crossing the dotted line R_t = 1 on day 39",
              "round(sir_euler(0.3, 0.1)[0][np.argmax(3 * sir_euler(0.3, 0.1)[1] < 1)]) == 39"),
        Quote("to about 0.8 at R0 = 2 and 0.99 at R0 = 5",
              "round(final_size(2.0), 1) == 0.8 and round(final_size(5.0), 2) == 0.99"),
        Quote("to 0.5 at R0 = 2 and 0.8 at R0 = 5",
              "herd_immunity_threshold(2.0) == 0.5 and round(herd_immunity_threshold(5.0), 3) == 0.8"),
        Quote("widest, about 0.3 of the population, for R0 between 2 and 3",
              "2 <= r0_values[np.argmax(sizes - thresholds)] <= 3 and round((sizes - thresholds).max(), 1) == 0.3"),
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
        Quote("All three start at 94% of the population infected",
              "all(round(final_size_vaccinated(3.0, 0.0, e), 2) == 0.94 for e in (1.0, 0.9, 0.7))"),
        Quote("67%, 74% and 95%",
              "[round(critical_coverage(3.0, e) * 100) for e in (1.0, 0.9, 0.7)] == [67, 74, 95]"),
        Quote("change by less than one percentage point",
              "max(abs(campaign(v, d)[1][-1] + campaign(v, d)[2][-1] - campaign(v, d, dt=0.05)[1][-1]"
              " - campaign(v, d, dt=0.05)[2][-1]) for v in (0.005, 0.01, 0.02) for d in (0, 20, 40)) < 0.01"),
        Quote("it vaccinates about 44% of the population by\nday 200, the late, fast one about 10%",
              "round(campaign(0.01, 0)[3][-1], 2) == 0.44 and round(campaign(0.02, 40)[3][-1], 2) == 0.10"),
    ],
}


# Shared values the checks of a lesson use, computed once after the lesson has run.
SIR_PRELUDE = "\n".join([
    "chk_t, chk_s, chk_i, chk_r = sir_euler(0.3, 0.1)",
    "chk_peak = chk_i.argmax()",
    "chk_coarse = sir_euler(0.3, 0.1, dt=2.0, days=200)",
    "chk_fine = sir_euler(0.3, 0.1, dt=0.1, days=200)",
    "chk_finest = sir_euler(0.3, 0.1, dt=0.01, days=200)",
    "chk_one = sir_euler(0.3, 0.1, dt=1.0, days=200)",
    "chk_half = sir_euler(0.3, 0.1, dt=0.5, days=200)",
])
PRELUDES = {
    "epidemic-modelling/lessons/01-sir-model.ipynb": SIR_PRELUDE,
    "epidemic-modelling/lessons/01-sir-model.ur.ipynb": SIR_PRELUDE,
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
    cells = nbformat.read(str(lesson.path), as_version=4).cells
    alts = [cell.metadata.get("sabaq", {}).get("alt", "") for cell in cells]
    text = "\n".join([cell.source for cell in cells] + alts)
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


def test_every_figure_is_rendered_with_its_text_alternative(lesson: Any) -> None:
    """Each image the lesson draws comes with its cell's text alternative, and the lesson page shows it."""
    from sabaq_xblock import render

    run = _lesson_run(lesson)
    assert run.error is None, run.error
    drawn = [
        cell for cell in run.notebook.cells
        if cell.cell_type == "code" and any("image/png" in out.get("data", {}) for out in cell.outputs)
    ]
    assert drawn, f"{_key(lesson)} draws no figure"
    for cell in drawn:
        alt = render.figure_alt(cell)
        assert alt, f"cell {cell.get('id')} draws a figure without a text alternative (metadata sabaq.alt)"
        page = render.render_notebook({"metadata": {}, "cells": [cell]})
        assert f'alt="{html.escape(alt)}"' in page, f"cell {cell.get('id')}: the page does not show its alt text"
