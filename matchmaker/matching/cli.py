"""``flask match EVENT_ID``: each approved participant's top suggestions at an event, with
reasons, as the participant would see them (exclusions, "not interested" and pins
applied)."""

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from matchmaker.events.models import Event
from matchmaker.extensions import db
from matchmaker.matching import loader, services
from matchmaker.matching.reasons import pair_lines


@click.command("match")
@click.argument("event_id", type=click.IntRange(1, 2**31 - 1))
@click.option("-k", "k", type=click.IntRange(1, services.MAX_K), default=5, show_default=True,
              help="suggestions per participant")
@click.option("--lang", type=click.Choice(["en", "vi"]), default="en", show_default=True,
              help="language of the reasons")
@with_appcontext
def match(event_id: int, k: int, lang: str) -> None:
    """Print each approved participant's top suggestions at EVENT_ID, with reasons."""
    event = db.session.get(Event, event_id)
    if event is None:
        raise click.ClickException(f"no event {event_id}")
    participants = loader.event_participants(event.id)
    cat = loader.catalogue()
    index = loader.event_index(cat, participants)
    producers = sum(p.side == services.PRODUCER for p in participants)
    click.echo(f"Event {event.id}: {event.title}")
    click.echo(f"participants: {producers} producers, {len(participants) - producers} "
               f"distributors (approved or checked in)")
    with current_app.test_request_context(), force_locale(lang):
        for participant in sorted(participants, key=lambda p: (p.side, p.name_key)):
            decisions = services.viewer_decisions(participant.organisation_id, event.id)
            result = services.suggestions(cat, participant.organisation_id, participant.side,
                                          decisions, k, event_id=event.id, index=index,
                                          participants=participants)
            click.echo("")
            click.echo(f"{participant.side} {participant.name} "
                       f"(registration {participant.registration_id}): "
                       f"{len(result.suggestions)} suggestion(s)")
            for rank, suggestion in enumerate(result.suggestions, 1):
                pin = " [pinned]" if suggestion.pinned else ""
                click.echo(f"  {rank}. {suggestion.name} — score {suggestion.match.score}{pin}")
                for line in pair_lines(suggestion.match, cat, participant.side):
                    click.echo(f"     - {line.text}")
