"""The DATEV export: an EXTF booking batch in cp1252 with one booking per invoice and rate."""
from datetime import date, datetime, timezone

from billing.datev import export_datev
from billing.invoices import issue_credit_note
from tests.invoices.conftest import NOW, berlin, invoice, on_account, run_month


def test_extf_booking_batch(make, billing_setup, client, auth):
    s = billing_setup
    müller = make.organisation("Müller & Söhne", kind="retailer")
    on_account(make, s, berlin(2026, 11, 2, 9), berlin(2026, 11, 2, 12))
    make.booking(s["desk"], organisation=müller, starts_at=berlin(2026, 11, 3, 9),
                 ends_at=berlin(2026, 11, 3, 10))
    first, second = (invoice(each) for each in run_month())
    issue_credit_note(second, "full", reason="Storno", now=NOW)

    data = export_datev(date(2026, 12, 1), date(2026, 12, 31),
                        now=datetime(2026, 12, 31, 12, tzinfo=timezone.utc))
    assert "Müller".encode("cp1252") in data  # not UTF-8
    lines = data.decode("cp1252").split("\r\n")
    header = lines[0].split(";")
    assert header[:5] == ['"EXTF"', "700", "21", '"Buchungsstapel"', "13"]
    assert header[10:16] == ["1001", "1", "20260101", "4", "20261201", "20261231"]
    assert lines[1].split(";")[:11] == [
        "Umsatz (ohne Soll/Haben-Kz)", "Soll/Haben-Kennzeichen", "WKZ Umsatz", "Kurs",
        "Basis-Umsatz", "WKZ Basis-Umsatz", "Konto", "Gegenkonto (ohne BU-Schlüssel)",
        "BU-Schlüssel", "Belegdatum", "Belegfeld 1"]
    rows = [line.split(";") for line in lines[2:] if line]
    assert len(rows) == 3
    by_number = {row[10].strip('"'): row for row in rows}
    row = by_number[first.number]
    assert row[:3] == ["44,63", '"S"', '"EUR"']
    assert row[6:10] == [str(10000 + s["organisation"].id), "8400", '""', "0112"]
    assert row[13] == '"Flusslicht GmbH"'
    credit = by_number["GS-2026-00001"]
    assert credit[:2] == ["14,88", '"H"']
    assert credit[13] == f'"Gutschrift zu {second.number} Müller & Söhne"'

    admin = make.user("admin@stadtlabor.example", role="admin")
    auth.login(admin.email)
    response = client.get("/invoices/datev?from=2026-12-01&to=2026-12-31")
    assert response.status_code == 200
    assert response.data.startswith(b'"EXTF";700;21;"Buchungsstapel"')
    assert "windows-1252" in response.headers["Content-Type"]
