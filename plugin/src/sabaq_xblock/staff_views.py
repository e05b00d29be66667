"""Markup of the staff panels under a unit: grading written answers, and the cohort dashboard.

Only translated, escaped interface text is written here; ``staff_grading.js`` fills the panels
from the staff handlers, setting learners' text as text and the server's sanitized HTML
(answers, model answers, the chart) through a second allowlist of its own.
"""

from __future__ import annotations

import html

from . import i18n


def staff_panels(language: str) -> str:
    """The two staff panels, closed until opened (each loads its data when opened)."""
    t = i18n.translator(language)
    s = i18n.STAFF_STRINGS
    esc = html.escape
    return (
        '<details class="sabaq-grading">'
        f'<summary>{esc(t(s["grading_title"]))}</summary>'
        f'<p class="sabaq-grading-keys">{esc(t(s["grading_keys"]))}</p>'
        '<p class="sabaq-grading-summary" role="status" aria-live="polite"></p>'
        '<nav class="sabaq-grading-nav">'
        f'<button type="button" class="sabaq-grading-previous">{esc(t(s["grading_previous"]))}</button>'
        f'<button type="button" class="sabaq-grading-next">{esc(t(s["grading_next"]))}</button></nav>'
        '<section class="sabaq-grading-sheet" tabindex="-1"></section>'
        '<p class="sabaq-grading-result" role="status" aria-live="polite"></p>'
        '</details>'
        '<details class="sabaq-dashboard">'
        f'<summary>{esc(t(s["dashboard_title"]))}</summary>'
        '<dl class="sabaq-dashboard-figures"></dl><figure class="sabaq-dashboard-chart"></figure>'
        f'<h3>{esc(t(s["dashboard_tests"]))}</h3>'
        '<table class="sabaq-dashboard-tests"><thead><tr>'
        f'<th scope="col">{esc(t(s["dashboard_test"]))}</th>'
        f'<th scope="col">{esc(t(s["dashboard_pass_rate"]))}</th><th scope="col"></th>'
        '</tr></thead><tbody></tbody></table>'
        f'<h3>{esc(t(s["dashboard_errors"]))}</h3><ol class="sabaq-dashboard-errors"></ol>'
        f'<h3>{esc(t(s["dashboard_stuck"]))}</h3><ul class="sabaq-dashboard-stuck"></ul>'
        '<ul class="sabaq-dashboard-selected" hidden></ul>'
        f'<button type="button" class="sabaq-dashboard-regrade" disabled>'
        f'{esc(t(s["dashboard_regrade_selected"]))}</button>'
        '<p class="sabaq-dashboard-result" role="status" aria-live="polite"></p>'
        f'<p><a class="sabaq-grades-export" href="#" download="grades.csv">{esc(t(s["export_csv"]))}</a></p>'
        f'<p><label class="sabaq-grades-import-label">{esc(t(s["import_csv"]))}'
        '<input type="file" class="sabaq-grades-import" accept=".csv,text/csv"></label></p>'
        '<ul class="sabaq-grades-problems" role="alert"></ul>'
        '</details>'
    )
