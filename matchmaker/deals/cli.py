"""Deals commands: ``flask remind`` and ``flask import-deals FILE``.

Both print in English (server logs and cron mail) and run in one write transaction
(:func:`matchmaker.db.write_transaction`).
"""

from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from matchmaker.db import write_transaction
from matchmaker.deals.import_report import DealImportResult
from matchmaker.deals.importing import import_deals
from matchmaker.deals.remind import send_reminders
from matchmaker.extensions import db
from matchmaker.imports.parsing import MAX_FILE_BYTES, FileError
from matchmaker.imports.reasons import file_error_message

__all__ = ["import_deals_command", "remind_command"]

#: Files with more data rows than this get a progress bar.
PROGRESS_FROM = 200


@click.command("remind")
@click.option("--date", "today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              metavar="YYYY-MM-DD", help="pretend today is this day (default: today in Vietnam)")
@click.option("--dry-run", is_flag=True, help="list who would be reminded; change nothing")
@with_appcontext
def remind_command(today, dry_run: bool) -> None:
    """Remind the parties of MOUs whose next step is due (run daily, e.g. from cron).

    Each MOU is reminded once per due date: running it again the same day reminds nobody.
    """
    day: date | None = today.date() if today is not None else None
    with write_transaction():
        try:
            run = send_reminders(day, dry_run=dry_run)
        except BaseException:
            db.session.rollback()
            raise
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    for item in run.mous:
        click.echo(f"MOU #{item.mou_id} due {item.due.isoformat()}: {item.producer} — "
                   f"{item.distributor}")
    verb = "Would remind" if dry_run else "Reminded"
    click.echo(f"{verb} {len(run.mous)} MOUs: {len(run.people)} people "
               f"({run.notifications} notifications), next steps due by "
               f"{run.today.isoformat()}.")
    if dry_run:
        click.echo("Dry run: nothing was sent or saved.")


def _echo_report(result: DealImportResult) -> None:
    click.echo(f"{'row':>5}  {'kind':<8}  {'outcome':<9}  number — parties")
    for row in result.rows:
        click.echo(f"{row.row_number:>5}  {row.kind:<8}  {row.outcome:<9}  "
                   f"{row.reference or '-'} — {row.producer or '-'} → {row.distributor or '-'}")
        for issue in row.issues:
            column = f"{result.column(issue.field)}: " if issue.field else ""
            value = f" [{issue.value}]" if issue.value else ""
            mark = "ERROR " if issue.is_error else ""
            click.echo(f"{'':>7}{mark}{column}{issue.text}{value}")


@click.command("import-deals")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="check and report only; save nothing")
@with_appcontext
def import_deals_command(file: Path, dry_run: bool) -> None:
    """Import past MOUs and supply contracts from a CSV or XLSX FILE (see the README).

    All or nothing: one row with a problem and nothing is saved (exit status 1).
    """
    if file.stat().st_size > MAX_FILE_BYTES:
        raise click.ClickException(f"{file} is larger than {MAX_FILE_BYTES // 2**20} MB")
    data = file.read_bytes()
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if total <= 2 * PROGRESS_FROM:
            return
        if bar is None:
            bar = click.progressbar(length=total, label="Importing", show_pos=True)
            bar.__enter__()
        bar.update(done - bar.pos)

    with force_locale("en"), write_transaction():
        try:
            result = import_deals(data, file.name, dry_run=dry_run, progress=progress)
        except FileError as exc:
            db.session.rollback()
            raise click.ClickException(
                f"{file.name}: {file_error_message(exc.code, exc.params)} Nothing was imported."
            ) from None
        except BaseException:
            db.session.rollback()
            raise
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
        if result.can_save:
            db.session.commit()
            result.saved = True
        else:
            db.session.rollback()
        _echo_report(result)
    counts = ", ".join(f"{result.count(o)} {o}" for o in ("imported", "ready", "unchanged",
                                                          "error") if result.count(o))
    click.echo(f"{len(result.rows)} rows: {counts}.")
    if result.ignored_columns:
        click.echo("Columns not recognised (ignored): " + ", ".join(result.ignored_columns))
    if result.has_errors:
        raise click.ClickException(
            f"{result.count('error')} rows have problems: nothing was saved.")
    summary = (f"{result.mous_created} MOUs, {result.contracts_created} contracts, "
               f"{result.organisations_created} new organisations "
               f"({result.reviews_created} possible duplicates to review at /imports/reviews)")
    if result.saved:
        click.echo(f"Saved: {summary}.")
    elif dry_run and result.changed:
        click.echo(f"Dry run: would import {summary}. Nothing was saved.")
    else:
        click.echo("Nothing new: every row is already on the platform.")
