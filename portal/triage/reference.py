"""The field reference for editors, generated from the JSON Schema.

``docs/authoring/tree-fields.md`` is this function's output; a test fails when
the schema changes and the document is not regenerated
(``python -m portal.triage.reference > docs/authoring/tree-fields.md``).
"""

from __future__ import annotations

from typing import Any

from .loader import schema

SECTIONS = (
    ("The file", None),
    ("A question node", "question"),
    ("An answer", "answer"),
    ("An outcome node", "outcome"),
    ("Appointment details", "appointment"),
    ("A condition (`when`, `audience`)", "condition"),
    ("A case", "case"),
)


def _allowed(spec: dict[str, Any], definitions: dict[str, Any]) -> str:
    if "$ref" in spec:
        name = spec["$ref"].rsplit("/", 1)[-1]
        target = definitions[name]
        if "enum" in target:
            return ", ".join(f"`{v}`" for v in target["enum"])
        return {
            "text": "Dutch and English text",
            "textList": "Dutch and English lists",
            "nodeId": "an id",
        }.get(name, name)
    if "enum" in spec:
        return ", ".join(f"`{v}`" for v in spec["enum"])
    if "const" in spec:
        return f"`{spec['const']}`"
    if spec.get("type") == "array":
        items = spec.get("items", {})
        return "a list of " + (_allowed(items, definitions) if items else "values")
    return spec.get("type", "")


def _table(spec: dict[str, Any], definitions: dict[str, Any]) -> list[str]:
    required = set(spec.get("required", []))
    rows = ["| field | required | allowed | what it is |", "|---|---|---|---|"]
    for name, field in spec.get("properties", {}).items():
        target = field
        if "$ref" in field and "description" not in field:
            target = definitions[field["$ref"].rsplit("/", 1)[-1]]
        description = target.get("description", "").replace("|", "\\|")
        needed = "yes" if name in required else ""
        rows.append(f"| `{name}` | {needed} | {_allowed(field, definitions)} | {description} |")
    return rows


def field_reference_markdown() -> str:
    full = schema()
    definitions = full["$defs"]
    lines = [
        "# Triage file fields",
        "",
        "Generated from `portal/triage/schema/tree.schema.json` by `python -m portal.triage.reference`.",
        "Do not edit by hand: change the schema and regenerate.",
    ]
    for title, name in SECTIONS:
        spec = full if name is None else definitions[name]
        lines += ["", f"## {title}", "", spec.get("description", ""), "", *_table(spec, definitions)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(field_reference_markdown(), end="")
