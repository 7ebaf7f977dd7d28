"""``flask --app app users ...``: create users and API tokens."""
import click
from flask.cli import AppGroup
from flask_babel import force_locale

import accounts.messages  # noqa: F401 - registers the message keys used below
from accounts.auth import issue_api_token
from accounts.services import create_user, find_user_by_email, grant_site_role
from core.errors import DomainError
from core.messages import message_for
from extensions import db

users_cli = AppGroup("users", help="Users and API tokens.")


def _fail(error):
    db.session.rollback()
    # The command line speaks English (no request, so no language choice).
    with force_locale("en"):
        message = message_for(error)
    raise click.ClickException(message)


def _check_credentials(email, password):
    from email_validator import EmailNotValidError, validate_email

    from accounts.forms import PASSWORD_MAX, PASSWORD_MIN
    from core.errors import ValidationError

    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise ValidationError({"email": "invalid"}, message_key="invalid_email",
                              email=email) from None
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ValidationError({"password": "length"}, message_key="password_length",
                              min=PASSWORD_MIN, max=PASSWORD_MAX)


@users_cli.command("create")
@click.argument("email")
@click.option("--password", required=True, help="The initial password.")
@click.option("--role", type=click.Choice(["member", "manager", "admin"]), default="member")
@click.option("--site", "sites", multiple=True, help="Site slug (managers; repeatable).")
@click.option("--name", default=None, help="Display name.")
def create_command(email, password, role, sites, name):
    """Create a confirmed account."""
    from core.errors import ValidationError
    from spaces.services import site_by_slug

    try:
        _check_credentials(email, password)
        if role == "manager" and not sites:
            raise ValidationError({"site": "required"}, message_key="manager_needs_site")
        user = create_user(email, password, name, confirmed=True, chamber_admin=role == "admin")
        if role == "manager":
            for slug in sites:
                grant_site_role(user, site_by_slug(slug).id)
        db.session.commit()
    except DomainError as error:
        _fail(error)
    click.echo(f"created {user.email} ({role})")


@users_cli.command("token")
@click.argument("email")
def token_command(email):
    """Print a new personal API token (alone on the last line; stored only as a hash)."""
    from core.errors import NotFound

    user = find_user_by_email(email)
    if user is None:
        _fail(NotFound("unknown_user", email=email))
    click.echo(f"API token for {user.email} (shown once):")
    click.echo(issue_api_token(user))
