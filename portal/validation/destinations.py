"""The destinations vignettes are labelled with, and how a triage's route and urgency map onto them.

A vignette says where a Dutch GP triagist would send the patient, in five
destinations; the portal says a route and an NTS urgency. The mapping is a
safety rule (it decides what counts as an emergency caught), so it lives here
once, with its order, and every report uses it.
"""

from __future__ import annotations

from enum import StrEnum

from ..triage.model import Route, Urgency


class Destination(StrEnum):
    """Where a patient ends up, from most to least urgent (``social_domain`` ranks with self-care)."""

    NOW = "112_or_huisartsenpost_now"
    TODAY = "huisarts_today"
    APPOINTMENT_OR_ECONSULT = "huisarts_appointment_or_econsult"
    SELF_CARE = "self_care"
    SOCIAL_DOMAIN = "social_domain"
    #: The run has no outcome (the reader stopped, or the run id points at an unfinished triage).
    NOT_FINISHED = "not_finished"


#: Urgency rank of each destination: lower is more urgent. Neither self-care nor the social
#: domain involves a doctor, so they share a rank: landing on one when the other was expected is
#: a wrong destination ("sideways"), neither under- nor over-triage.
RANK: dict[Destination, int] = {
    Destination.NOW: 0,
    Destination.TODAY: 1,
    Destination.APPOINTMENT_OR_ECONSULT: 2,
    Destination.SELF_CARE: 3,
    Destination.SOCIAL_DOMAIN: 3,
}
#: The destinations a vignette may name (``expected_nl`` / ``acceptable_nl``).
LABELS: tuple[Destination, ...] = tuple(RANK)
#: Destinations without a doctor: where a patient who needs one today must never end.
NO_DOCTOR = frozenset({Destination.SELF_CARE, Destination.SOCIAL_DOMAIN})
#: Destinations meaning "a doctor today or sooner".
DOCTOR_TODAY_OR_SOONER = frozenset({Destination.NOW, Destination.TODAY})


def destination(route: str | None, urgency: str | None) -> Destination:
    """The destination of a triage that ended at ``route`` with ``urgency``.

    In this order, the first rule that applies:

    1. no route or no urgency (an unfinished run) → ``not_finished``;
    2. route 112 (``emergency``) or urgency U1/U2 → ``112_or_huisartsenpost_now``;
    3. urgency U3, whatever the route → ``huisarts_today``;
    4. route self-care → ``self_care``; route social domain → ``social_domain``;
    5. route appointment, e-consult or call-now at U4/U5 → ``huisarts_appointment_or_econsult``
       (the tree checker does not let a call-now route carry U4/U5; should one appear,
       it still means contact with the practice);
    6. any other route (one this table does not know yet, e.g. a future catch-all route) is
       mapped by its urgency alone: U4/U5 → ``huisarts_appointment_or_econsult``.

    Urgency comes before route in rules 2 and 3 because it is what the patient is told
    about time: an appointment "today" is a same-day contact. An urgency that is not
    U1–U5 is refused (ValueError): it would silently shift the scores.
    """
    if not route or not urgency:
        return Destination.NOT_FINISHED
    try:
        level = Urgency(urgency)
    except ValueError:
        raise ValueError(f"'{urgency}' is not an urgency (U1-U5)") from None
    if route == Route.EMERGENCY or level in (Urgency.U1, Urgency.U2):
        return Destination.NOW
    if level is Urgency.U3:
        return Destination.TODAY
    if route == Route.SELF_CARE:
        return Destination.SELF_CARE
    if route == Route.SOCIAL_DOMAIN:
        return Destination.SOCIAL_DOMAIN
    return Destination.APPOINTMENT_OR_ECONSULT
