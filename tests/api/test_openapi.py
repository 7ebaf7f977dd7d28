"""The OpenAPI document: valid, complete, and true to what the endpoints answer."""
import copy
import re
from datetime import timedelta

import pytest
from openapi_schema_validator import OAS31Validator, oas31_format_checker
from openapi_spec_validator import validate as validate_document

from bookings.services import create_booking
from core.time import parse_instant, utcnow
from tests.api.conftest import local, next_weekday

PREFIX = "/api/v1"


@pytest.fixture
def document(api):
    response = api.get("/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_the_document_is_valid_openapi(document):
    validate_document(document)
    assert document["openapi"].startswith("3.1")
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"]["scheme"] == "bearer"
    assert (schemes["cookieAuth"]["in"], schemes["cookieAuth"]["type"]) == ("cookie", "apiKey")


def _documented_operations(document):
    return {(path, method.upper()) for path, item in document["paths"].items()
            for method in item}


def _routed_operations(app):
    operations = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix(PREFIX))
            operations |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return operations


def test_every_route_is_documented_and_nothing_else(app, document):
    routed = _routed_operations(app)
    assert ("/bookings/{booking_id}/cancel", "POST") in routed
    assert routed == _documented_operations(document)


def test_path_parameters_are_declared(document):
    parameters = document["components"]["parameters"]
    for path, item in document["paths"].items():
        for operation in item.values():
            declared = set()
            for parameter in operation["parameters"]:
                if "$ref" in parameter:
                    parameter = parameters[parameter["$ref"].rsplit("/", 1)[1]]
                if parameter["in"] == "path":
                    declared.add(parameter["name"])
            assert declared == set(re.findall(r"{(\w+)}", path)), path


def _closed(schema):
    """A copy in which every object with properties admits no others: the document may
    leave room for additions, but the tests hold the answers to exactly what it says."""
    if isinstance(schema, dict):
        result = {key: _closed(value) for key, value in schema.items()}
        if "properties" in result and "additionalProperties" not in result:
            result["additionalProperties"] = False
        return result
    if isinstance(schema, list):
        return [_closed(value) for value in schema]
    return schema


def assert_documented(document, method, path, response):
    """The response's status is documented for the operation and its body matches."""
    operation = document["paths"][path][method.lower()]
    assert str(response.status_code) in operation["responses"], (path, response.status_code)
    documented = operation["responses"][str(response.status_code)]
    if "$ref" in documented:
        documented = document["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
    schema = documented["content"]["application/json"]["schema"]
    root = {**copy.deepcopy(schema), "components": _closed(document["components"])}
    OAS31Validator(root, format_checker=oas31_format_checker).validate(response.get_json())


def test_answers_match_their_schemas(api, make, document):
    site = make.site("witten")
    make.closure(site, next_weekday(2), reason="Inventur")
    desk = make.unit(site, "desk", group_name="Desks")
    organisation = make.organisation()
    user = make.user(organisation=organisation, role="manager", sites=[site])
    tuesday = next_weekday(1)
    booking_id = create_booking(user, unit=desk, starts_at=parse_instant(local(tuesday, 14)),
                                ends_at=parse_instant(local(tuesday, 15)), now=utcnow(),
                                terms_accepted=True).id
    checks = [
        ("GET", "/sites", "/sites", None),
        ("GET", "/sites/{slug}", "/sites/witten", None),
        ("GET", "/sites/{slug}", "/sites/atlantis", None),
        ("GET", "/sites/{slug}/units", "/sites/witten/units?kind=desk", None),
        ("GET", "/sites/{slug}/units", "/sites/witten/units?kind=boat", None),
        ("GET", "/units/{unit_id}", f"/units/{desk.id}", None),
        ("GET", "/units/{unit_id}", f"/units/{desk.id + 99}", None),
        ("GET", "/me", "/me", None),
        ("GET", "/availability",
         f"/availability?site=witten&kind=desk&start={local(tuesday, 0)}"
         f"&end={local(tuesday + timedelta(days=1), 0)}", None),
        ("GET", "/availability", "/availability?site=witten", None),
        ("POST", "/bookings", "/bookings", {
            "unit_id": desk.id, "start": local(tuesday, 9), "end": local(tuesday, 10),
            "terms_accepted": True, "organisation_id": organisation.id}),
        ("POST", "/bookings", "/bookings", {
            "unit_id": desk.id, "start": local(tuesday, 9), "end": local(tuesday, 10),
            "terms_accepted": True}),
        ("POST", "/bookings", "/bookings", {
            "site": "witten", "kind": "desk", "start": local(tuesday, 11),
            "end": local(tuesday, 12), "terms_accepted": True,
            "recurrence": {"freq": "weekly", "byday": ["TU"], "until": str(
                tuesday + timedelta(weeks=2))}}),
        ("POST", "/bookings", "/bookings", {"start": "soon"}),
        ("POST", "/bookings", "/bookings", "not json"),
        ("GET", "/bookings", "/bookings?limit=1", None),
        ("GET", "/bookings", "/bookings?status=nonsense", None),
        ("GET", "/bookings/{booking_id}", f"/bookings/{booking_id}", None),
        ("GET", "/bookings/{booking_id}", f"/bookings/{booking_id + 999}", None),
        ("POST", "/bookings/{booking_id}/cancel", f"/bookings/{booking_id}/cancel",
         {"reason": "No"}),
        ("POST", "/bookings/{booking_id}/cancel", f"/bookings/{booking_id}/cancel", None),
    ]
    api.as_user(user)
    statuses = []
    for method, template, path, body in checks:
        if isinstance(body, str):
            response = api.request(method, path, data=body, content_type="application/json")
        else:
            response = api.request(method, path, json=body)
        assert_documented(document, method, template, response)
        statuses.append(response.status_code)
    assert statuses == [200, 200, 404, 200, 422, 200, 404, 200, 200, 422,
                        201, 409, 201, 422, 400, 200, 422, 200, 404, 200, 409]


def test_error_answers_for_strangers_match_their_schemas(api, make, document):
    desk = make.unit(make.site("witten"), "desk")
    tuesday = next_weekday(1)
    booking = api.as_user(make.user()).post("/bookings", json={
        "unit_id": desk.id, "start": local(tuesday, 9), "end": local(tuesday, 10),
        "terms_accepted": True}).get_json()
    stranger_answer = api.as_user(make.user()).get(f"/bookings/{booking['id']}")
    assert stranger_answer.status_code == 403
    assert_documented(document, "GET", "/bookings/{booking_id}", stranger_answer)
    anonymous = api.anonymous().get("/me")
    assert anonymous.status_code == 401
    assert_documented(document, "GET", "/me", anonymous)


def test_the_document_rejects_answers_it_does_not_describe(api, make, document):
    """The schema check above can fail: an undocumented or mistyped field is caught."""
    unit = make.unit(make.site("witten"), "desk")
    response = api.get(f"/units/{unit.id}")
    schema = document["paths"]["/units/{unit_id}"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    root = {**schema, "components": _closed(document["components"])}
    validator = OAS31Validator(root, format_checker=oas31_format_checker)
    assert validator.is_valid(response.get_json())
    assert not validator.is_valid({**response.get_json(), "colour": "red"})
    assert not validator.is_valid({**response.get_json(), "capacity": "1"})
