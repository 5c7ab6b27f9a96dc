"""The organiser's upload form (Flask-WTF; CSRF included)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField

from matchmaker.organisations.divisions import provinces


def _province(value: str | int | None) -> int | None:
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # not a choice: the field says so


class UploadForm(FlaskForm):
    """A producers file and the province it lists (used for rows that name no place)."""

    file = FileField(
        _l("Producers file (CSV or XLSX)"),
        description=_l("A header row, then one product per row. At least the columns "
                       "product_name and producer_organisation; at most 10 MB."),
        validators=[FileRequired(_l("Choose a file to upload."))],
    )
    province = SelectField(
        _l("Province of the list"),
        description=_l("Used for rows that give no place, or a place found in several "
                       "provinces."),
        coerce=_province,
        validate_choice=True,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.province.choices = [(None, _l("(none)"))] + list(provinces())
