"""An XBlock runtime that hosts the ``sabaq_notebook`` block outside Open edX.

The tool serves the very block the LMS runs (its views, handlers, widget host, grading and
staff views), so nothing about a lesson or a grade is written twice. This runtime gives it
what the LMS would: fields stored in the tool's database (``FieldValue``), the user service
(the launch's person, staff for instructors), the settings service (``SABAQ_*``, as in
the LMS's ``XBLOCK_SETTINGS``), handler URLs under the launch's session key, and ``publish``
that hands a grade to the score outbox (``scores``), which sends it to the platform.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from xblock.exceptions import NoSuchDefinition
from xblock.field_data import FieldData
from xblock.fields import ScopeIds
from xblock.reference.user_service import UserService, XBlockUser
from xblock.runtime import IdGenerator, IdReader, KeyValueStore, KvsFieldData, Runtime

from .config import base_url
from .models import FieldValue

BLOCK_TYPE = "sabaq_notebook"


class FieldStore(KeyValueStore):  # type: ignore[misc]
    """XBlock field values in ``FieldValue`` rows, one per block (and user) and field."""

    @staticmethod
    def _where(key: KeyValueStore.Key) -> dict[str, str]:
        return {"usage_id": str(key.block_scope_id), "scope": f"{key.scope.user.attr_name}/{key.scope.block.attr_name}",
                "user_id": "" if key.user_id is None else str(key.user_id), "name": key.field_name}

    def get(self, key: KeyValueStore.Key) -> Any:
        row = FieldValue.objects.filter(**self._where(key)).first()
        if row is None:
            raise KeyError(key.field_name)
        return row.value

    def set(self, key: KeyValueStore.Key, value: Any) -> None:
        self.set_many({key: value})

    def set_many(self, update_dict: dict[KeyValueStore.Key, Any]) -> None:
        with transaction.atomic():
            for key, value in update_dict.items():
                where = self._where(key)
                if not FieldValue.objects.filter(**where).update(value=value):
                    try:
                        with transaction.atomic():
                            FieldValue.objects.create(value=value, **where)
                    except IntegrityError:  # made at the same moment by another request: last write wins
                        FieldValue.objects.filter(**where).update(value=value)

    def delete(self, key: KeyValueStore.Key) -> None:
        FieldValue.objects.filter(**self._where(key)).delete()

    def has(self, key: KeyValueStore.Key) -> bool:
        return bool(FieldValue.objects.filter(**self._where(key)).exists())


class UsageIds(IdReader, IdGenerator):  # type: ignore[misc]
    """Every usage is a ``sabaq_notebook`` whose definition id is its usage id (one block per link)."""

    def get_definition_id(self, usage_id: str) -> str:
        return usage_id

    def get_block_type(self, def_id: str) -> str:
        if not str(def_id).startswith("lti-"):
            raise NoSuchDefinition(repr(def_id))
        return BLOCK_TYPE

    def create_usage(self, def_id: str) -> str:
        return def_id

    def create_definition(self, block_type: str, slug: str | None = None) -> str:
        if block_type != BLOCK_TYPE or not slug:
            raise NoSuchDefinition(repr(block_type))
        return slug

    def get_usage_id_from_aside(self, aside_id: Any) -> Any:
        raise NotImplementedError

    def get_definition_id_from_aside(self, aside_id: Any) -> Any:
        raise NotImplementedError

    def get_aside_type_from_usage(self, aside_id: Any) -> Any:
        raise NotImplementedError

    def get_aside_type_from_definition(self, aside_id: Any) -> Any:
        raise NotImplementedError

    def create_aside(self, definition_id: Any, usage_id: Any, aside_type: Any) -> Any:
        raise NotImplementedError


class SettingsService:
    """The block's deployment settings: ``SABAQ_*`` fill them (``sabaq_contract.settings``)."""

    def get_settings_bucket(self, block: Any, default: Any = None) -> dict[str, Any]:
        return {}


class LaunchUserService(UserService):  # type: ignore[misc]
    """The launch's person; instructors are course staff, as the block asks the LMS."""

    def __init__(self, user_id: str | None, name: str, instructor: bool) -> None:
        super().__init__()
        self._user = XBlockUser(is_current_user=True, full_name=name)
        self._user.opt_attrs = {
            "edx-platform.user_id": user_id, "edx-platform.username": name,
            "edx-platform.user_role": "instructor" if instructor else "student",
            "edx-platform.user_is_staff": False}

    def get_current_user(self) -> XBlockUser:
        return self._user


class ToolRuntime(Runtime):  # type: ignore[misc]
    """The runtime of one request: its user (None for the grader's callbacks), its role and
    the session key its handler URLs carry."""

    def __init__(self, user_id: str | None, *, instructor: bool = False, name: str = "",
                 session_key: str = "", field_data: FieldData | None = None) -> None:
        ids = UsageIds()
        super().__init__(ids, ids, field_data or KvsFieldData(FieldStore()), services={
            "settings": SettingsService(), "user": LaunchUserService(user_id, name, instructor), "i18n": None})
        self.user_id = user_id
        self.session_key = session_key

    def handler_url(self, block: Any, handler_name: str, suffix: str = "", query: str = "",
                    thirdparty: bool = False) -> str:
        usage = str(block.scope_ids.usage_id)
        if thirdparty:  # the grader's signed callback: no session, an absolute URL
            url = f"{base_url()}/lti/callback/{usage}/{handler_name}"
        else:
            url = f"/lti/s/{self.session_key}/handler/{usage}/{handler_name}"
        if suffix:
            url += "/" + suffix.lstrip("/")
        return url + (f"?{query}" if query else "")

    def resource_url(self, resource: str) -> str:
        return f"/lti/static/{resource}"

    def local_resource_url(self, block: Any, uri: str) -> str:
        return f"/lti/resource/{block.scope_ids.block_type}/{uri}"

    def publish(self, block: Any, event_type: str, event_data: dict[str, Any]) -> None:
        """A grade goes to the score outbox of the block's resource link; other events are the
        LMS's tracking logs, which a tool has none of."""
        if event_type != "grade":
            return
        from .scores import enqueue

        learner = event_data.get("user_id", block.scope_ids.user_id)
        enqueue(str(block.scope_ids.usage_id), str(learner), float(event_data["value"]),
                float(event_data["max_value"]))

    def new_block(self, usage_id: str, olx: str) -> Any:
        """The block of a new resource link, its content and settings from the unit's OLX."""
        from lxml import etree

        from sabaq_xblock.block import NotebookBlock

        node = etree.fromstring(olx.encode("utf-8"), parser=etree.XMLParser(resolve_entities=False,
                                                                              no_network=True, huge_tree=True))
        keys = ScopeIds(self.user_id, BLOCK_TYPE, usage_id, usage_id)
        block = NotebookBlock.parse_xml(node, self, keys)
        block.save()
        return block


def job_publisher() -> Any:
    """How the reconciler (``python -m sabaq_xblock.reconcile`` under these settings) publishes a
    submission's score: through its block, as the grader's callback does (``SABAQ_JOB_PUBLISHER``)."""

    def publish(sub: Any) -> None:
        ToolRuntime(None).get_block(sub.block_id)._publish_submission(sub)

    return publish
