"""Change control for trees and self-help pages: draft, submit, review, publish, roll back.

Every step is a plain function over the database, the live content and the
person acting, so the browser views (``portal.editor.versions``) and the tests
use the same rules, and a later form-based editor only has to produce a draft's
text: ``save_draft`` takes the whole source of one tree or page, however it was
made.

The rules (issue 14):

* a draft can be submitted only when it has no lint error and every case passes;
* a change is *wording* or *clinical logic* (``portal.content.changes``); logic
  needs a release note, a raised ``version:``, an author whose role may change
  logic (setting ``LOGIC_AUTHORS``) and a clinical reviewer; wording needs any
  second editor or clinical reviewer;
* nobody approves their own change (four eyes);
* approval publishes at once; a rollback is a new change that is reviewed like
  any other, except an admin's emergency rollback, which needs a reason;
* every step is written to the audit log.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlite_utils import Database

from ..content.changes import LOGIC, NONE, Classification, classify_page, classify_tree
from ..content.files import read_only_yaml, reading_instead
from ..content.live import Source
from ..contentlib import live_content, path_of
from ..lint import Content
from ..rulebook import rules
from ..storage import audit
from ..storage import content_versions as versions
from ..storage.audit import Origin
from ..storage.content_versions import ContentVersion
from ..storage.staff import Staff
from ..triage.cases import run_cases
from ..triage.loader import build_tree, read_file
from ..triage.model import Tree
from ..triage.problems import Problem, errors
from ..vocabulary import Role


class Refused(ValueError):
    """The step is not allowed; the message (translated when shown) says why, in the editor's words."""


@dataclass(frozen=True)
class Target:
    """One tree (``language`` '') or one page in one language."""

    kind: str
    key: str
    language: str = ""


@dataclass(frozen=True)
class DraftCheck:
    """What the portal says about a draft: its lint problems, failing cases, and what kind of change it is."""

    problems: tuple[Problem, ...]
    failed_cases: tuple[str, ...]
    classification: Classification
    value: Any = None
    blockers: tuple[str, ...] = field(default=())

    @property
    def errors(self) -> list[Problem]:
        return errors(list(self.problems))

    @property
    def ready(self) -> bool:
        """Lint and cases pass, and it changes something."""
        return not self.errors and not self.failed_cases and self.classification.kind != NONE and not self.blockers


def target_of(version: ContentVersion) -> Target:
    return Target(version.kind, version.key, version.language)


def live_text(db: Database, content: Content, target: Target) -> tuple[str | None, int | None]:
    """The text patients get now, and the id of its published version (None when it follows the file)."""
    published = versions.current(db, target.kind, target.key, target.language)
    if published is not None:
        return published.source, published.id
    path = path_of(content, target.kind, target.key, target.language)
    try:
        return path.read_text("utf-8"), None
    except (OSError, UnicodeDecodeError):
        return None, None


def check_draft(content: Content, target: Target, old: str | None, text: str, today: date) -> DraftCheck:
    """Load the draft in place of the live version, check it exactly as the portal would, and classify it."""
    if target.kind not in ("tree", "page"):  # the prelude, the lexicon, a social map
        from .shared_checks import check_shared

        return check_shared(content, target, old, text, today)
    path = path_of(content, target.kind, target.key, target.language)
    token = "draft:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    trial = content.live.trial(today, {path: Source(target.kind, text, token)})
    problems = list(trial.problems.get(path, []))
    version = trial.versions.get(path)
    value = version.loaded.value if version is not None else None
    failed: list[str] = []
    blockers: list[str] = []
    if target.kind == "tree":
        if isinstance(value, Tree):
            if value.id != target.key:
                problems.append(Problem(path, 1, f"the tree id must stay '{target.key}' (the file's name)"))
            failed = [f"{r.case.name}: {r.problem}" for r in run_cases(value) if not r.passed]
        classification = _classify_tree(path, old, text)
        if classification.kind == LOGIC and old is not None and not _version_raised(path, old, text):
            blockers.append("raise version")
    else:
        classification = classify_page(old, text)
    return DraftCheck(tuple(sorted(set(problems))), tuple(failed), classification, value, tuple(blockers))


def _classify_tree(path: Path, old: str | None, new: str) -> Classification:
    """What kind of change ``new`` is against ``old``. The readings are the kept read-only ones
    (``read_only_yaml``): every save compares with the same live text, and the version check and
    the version raise read the same two texts again."""
    new_data = read_only_yaml(new)
    old_data = read_only_yaml(old) if old is not None else None
    if new_data is None:
        return Classification(LOGIC, ("the text cannot be read as YAML",))
    return classify_tree(old_data, new_data)


def _version_raised(path: Path, old: str, new: str) -> bool:
    """A logic change raises the tree's ``version:``, so runs and the evaluation can tell the versions apart."""
    old_data, new_data = read_only_yaml(old), read_only_yaml(new)
    try:
        return int(new_data["version"]) > int(old_data["version"])
    except (TypeError, KeyError, ValueError):
        return True  # no version to compare: lint reports it


def logic_authors(setting: str) -> set[str]:
    return {role.strip() for role in setting.split(",") if role.strip()}


# --- the steps ---------------------------------------------------------------------------


def _audit(
    db: Database, action: str, staff: Staff | None, version: ContentVersion | int, origin: Origin, now: datetime
) -> None:
    found = versions.get(db, version) if isinstance(version, int) else version
    assert found is not None
    detail = f"{found.kind}:{found.name}#{found.id}" + (f" v{found.number}" if found.number else "")
    audit.append(db, action=action, staff_id=staff.id if staff else None, now=now, detail=detail, **origin)


def save_draft(
    db: Database, content: Content, staff: Staff, target: Target, text: str, now: datetime, origin: Origin
) -> tuple[int, DraftCheck]:
    """Store the author's draft of ``target`` (their open one, or a new one based on the live version)."""
    text = text.replace("\r\n", "\n")
    old, based_on = live_text(db, content, target)
    check = check_draft(content, target, old, text, now.date())
    draft = versions.open_draft(db, target.kind, target.key, target.language, staff.id)
    if draft is None:
        draft_id = versions.create(
            db,
            kind=target.kind,
            key=target.key,
            language=target.language,
            source=text,
            based_on=based_on,
            author_id=staff.id,
            now=now,
            classification=check.classification.kind,
            changes=check.classification.changes,
        )
    else:
        draft_id = draft.id
        versions.save(
            db,
            draft_id,
            source=text,
            classification=check.classification.kind,
            changes=check.classification.changes,
            now=now,
        )
    _audit(db, "content:draft-saved", staff, draft_id, origin, now)
    return draft_id, check


def recheck(db: Database, content: Content, version: ContentVersion, today: date) -> DraftCheck:
    """Check a stored version against what is live now."""
    old, _ = live_text(db, content, target_of(version))
    return check_draft(content, target_of(version), old, version.source, today)


def submit(
    db: Database,
    content: Content,
    staff: Staff,
    version_id: int,
    release_note: str,
    logic_roles: set[str],
    now: datetime,
    origin: Origin,
) -> DraftCheck:
    """Hand a draft to review, when it is ready and the author may make this kind of change."""
    version = versions.get(db, version_id)
    if version is None or version.status != versions.DRAFT or version.author_id != staff.id:
        raise Refused(_l("Only the author can submit their own draft."))
    check = recheck(db, content, version, now.date())
    if not check.ready:
        raise Refused(_l("This draft cannot be submitted yet: fix the errors and failing cases first."))
    note = release_note.strip()
    if check.classification.kind == LOGIC:
        if staff.role not in logic_roles:
            raise Refused(_l("Your role may change wording only; this draft changes clinical logic."))
        if not note:
            raise Refused(_l("A change to clinical logic needs a release note."))
    versions.submit(db, version_id, release_note=note or None, now=now)
    _audit(db, "content:submitted", staff, version_id, origin, now)
    return check


def may_review(staff: Staff, version: ContentVersion) -> str | None:
    """Why ``staff`` may not review this change, or None when they may (four eyes; logic needs a clinical reviewer)."""
    if version.author_id == staff.id:
        return str(_l("You cannot review your own change: another person must check it."))
    if version.classification == LOGIC and staff.role != Role.CLINICAL_REVIEWER:
        return str(_l("A change to clinical logic must be reviewed by a clinical reviewer."))
    if staff.role not in (Role.EDITOR, Role.CLINICAL_REVIEWER, Role.ADMIN):
        return str(_l("Only editors and clinical reviewers review changes."))
    return None


def approve(
    db: Database, content: Content, staff: Staff, version_id: int, comment: str, now: datetime, origin: Origin
) -> int:
    """Approve and publish a submitted change; returns the new version number."""
    version = versions.get(db, version_id)
    if version is None or version.status != versions.SUBMITTED:
        raise Refused(_l("This change is not waiting for review."))
    why = may_review(staff, version)
    if why:
        raise Refused(why)
    check = recheck(db, content, version, now.date())
    if check.errors or check.failed_cases:
        raise Refused(
            _l("This change no longer passes its checks against what is live now; the author must update it.")
        )
    try:
        number = versions.publish(db, version_id, reviewer_id=staff.id, comment=comment.strip() or None, now=now)
    except versions.Conflict as exc:
        raise Refused(
            _l("Another version was published since this change was made; the author must make it again.")
        ) from exc
    _audit(db, "content:published", staff, version_id, origin, now)
    return number


def reject(db: Database, staff: Staff, version_id: int, comment: str, now: datetime, origin: Origin) -> None:
    version = versions.get(db, version_id)
    if version is None or version.status != versions.SUBMITTED:
        raise Refused(_l("This change is not waiting for review."))
    why = may_review(staff, version)
    if why:
        raise Refused(why)
    if not comment.strip():
        raise Refused(_l("Say why you reject the change, so the author can improve it."))
    versions.reject(db, version_id, reviewer_id=staff.id, comment=comment.strip(), now=now)
    _audit(db, "content:rejected", staff, version_id, origin, now)


def withdraw(db: Database, staff: Staff, version_id: int, now: datetime, origin: Origin) -> None:
    version = versions.get(db, version_id)
    if version is None or version.author_id != staff.id or not versions.withdraw(db, version_id, now):
        raise Refused(_l("Only the author can withdraw their own open change."))
    _audit(db, "content:withdrawn", staff, version_id, origin, now)


def request_rollback(
    db: Database, content: Content, staff: Staff, version_id: int, note: str, now: datetime, origin: Origin
) -> int:
    """A change back to an older version's text, submitted for review like any other change."""
    old = versions.get(db, version_id)
    if old is None or old.number is None:
        raise Refused(_l("Only a published version can be rolled back to."))
    target = target_of(old)
    live, based_on = live_text(db, content, target)
    check = check_draft(content, target, live, old.source, now.date())
    if check.errors or check.failed_cases:
        raise Refused(_l("That version no longer passes its checks against what is live now."))
    if check.classification.kind == NONE:
        raise Refused(_l("That version is the one patients get now."))
    new_id = versions.create(
        db,
        kind=target.kind,
        key=target.key,
        language=target.language,
        source=old.source,
        based_on=based_on,
        author_id=staff.id,
        now=now,
        origin="rollback",
        status=versions.SUBMITTED,
        classification=check.classification.kind,
        changes=check.classification.changes,
    )
    versions.set_release_note(db, new_id, note.strip() or f"Rollback to version {old.number}")
    _audit(db, "content:rollback-requested", staff, new_id, origin, now)
    return new_id


def emergency_rollback(
    db: Database, content: Content, staff: Staff, version_id: int, reason: str, now: datetime, origin: Origin
) -> int:
    """An admin puts an older version live at once, without review; the reason goes to the history and the audit log."""
    if staff.role != Role.ADMIN:
        raise Refused(_l("Only an administrator can roll back at once."))
    if not reason.strip():
        raise Refused(_l("Give the reason for the emergency rollback."))
    old = versions.get(db, version_id)
    if old is None or old.number is None:
        raise Refused(_l("Only a published version can be rolled back to."))
    target = target_of(old)
    live, _based_on = live_text(db, content, target)
    check = check_draft(content, target, live, old.source, now.date())
    if check.value is None:
        raise Refused(_l("That version cannot be loaded any more."))
    new_id, _number = versions.publish_now(
        db,
        kind=old.kind,
        key=old.key,
        language=old.language,
        source=old.source,
        origin="emergency",
        author_id=staff.id,
        comment=reason.strip(),
        now=now,
        classification=check.classification.kind,
        changes=check.classification.changes,
    )
    _audit(db, "content:emergency-rollback", staff, new_id, origin, now)
    return new_id


def tree_from_text(target: Target, text: str) -> Tree | None:
    """The tree built from ``text`` (the author's draft or the live text), even when a case fails:
    the cases and structure forms need its questions and outcomes to show them in words."""
    book = rules()
    if book.prelude is None:
        return None
    path = path_of(live_content(), "tree", target.key)
    with reading_instead({path: text.encode("utf-8")}):
        data, _problems = read_file(path)
    if data is None or data.get("kind") != "tree":
        return None
    return build_tree(path, data, book.prelude)
