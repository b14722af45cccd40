"""A small URL-encoded form (every answer) is read with less machinery, and reads exactly as werkzeug reads it."""

from __future__ import annotations

import io

import pytest
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest

from portal.app import FORM, PortalRequest

BODIES = [
    b"csrf_token=abc.def-ghi_jkl&alarm_signs=none",
    b"alarm_signs=fever&alarm_signs=rash&alarm_signs=none",  # a checklist: every tick, in order
    b"note=caf%C3%A9+au+lait&empty=&bare&=nameless&a=%zz&%6Cang=en",
    b"\xff\xfe=1&b=2",  # not UTF-8: an empty form, as werkzeug's silent parser gives
    b"",
]


def _environ(body: bytes, content_type: str = FORM, length: int | None = None) -> dict:
    environ = EnvironBuilder(method="POST", path="/x", data=body, content_type=content_type).get_environ()
    if length is not None:
        environ["CONTENT_LENGTH"] = str(length)
    return environ


@pytest.mark.parametrize("body", BODIES)
def test_the_form_is_what_werkzeug_reads(app, body):
    expected = WerkzeugRequest(_environ(body))
    with app.request_context(_environ(body)) as ctx:
        assert isinstance(ctx.request, PortalRequest)
        assert list(ctx.request.form.items(multi=True)) == list(expected.form.items(multi=True))
        assert not ctx.request.files
        assert ctx.request.get_data() == expected.get_data() == b""


def test_a_body_that_ends_early_is_a_client_that_went_away(app):
    with app.request_context(_environ(b"alarm_signs=none", length=100)) as ctx, pytest.raises(ClientDisconnected):
        ctx.request.form  # noqa: B018


def test_a_body_over_the_limit_is_refused_as_before(app):
    app.config["MAX_CONTENT_LENGTH"] = 10
    with app.request_context(_environ(b"alarm_signs=none")) as ctx, pytest.raises(RequestEntityTooLarge):
        ctx.request.form  # noqa: B018


def test_other_bodies_go_through_werkzeug(app):
    multipart = EnvironBuilder(method="POST", path="/x", data={"a": "1", "f": (io.BytesIO(b"x"), "f.txt")})
    with app.request_context(multipart.get_environ()) as ctx:
        assert ctx.request.form["a"] == "1" and ctx.request.files["f"].read() == b"x"
    with app.request_context(_environ(b"a=1", content_type=FORM + "; charset=utf-8")) as ctx:
        assert ctx.request.form["a"] == "1"
