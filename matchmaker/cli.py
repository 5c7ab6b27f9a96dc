"""Command-line tools: ``flask create-user`` and ``flask seed-demo``."""

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from matchmaker.auth.forms import MAX_PASSWORD_LENGTH
from matchmaker.auth.models import MIN_PASSWORD_LENGTH, User, normalise_email
from matchmaker.auth.services import EmailTaken, InvalidAccount, create_staff_user
from matchmaker.db import write_transaction
from matchmaker.deals.cli import import_deals_command, remind_command
from matchmaker.extensions import db
from matchmaker.imports.cli import import_producers
from matchmaker.matching.cli import match
from matchmaker.meetings.cli import schedule_command
from matchmaker.permissions import Role

DEMO_PASSWORD = "matchmaker-demo"


def _check_password(_ctx, _param, value: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(value) <= MAX_PASSWORD_LENGTH:
        raise click.BadParameter(
            f"must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long"
        )
    return value


@click.command("create-user")
@click.option("--role", type=click.Choice([Role.ORGANISER.value, Role.ADMIN.value]),
              required=True, help="organiser (runs events) or admin (runs the platform)")
@click.option("--email", required=True, help="login email; trimmed and case-folded")
@click.option("--name", "full_name", required=True, help="the person's full name")
@click.password_option(callback=_check_password,
                       help="asked for twice, hidden, when not given (at least 10 characters); "
                            "for scripts, pass it with --password")
@with_appcontext
def create_user(role: str, email: str, full_name: str, password: str) -> None:
    """Create an organiser or admin account. Members register themselves on the site."""
    try:
        with write_transaction():
            user = create_staff_user(email=email, password=password, full_name=full_name,
                                     role=role)
            db.session.commit()
    except EmailTaken:
        db.session.rollback()
        raise click.ClickException(f"an account with {normalise_email(email)} exists") from None
    except InvalidAccount as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True,
              help="do nothing when the database already has accounts (used by `make run`)")
@with_appcontext
def seed_demo(if_empty: bool) -> None:
    """Load demo accounts and data. Idempotent; refuses to run in production."""
    from matchmaker.demo import DEMO_ACCOUNTS, seed

    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("seed-demo refuses to run in production")
    with write_transaction():
        if if_empty and db.session.scalar(sa.select(sa.func.count()).select_from(User)):
            click.echo("The database already has accounts: demo data not loaded.")
            return
        created = seed(password=DEMO_PASSWORD)
        db.session.commit()
    click.echo(f"Demo data ready ({created} new records).")
    click.echo(f"Demo logins (password: {DEMO_PASSWORD}):")
    for email, role, _name, _org in DEMO_ACCOUNTS:
        click.echo(f"  {role:<12} {email}")


@click.command("import-categories")
@with_appcontext
def import_categories() -> None:
    """Load or refresh the OCOP and HS category trees from data/ (idempotent)."""
    from matchmaker.catalogue.taxonomy import load_categories

    with write_transaction():
        report = load_categories()
        db.session.commit()
    click.echo(f"Categories: {report}")


commands = [create_user, seed_demo, import_categories, import_producers, schedule_command,
            match, remind_command, import_deals_command]
