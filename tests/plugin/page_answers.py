"""Typing an answer into a unit's page as a learner does, in the page or in a frame of it."""

from __future__ import annotations

from typing import Any


def write_answer(scope: Any, keyboard: Any, grade_id: str, text: str) -> None:
    """Replace the answer of ``grade_id`` with ``text``: its code editor or its text box, focused,
    cleared and typed into. ``scope`` is a page or a frame locator, ``keyboard`` the page's."""
    box = scope.locator(f".sabaq-answer[data-grade-id='{grade_id}']")
    box.locator(".cm-content" if box.get_attribute("data-mode") == "python" else "textarea").focus()
    keyboard.press("Control+A")
    keyboard.press("Delete")
    keyboard.insert_text(text)
