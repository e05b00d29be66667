"""The tool's own strings (its frame around the unit, the picker, refusal pages) in English and Urdu:
catalogs compiled from their sources and complete, and a launch in Urdu shows the unit right to left."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "lti" / "src" / "sabaq_lti"


def test_compiled_catalogs_are_current_and_every_marked_string_is_in_urdu() -> None:
    sys.path.insert(0, str(ROOT / "plugin" / "scripts"))
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po
    from translations import compiled, messages

    for po in sorted(PACKAGE.glob("translations/*/LC_MESSAGES/text.po")):
        assert messages(po.with_suffix(".mo").read_bytes()) == messages(compiled(po)), \
            f"run plugin/scripts/translations.py lti/src/sabaq_lti ({po})"
    marked = {msg for _f, _l, msg, _c, _x in extract_from_dir(str(PACKAGE), keywords={"_": None})}
    with (PACKAGE / "translations/ur/LC_MESSAGES/text.po").open("rb") as handle:
        translated = {m.id for m in read_po(handle) if m.id and m.string}
    assert marked and marked <= translated, marked - translated


@pytest.mark.slow
def test_a_launch_in_urdu_shows_the_tool_and_the_unit_in_urdu_right_to_left(tool: object) -> None:
    from lti_platform import User
    from lti_tool import ROLE, Tool

    assert isinstance(tool, Tool)
    tool.platform.add_user(User("learner-urdu", "Sana Learner", "sana@example.edu", [ROLE + "Learner"], "ur-PK"))
    link = tool.squares_link("link-urdu")
    page = tool.platform.launch(requests.Session(), "learner-urdu", link.id)
    assert page.status_code == 200
    assert '<html lang="ur" dir="rtl">' in page.text and "طالب علم" in page.text  # the tool's frame
    assert 'class="sabaq-notebook" dir="rtl" lang="ur"' in page.text  # the block's own, in its language
    refused = requests.get(f"{tool.base}/lti/s/{'A' * 43}/", headers={"Accept-Language": "ur"}, timeout=30)
    assert refused.status_code == 401 and "اس صفحے کی میعاد ختم ہو گئی" in refused.text
