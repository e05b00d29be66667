"""The block's Studio handlers for upgrading a unit made from a module bundle (see :mod:`.upgrades`).

A mixin of the ``sabaq_notebook`` block: every handler is for staff only and changes nothing
but the unit's content and provenance, through :mod:`.upgrades`.
"""

from __future__ import annotations

from typing import Any

from .errors import RequestInvalid
from .requests import handler, json_handler, read_body


class UpgradeHandlers:
    """``upgrade_status``, ``offer_upgrade``, ``offer_from_catalog``, ``accept_upgrade``, ``decline_upgrade``."""

    _require_staff: Any
    _settings: Any
    _grading: Any

    @handler("POST")
    def offer_upgrade(self, request: Any, suffix: str = "") -> dict[str, Any]:
        """Studio: check an uploaded bundle as a newer version of this unit's module; keep the offer."""
        from . import upgrades

        self._require_staff()
        data = read_body(request, upgrades.MAX_BUNDLE_UPLOAD)
        return upgrades.offer(self, data, upgrades.trusted_keys(self._settings.trusted_keys))

    @json_handler()
    def upgrade_status(self, data: dict[str, Any], suffix: str = "") -> dict[str, Any]:
        """Studio: the unit's module and version, and the pending offer with what it changes."""
        from . import upgrades

        self._require_staff()
        return upgrades.public_offer(self, self._settings.catalogs)

    @json_handler()
    def offer_from_catalog(self, data: dict[str, Any], suffix: str = "") -> dict[str, Any]:
        """Studio: offer the version a site catalog lists (``catalog``, ``version``)."""
        from . import upgrades

        self._require_staff()
        catalog, version = data.get("catalog"), data.get("version")
        if not (isinstance(catalog, str) and isinstance(version, str)):
            raise RequestInvalid("bad_offer_request")
        return upgrades.offer_from_catalog(self, catalog, version, self._settings.catalogs,
                                           upgrades.trusted_keys(self._settings.trusted_keys))

    @json_handler()
    def decline_upgrade(self, data: dict[str, Any], suffix: str = "") -> dict[str, Any]:
        from . import upgrades

        self._require_staff()
        return upgrades.decline(self, data)

    @json_handler()
    def accept_upgrade(self, data: dict[str, Any], suffix: str = "") -> dict[str, Any]:
        """Studio: put the offered version in place; the learners' work and staff's settings stay."""
        from . import upgrades

        self._require_staff()
        return upgrades.accept(self, data, lambda text, files: self._grading.backend.prepare(
            text, self._settings.prepare_timeout, files), upgrades.trusted_keys(self._settings.trusted_keys))
