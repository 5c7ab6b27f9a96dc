"""Account views. Thin: parse, authorise, call a service, commit, render."""

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from matchmaker.auth import bp
from matchmaker.auth.forms import ChangePasswordForm, LoginForm, RegistrationForm
from matchmaker.auth.models import normalise_email, verify_login
from matchmaker.auth.services import (
    EmailTaken,
    change_password,
    close_login_session,
    open_login_session,
    register_member,
)
from matchmaker.extensions import db, limiter
from matchmaker.i18n import current_locale
from matchmaker.redirects import redirect_next


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_email_key() -> str:
    return "login-email:" + normalise_email(request.form.get("email"))


def _password_change_key() -> str:
    # Per account: a stolen session must not allow unlimited guesses of the current password.
    who = current_user.id if current_user.is_authenticated else request.remote_addr
    return f"password-change:{who}"


def _failed(response) -> bool:
    # A successful login redirects; only failed attempts count against the limit.
    return response.status_code != 302


def _start_session(user, remember: bool) -> None:
    # A fresh session on login: nothing set before (by anyone) survives, and the CSRF token
    # is re-issued; the server-side login session makes logout final.
    session.clear()
    open_login_session(user, request.user_agent.string)
    login_user(user, remember=remember)
    session["locale"] = user.locale


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Sign up a person together with their organisation."""
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            user = register_member(
                full_name=form.full_name.data,
                email=form.email.data,
                password=form.password.data,
                organisation_name=form.organisation_name.data,
                side=form.side.data,
                locale=current_locale(),
            )
        except EmailTaken:
            db.session.rollback()
            form.email.errors.append(
                _("An account with this email already exists. Log in instead, or use another.")
            )
        else:
            _start_session(user, remember=False)
            db.session.commit()
            flash(_("Welcome, %(name)s! Your account is ready.", name=user.full_name), "success")
            return redirect(url_for("core.home"))
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit("10 per hour", methods=["POST"], key_func=_login_email_key, deduct_when=_failed)
def login():
    """Log in by email and password. Failures say the same thing whether or not the email
    exists, and are rate-limited per client address and per email."""
    if current_user.is_authenticated:
        return redirect_next()
    form = LoginForm()
    if form.validate_on_submit():
        user = verify_login(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("The email or password is not correct."))
        elif not user.is_active:
            form.password.errors.append(
                _("This account has been disabled. Contact the organisers.")
            )
        else:
            _start_session(user, remember=form.remember.data)
            db.session.commit()
            return redirect_next()
    return render_template("auth/login.html", form=form, next=request.args.get("next", ""))


@bp.route("/logout", methods=["GET"])
def logout_confirm():
    """A page with the logout button, for people who type /logout or follow an old link:
    logging out itself is a POST, so that no link on another site can do it."""
    return render_template("auth/logout.html")


@bp.route("/logout", methods=["POST"])
def logout():
    """End the session (POST only, so a link elsewhere cannot log people out)."""
    locale = current_locale()
    if current_user.is_authenticated:
        close_login_session(current_user.login_session_id)
        db.session.commit()
    logout_user()
    session.clear()
    session["locale"] = locale
    flash(_("You have logged out."), "info")
    return redirect(url_for("core.home"))


@bp.route("/account/")
@login_required
def account():
    """The logged-in person's details, organisation and language."""
    return render_template("auth/account.html")


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_limit, methods=["POST"], key_func=_password_change_key,
               deduct_when=_failed)
def password():
    """Change password; other sessions of this user end, this one continues."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append(_("The current password is not correct."))
        else:
            change_password(current_user, form.new_password.data)
            db.session.commit()
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/password.html", form=form)
