"""nbgrader's cell-metadata schema versions: upgrade what ``nbgrader update`` upgrades.

nbgrader 0.9 reads schema v3 only. It refuses older notebooks (v0–v2) until the lecturer
runs ``nbgrader update``, and newer ones outright. Sabaq upgrades old metadata in memory
with nbgrader's own upgrade (the one ``nbgrader update`` saves) and says so in a warning;
it refuses what nbgrader refuses even after that: a newer schema, or metadata that does not
validate once upgraded.
"""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode

from .errors import NotebookError

CURRENT_SCHEMA = 3


class UnsupportedMetadata(NotebookError):
    """The nbgrader metadata is of a schema nbgrader itself would refuse."""


def _versions(notebook: NotebookNode) -> list[Any]:
    """Every cell's ``schema_version`` as written: any JSON value, lists and objects included."""
    versions = []
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if isinstance(meta, dict):
            versions.append(meta.get("schema_version", 0))
    return versions


def upgrade_metadata(notebook: NotebookNode, *, name: str = "the notebook") -> list[str]:
    """Bring ``notebook``'s nbgrader metadata to schema v3 in place; return warnings.

    Raises :class:`UnsupportedMetadata` for what nbgrader refuses after ``nbgrader update``.
    """
    from nbgrader.nbgraderformat import MetadataValidator, ValidationError

    versions = _versions(notebook)
    if not versions:
        return []
    unknown = sorted({str(v) for v in versions if not isinstance(v, int) or isinstance(v, bool)})
    if unknown:
        raise UnsupportedMetadata(
            f"{name} has nbgrader metadata with schema version {', '.join(unknown)}, which no nbgrader "
            f"wrote; recreate the cells with the Create Assignment toolbar"
        )
    newest = max(versions)
    if newest > CURRENT_SCHEMA:
        raise UnsupportedMetadata(
            f"{name} uses nbgrader metadata schema v{newest}, written by a newer nbgrader than this "
            f"Sabaq reads (v{CURRENT_SCHEMA}); update Sabaq and nbgrader to grade it"
        )
    oldest = min(versions)
    if oldest == CURRENT_SCHEMA:
        return []
    validator = MetadataValidator()
    try:
        validator.upgrade_notebook_metadata(notebook)
        validator.validate_nb(notebook)
    except (ValidationError, KeyError, TypeError) as error:
        detail = str(getattr(error, "message", error))
        detail = detail if len(detail) <= 200 else detail[:200] + "…"
        raise UnsupportedMetadata(
            f"{name} uses nbgrader metadata schema v{oldest}, and its metadata is invalid once upgraded "
            f"({detail}); run `nbgrader update` on it and fix the cells it names"
        ) from None
    return [
        f"{name} uses the old nbgrader metadata schema v{oldest}; it was upgraded to v{CURRENT_SCHEMA} "
        f"as `nbgrader update` does (run `nbgrader update` on the notebook to save the upgrade)"
    ]
