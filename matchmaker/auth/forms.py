"""Account forms (Flask-WTF; CSRF included). Labels and messages are translatable."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from matchmaker.auth.models import MIN_PASSWORD_LENGTH, normalise_email, normalise_password
from matchmaker.organisations.models import Side
from matchmaker.text import normalise

MAX_PASSWORD_LENGTH = 128


def _password_field(label):
    return PasswordField(
        label,
        validators=[
            DataRequired(message=_l("Enter a password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=_l("The password must be %(min)d to %(max)d characters long.",
                           min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH),
            ),
        ],
    )


def _email_field():
    return EmailField(
        _l("Email"),
        filters=[normalise_email],
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Length(max=254),
            Email(message=_l("Enter a valid email address, e.g. name@company.vn."),
                  check_deliverability=False),
        ],
    )


class LoginForm(FlaskForm):
    """Email + password; ``remember`` keeps the login after the browser closes."""

    email = _email_field()
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter a password."))])
    remember = BooleanField(_l("Keep me logged in on this device"))


class RegistrationForm(FlaskForm):
    """A new member and their organisation in one step."""

    full_name = StringField(
        _l("Your full name"),
        filters=[normalise],
        validators=[DataRequired(_l("Enter your name.")), Length(max=120)],
    )
    email = _email_field()
    password = _password_field(_l("Password"))
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[EqualTo("password", message=_l("The two passwords are not the same."))],
    )
    organisation_name = StringField(
        _l("Organisation name"),
        description=_l("The registered name, e.g. Công ty CP Thực phẩm Nghệ An."),
        filters=[normalise],
        validators=[DataRequired(_l("Enter your organisation's name.")), Length(max=255)],
    )
    side = RadioField(
        _l("Your organisation is a"),
        choices=[
            SelectChoice(Side.PRODUCER.value, _l("Producer (sells products)")),
            SelectChoice(Side.DISTRIBUTOR.value, _l("Distributor (buys products)")),
            SelectChoice(Side.BOTH.value, _l("Both producer and distributor")),
        ],
        validators=[DataRequired(_l("Choose producer, distributor or both."))],
    )

    def validate_password(self, field) -> None:
        if self.email.data and field.data and normalise_email(field.data) == self.email.data:
            raise ValidationError(_l("The password must not be your email address."))


class ChangePasswordForm(FlaskForm):
    """Current password, then the new one twice (it must differ from the current one)."""

    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))]
    )
    new_password = _password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[EqualTo("new_password", message=_l("The two passwords are not the same."))],
    )

    def validate_new_password(self, field) -> None:
        if field.data and normalise_password(field.data) == normalise_password(
                self.current_password.data):
            raise ValidationError(_l("The new password must be different from the current one."))
