"""Self-help pages and the social map: Markdown and YAML files in ``content/``.

Plain Python like the triage core (no Flask, no database): load, check,
render, sanitise and search, each reported as ``file:line: message``.
"""
