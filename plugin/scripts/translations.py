"""Refresh the XBlock's gettext catalogs: extract, merge into each .po, compile .mo.

Run from the repository root with the development environment:
``python plugin/scripts/translations.py``. Needs Babel (a development dependency).
New messages arrive untranslated in each .po; translate them and run it again.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "sabaq_xblock"
LOCALES = PACKAGE / "translations"


def compiled(po: Path) -> bytes:
    """The .mo bytes for ``po`` (also used by the test that catalogs are current)."""
    from io import BytesIO

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle, locale=po.parent.parent.name, domain="text")
    out = BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def main() -> int:
    from babel.messages.pofile import read_po, write_po

    LOCALES.mkdir(exist_ok=True)
    pot = LOCALES / "text.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "--no-location",
                    "--omit-header", "--sort-output", "-k", "_", "-o", str(pot), str(PACKAGE)],
                   check=True)
    with pot.open("rb") as handle:
        template = read_po(handle)
    for po in sorted(LOCALES.glob("*/LC_MESSAGES/text.po")):
        lang = po.parent.parent.name
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=lang, domain="text")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.fuzzy = False
        with po.open("wb") as handle:
            write_po(handle, catalog, no_location=True, sort_output=True, ignore_obsolete=True)
        po.with_suffix(".mo").write_bytes(compiled(po))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
