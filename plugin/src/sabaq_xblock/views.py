"""HTML around the rendered lesson: toolbar, status area, Studio form.

Only escaped values and the sanitized lesson go into the page. Everything the
script needs (handler URLs, translated strings, drafts, saved widget state)
travels as JSON in the fragment's init arguments, never as markup.
"""

from __future__ import annotations

import html
from typing import Any

from . import i18n

ROOT_CLASS = "sabaq-notebook"


def student_html(
    lesson: str, language: str, title: str, has_answers: bool, staff: bool = False, attribution: str = "",
    content: tuple[str, str] | None = None,
) -> str:
    """The student view's markup around the sanitized ``lesson``.

    The root and the controls are in the interface ``language``; the title, like the lesson
    (which carries its own), is in the notebook's ``content`` language: (tag, direction).
    """
    t = i18n.translator(language)
    ui = i18n.UI_STRINGS
    direction = i18n.direction(language)
    esc = html.escape
    toolbar = ""
    if has_answers:
        toolbar = (
            f'<div class="sabaq-toolbar" role="toolbar" aria-label="{esc(t(ui["submit"]))}">'
            f'<button type="button" class="sabaq-practice-run" title="{esc(t(ui["practice_run_help"]))}">'
            f'{esc(t(ui["practice_run"]))}</button>'
            f'<button type="button" class="sabaq-submit">{esc(t(ui["submit"]))}</button>'
            f'<label class="sabaq-upload-label">{esc(t(ui["upload"]))}'
            '<input type="file" class="sabaq-upload" accept=".ipynb,application/json"></label>'
            f'<a class="sabaq-download" href="#" download="notebook.ipynb">'
            f'{esc(t(ui["download"]))}</a></div>'
            '<div class="sabaq-status" role="status" aria-live="polite"></div>'
            '<section class="sabaq-practice" role="status" aria-live="polite" '
            f'aria-label="{esc(t(ui["practice_title"]))}"></section>'
            f'<section class="sabaq-feedback" aria-label="{esc(t(ui["feedback"]))}" hidden>'
            "</section>"
        )
    if staff and has_answers:
        toolbar += (
            '<details class="sabaq-staff">'
            f'<summary>{esc(t(ui["staff_report"]))}</summary>'
            f'<section class="sabaq-queue" aria-label="{esc(t(ui["queue_title"]))}">'
            f'<h3>{esc(t(ui["queue_title"]))}</h3><dl class="sabaq-queue-figures"></dl></section>'
            '<table class="sabaq-staff-table"><thead><tr>'
            f'<th scope="col">{esc(t(ui["learner"]))}</th>'
            f'<th scope="col">{esc(t(ui["state"]))}</th>'
            f'<th scope="col">{esc(t(ui["feedback"]))}</th>'
            f'<th scope="col">{esc(t(ui["submitted"]))}</th><th></th>'
            "</tr></thead><tbody></tbody></table></details>"
        )
        from .staff_views import staff_panels

        toolbar += staff_panels(language)
    heading = f' lang="{esc(content[0])}" dir="{esc(content[1])}"' if content else ""
    return (
        f'<div class="{ROOT_CLASS}" dir="{direction}" lang="{esc(language)}">'
        f'<h2 class="sabaq-title"{heading}>{esc(title)}</h2>'
        f"{lesson}{toolbar}{attribution}</div>"
    )


def upgrade_html(language: str) -> str:
    """Studio's section for a unit made from a module bundle: offer a newer version, then accept or decline."""
    t = i18n.translator(language)
    esc = html.escape
    text = i18n.STUDIO_STRINGS
    return (
        '<section class="sabaq-upgrade">'
        f'<label for="sabaq-upgrade-bundle">{esc(t(text["upgrade"]))}</label>'
        '<input id="sabaq-upgrade-bundle" type="file" accept=".sabaq">'
        f'<button type="button" class="sabaq-upgrade-check">{esc(t(text["check_upgrade"]))}</button>'
        '<ul class="sabaq-upgrade-available"></ul>'
        '<div class="sabaq-upgrade-offer" hidden><p class="sabaq-upgrade-title"></p>'
        '<ul class="sabaq-upgrade-changes"></ul>'
        f'<button type="button" class="sabaq-upgrade-accept">{esc(t(text["accept"]))}</button>'
        f'<button type="button" class="sabaq-upgrade-decline">{esc(t(text["decline"]))}</button></div>'
        '<p class="sabaq-upgrade-result" role="status" aria-live="polite"></p></section>'
    )


def studio_html(fields: dict[str, Any], language: str, choices: dict[str, list[str]],
                attribution: str = "", upgrade: str = "") -> str:
    """The Studio editor: settings and a notebook upload, submitted by studio.js."""
    t = i18n.translator(language)
    esc = html.escape
    rows = []
    for name, (label, value, kind) in fields.items():
        field_id = f"sabaq-studio-{name}"
        if name in choices:
            options = "".join(
                f'<option value="{esc(v)}"{" selected" if v == value else ""}>{esc(v)}</option>'
                for v in choices[name]
            )
            control = f'<select id="{field_id}" name="{name}">{options}</select>'
        elif kind == "checkbox":
            control = f'<input id="{field_id}" name="{name}" type="checkbox"{" checked" if value else ""}>'
        else:
            control = (
                f'<input id="{field_id}" name="{name}" type="{kind}" value="{esc(str(value))}"'
                f'{" step=any" if kind == "number" else ""}>'
            )
        rows.append(f'<li><label for="{field_id}">{esc(t(label))}</label>{control}</li>')
    return (
        f'<div class="{ROOT_CLASS} sabaq-studio" dir="{i18n.direction(language)}" lang="{esc(language)}">'
        f'{attribution}'
        f'<ul class="sabaq-studio-fields">{"".join(rows)}'
        f'<li><label for="sabaq-studio-notebook">{esc(t(i18n.STUDIO_STRINGS["notebook"]))}</label>'
        '<input id="sabaq-studio-notebook" type="file" accept=".ipynb"></li></ul>'
        f'{upgrade}<ul class="sabaq-studio-problems" role="alert"></ul>'
        f'<button type="button" class="sabaq-studio-save">{esc(t(i18n.STUDIO_STRINGS["save"]))}</button>'
        f'<button type="button" class="sabaq-studio-cancel">{esc(t(i18n.STUDIO_STRINGS["cancel"]))}</button></div>'
    )
