"""OLX for the block: settings as attributes, notebooks as CDATA child elements.

``<sabaq_notebook display_name=".." weight="1.0">``
``  <instructor_notebook><![CDATA[{...}]]></instructor_notebook>``
``  <student_notebook><![CDATA[{...}]]></student_notebook>``
``  <data_file name="numbers.csv"><![CDATA[<base64>]]></data_file>``
``</sabaq_notebook>``

Data files are the files beside an assignment notebook that its code reads; they
go to the grader with every submission.

The notebooks travel inside the course export, and export → import → export
gives the same OLX because attributes and CDATA text are written back verbatim.
"""

from __future__ import annotations

from typing import Any

ATTRIBUTE_FIELDS = (
    "display_name", "weight", "max_attempts", "feedback_policy", "max_notebook_kb", "max_cells", "anonymous_grading",
    # where the notebook comes from (see provenance and upgrades); the lists are JSON
    "module_id", "module_item", "module_version", "module_checksum", "module_signer", "licence", "authors",
    "module_history", "declined_versions",
)
NOTEBOOK_ELEMENTS = {"instructor_notebook": "notebook", "student_notebook": "student_notebook"}


def read(node: Any) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The attribute values, notebook texts and data files (base64) found on ``node``."""
    attributes = {name: str(value) for name, value in node.items() if name in ATTRIBUTE_FIELDS}
    notebooks = {}
    files = {}
    for child in node:
        field = NOTEBOOK_ELEMENTS.get(str(child.tag))
        if field is not None and child.text and child.text.strip():
            notebooks[field] = child.text.strip()
        elif child.tag == "data_file" and child.get("name"):
            files[str(child.get("name"))] = "".join((child.text or "").split())
    return attributes, notebooks, files


def write(
    node: Any, attributes: dict[str, str], notebooks: dict[str, str], files: dict[str, str]
) -> None:
    """Put ``attributes``, non-empty ``notebooks`` and data ``files`` on ``node``."""
    from lxml import etree

    for name in ATTRIBUTE_FIELDS:
        if name in attributes:
            node.set(name, attributes[name])
    for element, field in NOTEBOOK_ELEMENTS.items():
        text = notebooks.get(field, "")
        if text:
            child = etree.SubElement(node, element)
            child.text = etree.CDATA(text.replace("]]>", "]]\\u003e"))
    for name in sorted(files):
        child = etree.SubElement(node, "data_file", name=name)
        child.text = etree.CDATA(files[name])
