"""Schemathesis against /api/v1/openapi.json, in process (WSGI), as a member and as a lab
manager: generated requests never get a 5xx, and every response matches the document
(status code listed, content type, body schema). Bounded so that it stays fast; the
operations that never got a 2xx are printed (run with ``-s`` to see them)."""
import os
from collections import defaultdict

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (content_type_conformance, not_a_server_error,
                                 response_schema_conformance, status_code_conformance)

from accounts.auth import issue_api_token
from accounts.models import User
from extensions import db
from tests.factories import Factories
from tests.security.api_examples import valid_request
from tests.security.world import build_world

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
SUCCEEDED = {}
ALL_OPERATIONS = set()
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def _token(app, email):
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == email))
        token = issue_api_token(user)
        db.session.remove()
        return token


@pytest.mark.parametrize("role", ["member", "manager"])
def test_generated_api_requests_match_the_schema(app, role):
    with app.app_context():
        world = build_world(Factories())
        db.session.remove()
    headers = {"Authorization": f"Bearer {_token(app, world.emails[role])}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)

    successes = defaultdict(int)
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the schema lists no operations"
    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"

        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(), known_ids=st.booleans())
        def exercise(case, known_ids):
            # Random ids and slugs rarely exist: half the time, point at the world's rows.
            if known_ids and case.path_parameters:
                for name in case.path_parameters:
                    if name in world.params:
                        case.path_parameters[name] = world.params[name]
            response = case.call(headers=headers)
            if 200 <= response.status_code < 300:
                successes[label] += 1
            case.validate_response(response, checks=CHECKS)

        try:
            # First one valid request (fresh rows, a free slot): its success answer is
            # checked against the document too; then the generated ones.
            example = valid_request(app, label, world, role)
            if example is not None:
                case = operation.Case(**example)
                response = case.call(headers=headers)
                if 200 <= response.status_code < 300:
                    successes[label] += 1
                case.validate_response(response, checks=CHECKS)
            exercise()
        except Exception as error:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{label}: {str(error)[:1500]}")

    never = sorted(op for op in (f"{o.method.upper()} {o.path}" for o in operations)
                   if not successes[op])
    print(f"\n[{role}] operations without a 2xx in {MAX_EXAMPLES} examples: "
          + (", ".join(never) or "none"))
    SUCCEEDED[role] = {op for op in (f"{o.method.upper()} {o.path}" for o in operations)
                       if successes[op]}
    ALL_OPERATIONS.update(f"{o.method.upper()} {o.path}" for o in operations)
    assert not failures, f"{role}:\n" + "\n\n".join(failures)


def test_every_operation_succeeded_as_member_or_manager():
    """Runs after both runs above (file order): every operation got a 2xx in at least one
    of them (the member may never approve, so the manager's run counts for that)."""
    if set(SUCCEEDED) != {"member", "manager"}:
        pytest.skip("needs both Schemathesis runs of this module")
    never = sorted(ALL_OPERATIONS - SUCCEEDED["member"] - SUCCEEDED["manager"])
    assert not never, f"operations that never got a 2xx: {never}"
