"""What ``tutor plugins enable sabaq`` + ``tutor config save`` render (the real tutor; no Docker here).

Checked: the grader service in docker-compose and Kubernetes (image, command with the
sandbox check first, environment, what bubblewrap needs, Redis), the block's settings in
the LMS and CMS (executed as Python, and read by the contract's own settings loader), the
generated callback secret, the Open edX image's pip requirements, the grader's Dockerfile,
the init task and the image registration.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from tutor_root import Project

WORKER = "exec celery --app sabaq_grading.worker worker"
SETTINGS_START = "# Sabaq: the notebook XBlock's deployment settings"


def grader_environment(service: dict[str, Any]) -> dict[str, str]:
    environment: dict[str, str] = service["environment"]
    assert all(isinstance(value, str) for value in environment.values()), environment
    return environment


def block_settings(project: Project, service: str = "lms") -> dict[str, Any]:
    """Execute the plugin's part of the rendered settings with a stand-in for the platform's."""
    text = project.text("apps", "openedx", "settings", service, "production.py")
    compile(text, f"{service}/production.py", "exec")  # the whole settings module stays valid Python
    assert text.count(SETTINGS_START) == 1
    snippet = text[text.index(SETTINGS_START) :].split("\n})\n", 1)[0] + "\n})\n"
    namespace: dict[str, Any] = {"XBLOCK_SETTINGS": {"other_block": {"KEY": "kept"}}}
    exec(compile(snippet, f"{service}/production.py", "exec"), namespace)
    assert namespace["XBLOCK_SETTINGS"]["other_block"] == {"KEY": "kept"}
    settings: dict[str, Any] = namespace["XBLOCK_SETTINGS"]["sabaq_notebook"]
    return settings


def test_the_grader_service_runs_the_sandbox_check_then_celery(project: Project) -> None:
    service = project.compose_service("sabaq-grader")
    assert service is not None
    assert service["image"] == "docker.io/sabaq/sabaq-grader:0.1.0"
    shell, flag, line = service["command"]
    assert (shell, flag) == ("sh", "-c")
    assert line.startswith("sabaq worker-check && " + WORKER)  # && : no worker when the check fails
    assert "--queues sabaq " in line
    assert "--concurrency 2 " in line
    assert "--prefetch-multiplier 1 " in line
    assert service["restart"] == "unless-stopped"
    assert service["depends_on"] == ["redis"]


def test_the_grader_gets_what_bubblewrap_needs_and_limits(project: Project) -> None:
    service = project.compose_service("sabaq-grader")
    assert service is not None
    assert service["cap_add"] == ["SYS_ADMIN", "NET_ADMIN"]
    assert service["security_opt"] == ["seccomp=unconfined", "apparmor=unconfined"]
    assert "privileged" not in service
    assert "user" not in service  # root: the sandbox gives each submission its own uid
    assert (service["cpus"], service["mem_limit"], service["pids_limit"]) == ("2", "3072m", 1024)


def test_the_grader_works_on_the_platforms_redis(project: Project) -> None:
    environment = grader_environment(project.compose_service("sabaq-grader") or {})
    secret = project.config()["SABAQ_CALLBACK_SECRET"]
    assert environment == {
        "SABAQ_DATA_DIR": "/var/lib/sabaq",
        "SABAQ_BROKER_URL": "redis://redis:6379/4",
        "SABAQ_RESULT_BACKEND": "redis://redis:6379/4",
        "SABAQ_QUEUE": "sabaq",
        "SABAQ_CALLBACK_SECRET": secret,
        "SABAQ_CALLBACK_TIMEOUT": "10",
        "SABAQ_GRADE_TIMEOUT": "600",
        "SABAQ_QUEUE_TIMEOUT": "3600",
        "SABAQ_MAX_RUNS": "3",
        "SABAQ_PREPARE_TIMEOUT": "60",
        "SABAQ_PRACTICE_QUEUE": "sabaq.practice",
    }
    assert "SUBMISSIONS_DB" not in str(environment)  # graders never touch the submissions store


def test_lms_and_cms_get_the_block_settings(project: Project) -> None:
    lms, cms = block_settings(project, "lms"), block_settings(project, "cms")
    assert lms == cms
    config = project.config()
    assert lms == {
        "DATA_DIR": "/openedx/data/sabaq",
        "BROKER_URL": "redis://redis:6379/4",
        "RESULT_BACKEND": "redis://redis:6379/4",
        "SUBMISSIONS_DB": f"mysql://sabaq:{config['SABAQ_MYSQL_PASSWORD']}@mysql:3306/sabaq?charset=utf8mb4",
        "QUEUE": "sabaq",
        "CALLBACK_SECRET": config["SABAQ_CALLBACK_SECRET"],
        "CALLBACK_BASE_URL": "http://local.openedx.io",
        "CALLBACK_TIMEOUT": 10,
        "GRADE_TIMEOUT": 600,
        "QUEUE_TIMEOUT": 3600,
        "MAX_RUNS": 3,
        "PREPARE_TIMEOUT": 60,
        "SUBMIT_RATE_LIMIT": 10,
        "SUBMIT_RATE_WINDOW": 60,
        "MAX_PENDING_PER_LEARNER": 2,
        "PRACTICE_QUEUE": "sabaq.practice",
        "PRACTICE_TIMEOUT": 10,
        "PRACTICE_RATE_LIMIT": 10,
        "PRACTICE_RATE_WINDOW": 60,
        "TRUSTED_KEYS": [],
        "CATALOGS": [],
    }


def test_trusted_publisher_keys_and_catalogs_reach_the_block(new_project: Callable[..., Project]) -> None:
    """An operator pastes a publisher's public key (PEM) and a catalog URL into the config."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from sabaq_contract import settings as deployment
    from sabaq_xblock.upgrades import trusted_keys

    pem = Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    project = new_project()
    project.tutor("config", "save", "--set", f"SABAQ_TRUSTED_KEYS={json.dumps([pem])}",
                  "--set", 'SABAQ_CATALOGS=["https://catalog.partner.example/sabaq/"]')
    loaded = deployment.load(block_settings(project), environ={})
    assert loaded.catalogs == ("https://catalog.partner.example/sabaq/",)
    (key,) = trusted_keys(loaded.trusted_keys)
    assert key.source == "TRUSTED_KEYS entry 1" and len(key.id) == 16


def test_block_and_grader_read_the_same_deployment(project: Project) -> None:
    """The contract's own loader, fed the block's settings and the grader's environment."""
    deployment = pytest.importorskip("sabaq_contract.settings")
    block = deployment.load(block_settings(project), environ={})
    grader = deployment.load(None, environ=grader_environment(project.compose_service("sabaq-grader") or {}))
    for name in ("broker_url", "result_backend", "queue", "callback_secret", "callback_timeout",
                 "grade_timeout", "queue_timeout", "max_runs", "prepare_timeout", "visibility_timeout",
                 "practice_queue"):
        assert getattr(block, name) == getattr(grader, name), name
    assert block.broker_kind == grader.broker_kind == "redis"
    assert block.submit_rate_limit == 10 and block.max_pending_per_learner == 2


def test_the_callback_secret_is_generated_once_per_platform(
    project: Project, new_project: Callable[..., Project]
) -> None:
    secret = project.config()["SABAQ_CALLBACK_SECRET"]
    assert re.fullmatch(r"[A-Za-z0-9]{48}", secret)
    project.tutor("config", "save")
    assert project.config()["SABAQ_CALLBACK_SECRET"] == secret
    assert block_settings(project)["CALLBACK_SECRET"] == secret
    other = new_project()
    assert other.config()["SABAQ_CALLBACK_SECRET"] not in ("", secret)
    assert other.config()["SABAQ_MYSQL_PASSWORD"] != project.config()["SABAQ_MYSQL_PASSWORD"]


def test_the_openedx_image_installs_the_block_and_the_contract(project: Project) -> None:
    dockerfile = project.text("build", "openedx", "Dockerfile")
    line = next(line for line in dockerfile.splitlines() if "sabaq-xblock" in line)
    assert "$PIP_COMMAND install" in line
    assert "'sabaq-contract==0.1.0' 'sabaq-xblock==0.1.0'" in line
    assert "sabaq-grading" not in dockerfile  # the LMS never installs the grading engine
    assert dockerfile.index("requirements/edx/base.txt") < dockerfile.index("sabaq-xblock")


def test_the_grader_image_is_debian_with_bubblewrap(project: Project) -> None:
    dockerfile = project.text("plugins", "sabaq", "build", "sabaq-grader", "Dockerfile")
    assert dockerfile.startswith("# syntax=docker/dockerfile:1")
    assert "\nFROM docker.io/debian:bookworm-slim\n" in dockerfile
    install = re.search(r"apt-get install -y --no-install-recommends\s*\\\n\s*(.+)\n", dockerfile)
    assert install is not None and {"bubblewrap", "python3", "python3-venv"} <= set(install.group(1).split())
    assert "RUN python3 -m venv /opt/sabaq-grader/venv\n" in dockerfile  # on the system python3
    assert "'sabaq-contract==0.1.0' 'sabaq-grading==0.1.0' 'numpy' 'pandas' 'matplotlib'" in dockerfile
    assert "chmod -R a+rX /opt/sabaq-grader" in dockerfile  # readable by the sandbox's uids
    assert "useradd --system" in dockerfile
    assert "{{" not in dockerfile and "{%" not in dockerfile


def test_kubernetes_gets_the_grader_deployment(project: Project) -> None:
    deployment = project.k8s_deployment("sabaq-grader")
    assert deployment is not None
    assert deployment["spec"]["replicas"] == 1
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    compose = project.compose_service("sabaq-grader") or {}
    assert container["image"] == compose["image"]
    assert container["command"] == compose["command"]
    assert {item["name"]: item["value"] for item in container["env"]} == grader_environment(compose)
    assert container["resources"]["limits"] == {"cpu": "2", "memory": "3072Mi"}
    security = container["securityContext"]
    assert security["runAsUser"] == 0
    assert security["capabilities"] == {"add": ["SYS_ADMIN", "NET_ADMIN"]}
    assert security["seccompProfile"] == {"type": "Unconfined"}
    assert security["appArmorProfile"] == {"type": "Unconfined"}


def test_settings_change_what_is_rendered(new_project: Callable[..., Project]) -> None:
    project = new_project(
        "SABAQ_XBLOCK_REQUIREMENT=sabaq-xblock @ https://example.org/sabaq_xblock-0.2.0-py3-none-any.whl",
        "SABAQ_GRADER_CONCURRENCY=6",
        "SABAQ_GRADE_TIMEOUT=120",
        "SABAQ_REDIS_DB=7",
        "REDIS_USERNAME=grader",
        "REDIS_PASSWORD=pw",
        "SABAQ_GRADER_SECURITY_OPT=[\"seccomp=/etc/docker/bwrap.json\"]",
        "ENABLE_HTTPS=true",
        "LMS_HOST=courses.example.org",
    )
    service = project.compose_service("sabaq-grader") or {}
    assert "--concurrency 6 " in service["command"][2]
    assert service["security_opt"] == ["seccomp=/etc/docker/bwrap.json"]
    environment = grader_environment(service)
    assert environment["SABAQ_BROKER_URL"] == "redis://grader:pw@redis:6379/7"
    assert environment["SABAQ_GRADE_TIMEOUT"] == "120"
    settings = block_settings(project)
    assert settings["BROKER_URL"] == "redis://grader:pw@redis:6379/7"
    assert settings["GRADE_TIMEOUT"] == 120
    assert settings["CALLBACK_BASE_URL"] == "https://courses.example.org"
    assert "'sabaq-xblock @ https://example.org/sabaq_xblock-0.2.0-py3-none-any.whl'" in project.text(
        "build", "openedx", "Dockerfile"
    )


def test_a_practice_worker_serves_only_the_practice_queue(project: Project) -> None:
    grader, practice = project.compose_service("sabaq-grader") or {}, project.compose_service("sabaq-practice")
    assert practice is not None
    assert practice["image"] == grader["image"] and practice["environment"] == grader["environment"]
    assert (practice["cap_add"], practice["security_opt"]) == (grader["cap_add"], grader["security_opt"])
    line = practice["command"][2]
    assert line.startswith("sabaq worker-check && " + WORKER)
    assert "--queues sabaq.practice " in line and "--concurrency 1 " in line and "--hostname sabaq-practice@" in line
    deployment = project.k8s_deployment("sabaq-practice")
    assert deployment is not None and deployment["spec"]["replicas"] == 1
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["command"] == practice["command"]
    assert container["securityContext"]["capabilities"] == {"add": ["SYS_ADMIN", "NET_ADMIN"]}


def test_the_practice_worker_can_be_turned_off_or_scaled(new_project: Callable[..., Project]) -> None:
    off = new_project("RUN_SABAQ_PRACTICE=false")
    assert off.compose_service("sabaq-practice") is None and off.k8s_deployment("sabaq-practice") is None
    assert off.compose_service("sabaq-grader") is not None  # whose workers serve practice runs too
    scaled = new_project("SABAQ_PRACTICE_REPLICAS=3", "SABAQ_PRACTICE_CONCURRENCY=4", "SABAQ_QUEUE=course")
    assert "--queues course.practice --pool prefork --concurrency 4 " in (
        scaled.compose_service("sabaq-practice") or {})["command"][2]
    assert (scaled.k8s_deployment("sabaq-practice") or {})["spec"]["replicas"] == 3
    assert block_settings(scaled)["PRACTICE_QUEUE"] == "course.practice"


def test_graders_can_run_elsewhere(new_project: Callable[..., Project]) -> None:
    project = new_project("RUN_SABAQ_GRADER=false")
    assert project.compose_service("sabaq-grader") is None
    assert project.k8s_deployment("sabaq-grader") is None
    assert project.compose_service("sabaq-practice") is None
    assert block_settings(project)["BROKER_URL"] == "redis://redis:6379/4"  # the block still queues


def test_the_grader_image_is_built_and_tagged_by_tutor(project: Project) -> None:
    assert project.tutor("images", "printtag", "sabaq-grader").strip() == "docker.io/sabaq/sabaq-grader:0.1.0"


def test_the_init_task_creates_the_store_database(project: Project) -> None:
    """Rendered the way ``tutor local do init`` renders its tasks (in-process: it needs Docker to run)."""
    from tutor import config as tutor_config
    from tutor import env as tutor_env
    from tutor.hooks.catalog import Filters

    import tutorsabaq.plugin  # noqa: F401  (registers its hooks)

    config = tutor_config.load(str(project.root))
    (task,) = {text for service, text in Filters.CLI_DO_INIT_TASKS.iterate() if service == "mysql" and "SABAQ" in text}
    rendered = tutor_env.render_str(config, task)
    password = project.config()["SABAQ_MYSQL_PASSWORD"]
    assert "CREATE DATABASE IF NOT EXISTS sabaq CHARACTER SET utf8mb4" in rendered
    assert f"ALTER USER 'sabaq'@'%' IDENTIFIED BY '{password}'" in rendered
    assert "GRANT ALL ON sabaq.* TO 'sabaq'@'%'" in rendered
    assert block_settings(project)["SUBMISSIONS_DB"].startswith(f"mysql://sabaq:{password}@mysql:3306/sabaq")


def test_the_reconciler_runs_in_the_openedx_image_with_the_lms_settings(project: Project) -> None:
    """The reconciler service: the Open edX image, the LMS's Django settings (so it reads the
    block's XBLOCK_SETTINGS and publishes through the grades app), every SABAQ_RECONCILE_EVERY s."""
    service = project.compose_service("sabaq-reconciler")
    lms = project.compose_service("lms")
    assert service is not None and lms is not None
    assert service["image"] == lms["image"]
    assert service["command"] == ["python", "-m", "sabaq_xblock.reconcile", "--every", "30"]
    assert service["environment"] == {"SERVICE_VARIANT": "lms", "DJANGO_SETTINGS_MODULE": "lms.envs.tutor.production"}
    assert "../apps/openedx/settings/lms:/openedx/edx-platform/lms/envs/tutor:ro" in service["volumes"]
    assert service["restart"] == "unless-stopped"
    assert set(service["depends_on"]) == {"mysql", "redis"}
    deployment = project.k8s_deployment("sabaq-reconciler")
    assert deployment is not None and deployment["spec"]["replicas"] == 1
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == service["image"] and container["command"] == service["command"]
    assert {item["name"]: item["value"] for item in container["env"]} == service["environment"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts["settings-lms"] == "/openedx/edx-platform/lms/envs/tutor/"


def test_the_reconciler_can_be_turned_off_or_paced(new_project: Callable[..., Project]) -> None:
    paced = new_project("SABAQ_RECONCILE_EVERY=5")
    assert (paced.compose_service("sabaq-reconciler") or {})["command"][-1] == "5"
    off = new_project("RUN_SABAQ_RECONCILER=false")
    assert off.compose_service("sabaq-reconciler") is None and off.k8s_deployment("sabaq-reconciler") is None
