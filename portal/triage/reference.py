"""Field references for editors, generated from the JSON Schemas.

``docs/authoring/{tree,page,social-map}-fields.md`` are this module's output;
a test fails when a schema changes and its document is not regenerated:
``python -m portal.triage.reference trees|pages|social_map > docs/authoring/…``.
"""

from __future__ import annotations

from typing import Any

from .loader import schema

SECTIONS = (
    ("The file", None),
    ("A question node", "question"),
    ("An answer", "answer"),
    ("A checklist node", "checklist"),
    ("The 'none of these' box of a checklist", "checklistNone"),
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


def reference_markdown(title: str, source: str, full: dict[str, Any], sections) -> str:
    definitions = full.get("$defs", {})
    lines = [
        f"# {title}",
        "",
        f"Generated from `{source}` by `python -m portal.triage.reference`.",
        "Do not edit by hand: change the schema and regenerate.",
    ]
    for heading, name in sections:
        spec = full if name is None else definitions[name]
        lines += ["", f"## {heading}", "", spec.get("description", ""), "", *_table(spec, definitions)]
    return "\n".join(lines) + "\n"


def field_reference_markdown() -> str:
    return reference_markdown("Triage file fields", "portal/triage/schema/tree.schema.json", schema(), SECTIONS)


def page_reference_markdown() -> str:
    from ..pages.loader import schema as content_schema

    return reference_markdown(
        "Self-help page fields",
        "portal/pages/schema/page.schema.json",
        content_schema("page"),
        (("Front matter", None),),
    )


def social_map_reference_markdown() -> str:
    from ..pages.loader import schema as content_schema

    full = content_schema("social_map")
    service = {"$defs": full["$defs"], **full["properties"]["services"]["items"]}
    return (
        reference_markdown(
            "Social map fields", "portal/pages/schema/social_map.schema.json", full, (("The file", None),)
        )
        + "\n"
        + "\n".join(["## A service", "", *_table(service, full["$defs"])])
        + "\n"
    )


REFERENCES = {
    "trees": ("tree-fields.md", field_reference_markdown),
    "pages": ("page-fields.md", page_reference_markdown),
    "social_map": ("social-map-fields.md", social_map_reference_markdown),
}


if __name__ == "__main__":
    import sys

    print(REFERENCES[sys.argv[1] if len(sys.argv) > 1 else "trees"][1](), end="")
