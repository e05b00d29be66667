"""Installed content: the units of verified module bundles, ready for the content picker.

``install`` reads a bundle only if a trusted publisher signed every byte of it (the same
check as ``sabaq verify`` and ``sabaq build``), builds each notebook's unit exactly as
``sabaq build`` writes it into an Open edX export (the student version made by the grader's
own preprocessors, the data files, the licence and the bundle's provenance), and stores
their OLX. Installing the same version again changes nothing; a new version is added beside
the old, so links made with the old one keep grading with it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from .models import Unit


@dataclass(frozen=True)
class Installed:
    module_id: str
    version: str
    added: list[str]
    kept: list[str]


def install(bundle_path: Path, trusted: list[Path]) -> Installed:
    """Verify ``bundle_path`` against the ``trusted`` public keys and install its units."""
    try:
        from lxml import etree

        from sabaq_contract.bundles import read_bundle
        from sabaq_contract.keys import load_public_key
        from sabaq_grading.course_export import course_from_bundle, export_files, unit_url_name
        from sabaq_xblock import notebook as nbmod
        from sabaq_xblock import olx
    except ImportError as error:
        raise RuntimeError(f"installing a bundle builds its student versions with the grader: pip install "
                           f"'sabaq-lti[install]' ({error})") from None
    if not trusted:
        raise ValueError("installing a bundle needs its publisher's public key: --trust KEYFILE")
    bundle = read_bundle(bundle_path, [load_public_key(path) for path in trusted])
    with tempfile.TemporaryDirectory(prefix="sabaq-lti-install-") as scratch:
        course = course_from_bundle(bundle, Path(scratch))
        files = export_files(course, bundle)
    added: list[str] = []
    kept: list[str] = []
    with transaction.atomic():
        for module in course.modules:
            for index, item in enumerate(module.items, start=1):
                name = unit_url_name(module.id, index)
                text = files[f"sabaq_notebook/{name}.xml"].decode("utf-8")
                node = etree.fromstring(text.encode("utf-8"))
                _attributes, notebooks, _files = olx.read(node)
                max_score = nbmod.max_points(nbmod.load(notebooks.get("notebook") or notebooks["student_notebook"]))
                _unit, made = Unit.objects.get_or_create(
                    module_id=bundle.id, module_version=bundle.version, item=item.relpath,
                    defaults={"module_title": module.title, "title": item.title or item.path.stem,
                              "graded": item.kind == "assignment", "max_score": max_score, "olx": text.strip()})
                (added if made else kept).append(f"{item.relpath} ({name})")
    return Installed(bundle.id, bundle.version, added, kept)


def modules() -> list[tuple[str, str, str, list[Unit]]]:
    """The installed modules (id, version, title) with their units, newest version first."""
    grouped: dict[tuple[str, str], list[Unit]] = {}
    for unit in Unit.objects.order_by("module_id", "-module_version", "id"):
        grouped.setdefault((unit.module_id, unit.module_version), []).append(unit)
    return [(mid, version, units[0].module_title, units) for (mid, version), units in grouped.items()]
