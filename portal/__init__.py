"""Voordeur: the digital front door of a Dutch general practice.

Importing ``portal`` imports nothing else, so the pure core
(``portal.triage``) stays free of Flask and the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from flask import Flask


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the portal. See ``portal.app.create_app``."""
    from .app import create_app as build

    return build(test_config)
