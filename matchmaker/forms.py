"""WTForms' own validation messages, in the user's language.

WTForms ships no Vietnamese catalogue, and Flask-WTF only looks there, so a built-in message
("This field is required.", "Not a valid choice.") would show in English on a Vietnamese page.
:func:`use_app_translations` makes every form translate them through our own catalogue,
where the messages listed below have Vietnamese translations.
"""

from flask import flash
from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from flask_wtf import FlaskForm


class _AppTranslations:
    # The raw catalogue, not Flask-Babel's gettext: WTForms fills in %(min)d and friends
    # itself, and Flask-Babel's ngettext would try (and fail) to format them first.
    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


_TRANSLATIONS = _AppTranslations()


def use_app_translations() -> None:
    """Make every FlaskForm translate WTForms' built-in messages with our catalogue."""
    FlaskForm.Meta.get_translations = lambda self, form: _TRANSLATIONS


# WTForms 3.3's built-in messages (wtforms/locale/wtforms.pot), listed so that
# `make extract-messages` puts them in our catalogue. Never used directly.
WTFORMS_MESSAGES = [
    _l("Field must be equal to %(other_name)s."),
    _ln("Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.", 2),
    _ln("Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.", 2),
    _ln("Field must be exactly %(max)d character long.",
        "Field must be exactly %(max)d characters long.", 2),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Date must be at least %(min)s."),
    _l("Date must be at most %(max)s."),
    _l("Date must be between %(min)s and %(max)s."),
    _l("This field is required."),
    _l("Invalid input."),
    _l("Invalid email address."),
    _l("Invalid URL."),
    _l("Invalid value, must be one of: %(values)s."),
    _l("Invalid value, can't be any of: %(values)s."),
    _l("This field cannot be edited."),
    _l("This field is disabled and cannot have a value."),
    _l("Invalid Choice: could not coerce."),
    _l("Not a valid choice."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    _ln("'%(value)s' is not a valid choice for this field.",
        "'%(value)s' are not valid choices for this field.", 2),
    _l("Not a valid datetime value."),
    _l("Not a valid date value."),
    _l("Not a valid time value."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
]


def flash_form_errors(form) -> None:
    """Flash every error of ``form`` (small forms posted from a page that is then shown
    again by a redirect, so the errors cannot sit next to their fields)."""
    for errors in form.errors.values():
        for message in errors:
            flash(str(message), "error")
