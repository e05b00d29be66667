"""Offering a unit made from a module bundle a newer version: check, show, accept or decline.

Staff upload the newer bundle in Studio. It is checked whole against the deployment's
trusted publisher keys (``TRUSTED_KEYS``; :mod:`sabaq_contract.bundles`), must be the same
module, newer than the unit's version and not declined before; the unit's own notebook in
it is compared with the unit's (:mod:`sabaq_contract.bundle_diff`) and the offer kept.
Accepting sends the new instructor notebook to the graders' check (as a Studio upload is)
and replaces only the content: the notebooks, the data files and the provenance. Everything
staff set (name, weight, attempts, feedback) and everything of the learners (submissions,
drafts, widget state, scores) stays, and each graded submission keeps the checksum of the
notebook it was graded against, which ``module_history`` maps to a version. Declining keeps
the unit as it is; that version is never offered again, a newer one is.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sabaq_contract.bundle_diff import notebook_changes
from sabaq_contract.bundles import Bundle, BundleError, check_bundle
from sabaq_contract.catalogs import version_key
from sabaq_contract.keys import KeyFileError, PublicKey, load_public_key, public_key_from_pem

from .errors import Conflict, SabaqBlockError

MAX_BUNDLE_UPLOAD = 64 << 20
CATALOG_SECONDS = 5.0  # each catalog index Studio reads, all of it (they are read in parallel)

Prepare = Callable[[str, dict[str, str]], dict[str, Any]]  # notebook text, its data files (base64)


class UpgradeRefused(Conflict):
    """The offer does not fit this unit (another module, not newer, declined, none pending)."""


class BundleRejected(SabaqBlockError):
    """The uploaded file is not a bundle a trusted publisher signed; ``problems`` says why."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(code, detail)
        self.problems = [detail]


def trusted_keys(paths: tuple[str, ...]) -> list[PublicKey]:
    """The public keys named by ``TRUSTED_KEYS``: PEM text itself, ``.pub`` files, or folders of them."""
    keys = []
    for number, entry in enumerate(paths, start=1):
        if entry.lstrip().startswith("-----BEGIN"):
            try:
                keys.append(public_key_from_pem(entry.encode("ascii", "replace"), f"TRUSTED_KEYS entry {number}"))
            except KeyFileError as error:
                raise SabaqBlockError("bad_trusted_key", str(error)) from None
            continue
        path = Path(entry)
        files = sorted(path.glob("*.pub")) if path.is_dir() else [path]
        for file in files:
            try:
                keys.append(load_public_key(file))
            except KeyFileError as error:
                raise SabaqBlockError("bad_trusted_key", str(error)) from None
    return keys


def newer(candidate: str, current: str) -> bool:
    return bool(version_key(candidate) > version_key(current))


def _declined(block: Any, version: str) -> bool:
    """Whether staff declined ``version`` (its build metadata aside: ``1.1.0+b2`` is ``1.1.0``)."""
    return any(version_key(v) == version_key(version) for v in list(block.declined_versions))


def _data_files(bundle: Bundle, item: str) -> dict[str, str]:
    """The files beside the unit's notebook in the bundle (what an assignment's code reads)."""
    folder = os.path.dirname(item)
    prefix = f"{folder}/" if folder else ""
    return {name[len(prefix):]: base64.b64encode(content).decode("ascii")
            for name, content in sorted(bundle.files.items())
            if name.startswith(prefix) and "/" not in name[len(prefix):] and not name.endswith(".ipynb")}


def offer(block: Any, data: bytes, trusted: list[PublicKey]) -> dict[str, Any]:
    """Check ``data`` as a newer version of the unit's module and keep it as the offer."""
    if not block.module_id or not block.module_item:
        raise UpgradeRefused("not_from_bundle")
    if not trusted:
        raise UpgradeRefused("no_trusted_keys")
    try:
        bundle = check_bundle(data, "the uploaded bundle", trusted)
    except BundleError as error:
        raise BundleRejected("bundle_invalid", str(error)) from None
    if bundle.id != block.module_id:
        raise UpgradeRefused("other_module", module=bundle.id, ours=block.module_id)
    if block.module_signer and bundle.signer != block.module_signer:  # ids have no owner: its publisher does
        raise UpgradeRefused("other_signer", signer=str(bundle.signer), ours=block.module_signer)
    if not newer(bundle.version, block.module_version):
        raise UpgradeRefused("not_newer", version=bundle.version, ours=block.module_version)
    if _declined(block, bundle.version):
        raise UpgradeRefused("declined_before", version=bundle.version)
    content = bundle.files.get(block.module_item)
    if content is None:
        raise UpgradeRefused("item_gone", item=block.module_item, version=bundle.version)
    try:
        notebook = json.loads(content)
    except ValueError:
        raise BundleRejected("bundle_invalid", f"{block.module_item} is not a notebook") from None
    text = json.dumps(notebook, ensure_ascii=False, sort_keys=True)
    changes = list(notebook_changes(block.notebook.encode("utf-8"), content))
    files = _data_files(bundle, block.module_item)
    if files != dict(block.data_files):
        changes.append("the data files changed")
    block.upgrade_offer = {
        "version": bundle.version, "checksum": hashlib.sha256(content).hexdigest(), "notebook": text,
        "data_files": files, "changes": changes, "licence": bundle.manifest["licence"],
        "authors": bundle.manifest["authors"], "signer": bundle.signer}
    return public_offer(block)


def public_offer(block: Any, catalogs: tuple[str, ...] = ()) -> dict[str, Any]:
    """What Studio shows: the pending offer (never the notebook itself), and the newer versions
    the site's catalogs list that staff have not declined."""
    pending = dict(block.upgrade_offer or {})
    answer: dict[str, Any] = {"module": block.module_id, "version": block.module_version, "offer": None,
                              "available": available(block, catalogs) if block.module_id else []}
    if pending:
        answer["offer"] = {key: pending[key] for key in ("version", "checksum", "changes", "licence", "signer")}
    return answer


def available(block: Any, catalogs: tuple[str, ...]) -> list[dict[str, str]]:
    """The newest version of the unit's module in each catalog, when newer and not declined.

    The catalogs are read in parallel, each within ``CATALOG_SECONDS``; one that cannot be
    read in time is left out (it is the operator's, and may be down)."""
    import concurrent.futures

    from sabaq_contract.catalogs import newest, read_index

    def look(url: str) -> str | None:
        try:
            return newest(read_index(url, CATALOG_SECONDS), block.module_id)
        except BundleError:
            return None

    if not catalogs:
        return []
    with concurrent.futures.ThreadPoolExecutor(min(len(catalogs), 8)) as pool:
        versions = list(pool.map(look, catalogs))
    return [{"catalog": url, "version": version} for url, version in zip(catalogs, versions, strict=True)
            if version and newer(version, block.module_version) and not _declined(block, version)]


def offer_from_catalog(block: Any, catalog: str, version: str, catalogs: tuple[str, ...],
                       trusted: list[PublicKey]) -> dict[str, Any]:
    """Fetch ``version`` of the unit's module from ``catalog`` (one the site lists) and offer it."""
    from sabaq_contract.catalogs import fetch_bundle

    if catalog not in catalogs:  # only the operator's catalogs are ever fetched
        raise UpgradeRefused("unknown_catalog")
    if not block.module_id:
        raise UpgradeRefused("not_from_bundle")
    if not trusted:
        raise UpgradeRefused("no_trusted_keys")
    try:
        data, _ = fetch_bundle(catalog, block.module_id, version, trusted, MAX_BUNDLE_UPLOAD)
    except BundleError as error:
        raise BundleRejected("bundle_invalid", str(error)) from None
    return offer(block, data, trusted)


def detach(block: Any) -> None:
    """The unit's notebook was changed in Studio: it is no longer a version of its module (no
    upgrades are offered); the licence, authors and history (for past submissions) stay."""
    for name in ("module_id", "module_item", "module_version", "module_checksum", "module_signer"):
        setattr(block, name, "")
    block.upgrade_offer = {}


def notebook_digest(text: str) -> str:
    """The SHA-256 of an instructor notebook as the block stores it (and graders get it)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def version_of(block: Any, instructor: str | None) -> str | None:
    """The module version whose instructor notebook is ``instructor`` (a submission's), if known."""
    if instructor is None or not (block.module_id or list(block.module_history)):
        return None
    digest = notebook_digest(instructor)
    for entry in reversed(list(block.module_history)):
        if isinstance(entry, dict) and entry.get("notebook") == digest:
            return str(entry.get("version"))
    return str(block.module_version) if instructor == block.notebook else None


def _pending(block: Any, named: dict[str, Any]) -> dict[str, Any]:
    """The pending offer, which must be the one staff saw (``version`` and ``checksum``)."""
    pending = dict(block.upgrade_offer or {})
    if not pending:
        raise UpgradeRefused("no_offer")
    if (named.get("version"), named.get("checksum")) != (pending["version"], pending["checksum"]):
        raise UpgradeRefused("offer_changed", version=pending["version"])
    return pending


def decline(block: Any, named: dict[str, Any]) -> dict[str, Any]:
    pending = _pending(block, named)
    block.declined_versions = sorted({*block.declined_versions, pending["version"]}, key=version_key)
    block.upgrade_offer = {}
    return {"declined": pending["version"], "version": block.module_version}


def accept(block: Any, named: dict[str, Any], prepare: Prepare, trusted: list[PublicKey]) -> dict[str, Any]:
    """Put the offered version in place; its signer must still be trusted, the graders' check
    pass and the unit's limits let its notebook through (as for a Studio upload)."""
    pending = _pending(block, named)
    if pending.get("signer") not in {key.id for key in trusted}:  # trust withdrawn since the offer
        block.upgrade_offer = {}
        raise UpgradeRefused("signer_untrusted", signer=str(pending.get("signer")))
    from .studio import check_limits, new_notebooks

    files = dict(pending["data_files"])
    checked = new_notebooks({"notebook": pending["notebook"]}, lambda text: prepare(text, files))  # as Studio
    check_limits(checked["student_notebook"], block.max_notebook_kb, block.max_cells)
    history = list(block.module_history) or [{"version": block.module_version, "checksum": block.module_checksum,
                                              "notebook": notebook_digest(block.notebook)}]
    block.notebook, block.student_notebook = checked["notebook"], checked["student_notebook"]
    block.data_files = dict(pending["data_files"])
    block.module_version, block.module_checksum = pending["version"], pending["checksum"]
    block.licence, block.authors = pending["licence"], list(pending["authors"])
    block.module_signer = str(pending.get("signer") or block.module_signer)
    block.module_history = [*history, {"version": pending["version"], "checksum": pending["checksum"],
                                       "notebook": notebook_digest(block.notebook)}]
    block.upgrade_offer = {}
    return {"accepted": pending["version"], "version": block.module_version}
