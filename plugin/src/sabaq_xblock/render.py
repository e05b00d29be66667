"""Rendering a student notebook into a sanitized HTML lesson.

The structure (cell wrappers, answer editors, widget placeholders) is ours and
escaped; everything that comes from the notebook and may hold markup (Markdown,
HTML outputs) goes through nh3 with a small allow-list, so no notebook content
can run script in the page. Maths is left as escaped TeX in ``.sabaq-math``
elements for the vendored KaTeX to typeset in the browser. A cell that shows a
quiz widget shows the widget only: its source states the answer key.

The lesson carries the notebook's own language and direction (``lang``/``dir``), never
the browser's; code, maths and outputs are isolated left-to-right inside it, so a
right-to-left lesson neither reverses ``7 / 2`` nor mirrors brackets.

Rendered lessons are cached by the content hash of the notebook: an in-process
LRU and, when Django is configured, its default cache as a second level.
"""

from __future__ import annotations

import base64
import html
import re
import secrets
import threading
from collections import OrderedDict
from typing import Any

from sabaq_contract.widgets.keys import KINDS, VIEW_MIME, WIDGET_STATE_MIME

from . import notebook as nbmod
from .figures import figure_alt, figure_fallback, image_alt
from .lesson_language import lesson_language

RENDERER_VERSION = "5"

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div",
    "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
    "u", "ul",
}
_ATTRIBUTES = {
    "*": {"title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "ol": {"start"},
}
_IMAGE_MIME = ("image/png", "image/jpeg", "image/gif", "image/svg+xml", "image/webp")
_MATH = re.compile(
    r"(?<!\\)\$\$(.+?)(?<!\\)\$\$|\\\[(.+?)\\\]|\\\((.+?)\\\)|(?<![\\$])\$(?!\s)([^$\n]+?)(?<![\s\\])\$",
    re.S,
)
_CODE_SPANS = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_PLACEHOLDER = "sabaqmath{}Q{}Q"
_LEFT_TO_RIGHT = {tag: {"dir": "ltr"} for tag in ("code", "kbd", "pre", "samp")}
_IMAGE_WITHOUT_ALT = re.compile(r"<img(?![^>]*\salt=)")  # nh3 writes every attribute as name="value"


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute in ("href", "src") and value.strip().lower().startswith("data:"):
        if tag == "img" and value.lower().startswith(tuple(f"data:{m};" for m in _IMAGE_MIME)):
            return value
        return None
    return value


def sanitize(fragment: str) -> str:
    """Strip everything from ``fragment`` that could run script or escape its container.

    Code keeps left-to-right inside right-to-left prose; an image that has no ``alt`` gets an
    empty one (its author described nothing), so no screen reader reads out its address.
    """
    import nh3

    clean = nh3.clean(
        fragment,
        tags=_TAGS,
        clean_content_tags={"script", "style", "template", "iframe", "object", "noscript"},
        attributes=_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes={"http", "https", "mailto", "data"},
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values=_LEFT_TO_RIGHT,
    )
    return _IMAGE_WITHOUT_ALT.sub('<img alt=""', clean)


def _math_span(tex: str, display: bool) -> str:
    kind = "display" if display else "inline"
    return f'<span class="sabaq-math sabaq-math-{kind}" dir="ltr">{html.escape(tex)}</span>'


def _protect_math(text: str) -> tuple[str, list[str], re.Pattern[str]]:
    """Swap maths for placeholders so Markdown cannot mangle ``_`` and ``*`` in TeX. The
    placeholders carry a fresh random token, so text that imitates one (a learner's answer)
    is left as it is; the pattern finds this call's placeholders again."""
    spans: list[str] = []
    token = secrets.token_hex(8)

    def swap(match: re.Match[str]) -> str:
        display_tex = match.group(1) or match.group(2)
        tex = display_tex if display_tex is not None else (match.group(3) or match.group(4))
        spans.append(_math_span(tex.strip(), display_tex is not None))
        return _PLACEHOLDER.format(token, len(spans) - 1)

    pieces = _CODE_SPANS.split(text)
    out = [p if i % 2 else _MATH.sub(swap, p) for i, p in enumerate(pieces)]
    return "".join(out), spans, re.compile(_PLACEHOLDER.format(token, r"(\d+)"))


def markdown_to_html(text: str, attachments: dict[str, Any] | None = None) -> str:
    """Markdown with maths and cell attachments to sanitized HTML."""
    import markdown

    protected, spans, placeholders = _protect_math(text)
    for name, bundle in (attachments or {}).items():
        if isinstance(bundle, dict):
            for mime in _IMAGE_MIME:
                if isinstance(bundle.get(mime), str):
                    uri = f"data:{mime};base64,{_b64(bundle[mime], mime)}"
                    protected = protected.replace(f"attachment:{name}", uri)
                    break
    body = markdown.markdown(protected, extensions=["fenced_code", "tables", "sane_lists"])
    clean = sanitize(body)
    return placeholders.sub(lambda m: spans[int(m.group(1))], clean)


def _b64(data: Any, mime: str) -> str:
    text = "".join(data) if isinstance(data, list) else str(data)
    if mime == "image/svg+xml":
        return base64.b64encode(text.encode("utf-8")).decode("ascii")
    return "".join(text.split())


def highlight(code: str, language: str = "python") -> str:
    """Syntax-highlighted ``code`` as a ``<pre>`` with pygments' CSS classes."""
    from pygments import highlight as pyg_highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        lexer = get_lexer_by_name("text")
    formatter = HtmlFormatter(cssclass="sabaq-highlight", wrapcode=True)
    return str(pyg_highlight(code, lexer, formatter))


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def render_output(output: dict[str, Any], alt: str = "", fallback: str = "") -> str:
    """One code-cell output as sanitized HTML (script-bearing MIME types are dropped).

    An image's text alternative is ``figures.image_alt``: the output's own, ``alt`` (the
    cell's, see ``figure_alt``), a describing ``text/plain``, else ``fallback``
    (``figure_fallback``).
    """
    kind = output.get("output_type")
    if kind == "stream":
        stream = "stderr" if output.get("name") == "stderr" else "stdout"
        text = html.escape(_ANSI.sub("", _text(output.get("text", ""))))
        return f'<pre class="sabaq-output sabaq-{stream}" dir="ltr">{text}</pre>'
    if kind == "error":
        trace = "\n".join(_text(t) for t in output.get("traceback", []))
        text = html.escape(_ANSI.sub("", trace or f"{output.get('ename')}: {output.get('evalue')}"))
        return f'<pre class="sabaq-output sabaq-error" dir="ltr">{text}</pre>'
    data = output.get("data")
    if not isinstance(data, dict):
        return ""
    widget = data.get(VIEW_MIME)
    if isinstance(widget, dict) and isinstance(widget.get("model_id"), str):
        model_id = html.escape(widget["model_id"])
        return f'<div class="sabaq-widget-view" data-model-id="{model_id}"></div>'
    for mime in _IMAGE_MIME:
        if mime in data:
            uri = f"data:{mime};base64,{_b64(data[mime], mime)}"
            text = html.escape(image_alt(output, mime, alt, fallback))
            return f'<div class="sabaq-output sabaq-figure"><img src="{html.escape(uri)}" alt="{text}"></div>'
    if "text/html" in data:
        return f'<div class="sabaq-output sabaq-html" dir="ltr">{sanitize(_text(data["text/html"]))}</div>'
    if "text/markdown" in data:
        return f'<div class="sabaq-output" dir="auto">{markdown_to_html(_text(data["text/markdown"]))}</div>'
    if "text/latex" in data:
        tex = _text(data["text/latex"]).strip().strip("$")
        return f'<div class="sabaq-output" dir="ltr">{_math_span(tex, True)}</div>'
    if "text/plain" in data:
        return f'<pre class="sabaq-output" dir="ltr">{html.escape(_text(data["text/plain"]))}</pre>'
    return ""


def _answer_editor(cell: dict[str, Any], grade_id: str, index: int) -> str:
    mode = "python" if cell.get("cell_type") == "code" else "markdown"
    starter = html.escape(nbmod.strip_protected(nbmod.source(cell)))
    gid = html.escape(grade_id)
    return (
        f'<div class="sabaq-answer" data-grade-id="{gid}" data-mode="{mode}">'
        f'<label class="sabaq-answer-label" for="sabaq-answer-{index}-{gid}"'
        f' data-i18n="answer_label">{gid}</label>'
        f'<textarea class="sabaq-answer-source" id="sabaq-answer-{index}-{gid}" rows="8"'
        f' spellcheck="false">{starter}</textarea></div>'
    )


def _keyless_widgets(nb: nbmod.Notebook) -> set[str]:
    """Model ids of the lesson's widgets that carry no answer key (not quizzes)."""
    widgets = (nb.get("metadata") or {}).get("widgets") or {}
    models = (widgets.get(WIDGET_STATE_MIME) or {}).get("state") or {}
    return {
        model_id
        for model_id, model in models.items()
        if isinstance(model, dict)
        and isinstance(model.get("state"), dict)
        and isinstance(model["state"].get("kind"), str | None)
        and model["state"].get("kind") not in KINDS
    }


def _shows_quiz(cell: nbmod.Cell, keyless: set[str]) -> bool:
    """Whether ``cell`` displays a widget that may be a quiz (any not known to be keyless)."""
    for output in cell.get("outputs") or []:
        data = output.get("data") if isinstance(output, dict) else None
        view = data.get(VIEW_MIME) if isinstance(data, dict) else None
        if isinstance(view, dict) and (not isinstance(view.get("model_id"), str) or view["model_id"] not in keyless):
            return True  # a view of a model not known to be keyless, or of no model it names
    return False


def without_quiz_sources(nb: nbmod.Notebook) -> nbmod.Notebook:
    """A copy of ``nb`` in which cells that display a quiz keep their output but not their source.

    The code that builds a quiz states its answer key; notebooks stored before the student
    version dropped it (``page_notebook``) still carry it, so downloads pass through here too.
    """
    import copy

    keyless = _keyless_widgets(nb)
    cleaned = copy.deepcopy(nb)
    for cell in cleaned.get("cells", []):
        if cell.get("cell_type") == "code" and _shows_quiz(cell, keyless):
            cell["source"] = ""
    return cleaned


def render_notebook(nb: nbmod.Notebook) -> str:
    """The whole lesson as one sanitized HTML fragment in the notebook's language (``lesson_language``).

    It holds no interface strings; only the text alternatives of undescribed figures are
    written, in the lesson's own language.
    """
    language = str(
        (nb.get("metadata", {}).get("kernelspec") or {}).get("language") or "python"
    )
    content = lesson_language(nb)
    keyless = _keyless_widgets(nb)
    parts = [f'<div class="sabaq-lesson" lang="{html.escape(content.tag)}" dir="{content.direction}">']
    for index, cell in enumerate(nb.get("cells", [])):
        meta = nbmod.nbgrader(cell)
        grade_id = meta.get("grade_id") if isinstance(meta.get("grade_id"), str) else ""
        kind = cell.get("cell_type")
        classes = f"sabaq-cell sabaq-cell-{kind}"
        if meta.get("grade") and not meta.get("solution"):
            classes += " sabaq-cell-test"
        parts.append(f'<div class="{classes}" data-cell="{index}">')
        if meta.get("solution") and grade_id:
            parts.append(_answer_editor(cell, grade_id, index))
        elif kind == "markdown":
            parts.append(markdown_to_html(nbmod.source(cell), cell.get("attachments")))
        elif kind == "code":
            code = nbmod.strip_protected(nbmod.source(cell))
            jupyter = (cell.get("metadata") or {}).get("jupyter") or {}
            hidden = isinstance(jupyter, dict) and jupyter.get("source_hidden")
            if code.strip() and not hidden and not _shows_quiz(cell, keyless):
                parts.append(f'<div class="sabaq-input" dir="ltr">{highlight(code, language)}</div>')
            alt = figure_alt(cell)
            images = any(isinstance(o, dict) and isinstance(o.get("data"), dict) and set(o["data"]) & set(_IMAGE_MIME)
                         for o in cell.get("outputs", []))
            fallback = figure_fallback(cell, content.tag) if images else ""
            outputs = [render_output(o, alt, fallback) for o in cell.get("outputs", []) if isinstance(o, dict)]
            if any(outputs):
                parts.append('<div class="sabaq-outputs">' + "".join(outputs) + "</div>")
        else:
            parts.append(f'<pre class="sabaq-raw" dir="ltr">{html.escape(nbmod.source(cell))}</pre>')
        parts.append("</div>")
    parts.append("</div>")
    return "".join(parts)


class RenderCache:
    """Rendered lessons keyed by content hash: an LRU plus an optional Django cache."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._items: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
                return value
        shared = _django_cache()
        value = shared.get(f"sabaq:render:{key}") if shared is not None else None
        if isinstance(value, str):
            self._remember(key, value)
            return value
        return None

    def put(self, key: str, value: str) -> None:
        self._remember(key, value)
        shared = _django_cache()
        if shared is not None:
            shared.set(f"sabaq:render:{key}", value, 24 * 3600)

    def _remember(self, key: str, value: str) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def _django_cache() -> Any:
    try:
        from django.conf import settings

        if not settings.configured:
            return None
        from django.core.cache import caches

        return caches["default"]
    except Exception:  # no Django, or a cache that cannot be reached: the LRU still works
        return None


CACHE = RenderCache()


def render_cached(notebook_json: str, digest: str | None = None) -> str:
    """The rendered lesson of ``notebook_json``, from the cache when it was rendered before."""
    key = f"{RENDERER_VERSION}:{digest or nbmod.content_hash(notebook_json)}"
    hit = CACHE.get(key)
    if hit is not None:
        return hit
    rendered = render_notebook(nbmod.load(notebook_json))
    CACHE.put(key, rendered)
    return rendered
