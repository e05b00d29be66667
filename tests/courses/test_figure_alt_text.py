"""Every figure of the sample lessons carries a text alternative, and the lesson renderer shows it.

A lecturer writes a figure's text alternative in the metadata of the cell that draws it
(``"sabaq": {"alt": "..."}``); an image output may carry its own (``metadata["image/png"]["alt"]``),
which wins. The renderer puts it in the ``alt`` attribute of the image; an image without
either is described by the title and axes its cell sets, or at least announced as a figure.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import nbformat

from sabaq_xblock import render

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
QUIZ = re.compile(r"^(MultipleChoice|NumericAnswer)\(", re.MULTILINE)
DRAWS = re.compile(r"plt\.(show|subplots)\(|\.plot\(|\.bar\(|\.hist\(")


def _image_output(**metadata: Any) -> dict[str, Any]:
    return {"output_type": "display_data", "data": {"image/png": PNG}, "metadata": metadata}


def _lesson(cells: list[dict[str, Any]]) -> dict[str, Any]:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}


def _code_cell(outputs: list[dict[str, Any]], **metadata: Any) -> dict[str, Any]:
    return {"cell_type": "code", "source": "plt.show()", "metadata": metadata, "outputs": outputs}


def test_the_cell_alt_text_reaches_the_image() -> None:
    page = render.render_notebook(_lesson([_code_cell([_image_output()], sabaq={"alt": "Cases peak on day 39."})]))
    assert 'alt="Cases peak on day 39."' in page


def test_an_output_alt_text_wins_over_the_cell() -> None:
    output = _image_output(**{"image/png": {"alt": "the output's own"}})
    page = render.render_notebook(_lesson([_code_cell([output], sabaq={"alt": "the cell's"})]))
    assert "alt=\"the output's own\"" in page.replace("&#x27;", "'")
    assert "the cell's" not in page.replace("&#x27;", "'")


def test_alt_text_is_escaped() -> None:
    page = render.render_notebook(_lesson([_code_cell([_image_output()], sabaq={"alt": 'a "quote" <b>x</b>'})]))
    assert "<b>x</b>" not in page
    assert html.escape('a "quote" <b>x</b>') in page


def test_an_image_without_alt_text_is_still_announced_as_a_figure() -> None:
    undescribed = "A figure drawn by the lesson&#x27;s code; its author gave it no description."
    assert f'alt="{undescribed}"' in render.render_notebook(_lesson([_code_cell([_image_output()])]))
    assert f'alt="{undescribed}"' in render.render_notebook(_lesson([_code_cell([_image_output()], sabaq={"alt": 3})]))


def test_an_undescribed_plot_is_described_by_its_title_and_axes() -> None:
    figure = _image_output()
    figure["data"]["text/plain"] = "<Figure size 640x480 with 1 Axes>"
    cell = _code_cell([figure])
    cell["source"] = "fig, ax = plt.subplots()\nax.plot(days, cases)\nax.set_title('Cases by day')\n" \
                     "ax.set(xlabel='day', ylabel='cases')"
    page = render.render_notebook(_lesson([cell]))
    assert 'alt="Figure: Cases by day, cases against day."' in page
    cell["source"] = "plt.plot(days, cases)\nplt.xlabel('day')\nplt.ylabel('cases')"
    urdu = render.render_notebook({**_lesson([cell]), "metadata": {"lang": "ur"}})
    assert 'alt="تصویر: day کے مقابلے میں cases۔"' in urdu


def test_a_describing_text_plain_is_the_alt_text() -> None:
    figure = _image_output()
    figure["data"]["text/plain"] = "Cases by district, a bar chart."
    assert 'alt="Cases by district, a bar chart."' in render.render_notebook(_lesson([_code_cell([figure])]))


def _drawing_cells(path: Path) -> list[Any]:
    cells = nbformat.read(str(path), as_version=4).cells
    code = [cell for cell in cells if cell.cell_type == "code"]
    return [cell for cell in code if DRAWS.search(cell.source) and not QUIZ.search(cell.source)]


def test_every_figure_of_a_lesson_has_a_text_alternative(lesson: Any) -> None:
    for cell in _drawing_cells(lesson.path):
        alt = cell.metadata.get("sabaq", {}).get("alt", "")
        assert isinstance(alt, str) and len(alt.split()) >= 12, f"{lesson.relpath} cell {cell.id}: no text alternative"
        assert render.figure_alt(cell) == alt.strip()
