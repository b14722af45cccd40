"""The patient's journey: practice start page, complaint picker, triage, outcome,
requests to the practice and self-help pages.

The package pattern of Flask's larger examples: the blueprint is made here and
each views module adds its routes to it when imported at the bottom, so
``create_app`` registers ``portal.patient.bp`` and nothing is wired by the side
effect of an import elsewhere.
"""

from flask import Blueprint

bp = Blueprint("patient", __name__)

from . import conversation, requests, routes, selfhelp, validation  # noqa: E402, F401  (each adds its views to bp)
