"""The tool's own page strings in English and Urdu, through gettext.

Catalogs live in ``translations/<lang>/LC_MESSAGES/text.{po,mo}``, refreshed with
``python plugin/scripts/translations.py lti/src/sabaq_lti``. The unit itself is the block's, in
the block's own catalogs; these are the tool's frame around it, the content picker and the
refusal pages (whose details, for administrators, stay in English).
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

DOMAIN = "text"
LOCALE_DIR = Path(__file__).parent / "translations"
LANGUAGES = ("en", "ur")


def _(message: str) -> str:
    """Mark ``message`` for extraction; translated later with :func:`translator`."""
    return message


STRINGS = {
    "learner": _("Learner"),
    "instructor": _("Instructor"),
    "add_unit": _("Add a Sabaq unit"),
    "choose": _("Choose a notebook"),
    "none_installed": _("No module bundles are installed in this tool yet: an administrator installs them "
                        "with sabaq-lti install."),
    "graded_points": _("graded, {points} points"),
    "lesson": _("lesson"),
    "cancel": _("Cancel"),
    "adding": _("Adding {title} to the course…"),
    "returning": _("Returning to the LMS…"),
    "continue": _("Continue"),
    "details": _("Details for your LMS administrator:"),
}

ERROR_TITLES = {  # by the error's class (errors.py): what happened, and what to do
    "LaunchInvalid": (_("This launch could not be checked"),
                      _("Open the unit again from your course in the LMS. If this keeps happening, tell your LMS "
                        "administrator.")),
    "NotRegistered": (_("This LMS is not set up for Sabaq yet"),
                      _("Your LMS administrator registers it with the tool first.")),
    "Forbidden": (_("You cannot do this here"), _("Only course staff can do this.")),
    "SessionGone": (_("This page has expired"), _("Open the unit again from your course in the LMS.")),
    "UnitMissing": (_("This unit is not available"),
                    _("Ask your instructor to add it again with the tool's content picker.")),
    "PlatformError": (_("The LMS could not be reached"), _("Try again in a minute.")),
}


@lru_cache(maxsize=8)
def _catalog(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def translator(language: str) -> Callable[[str], str]:
    return _catalog(language).gettext


def language_of(locale: str) -> str:
    """The tool's language for a launch's or browser's ``locale`` (``ur-PK`` → ``ur``), else English."""
    code = (locale or "en").replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else "en"


def strings(language: str) -> dict[str, str]:
    t = translator(language)
    return {key: t(text) for key, text in STRINGS.items()}


def error_text(kind: str, language: str) -> tuple[str, str]:
    t = translator(language)
    title, hint = ERROR_TITLES.get(kind, ERROR_TITLES["LaunchInvalid"])
    return t(title), t(hint)
