"""The editors' workbench: what is live, what was refused and why, previews, diagrams, a simulator,
and the forms that change content under review.

``routes`` holds the blueprint and imports every view module at its end; the view modules import
``bp`` and shared helpers back from it. Importing it here first makes that order the same whichever
module of the package is imported first (a view module imported on its own would otherwise meet a
half-built one: ``tests/app/test_foundations.py`` imports every module of the installed wheel).
"""

from . import routes as _routes  # noqa: F401
