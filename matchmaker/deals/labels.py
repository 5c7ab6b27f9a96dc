"""How MOU and supply-contract kinds, statuses and close reasons are named and coloured on
every page (and in other features' pages: follow-up, reports, exports import these).

Labels are lazy strings (translated when shown). Badge values are Bootstrap classes
(``text-bg-<colour>``). :func:`history_note` turns a status-history note into text for a
reader (close reasons are stored as codes, see :mod:`matchmaker.deals.services`).
"""

from flask_babel import lazy_gettext as _l

from matchmaker.deals.models import CloseReason, ContractStatus, MouKind, MouStatus

M = MouStatus
C = ContractStatus
R = CloseReason

KIND_LABELS = {
    MouKind.BUSINESS: _l("Business (producer and distributor)"),
    MouKind.AGENCY: _l("Between agencies"),
}
MOU_STATUS_LABELS = {
    M.SIGNED: _l("Signed"),
    M.NEGOTIATING: _l("Negotiating"),
    M.CONVERTED: _l("Contract signed"),
    M.LAPSED: _l("Lapsed / no progress"),
    M.CANCELLED: _l("Cancelled"),
}
# For narrow places (filters, badges in tables).
MOU_STATUS_SHORT = {**MOU_STATUS_LABELS, M.LAPSED: _l("No progress")}
MOU_STATUS_BADGES = {
    M.SIGNED: "text-bg-primary",
    M.NEGOTIATING: "text-bg-info",
    M.CONVERTED: "text-bg-success",
    M.LAPSED: "text-bg-warning",
    M.CANCELLED: "text-bg-secondary",
}
CONTRACT_STATUS_LABELS = {
    C.SIGNED: _l("Signed"),
    C.DELIVERING: _l("Delivering"),
    C.COMPLETED: _l("Completed"),
    C.TERMINATED: _l("Terminated"),
    C.CANCELLED: _l("Cancelled"),
}
CONTRACT_STATUS_BADGES = {
    C.SIGNED: "text-bg-primary",
    C.DELIVERING: "text-bg-info",
    C.COMPLETED: "text-bg-success",
    C.TERMINATED: "text-bg-warning",
    C.CANCELLED: "text-bg-secondary",
}
REASON_LABELS = {
    R.PRICE: _l("Price"),
    R.VOLUME: _l("Volume / supply capacity"),
    R.CERTIFICATION: _l("Certification missing"),
    R.LOGISTICS: _l("Logistics / cold chain"),
    R.PAYMENT: _l("Payment terms"),
    R.QUALITY: _l("Quality"),
    R.NO_RESPONSE: _l("No response"),
    R.OTHER: _l("Other"),
}
# The buttons of the status changes a party or an organiser may make (converted comes from
# contracts only).
MOU_ACTION_LABELS = {
    M.NEGOTIATING: _l("Mark as negotiating"),
    M.LAPSED: _l("Mark as lapsed"),
    M.CANCELLED: _l("Cancel the MOU"),
}
MOU_REVIVE_LABEL = _l("Revive: talks resumed")
CONTRACT_ACTION_LABELS = {
    C.DELIVERING: _l("Mark as delivering"),
    C.COMPLETED: _l("Mark as completed"),
    C.TERMINATED: _l("Terminate"),
    C.CANCELLED: _l("Cancel the contract"),
}


def reason_text(code: str | None, text: str | None = None) -> str:
    """``"Giá"`` or ``"Khác: …"``: a close reason and its text in the reader's language;
    ``""`` for none. Unknown codes (newer data) are shown as stored."""
    if not code:
        return ""
    label = str(REASON_LABELS.get(code, code))
    return f"{label}: {text}" if text else label


def history_note(subject_type: str, to_status: str, note: str | None) -> str:
    """A history row's note as a reader should see it.

    MOUs closed (``lapsed`` / ``cancelled``) carry ``"<reason code>"`` or
    ``"<reason code>: <text>"`` (see ``services._reason_note``): shown as the reason's label.
    Any other note is shown as written.
    """
    if not note:
        return ""
    if subject_type == "mou" and to_status in (M.LAPSED, M.CANCELLED):
        code, _sep, text = note.partition(": ")
        if code in set(CloseReason):
            return reason_text(code, text or None)
    return note
