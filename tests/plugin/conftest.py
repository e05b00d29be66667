"""Fixtures for the plugin tests: a recording XBlock runtime and settings in a temp dir."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from xblock.field_data import DictFieldData
from xblock.fields import ScopeIds
from xblock.reference.user_service import UserService, XBlockUser
from xblock.runtime import DictKeyValueStore, KvsFieldData, MemoryIdManager, NullI18nService
from xblock.test.tools import TestRuntime

sys.path.insert(0, str(Path(__file__).parent))

import notebooks
from stores import db_url, mariadb_server  # noqa: F401  (fixtures: the three stores)

SECRET = "test-callback-secret"


class SettingsService:
    """The LMS settings service, as XBLOCK_SETTINGS["sabaq_notebook"]."""

    def __init__(self, bucket: dict[str, Any]) -> None:
        self.bucket = bucket

    def get_settings_bucket(self, block: Any, default: Any = None) -> dict[str, Any]:
        return self.bucket


class User(UserService):  # type: ignore[misc]
    """The user service with one current user."""

    def get_current_user(self) -> XBlockUser:
        return self._user


class Runtime(TestRuntime):  # type: ignore[misc]
    """TestRuntime that records published events and builds handler URLs."""

    def __init__(self, user_id: str, staff: bool, bucket: dict[str, Any], kvs: Any,
                 ids: Any) -> None:
        user = XBlockUser(is_current_user=True)
        user.opt_attrs["edx-platform.user_is_staff"] = staff
        super().__init__(id_reader=ids, id_generator=ids, services={
            "field-data": KvsFieldData(kvs),
            "settings": SettingsService(bucket),
            "user": User(user=user),
            "i18n": NullI18nService(),
        })
        self.published: list[tuple[str, dict[str, Any]]] = []

    def handler_url(self, block: Any, handler: str, suffix: str = "", query: str = "",
                    thirdparty: bool = False) -> str:
        return f"/handler/{block.scope_ids.usage_id}/{handler}/{suffix}"

    def local_resource_url(self, block: Any, uri: str) -> str:
        return f"/resource/{uri}"

    def publish(self, block: Any, event_type: str, event_data: dict[str, Any]) -> None:
        self.published.append((event_type, event_data))


class UniqueIds(MemoryIdManager):  # type: ignore[misc]
    """Ids no other unit in a shared store has (``MemoryIdManager`` starts each at ``u_1``)."""

    def _next_id(self, prefix: str) -> str:
        import uuid

        return f"{prefix}_{uuid.uuid4().hex[:12]}"


class Course:
    """One block definition seen by several users (shared KVS, like an LMS)."""

    def __init__(self, tmp: Path, olx: str, *, unique: bool = False) -> None:
        self.kvs = DictKeyValueStore()
        self.bucket = {"DATA_DIR": str(tmp), "CALLBACK_SECRET": SECRET}
        self.olx = olx
        self.ids = UniqueIds() if unique else MemoryIdManager()
        author = Runtime("author", True, self.bucket, self.kvs, self.ids)
        self.usage_id = author.parse_xml_string(olx)
        self.runtimes: dict[str, Runtime] = {}
        self.every_runtime: list[tuple[str, Runtime]] = []  # each block's, for what they published

    def block(self, user: str = "learner1", staff: bool = False) -> Any:
        runtime = Runtime(user, staff, self.bucket, self.kvs, self.ids)
        self.runtimes[user] = runtime
        self.every_runtime.append((user, runtime))
        def_id = self.ids.get_definition_id(self.usage_id)
        keys = ScopeIds(user, self.ids.get_block_type(def_id), def_id, self.usage_id)
        return runtime.construct_xblock(keys.block_type, keys)


@pytest.fixture
def course(tmp_path: Path) -> Course:
    return Course(tmp_path, notebooks.olx())


@pytest.fixture
def field_data() -> DictFieldData:
    return DictFieldData({})


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A workbench with the test scenarios and a grading worker, for the whole session."""
    import contextlib

    import servers

    root = tmp_path_factory.mktemp("live")
    (root / "scenarios").mkdir()
    (root / "scenarios" / "adding.xml").write_text(notebooks.olx(max_attempts=3), "utf-8")
    (root / "scenarios" / "widgets.xml").write_text(notebooks.widget_lesson_olx(), "utf-8")
    (root / "scenarios" / "yy-files.xml").write_text(notebooks.reader_olx(), "utf-8")
    (root / "scenarios" / "zz-studio.xml").write_text(notebooks.olx("Studio"), "utf-8")
    from publishing import Publisher

    publisher = Publisher(root / "publisher")  # a partner's unit pinned to a module bundle's 0.1.0
    (root / "scenarios" / "zzz-shared.xml").write_text(publisher.unit(publisher.bundle("0.1.0")), "utf-8")
    (root / "scenarios" / "zzzz-essay.xml").write_text(notebooks.essay_olx(), "utf-8")  # a written answer
    port = servers.free_port()
    env = servers.environment(root, port)
    env["SABAQ_TRUSTED_KEYS"] = str(publisher.pub)
    with contextlib.ExitStack() as stack:
        base = stack.enter_context(servers.workbench(root, env, port))
        stack.enter_context(servers.worker(root, env))
        yield {"base": base, "root": root, "scenario": "sabaq_notebook.0",
               "widgets": "sabaq_notebook.1", "files": "sabaq_notebook.2",
               "studio": "sabaq_notebook.3", "shared": "sabaq_notebook.4", "essay": "sabaq_notebook.5",
               "publisher": publisher}


@pytest.fixture(scope="session")
def screenshots() -> Path:
    folder = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
