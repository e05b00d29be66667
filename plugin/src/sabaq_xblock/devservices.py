"""Workbench services named by ``sabaq_xblock.devserver`` (demo and tests only)."""

from __future__ import annotations

from typing import Any

from xblock.reference.user_service import UserService, XBlockUser


class SettingsService:
    """``XBLOCK_SETTINGS[<block settings key>]``, as the LMS's settings service answers."""

    runtime: Any = None

    def get_settings_bucket(self, block: Any, default: Any = None) -> Any:
        from django.conf import settings

        return settings.XBLOCK_SETTINGS.get("sabaq_notebook", default or {})


def is_staff_name(user_id: str) -> bool:
    """The demo's rule: workbench users whose name starts with ``staff`` are course staff."""
    return user_id.startswith("staff")


class DevUserService(UserService):  # type: ignore[misc]
    """The workbench user (``?student=``); names starting with ``staff`` are staff."""

    runtime: Any = None

    def __init__(self) -> None:
        super().__init__(user=None)

    def get_current_user(self) -> XBlockUser:
        uid = str(getattr(self.runtime, "user_id", "") or "")
        user = XBlockUser(is_current_user=True, full_name=f"Workbench user {uid}")
        user.opt_attrs["xblock-workbench.user_id"] = uid
        user.opt_attrs["edx-platform.user_is_staff"] = is_staff_name(uid)
        return user
