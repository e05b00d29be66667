"""Refresh a package's gettext catalogs: extract, merge into each .po, compile .mo.

Run from the repository root with the development environment:
``python plugin/scripts/translations.py [PACKAGE_DIR]`` (default: the XBlock's; the LTI tool's
is ``lti/src/sabaq_lti``). Needs Babel (a development dependency). New messages arrive
untranslated in each .po; translate them and run it again.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from io import BytesIO
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "sabaq_xblock"

Text = str | tuple[str, ...]  # a plural message's ids and strings are tuples


def compiled(po: Path) -> bytes:
    """The .mo bytes for ``po``: the one place catalogs are compiled."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle, locale=po.parent.parent.name, domain="text")
    out = BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def messages(mo: bytes) -> tuple[str, dict[tuple[str | None, Text], Text]]:
    """What a compiled catalog says: its plural rule and each (context, msgid) -> msgstr.

    The generator header (Babel's version, dates) is left out, so catalogs compiled by two
    Babel releases compare equal when their messages do.
    """
    from babel.messages.mofile import read_mo

    def text(value: str | Iterable[str] | None) -> Text:
        return (value or "") if value is None or isinstance(value, str) else tuple(value)

    catalog = read_mo(BytesIO(mo))
    return catalog.plural_forms, {(m.context, text(m.id)): text(m.string) for m in catalog if m.id}


def main(argv: list[str] | None = None) -> int:
    from babel.messages.pofile import read_po, write_po

    args = sys.argv[1:] if argv is None else argv
    package = Path(args[0]).resolve() if args else PACKAGE
    locales = package / "translations"
    locales.mkdir(exist_ok=True)
    pot = locales / "text.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "--no-location",
                    "--omit-header", "--sort-output", "-k", "_", "-o", str(pot), str(package)],
                   check=True)
    with pot.open("rb") as handle:
        template = read_po(handle)
    for po in sorted(locales.glob("*/LC_MESSAGES/text.po")):
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
