"""Login, logout, registration, confirmation, passwords and the profile page.

A form that fails validation is shown again with its errors and status 422, everywhere.
"""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from accounts import services
from accounts.forms import (
    EmailOnlyForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    ProfileForm,
    RegistrationForm,
)
from core.errors import ValidationError
from core.messages import message_for
from core.time import utcnow

bp = Blueprint("accounts", __name__)
INVALID = 422


def safe_next_url(default):
    target = request.args.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return default


def invalid(template, **context):
    return render_template(template, **context), INVALID


def _current_language():
    from flask_babel import get_locale

    return str(get_locale() or "de")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("accounts/login.html", form=form)
        return render_template("accounts/login.html", form=form)
    user = services.authenticate(form.email.data, form.password.data)
    if user is None:
        # One message for an unknown address and a wrong password: no enumeration.
        form.password.errors.append(_("E-mail address or password is wrong."))
        return invalid("accounts/login.html", form=form)
    login_user(user, remember=form.remember.data)
    flash(_("You are logged in."), "success")
    if not user.is_confirmed:
        flash(_("Please confirm your e-mail address with the link we sent you. Until then "
                "you cannot book."), "info")
    return redirect(safe_next_url(url_for("spaces.home")))


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("spaces.home"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegistrationForm()
    if request.method == "GET":
        form.locale.data = _current_language()
        form.email.data = request.args.get("email", "")[:320]
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("accounts/register.html", form=form)
        return render_template("accounts/register.html", form=form)
    services.register_account(form.email.data, form.password.data, form.display_name.data,
                              form.locale.data, now=utcnow())
    # The same answer whether or not the address already had an account.
    return render_template("accounts/registered.html",
                           email=services.normalise_email(form.email.data))


@bp.get("/confirm/<token>")
def confirm_email(token):
    services.confirm_email(token, now=utcnow())
    flash(_("Thank you, your e-mail address is confirmed. You can book now."), "success")
    target = "accounts.profile" if current_user.is_authenticated else "accounts.login"
    return redirect(url_for(target))


@bp.route("/confirm", methods=["GET", "POST"])
def resend_confirmation():
    form = EmailOnlyForm()
    if request.method == "GET" and current_user.is_authenticated:
        form.email.data = current_user.email
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("accounts/resend_confirmation.html", form=form)
        return render_template("accounts/resend_confirmation.html", form=form)
    services.resend_confirmation(form.email.data, now=utcnow())
    return render_template("accounts/link_sent.html",
                           email=services.normalise_email(form.email.data), purpose="confirm")


@bp.route("/password/reset", methods=["GET", "POST"])
def request_password_reset():
    form = EmailOnlyForm()
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("accounts/request_reset.html", form=form)
        return render_template("accounts/request_reset.html", form=form)
    services.request_password_reset(form.email.data, now=utcnow())
    return render_template("accounts/link_sent.html",
                           email=services.normalise_email(form.email.data), purpose="reset")


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    services.user_for_reset_token(token)  # a used or expired link fails before the form
    form = PasswordResetForm()
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("accounts/reset_password.html", form=form)
        return render_template("accounts/reset_password.html", form=form)
    services.reset_password(token, form.password.data, now=utcnow())
    if current_user.is_authenticated:
        logout_user()
    flash(_("Your password has been changed. Please log in with the new one."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("accounts/change_password.html", form=form)
        return render_template("accounts/change_password.html", form=form)
    try:
        user = services.change_password(current_user._get_current_object(),
                                        form.old_password.data,
                                        form.password.data, now=utcnow())
    except ValidationError as error:
        form.old_password.errors.append(message_for(error))
        return invalid("accounts/change_password.html", form=form)
    # This session continues with the new credentials version; all others end.
    remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    login_user(user, remember=remember_cookie in request.cookies)
    flash(_("Your password has been changed. You have been logged out everywhere else."),
          "success")
    return redirect(url_for("accounts.profile"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if not form.validate_on_submit():
        status = INVALID if request.method == "POST" else 200
        return render_template("accounts/profile.html", form=form), status
    services.update_profile(current_user, form.display_name.data, form.locale.data,
                            now=utcnow())
    session["lang"] = form.locale.data
    flash(_("Your profile has been saved."), "success")
    return redirect(url_for("accounts.profile"))


# The organisation and admin pages hang on the same blueprint.
from accounts import admin_views, organisation_views  # noqa: E402,F401
