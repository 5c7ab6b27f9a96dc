"""``flask schedule EVENT_ID``: build an event's provisional meeting schedule from the
command line and print how good it is.

Output::

    slots used: 7
    lower bound: 7
    unplaced: 1
      meeting 42: Công ty A — Siêu thị B: participant_full (Siêu thị B has more meetings
      than slots it is free in)

The schedule is saved as provisional (as the organiser's "Generate" button does) unless
``--dry-run``; once published it is refused unless ``--place-new`` (place only the meetings
accepted since, around the published ones). ``--dry-run`` saves nothing, so it works on a
published schedule too: it prints what ``--place-new`` would give (with no meetings
accepted since, that is the published schedule's own figures). With ``--place-new`` the
last line also says how many meetings were placed by this run.
"""

import click
from flask.cli import with_appcontext

from matchmaker.db import write_transaction
from matchmaker.extensions import db

REASON_TEXT = {
    "no_common_slot": "the two sides have no free slot in common",
    "participant_full": "has more meetings than slots it is free in",
    "no_slot_left": "no slot or table left: the other meetings took them",
}
ERROR_TEXT = {
    "wrong_event": "no event with id {event_id}",
    "no_slots": "the event has no meeting slots (add sessions to it first)",
    "published": "the schedule is published: it changes only by explicit moves; "
                 "pass --place-new to place the meetings accepted since",
    "conflict": "the database refused the schedule (a concurrent change?): {detail}",
}


def _reason(problem) -> str:
    text = REASON_TEXT.get(problem.reason, problem.reason)
    if problem.who:
        text = f"{', '.join(problem.who)} {text}"
    return f"{problem.reason} ({text})"


@click.command("schedule")
@click.argument("event_id", type=int)
@click.option("--place-new", is_flag=True,
              help="once published: place only the meetings accepted since")
@click.option("--dry-run", is_flag=True, help="print the result without saving it")
@with_appcontext
def schedule_command(event_id: int, place_new: bool, dry_run: bool) -> None:
    """Build EVENT_ID's provisional meeting schedule; print slots used, the lower bound
    max(Δ, ⌈M/T⌉) and the meetings not placed, with reasons."""
    from matchmaker.events.models import Event
    from matchmaker.meetings import scheduling
    from matchmaker.meetings.models import ScheduleStatus

    with write_transaction():
        event = db.session.get(Event, event_id)
        published = event is not None and event.schedule_status == ScheduleStatus.PUBLISHED
        # A dry run changes nothing: on a published schedule it shows what placing the
        # meetings accepted since would give, instead of refusing.
        implied = dry_run and published and not place_new
        place_new = place_new or implied
        try:
            result = scheduling.generate(event_id, None, place_new=place_new)
        except scheduling.ScheduleError as error:
            db.session.rollback()
            message = ERROR_TEXT.get(error.code, error.code)
            raise click.ClickException(
                message.format(event_id=event_id, detail=error.params.get("detail", ""))
            ) from None
        lines = [f"slots used: {result.slots_used}", f"lower bound: {result.lower_bound}",
                 f"unplaced: {len(result.unplaced)}"]
        for problem in result.unplaced:
            m = problem.meeting
            lines.append(f"  meeting {m.id}: {m.producer_registration.organisation.name} — "
                         f"{m.distributor_registration.organisation.name}: "
                         f"{_reason(problem)}")
        saved = ("dry run: not saved" if dry_run
                 else "saved" if place_new else "saved as provisional")
        newly = f", {len(result.newly_placed)} of them new" if place_new else ""
        lines.append(f"placed: {result.placed} of {result.placed + len(result.unplaced)} "
                     f"in {result.slot_count} slots available{newly} ({saved})")
        if implied:
            lines.append("the schedule is published: these are the figures with the "
                         "meetings accepted since placed around it, as --place-new would")
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    click.echo("\n".join(lines))
