"""The person's own privacy pages: download all my data, delete my account."""
import json

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from core.errors import ValidationError
from core.messages import message_for
from core.time import utcnow
from privacy import services
from privacy.forms import DeleteAccountForm

bp = Blueprint("privacy", __name__)
# Names of people on any page or mail: an anonymised account's in the reader's language.
bp.add_app_template_global(services.shown_name)


@bp.get("/account/data.json")
@login_required
def download_data():
    data = services.export_personal_data(current_user._get_current_object())
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    filename = f"stadtlabor-data-{utcnow():%Y-%m-%d}.json"
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    })


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("privacy/delete_account.html", form=form), status
    user = current_user._get_current_object()
    if not user.check_password(form.password.data):
        form.password.errors.append(message_for(ValidationError(
            message_key="privacy_wrong_password")))
        return render_template("privacy/delete_account.html", form=form), 422
    try:
        services.delete_account(user, now=utcnow())
    except ValidationError as error:
        return render_template("privacy/delete_account.html", form=form,
                               refusal=message_for(error)), 422
    logout_user()
    flash(_("Your account has been deleted. Thank you for using the Stadtlabor."), "success")
    return redirect(url_for("spaces.home"))
