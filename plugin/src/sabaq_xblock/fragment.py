"""Fragments for the student, author and Studio views.

Init arguments travel base64-encoded: runtimes write them into a ``<script>``
element as plain JSON (the workbench and the LMS do not escape ``</script>``),
and they carry learner text (drafts). Base64 has no character that markup or a
script parser gives meaning to.
"""

from __future__ import annotations

import base64
import html
import json
from typing import Any

from web_fragments.fragment import Fragment

from sabaq_contract import polling
from sabaq_contract.widgets.assets import widget_module

from . import i18n, provenance, render, views, widgets
from . import notebook as nbmod
from .errors import NotebookInvalid
from .lesson_language import lesson_language_cached

STATIC = "static"
_ANSWER_IDS: dict[str, list[str]] = {}


def _url(block: Any, path: str) -> str:
    return str(block.runtime.local_resource_url(block, f"{STATIC}/{path}"))


def _notice(frag: Fragment, text: str) -> Fragment:
    frag.add_content(f'<div class="{views.ROOT_CLASS}"><p>{html.escape(text)}</p></div>')
    return frag


def student_fragment(block: Any) -> Fragment:
    """The lesson, its answer editors and widgets, and the submission controls."""
    language = i18n.active_language()
    frag = Fragment()
    if not block.student_notebook:
        return _notice(frag, i18n.translator(language)(i18n.ERROR_MESSAGES["no_notebook"]))
    digest = nbmod.content_hash(block.student_notebook)
    try:
        lesson = render.render_cached(block.student_notebook, digest)
    except NotebookInvalid as error:  # imported with the course (OLX), never checked by Studio
        return _notice(frag, i18n.error_message(error.code, language, **error.params))
    answers = _ANSWER_IDS.get(digest)
    if answers is None:
        answers = [c.grade_id for c in nbmod.answer_cells(nbmod.load(block.student_notebook))]
        if len(_ANSWER_IDS) > 256:
            _ANSWER_IDS.clear()
        _ANSWER_IDS[digest] = answers
    staff = block._is_staff()
    content = lesson_language_cached(block.student_notebook, digest)  # the lesson's, not the browser's
    frag.add_content(
        views.student_html(lesson, language, block.display_name, bool(answers), staff,
                           provenance.attribution_html(block, language), content)
    )
    frag.add_css_url(_url(block, "vendor/katex/katex.min.css"))
    frag.add_css_url(_url(block, "css/notebook.css"))
    frag.add_javascript_url(_url(block, "vendor/katex/katex.min.js"))
    frag.add_javascript_url(_url(block, "vendor/codemirror/sabaq-editor.js"))
    frag.add_javascript_url(_url(block, "js/widget_host.js"))
    if staff:
        frag.add_javascript_url(_url(block, "js/staff_grading.js"))  # started by notebook.js too
    frag.add_javascript_url(_url(block, "js/practice.js"))  # before notebook.js, which starts it
    frag.add_javascript_url(_url(block, "js/notebook.js"))
    models, _keys = widgets.lesson_widgets(block.notebook or block.student_notebook)
    kinds = widgets.hosted_kinds()
    frag.initialize_js(
        "SabaqNotebookBlock",
        init_args({
            "strings": i18n.ui_strings(language),
            "drafts": {k: v for k, v in dict(block.drafts).items() if k in answers},
            "has_answers": bool(answers),
            "has_widgets": bool(models),
            "widget_kinds": {k: list(v) for k, v in kinds.items()},
            "language": language,
            "staff": staff,
            "poll": polling.schedule(),
        }),
    )
    return frag


def studio_fragment(block: Any) -> Fragment:
    """Settings form and notebook upload; studio.js posts them to ``studio_submit``."""
    from .studio import FORM_FIELDS

    language = i18n.active_language()
    fields = {
        name: (block.fields[name].display_name, getattr(block, name), kind)
        for name, kind in FORM_FIELDS
    }
    frag = Fragment(
        views.studio_html(fields, language, {"feedback_policy": ["full", "tests", "score"]},
                          provenance.attribution_html(block, language, staff_details=True),
                          views.upgrade_html(language) if block.module_id else "")
    )
    frag.add_css_url(_url(block, "css/notebook.css"))
    frag.add_javascript_url(_url(block, "js/studio.js"))
    t = i18n.translator(language)
    upgrade_keys = ("offered", "accepted", "declined", "no_changes", "available", "check_available")
    strings = {"saved": t(i18n.UI_STRINGS["saved"]), **{key: t(i18n.STUDIO_STRINGS[key]) for key in upgrade_keys}}
    frag.initialize_js("SabaqNotebookStudio", {"strings": strings})  # no learner text: plain JSON is safe here
    return frag


def widget_asset(kind: str, ext: str) -> tuple[bytes, str] | None:
    """The ES module or stylesheet of a hosted widget kind, with its content type."""
    if kind not in widgets.hosted_kinds() or ext not in ("js", "css"):
        return None
    js, css = widget_module(kind)
    if ext == "js":
        return js.encode("utf-8"), "text/javascript"
    return css.encode("utf-8"), "text/css"


def init_args(values: dict[str, Any]) -> dict[str, str]:
    """``values`` as ``{"encoded": base64 of ASCII JSON}``, for ``notebook.js`` to decode."""
    text = json.dumps(values, ensure_ascii=True)
    return {"encoded": base64.b64encode(text.encode("ascii")).decode("ascii")}
