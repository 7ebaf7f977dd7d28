"""First start and demo data: ``flask --app app demo-data`` (idempotent).
"""
from datetime import date, time

import click
from flask.cli import with_appcontext

from accounts.models import Membership, Organisation, User
from accounts.services import add_membership, create_user, grant_site_role
from billing.models import UnitPrice
from extensions import db
from spaces.models import OpeningHours, Site, Unit

DEMO_PASSWORD = "stadtlabor-demo"

SITES = [
    {
        "slug": "bochum", "name": "Stadtlabor Bochum", "street": "Ostring 30",
        "postcode": "44787", "city": "Bochum", "desks": 12, "shelves": 4,
        "description": "Das größte Stadtlabor im ehemaligen Hauptsitz, mitten in der Innenstadt.",
    },
    {
        "slug": "hattingen", "name": "Stadtlabor Hattingen", "street": "Heggerstraße 12",
        "postcode": "45525", "city": "Hattingen", "desks": 4, "shelves": 2,
        "description": "Klein und fein in der Altstadt, mit Schaufenster zur Fußgängerzone.",
    },
    {
        "slug": "herne", "name": "Stadtlabor Herne", "street": "Bahnhofstraße 50",
        "postcode": "44623", "city": "Herne", "desks": 8, "shelves": 3,
        "description": "Coworking und Pop-up-Flächen an der Einkaufsstraße.",
    },
    {
        "slug": "witten", "name": "Stadtlabor Witten", "street": "Bahnhofstraße 30",
        "postcode": "58452", "city": "Witten", "desks": 6, "shelves": 2,
        "description": "Nah an der Universität, mit Eventfläche für Gründungsabende.",
    },
]

# (weekday, opens, closes): Monday to Friday 8-20, Saturday 10-16.
OPENING_HOURS = [(day, time(8), time(20)) for day in range(5)] + [(5, time(10), time(16))]

ORGANISATIONS = [
    {"name": "Ruhrbeans Kaffeerösterei", "kind": "retailer", "street": "Kortumstraße 5",
     "postcode": "44787", "municipality": "Bochum", "founded_on": date(2019, 4, 1),
     "chamber_member_number": "IHK-104233", "vat_id": "DE123456789"},
    {"name": "Flusslicht GmbH", "kind": "startup", "street": "Ruhrstraße 3",
     "postcode": "58452", "municipality": "Witten", "founded_on": date(2025, 2, 15),
     "chamber_member_number": "IHK-220981", "vat_id": "DE987654321"},
    {"name": "Sparkasse Mittleres Ruhrgebiet (Demo)", "kind": "partner",
     "street": "Dr.-Ruer-Platz 5", "postcode": "44787", "municipality": "Bochum",
     "founded_on": date(1838, 1, 1), "vat_id": "DE111222333"},
    {"name": "Stadt Herne, Wirtschaftsförderung (Demo)", "kind": "public_body",
     "street": "Friedrich-Ebert-Platz 2", "postcode": "44623", "municipality": "Herne",
     "public_routing_id": "05916000-00001-12"},
    {"name": "Freundeskreis Altstadt Hattingen e. V.", "kind": "other",
     "street": "Untermarkt 1", "postcode": "45525", "municipality": "Hattingen"},
]

# email, name, role, sites, organisation, membership role
USERS = [
    ("admin@stadtlabor.example", "Clara Kammer", "admin", [], None, None),
    ("manager.bochum@stadtlabor.example", "Ben Bochum", "manager", ["bochum"], None, None),
    ("manager.hattingen@stadtlabor.example", "Hanna Hattingen", "manager", ["hattingen"], None, None),
    ("manager.herne@stadtlabor.example", "Henrik Herne", "manager", ["herne"], None, None),
    ("manager.witten@stadtlabor.example", "Wiebke Witten", "manager", ["witten"], None, None),
    ("coworker@stadtlabor.example", "Cem Cowork", "member", [], None, None),
    ("retailer@stadtlabor.example", "Rita Röster", "member", [], "Ruhrbeans Kaffeerösterei", "admin"),
    ("startup@stadtlabor.example", "Sven Start", "member", [], "Flusslicht GmbH", "admin"),
    ("startup.member@stadtlabor.example", "Mia Mitglied", "member", [], "Flusslicht GmbH", "member"),
    ("partner@stadtlabor.example", "Paula Partner", "member", [],
     "Sparkasse Mittleres Ruhrgebiet (Demo)", "admin"),
    ("city@stadtlabor.example", "Stefan Stadt", "member", [],
     "Stadt Herne, Wirtschaftsförderung (Demo)", "admin"),
]


def _units_for(spec):
    """The units of one lab: (kind, name, group, granularity, fields, net cents per step)."""
    units = []
    for number in range(1, spec["desks"] + 1):
        units.append(("desk", f"Schreibtisch {number}", "Coworking", "hour",
                      {"min_length": 1, "max_length": 12, "lead_time_minutes": 0}, 400))
    for number in range(1, spec["shelves"] + 1):
        units.append(("popup_shelf", f"Pop-up-Regal {number}", "Pop-up-Fläche", "day",
                      {"min_length": 1, "max_length": 92, "lead_time_minutes": 0}, 1500))
    units += [
        ("shop_window", "Schaufenster", None, "week",
         {"min_length": 1, "max_length": 12, "needs_approval": True, "lead_time_minutes": 1440}, 9000),
        ("event_space", "Eventfläche", None, "hour",
         {"min_length": 2, "max_length": 12, "needs_approval": True, "capacity": 60,
          "lead_time_minutes": 2880}, 6000),
        ("cafe_corner", "Café-Ecke", None, "day",
         {"min_length": 1, "max_length": 31, "lead_time_minutes": 0}, 3500),
        ("meeting_room", "Besprechungsraum", None, "hour",
         {"min_length": 1, "max_length": 8, "capacity": 8, "lead_time_minutes": 0}, 2500),
    ]
    return units


def _ensure_site(spec):
    site = db.session.scalar(db.select(Site).where(Site.slug == spec["slug"]))
    if site is None:
        site = Site(slug=spec["slug"], name=spec["name"], street=spec["street"],
                    postcode=spec["postcode"], city=spec["city"], description=spec["description"])
        db.session.add(site)
        for weekday, opens, closes in OPENING_HOURS:
            site.opening_hours.append(OpeningHours(weekday=weekday, opens_at=opens, closes_at=closes))
        db.session.flush()
    existing = {unit.name for unit in site.units}
    for position, (kind, name, group, granularity, fields, cents) in enumerate(_units_for(spec), 1):
        if name in existing:
            continue
        unit = Unit(site=site, kind=kind, name=name, group_name=group, position=position,
                    granularity=granularity, horizon_days=366, **fields)
        db.session.add(unit)
        db.session.flush()
        db.session.add(UnitPrice(unit_id=unit.id, net_cents_per_step=cents))
    return site


def _ensure_organisation(spec):
    organisation = db.session.scalar(db.select(Organisation).where(Organisation.name == spec["name"]))
    if organisation is None:
        organisation = Organisation(**spec)
        db.session.add(organisation)
        db.session.flush()
    return organisation


def load_demo_data():
    """Create what is missing of the demo labs, organisations and users; returns a summary."""
    sites = {spec["slug"]: _ensure_site(spec) for spec in SITES}
    organisations = {spec["name"]: _ensure_organisation(spec) for spec in ORGANISATIONS}
    created_users = 0
    for email, name, role, site_slugs, organisation_name, membership_role in USERS:
        user = db.session.scalar(db.select(User).where(User.email == email))
        if user is None:
            user = create_user(email, DEMO_PASSWORD, name, confirmed=True,
                               chamber_admin=role == "admin")
            created_users += 1
        for slug in site_slugs:
            grant_site_role(user, sites[slug].id)
        if organisation_name:
            organisation = organisations[organisation_name]
            already = db.session.scalar(db.select(Membership).where(
                Membership.user_id == user.id, Membership.organisation_id == organisation.id))
            if already is None:
                add_membership(user, organisation, membership_role)
    db.session.commit()
    return {"sites": len(sites), "organisations": len(organisations), "users_created": created_users}


@click.command("demo-data")
@with_appcontext
def demo_data_command():
    """Load the demo labs, organisations and users (idempotent)."""
    summary = load_demo_data()
    click.echo(
        f"{summary['sites']} sites, {summary['organisations']} organisations, "
        f"{summary['users_created']} users created"
    )


def ensure_embedded_database(app):
    """On the embedded SQLite database: bring the schema up to date through the
    migrations and load the demo data on the very first start."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        if db.session.scalar(db.select(Site.id).limit(1)) is None:
            load_demo_data()
        db.session.remove()
