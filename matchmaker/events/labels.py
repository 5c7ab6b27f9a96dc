"""How registration sides and statuses are named and coloured on every page and export."""

from flask_babel import lazy_gettext as _l

from matchmaker.events.models import RegistrationSide, RegistrationStatus

S = RegistrationStatus

SIDE_LABELS = {
    RegistrationSide.PRODUCER: _l("Producer"),
    RegistrationSide.DISTRIBUTOR: _l("Distributor"),
}
STATUS_LABELS = {
    S.PENDING: _l("Pending approval"),
    S.APPROVED: _l("Approved"),
    S.REJECTED: _l("Rejected"),
    S.WAITLISTED: _l("Waitlisted"),
    S.CANCELLED: _l("Cancelled"),
    S.CHECKED_IN: _l("Checked in"),
}
# Bootstrap colour of each status (badges: ``text-bg-<colour>``).
STATUS_COLOURS = {
    S.PENDING: "warning",
    S.APPROVED: "success",
    S.REJECTED: "danger",
    S.WAITLISTED: "info",
    S.CANCELLED: "secondary",
    S.CHECKED_IN: "primary",
}
STATUS_BADGES = {status: f"text-bg-{colour}" for status, colour in STATUS_COLOURS.items()}
