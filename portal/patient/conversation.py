"""The patient answers back on their status page: one conversation with the practice.

The status page (reached only through the request's unguessable token) shows the
patient's question and both sides' messages in order, and under them a box
"Reageer op het antwoord". A message from the patient puts an answered or closed
request back in the practice's inbox with a fresh deadline
(``storage.conversation.add_patient_message``).

Who may write, and when (``writing_state``):

* only after the practice has answered: before that there is nothing to answer,
  and adding to an unanswered question would not make it come sooner;
* never on a purged request, nor on one from an outcome marked ``no_messages``
  (an unsafe home: a conversation could be read by the wrong person);
* on a closed request only while the practice's last reply is less than
  ``REOPEN_DAYS`` old: then one reply reopens it. Later, the page says the question
  was dealt with and offers a new triage, because a complaint weeks later needs new
  answers to the red-flag questions, not a message on an old thread.

The text is never logged: the audit log records that the patient wrote, the routing
log nothing at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from babel.dates import format_date
from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, MultipleFileField, TextAreaField
from wtforms.validators import DataRequired, Length

from .. import clock, photos
from ..alarm import alarm_words
from ..contentlib import content
from ..hours import is_open
from ..i18n import current_locale
from ..rulebook import live_trees
from ..security import client_address
from ..storage import conversation as conversation_store
from ..storage import photos as photo_store
from ..storage import requests as store
from ..storage import throttle
from ..storage.db import StorageUnavailable, get_db
from ..storage.practices import get_practice
from ..triage.model import Outcome
from ..vocabulary import MessageAuthor, RequestKind, RequestStatus
from ..workdays import answer_due
from . import bp
from .forms import photo_problem
from .next_steps import urgent_call

#: The longest message a patient can send, as for the question itself.
MESSAGE_CHARACTERS = 2000
#: A closed request takes one more reply while the practice's last answer is younger than this.
REOPEN_DAYS = 14
#: Messages on one request per hour: far above a person's, far below a script's.
MESSAGES_PER_REQUEST_HOUR = 10
_HOUR = timedelta(hours=1)


class MessageForm(FlaskForm):
    """The patient's message; ``alarm_ack`` is set after the "Is dit dringend?" interruption."""

    body = TextAreaField(
        _l("Reply to the answer"),
        validators=[
            DataRequired(_l("Type your message.")),
            Length(
                max=MESSAGE_CHARACTERS,
                message=_l(
                    "Your message is too long: at most %(max)d characters. Make it shorter and press send again.",
                    max=MESSAGE_CHARACTERS,
                ),
            ),
        ],
    )
    photos = MultipleFileField(_l("Photos (if you want)"))
    alarm_ack = HiddenField()


@bp.url_value_preprocessor
def _room_for_message_photos(endpoint: str | None, _values: dict | None) -> None:
    """A message may carry up to 3 photos: only its POST gets the larger body limit (as the request form's).

    Set before the CSRF check reads the body; every other route keeps ``MAX_CONTENT_LENGTH``.
    """
    if endpoint == "patient.answer_back" and request.method == "POST":
        usual = current_app.config["MAX_CONTENT_LENGTH"]
        request.max_content_length = None if usual is None else max(usual, photos.MAX_REQUEST_BYTES)


@dataclass(frozen=True)
class Entry:
    """One message of the conversation as the patient reads it."""

    author: str  # MessageAuthor
    at: datetime  # local time
    when: str  # "1 december 2026 om 10:05"
    body: str | None
    link: tuple[str, str] | None = None  # (title, url) of a self-help page under a practice's reply
    photos: tuple[str, ...] = ()  # the file names of the photos the patient sent with it


def writing_state(
    found: store.PracticeRequest, messages: Sequence[store.Message], *, no_messages: bool, now: datetime
) -> str:
    """'open' | 'reopen' | 'closed' | 'waiting' | 'refused': whether, and why (not), the patient may write.

    'reopen' is a closed request whose last reply is younger than REOPEN_DAYS: one reply reopens it.
    """
    if found.purged_at or no_messages:
        return "refused"
    replies = [m.created_at for m in messages if m.author == MessageAuthor.PRACTICE]
    if found.status == RequestStatus.CLOSED:
        recent = bool(replies) and now - datetime.fromisoformat(max(replies)) < timedelta(days=REOPEN_DAYS)
        return "reopen" if recent else "closed"
    return "open" if replies else "waiting"


def no_messages(found: store.PracticeRequest) -> bool:
    """The request came from an outcome marked ``no_messages`` (as the tree says now)."""
    tree = live_trees().get(found.details.get("tree") or "")
    outcome_id = found.details.get("outcome")
    if tree is None or not outcome_id:
        return False
    try:
        node = tree.node(outcome_id)
    except KeyError:
        return False
    return isinstance(node, Outcome) and node.no_messages


def when(moment: datetime, locale: str) -> str:
    """A date and time as people write them: "1 december 2026 om 10:05" (English alongside)."""
    day = format_date(moment.date(), "long", locale=locale)
    return _("%(date)s at %(time)s", date=day, time=moment.strftime("%H:%M"))


def _page_link(practice: str, slug: str | None) -> tuple[str, str] | None:
    """(title, url) of the self-help page a reply template linked, in the patient's language if it exists."""
    if not slug:
        return None
    page = content().page(slug, current_locale()) or content().page(slug, "nl")
    if page is None:  # removed since the reply was sent: show the reply without a dead link
        return None
    return page.title, url_for("patient.selfhelp_page", practice_slug=practice, slug=slug)


def thread(
    found: store.PracticeRequest,
    messages: Sequence[store.Message],
    zone: tzinfo,
    sent_photos: Sequence[photo_store.PhotoInfo] = (),
) -> list[Entry]:
    """The patient's question, then every message of both sides, oldest first (the patient's photos by name)."""
    locale = current_locale()
    names: dict[int | None, tuple[str, ...]] = {}
    for photo in sent_photos:
        names[photo.message_id] = (*names.get(photo.message_id, ()), photo.filename)
    entries = []
    if found.message:
        sent = datetime.fromisoformat(found.created_at).astimezone(zone)
        entries.append(
            Entry(MessageAuthor.PATIENT, sent, when(sent, locale), found.message, photos=names.get(None, ()))
        )
    for message in messages:
        at = datetime.fromisoformat(message.created_at).astimezone(zone)
        link = _page_link(found.practice, message.page) if message.author == MessageAuthor.PRACTICE else None
        entries.append(Entry(message.author, at, when(at, locale), message.body, link, names.get(message.id, ())))
    return entries


def render_status(
    found: store.PracticeRequest,
    *,
    just_sent: bool = False,
    form: MessageForm | None = None,
    alarms: Sequence[str] = (),
    problem: str | None = None,
    status: int = 200,
    choose_photos_again: bool = False,
):
    """The status page; with ``form`` the patient's message as typed (an error never loses it)."""
    db = get_db()
    practice = get_practice(db, found.practice)
    zone = clock.local().tzinfo
    assert zone is not None
    messages = store.messages(db, found.id)
    entries = thread(found, messages, zone, photo_store.photos_for(db, found.id))
    writing = writing_state(found, messages, no_messages=no_messages(found), now=clock.now())
    headers = {"Retry-After": "30"} if status in (429, 503) else {}
    open_now = is_open(practice.opening_hours, clock.local()) if practice else False
    return (
        render_template(
            "patient/status.html",
            practice=practice,
            item=found,
            thread=entries,
            replies=[e for e in entries if e.author == MessageAuthor.PRACTICE and e.body],
            due=datetime.fromisoformat(found.due_at).astimezone(zone),
            just_sent=just_sent,
            message_sent=request.args.get("bericht") == "1",
            writing=writing,
            form=form or MessageForm(formdata=None),
            alarms=list(alarms),
            max_photos=photos.MAX_PHOTOS,
            choose_photos_again=choose_photos_again,
            problem=problem,
            call=urgent_call(practice, open_now) if practice else None,
            tree=None,
        ),
        status,
        headers,
    )


def request_by_token(token: str) -> store.PracticeRequest:
    """The request this token opens; anything else is 'not found' (a token proves nothing else)."""
    if len(token) < 20:
        abort(404)
    found = store.by_token(get_db(), token)
    if found is None:
        abort(404)
    return found


def _allowed(found: store.PracticeRequest, now: datetime) -> bool:
    """Within the client's hourly budget and the request's (counters in SQLite, as for requests)."""
    db = get_db()
    client = throttle.client_key(current_app.config["SECRET_KEY"], client_address())
    per_client = current_app.config["VOORDEUR"]["REQUESTS_PER_CLIENT_HOUR"]
    return throttle.within_limit(
        db, "message:" + client, limit=per_client, window=_HOUR, now=now
    ) and throttle.within_limit(db, f"messages:{found.id}", limit=MESSAGES_PER_REQUEST_HOUR, window=_HOUR, now=now)


def _fresh_due(found: store.PracticeRequest) -> datetime:
    """The deadline a reopened request gets: as for a new request of its kind."""
    now_local = clock.local()
    return now_local + _HOUR if found.kind == RequestKind.CALLBACK else answer_due(now_local)


def _has_photos() -> bool:
    return any(f and f.filename for f in request.files.getlist("photos"))


def _take_photos() -> tuple[list[photos.CleanPhoto], list[photos.PhotoRefused]]:
    """The photos sent with the message, re-encoded (``portal.photos.clean``), and the refused ones with why.

    Unlike the request form there is no page in between to keep photos on: when one
    is refused, nothing is sent, the text stays, and the patient chooses the photos again.
    """
    uploads = [f for f in request.files.getlist("photos") if f and f.filename]
    cleaned: list[photos.CleanPhoto] = []
    refused: list[photos.PhotoRefused] = []
    for number, upload in enumerate(uploads):
        name = photos.display_name(upload.filename)
        if number >= photos.MAX_PHOTOS:
            refused.append(photos.PhotoRefused(photos.Problem.TOO_MANY, name))
            continue
        try:
            cleaned.append(photos.clean(upload.read(photos.MAX_BYTES + 1), name))
        except photos.PhotoRefused as problem:
            refused.append(problem)
    return cleaned, refused


@bp.post("/status/<token>/reactie")
def answer_back(token: str):
    """The patient's message: stored and the request reopened, then back to the page (303)."""
    found = request_by_token(token)
    form = MessageForm()
    db = get_db()
    if writing_state(found, store.messages(db, found.id), no_messages=no_messages(found), now=clock.now()) not in (
        "open",
        "reopen",
    ):
        return render_status(found, status=409)
    if not form.validate_on_submit():
        return render_status(found, form=form, status=422)
    body = form.body.data.strip()
    alarms = alarm_words(body)
    if alarms and form.alarm_ack.data != "1":
        form.alarm_ack.data = "1"  # interrupt once; the next press sends
        return render_status(found, form=form, alarms=alarms, choose_photos_again=_has_photos())
    try:
        # Counted before any photo is decoded (up to a second of CPU each): the limit also caps that work.
        if not _allowed(found, clock.now()):
            return render_status(found, form=form, problem="too_many", status=429)
        cleaned, refused = _take_photos()
        if refused:
            form.photos.errors = [photo_problem(problem) for problem in refused]
            return render_status(found, form=form, status=422, choose_photos_again=True)
        conversation_store.add_patient_message(
            db, found.id, body, now=clock.now(), due=_fresh_due(found), photos=cleaned
        )
    except StorageUnavailable:
        return render_status(found, form=form, problem="unavailable", status=503)
    except conversation_store.NotAccepted:
        return render_status(found, status=409)
    return redirect(url_for(".request_status", token=token, bericht=1, _anchor="gesprek"), 303)
