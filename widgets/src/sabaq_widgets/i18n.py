"""Default user-interface labels of the widgets, in English and Urdu.

The front end never hard-codes a user-facing string: each widget carries these tables in
its ``labels`` trait, and the page picks one by the widget's ``language`` trait or the
page's ``lang`` attribute. Authors override single labels per widget. Pure data: no
Jupyter imports, so hosts (the XBlock) can read it too.
"""

from __future__ import annotations

from collections.abc import Mapping

from .errors import InvalidQuestionError

DEFAULT_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "check": "Check",
        "correct": "Correct",
        "partly_correct": "Partly correct",
        "incorrect": "Try again",
        "not_correct": "Not correct",
        "attempts": "Attempts: {n}",
        "attempts_of": "Attempts: {n} of {max}",
        "no_attempts_left": "You have used all your attempts.",
        "hint": "Hint",
        "invalid_answer": "This answer could not be checked.",
        "submitted": "Answer saved. Your course will check it.",
        "choose_one": "Choose one answer.",
        "choose_many": "Choose every answer that applies.",
        "nothing_chosen": "Choose an answer first.",
        "invalid_number": "Enter a number, for example 2.5.",
        "empty_text": "Write an answer first.",
        "your_answer": "Your answer",
        "explanation": "Explanation",
        "parameters": "Parameters",
        "plot_summary": "{title}: {y} against {x}. Series: {series}.",
        "no_data": "No data for these settings.",
        "plot_settings": "Shown for {settings}.",
        "series_summary": "{name} goes from {first} to {last}, highest {max} at {x} {at}.",
    },
    "ur": {
        "check": "جانچیں",
        "correct": "درست",
        "partly_correct": "جزوی طور پر درست",
        "incorrect": "دوبارہ کوشش کریں",
        "not_correct": "درست نہیں",
        "attempts": "کوششیں: {n}",
        "attempts_of": "کوششیں: {max} میں سے {n}",
        "no_attempts_left": "آپ اپنی تمام کوششیں استعمال کر چکے ہیں۔",
        "hint": "اشارہ",
        "invalid_answer": "یہ جواب جانچا نہیں جا سکا۔",
        "submitted": "جواب محفوظ ہو گیا۔ آپ کا کورس اسے جانچے گا۔",
        "choose_one": "ایک جواب چنیں۔",
        "choose_many": "ہر درست جواب چنیں۔",
        "nothing_chosen": "پہلے کوئی جواب چنیں۔",
        "invalid_number": "کوئی عدد لکھیں، مثلاً 2.5۔",
        "empty_text": "پہلے جواب لکھیں۔",
        "your_answer": "آپ کا جواب",
        "explanation": "وضاحت",
        "parameters": "پیرامیٹر",
        "plot_summary": "{title}: {x} کے مقابلے میں {y}۔ سلسلے: {series}۔",
        "no_data": "ان ترتیبات کے لیے کوئی ڈیٹا نہیں۔",
        "plot_settings": "{settings} کے لیے دکھایا گیا ہے۔",
        "series_summary": "{name} {first} سے {last} تک جاتا ہے، سب سے زیادہ {max}، جب {x} {at} ہو۔",
    },
}

RTL_LANGUAGES = frozenset({"ur", "ar", "fa", "he", "ps", "sd", "ug", "yi"})


def label_tables(overrides: Mapping[str, str] | None = None) -> dict[str, dict[str, str]]:
    """Return the label tables for a widget, with the author's ``overrides`` applied to every language.

    An author writing a lesson in one language sets the few labels they want changed
    (``{"check": "Submit"}``); unknown label names are rejected so typos surface early.
    """
    tables = {lang: dict(table) for lang, table in DEFAULT_LABELS.items()}
    for name, text in (overrides or {}).items():
        if name not in DEFAULT_LABELS["en"]:
            known = ", ".join(sorted(DEFAULT_LABELS["en"]))
            raise InvalidQuestionError(f"unknown label {name!r}; known labels: {known}")
        if not isinstance(text, str):
            raise InvalidQuestionError(f"label {name!r} must be a string, not {type(text).__name__}")
        for table in tables.values():
            table[name] = text
    return tables
