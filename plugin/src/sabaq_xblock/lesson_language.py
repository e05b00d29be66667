"""The natural language of a lesson, and so its direction, from the notebook itself.

The page's interface follows the browser (or the LMS); the lesson's content follows the
notebook, so an Urdu lesson reads right-to-left in an English browser and an English
lesson left-to-right in an Urdu one. A notebook states its language in ``metadata.lang``
(or ``metadata.language``: a language tag, not the kernel's programming language); one that
states none is judged by the script of its prose.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from . import i18n
from . import notebook as nbmod

_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_NOT_PROSE = re.compile(r"```.*?```|`[^`\n]*`|\$\$.+?\$\$|\$[^$\n]+\$|<[^>]*>|https?://\S+", re.S)
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_HEBREW = re.compile("[\u0590-\u05ff\ufb1d-\ufb4f]")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f]")
_URDU_ONLY = re.compile("[\u0679\u0688\u0691\u06ba\u06d2]")  # ٹ ڈ ڑ ں ے: letters of Urdu, not of Persian or Arabic
_PERSIAN_ONLY = re.compile("[\u067e\u0686\u0698\u06af]")  # پ چ ژ گ: not Arabic
_RTL_SCRIPTS = {"arab", "hebr", "syrc", "thaa", "nkoo", "adlm", "rohg"}


class LessonLanguage(NamedTuple):
    """A BCP 47 ``tag`` and its ``direction`` (``ltr`` or ``rtl``)."""

    tag: str
    direction: str


def direction(tag: str) -> str:
    """``rtl`` or ``ltr`` for a language tag; a script subtag (``ur-Latn``, ``pa-Arab``) decides."""
    subtags = [part.lower() for part in tag.split("-")[1:]]
    scripts = [part for part in subtags if len(part) == 4 and part.isalpha()]
    if scripts:
        return "rtl" if scripts[0] in _RTL_SCRIPTS else "ltr"
    return i18n.direction(tag.lower())


def declared_language(nb: nbmod.Notebook) -> str | None:
    """The tag in ``metadata.lang``, else in ``metadata.language`` unless that is the kernel's language."""
    meta = nb.get("metadata") or {}
    kernel = {str((meta.get("kernelspec") or {}).get("language", "")).lower(),
              str((meta.get("language_info") or {}).get("name", "")).lower()}
    for key in ("lang", "language"):
        value = meta.get(key)
        if isinstance(value, str) and _TAG.match(value.strip()) and value.strip().lower() not in kernel:
            return value.strip()
    return None


def lesson_language(nb: nbmod.Notebook) -> LessonLanguage:
    """The declared language, else the one the prose is written in.

    Arabic script is Urdu when it uses Urdu's own letters, else Persian or Arabic; Hebrew
    script is Hebrew; anything else is taken as English.
    """
    declared = declared_language(nb)
    if declared:
        return LessonLanguage(declared, direction(declared))
    prose = _NOT_PROSE.sub(" ", "\n".join(
        nbmod.source(cell) for cell in nb.get("cells", []) if cell.get("cell_type") == "markdown"))
    latin = len(_LATIN.findall(prose))
    if len(_ARABIC.findall(prose)) > latin:
        tag = "ur" if _URDU_ONLY.search(prose) else "fa" if _PERSIAN_ONLY.search(prose) else "ar"
        return LessonLanguage(tag, "rtl")
    if len(_HEBREW.findall(prose)) > latin:
        return LessonLanguage("he", "rtl")
    return LessonLanguage("en", "ltr")


_REMEMBERED: dict[str, LessonLanguage] = {}


def lesson_language_cached(notebook_json: str, digest: str) -> LessonLanguage:
    """``lesson_language`` of ``notebook_json``, remembered by its content hash ``digest``."""
    found = _REMEMBERED.get(digest)
    if found is None:
        found = lesson_language(nbmod.load(notebook_json))
        if len(_REMEMBERED) > 256:
            _REMEMBERED.clear()
        _REMEMBERED[digest] = found
    return found
