"""De-minimis aid per organisation (Regulation (EU) 2023/2831).

The aid an organisation received is the subsidies the app granted (active ledger rows)
plus what it declared from other grantors. The ceiling (EUR 300,000 by default,
``DEMINIMIS_CEILING_CENTS``) holds over *any* period of three years, so the check takes
the largest sum over every three-year window that contains the day of the new grant.

Policy when a booking would push an organisation past the ceiling: the subsidy is refused
whole (Art. 3(7): aid that would exceed the ceiling may not benefit from the regulation in
any part), the booking goes ahead at the full price, the quote carries the notice
``deminimis_ceiling`` and the site's managers are told by mail.
"""
import io
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

import billing.messages  # noqa: F401
from accounts import policy
from billing.models import DeminimisDeclaration, SubsidyGrant
from core.audit import record
from core.db import run_in_transaction
from core.errors import NotAllowed, ValidationError
from core.time import local_date
from extensions import db


@dataclass(frozen=True)
class Aid:
    granted_on: date
    amount_cents: int
    grantor: str
    reference: str
    booking_id: int | None = None


def add_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def window_total(aids, on_date):
    """The largest sum of aid in any three-year period [start, start + 3 years) that
    contains ``on_date``."""
    earliest = add_years(on_date, -3)
    starts = {day for day in (aid.granted_on for aid in aids) if earliest < day <= on_date}
    starts.add(date.fromordinal(earliest.toordinal() + 1))
    best = 0
    for start in starts:
        end = add_years(start, 3)
        best = max(best, sum(a.amount_cents for a in aids if start <= a.granted_on < end))
    return best


def aids_of(organisation_id):
    """Every aid the organisation received: active grants of the app and declarations."""
    grants = db.session.scalars(
        sa.select(SubsidyGrant).where(SubsidyGrant.organisation_id == organisation_id,
                                      SubsidyGrant.released_at.is_(None))
        .order_by(SubsidyGrant.granted_at, SubsidyGrant.id)
    ).all()
    declared = db.session.scalars(
        sa.select(DeminimisDeclaration)
        .where(DeminimisDeclaration.organisation_id == organisation_id)
        .order_by(DeminimisDeclaration.granted_on, DeminimisDeclaration.id)
    ).all()
    aids = [Aid(local_date(g.granted_at), g.amount_cents, g.programme.name,
                f"booking {g.booking_id}", g.booking_id) for g in grants]
    aids += [Aid(d.granted_on, d.amount_cents, d.grantor, d.reference) for d in declared]
    return sorted(aids, key=lambda aid: aid.granted_on)


def headroom(organisation_id, on_date, ceiling):
    """How much more aid may be granted to the organisation on ``on_date``."""
    return ceiling - window_total(aids_of(organisation_id), on_date)


def would_exceed(organisation_id, amount_cents, on_date, ceiling):
    return amount_cents > 0 and amount_cents > headroom(organisation_id, on_date, ceiling)


def declare_aid(actor, organisation, *, granted_on, amount_cents, grantor, reference="", now):
    """Record de-minimis aid from another grantor. Organisation admins and chamber admins.
    Raises NotAllowed, ValidationError."""
    if not policy.can_manage_organisation(actor, organisation.id):
        raise NotAllowed()
    fields = {}
    if not isinstance(amount_cents, int) or amount_cents <= 0:
        fields["amount"] = "out_of_range"
    if not (grantor or "").strip():
        fields["grantor"] = "required"
    if granted_on is None or granted_on > local_date(now):
        fields["granted_on"] = "out_of_range"
    if fields:
        raise ValidationError(fields, message_key="invalid_declaration")

    def work():
        declaration = DeminimisDeclaration(
            organisation_id=organisation.id, granted_on=granted_on, amount_cents=amount_cents,
            grantor=grantor.strip(), reference=(reference or "").strip(),
            declared_by_id=actor.id, created_at=now)
        db.session.add(declaration)
        db.session.flush()
        record("deminimis.declared", declaration, actor=actor, now=now,
               after={"organisation_id": organisation.id, "amount_cents": amount_cents,
                      "granted_on": granted_on.isoformat(), "grantor": grantor})
        return declaration

    return run_in_transaction(work)


def summary(organisation_id, on_date, ceiling):
    aids = aids_of(organisation_id)
    used = window_total(aids, on_date)
    return {"aids": aids, "used_cents": used, "ceiling_cents": ceiling,
            "headroom_cents": ceiling - used, "near_ceiling": used >= ceiling * 0.9}


def _euro(cents):
    return f"{cents // 100:,}.{cents % 100:02d} EUR".replace(",", " ")


def certificate_pdf(organisation, on_date, ceiling, issuer):
    """A de-minimis certificate (PDF bytes): every subsidised booking of the organisation
    with its aid amount, the declared aid of others and the three-year total."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    aids = aids_of(organisation.id)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm,
                                 topMargin=20 * mm, bottomMargin=20 * mm,
                                 title=f"De-minimis certificate {organisation.name}")
    story = [
        Paragraph(issuer.replace("\n", "<br/>"), styles["Normal"]),
        Spacer(1, 8 * mm),
        Paragraph("De-minimis-Bescheinigung / De minimis certificate", styles["Title"]),
        Paragraph(
            "nach Verordnung (EU) 2023/2831 der Kommission vom 13. Dezember 2023 "
            "(De-minimis-Verordnung) / under Commission Regulation (EU) 2023/2831",
            styles["Normal"]),
        Spacer(1, 6 * mm),
        Paragraph(f"<b>{organisation.name}</b><br/>{organisation.street}<br/>"
                  f"{organisation.postcode} {organisation.municipality}", styles["Normal"]),
        Spacer(1, 6 * mm),
    ]
    granted = [aid for aid in aids if aid.booking_id is not None]
    rows = [["Datum / Date", "Buchung / Booking", "Programm / Programme", "Beihilfe / Aid"]]
    rows += [[aid.granted_on.isoformat(), str(aid.booking_id), aid.grantor,
              _euro(aid.amount_cents)] for aid in granted]
    rows.append(["", "", "Summe / Total", _euro(sum(a.amount_cents for a in granted))])
    table = Table(rows, colWidths=[28 * mm, 28 * mm, 70 * mm, 40 * mm], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, "black"),
        ("LINEABOVE", (0, -1), (-1, -1), 0.5, "black"),
        ("ALIGN", (3, 0), (3, -1), "RIGHT"),
    ]))
    story += [table, Spacer(1, 6 * mm)]
    others = [aid for aid in aids if aid.booking_id is None]
    if others:
        other_rows = [["Datum / Date", "Beihilfegeber / Grantor", "Aktenzeichen / Ref.",
                       "Beihilfe / Aid"]]
        other_rows += [[a.granted_on.isoformat(), a.grantor, a.reference,
                        _euro(a.amount_cents)] for a in others]
        story += [Paragraph("Erklärte De-minimis-Beihilfen anderer Beihilfegeber / "
                            "declared de minimis aid of other grantors", styles["Heading3"]),
                  Table(other_rows, colWidths=[28 * mm, 60 * mm, 38 * mm, 40 * mm]),
                  Spacer(1, 6 * mm)]
    used = window_total(aids, on_date)
    story.append(Paragraph(
        f"Summe der De-minimis-Beihilfen in drei Jahren bis {on_date.isoformat()} / total "
        f"de minimis aid over three years: <b>{_euro(used)}</b> "
        f"(Höchstbetrag / ceiling {_euro(ceiling)}).", styles["Normal"]))
    story.append(Spacer(1, 4 * mm))
    story.append(Paragraph(
        "Bitte bewahren Sie diese Bescheinigung zehn Jahre auf und legen Sie sie bei "
        "künftigen Anträgen auf De-minimis-Beihilfen vor. / Keep this certificate for ten "
        "years and present it with future applications for de minimis aid.",
        styles["Normal"]))
    document.build(story)
    return buffer.getvalue()
