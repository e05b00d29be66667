"""Where a unit's notebook comes from, and under which licence: the fields and their markup.

A unit built from a module bundle (``sabaq build BUNDLE``) records the module's id, version
and the SHA-256 of its notebook as the bundle lists it; every unit built by ``sabaq build``
carries the course's licence and authors, shown under the lesson to learners and in Studio
to staff. Set from the course export (OLX attributes), never by a learner.
"""

from __future__ import annotations

import html
from typing import Any

from xblock.fields import Dict, List, Scope, String

from . import i18n
from .i18n import _

FIELDS = ("module_id", "module_item", "module_version", "module_checksum", "module_signer", "licence", "authors")
STRINGS = {
    "licence": _("Licence: {licence}"),
    "authors": _("Authors: {authors}"),
    "module": _("From the shared module {module}, version {version}"),
    "checksum": _("SHA-256 of its notebook: {checksum}"),
}


class ProvenanceMixin:
    """The provenance fields of the ``sabaq_notebook`` block."""

    module_id = String(display_name=_("Shared module"), help=_("The bundle's module id, when made from one."),
                       scope=Scope.settings, default="")
    module_item = String(display_name=_("Notebook in the module"), scope=Scope.settings, default="")
    module_version = String(display_name=_("Module version"), scope=Scope.settings, default="")
    module_checksum = String(display_name=_("Notebook checksum"), scope=Scope.settings, default="")
    module_signer = String(display_name=_("Publisher key"), scope=Scope.settings, default="")
    licence = String(display_name=_("Licence"), help=_("An SPDX licence id, such as CC-BY-4.0."),
                     scope=Scope.settings, default="")
    authors = List(display_name=_("Authors"), help=_("Each author's name and role."), scope=Scope.settings,
                   default=[])
    # upgrades (see upgrades): the pending offer, the versions staff declined, and every version
    # the unit has had with its notebook's checksum (a submission's report names the checksum)
    upgrade_offer = Dict(scope=Scope.settings, default={})
    declined_versions = List(scope=Scope.settings, default=[])
    module_history = List(scope=Scope.settings, default=[])


def _author_names(authors: Any) -> str:
    names = []
    for author in authors if isinstance(authors, list) else []:
        if isinstance(author, dict) and isinstance(author.get("name"), str):
            role = author.get("role")
            names.append(f"{author['name']} ({role})" if isinstance(role, str) and role else author["name"])
        elif isinstance(author, str):
            names.append(author)
    return ", ".join(names)


def attribution_html(block: Any, language: str, *, staff_details: bool = False) -> str:
    """The attribution line (empty when the unit records none); with ``staff_details``, the
    module, version and checksum too."""
    t = i18n.translator(language)
    esc = html.escape
    parts = []
    if block.licence:
        parts.append(esc(t(STRINGS["licence"]).format(licence=block.licence)))
    names = _author_names(block.authors)
    if names:
        parts.append(esc(t(STRINGS["authors"]).format(authors=names)))
    if block.module_id and block.module_version:
        parts.append(esc(t(STRINGS["module"]).format(module=block.module_id, version=block.module_version)))
        if staff_details and block.module_checksum:
            parts.append(f"<code>{esc(t(STRINGS['checksum']).format(checksum=block.module_checksum))}</code>")
    if not parts:
        return ""
    return f'<footer class="sabaq-attribution">{" · ".join(parts)}</footer>'
