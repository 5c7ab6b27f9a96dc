"""``flask import-producers FILE [--province NAME] [--dry-run]``.

Prints one line per row (row number, outcome, reason, product, organisation) and a summary,
in English (server logs), with a progress bar for files over :data:`PROGRESS_FROM` rows.
Exits with status 1 when the file as a whole is refused; nothing is saved then.
"""

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from matchmaker.db import write_transaction
from matchmaker.extensions import db
from matchmaker.imports.parsing import MAX_FILE_BYTES, FileError
from matchmaker.imports.reasons import REASONS, file_error_message
from matchmaker.imports.services import DEFAULT_UNIT, ImportResult
from matchmaker.imports.services import import_producers as run
from matchmaker.organisations.addresses import resolve_address
from matchmaker.organisations.divisions import province_name

__all__ = ["import_producers"]

#: Files with more data rows than this get a progress bar.
PROGRESS_FROM = 200


def _province_code(name: str | None) -> int | None:
    if not name:
        return None
    found = resolve_address(name)
    if found.province_code is None:
        choices = "; ".join(label for _code, label in found.candidates)
        raise click.BadParameter(
            f"{name!r} is not one province" + (f" (it could be: {choices})" if choices else ""),
            param_hint="--province")
    return found.province_code


def _echo_report(result: ImportResult) -> None:
    click.echo(f"{'row':>5}  {'outcome':<9}  {'reason':<20}  product — organisation")
    for row in result.rows:
        organisation = row.organisation_name or row.producer_name or "-"
        click.echo(f"{row.row_number:>5}  {row.outcome:<9}  {row.reason or '':<20}  "
                   f"{row.product_name or '-'} — {organisation}")
        if row.reason:
            detail = f" [{row.detail}]" if row.detail else ""
            click.echo(f"{'':>39}{REASONS.get(row.reason, row.reason)}{detail}")


def _echo_summary(result: ImportResult) -> None:
    counts = ", ".join(f"{result.count(o)} {o}" for o in ("imported", "merged", "unchanged",
                                                          "skipped"))
    click.echo(f"{len(result.rows)} rows: {counts}.")
    click.echo(f"New organisations: {result.organisations_created}; new products: "
               f"{result.products_created}; possible duplicates to review at /imports/reviews: "
               f"{result.reviews_created}.")
    if result.unit_defaulted:
        click.echo(f"{result.unit_defaulted} new products had no unit: "
                   f"set to \"{DEFAULT_UNIT}\"; producers can change it.")
    if result.ignored_columns:
        click.echo("Columns not recognised (ignored): " + ", ".join(result.ignored_columns))


@click.command("import-producers")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--province", default=None, metavar="NAME",
              help="province of the list, for rows that name no place or an ambiguous one "
                   "(e.g. \"Nghệ An\")")
@click.option("--dry-run", is_flag=True, help="check and report only; save nothing")
@with_appcontext
def import_producers(file: Path, province: str | None, dry_run: bool) -> None:
    """Import producers and their products from a CSV or XLSX FILE (see the README)."""
    default_province = _province_code(province)
    if file.stat().st_size > MAX_FILE_BYTES:
        raise click.ClickException(f"{file} is larger than {MAX_FILE_BYTES // 2**20} MB")
    data = file.read_bytes()
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if total <= PROGRESS_FROM:
            return
        if bar is None:
            bar = click.progressbar(length=total, label="Importing", show_pos=True)
            bar.__enter__()
        bar.update(1)

    with force_locale("en"), write_transaction():
        try:
            result = run(data, file.name, default_province=default_province, dry_run=dry_run,
                         progress=progress)
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
        if dry_run or not result.changed:
            db.session.rollback()
        else:
            db.session.commit()
        _echo_report(result)
        _echo_summary(result)
    if default_province is not None:
        click.echo(f"Default province: {province_name(default_province)}.")
    if dry_run:
        click.echo("Dry run: nothing was saved.")
    elif result.import_id is None:
        again = (f" This file was imported before (import #{result.previous_import_id})."
                 if result.previous_import_id else "")
        click.echo("Nothing changed." + again)
    else:
        click.echo(f"Saved as import #{result.import_id}.")
