"""Two managers decide the same tenancy at the same moment: exactly one decision stands."""
import pytest

from accounts.models import User
from bookings.tenancies import approve_tenancy, reject_tenancy
from bookings.tenancy_models import Tenancy
from core.errors import InvalidTransition
from extensions import db
from tests.bookings.test_concurrency import race
from tests.tenancies.conftest import NOW, audit, fresh, occurrences, thursdays

pytestmark = pytest.mark.slow


def test_approve_and_reject_at_once_end_in_one_decision(app, make, lab):
    second_manager = make.user(role="manager", sites=[lab.witten]).id
    first_manager = lab.witten_manager.id
    tenancy_id = thursdays(lab).id

    def decide(index):
        tenancy = db.session.get(Tenancy, tenancy_id)
        if index % 2 == 0:
            actor = db.session.get(User, first_manager)
            return approve_tenancy(actor, tenancy, now=NOW, monthly_fee_cents=1).status
        actor = db.session.get(User, second_manager)
        return reject_tenancy(actor, tenancy, now=NOW, reason="Taken").status

    db.session.rollback()  # SQLite: our session must not hold the write lock
    results = race(app, 4, decide)
    decided = [result for result in results if isinstance(result, str)]
    refused = [result for result in results if isinstance(result, InvalidTransition)]
    assert len(decided) == 1 and len(refused) == 3, results
    assert all(error.message_key == "already_decided" for error in refused)
    final = fresh(Tenancy, tenancy_id)
    assert final.status == decided[0]
    assert len(audit("tenancy.approved")) + len(audit("tenancy.rejected")) == 1
    assert len(occurrences(tenancy_id)) == (4 if final.status == "approved" else 0)
