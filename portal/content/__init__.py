"""Content files of every kind, handled once: the file kernel and the live-content mechanism.

Trees (``triage/``), self-help pages and social maps (``pages/``) are text files that
editors write by hand. Reading them, parsing their YAML with lines, checking them against
a schema (``files``) and keeping the last good version of each while the portal runs
(``live``) do not depend on what the files mean, so they live here, below both.

Plain Python like the triage core: no Flask, no database.
"""
