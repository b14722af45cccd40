"""Static files: a content hash in every static URL, and a year of caching for that URL.

Every page load used to revalidate the stylesheet and both scripts (three
conditional requests per page). Now ``static_url('voordeur.css')`` gives
``/static/voordeur.css?v=<first 12 hex digits of its SHA-256>``, and a request that
carries the file's current hash is answered with ``Cache-Control: public,
max-age=31536000, immutable``: the browser does not ask again until the file, and
with it the URL, changes. A request without the hash, or with an old one, keeps
Flask's default (revalidate every time), so an old URL never pins new content for
a year, nor new content an old one.

The hashes are computed once at start-up (files in the installed package do not
change while it runs; a deploy restarts the workers). In development, where
someone edits the CSS while the server runs, a changed file is hashed again.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from flask import Flask, Response, request

IMMUTABLE = "public, max-age=31536000, immutable"
VERSION_PARAMETER = "v"
EXTENSION = "voordeur_static_versions"


def file_version(path: Path) -> str:
    """The first 12 hex digits of the file's SHA-256: 48 bits, plenty to tell versions apart."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def file_versions(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (its path relative to ``folder``, with ``/``) → its version."""
    return {p.relative_to(folder).as_posix(): file_version(p) for p in sorted(folder.rglob("*")) if p.is_file()}


class StaticVersions:
    """The version of each static file, hashed at start-up (and again after a change when ``watch``)."""

    def __init__(self, folder: Path, *, watch: bool) -> None:
        self.folder = folder
        self.watch = watch
        self._versions = file_versions(folder) if folder.is_dir() else {}
        self._stamps: dict[str, tuple[int, int]] = {}
        if watch:
            self._stamps = {name: self._stamp(name) for name in self._versions}

    def _stamp(self, filename: str) -> tuple[int, int]:
        try:
            stat = (self.folder / filename).stat()
        except OSError:
            return (-1, -1)
        return (stat.st_mtime_ns, stat.st_size)

    def version(self, filename: str) -> str | None:
        """The file's current version; None for a file that is not there."""
        if self.watch:
            self._recheck(filename)
        return self._versions.get(filename)

    def _recheck(self, filename: str) -> None:
        stamp = self._stamp(filename)
        if stamp == self._stamps.get(filename):
            return
        self._stamps[filename] = stamp
        path = self.folder / filename
        inside = os.path.realpath(path).startswith(os.path.realpath(self.folder) + os.sep)
        if stamp == (-1, -1) or not inside or not path.is_file():
            self._versions.pop(filename, None)
        else:
            self._versions[filename] = file_version(path)

    def url(self, script_root: str, filename: str) -> str:
        version = self.version(filename)
        base = f"{script_root}/static/{filename}"
        return f"{base}?{VERSION_PARAMETER}={version}" if version else base


def versions(app: Flask) -> StaticVersions:
    return app.extensions[EXTENSION]


def init_app(app: Flask) -> StaticVersions:
    """Hash the static files and cache a request for the current version for a year."""
    found = StaticVersions(Path(app.static_folder or ""), watch=bool(app.config.get("TEMPLATES_AUTO_RELOAD")))
    app.extensions[EXTENSION] = found

    def cache_forever(response: Response) -> Response:
        """Only for the exact current version: a URL with an old hash may now serve new content."""
        if request.endpoint != "static" or response.status_code not in (200, 304):
            return response
        asked = request.args.get(VERSION_PARAMETER)
        filename = (request.view_args or {}).get("filename", "")
        if asked and asked == found.version(filename):
            response.headers["Cache-Control"] = IMMUTABLE
            response.expires = None
        return response

    app.after_request(cache_forever)
    return found
