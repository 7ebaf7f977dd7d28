"""Login, password reset, registration and the API are rate limited; a limited request
gets 429 in the app's error format. Counters are shared through Redis when configured."""
import uuid

import pytest
import redis

REDIS_URL = "redis://127.0.0.1:6379/0"


def _limited(make_app, **settings):
    settings.setdefault("RATELIMIT_ENABLED", True)
    settings.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    return make_app(**settings)


def _login(client, password="wrong-password"):
    return client.post("/login", data={"email": "someone@example.org", "password": password},
                       query_string={"lang": "en"})


def test_repeated_logins_are_refused_with_429(make_app, make):
    make.user("someone@example.org")
    limited = _limited(make_app, RATELIMIT_LOGIN="3 per minute")
    client = limited.test_client()
    assert [_login(client).status_code for _ in range(3)] == [422, 422, 422]
    refused = _login(client, password="secret-password")  # even the right password waits
    assert refused.status_code == 429
    assert "Too many requests" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 0
    assert client.get("/login").status_code == 200  # showing the form is not limited


def test_the_suite_app_has_no_limits(client):
    assert all(_login(client).status_code == 422 for _ in range(15))


@pytest.mark.parametrize("path, data, setting", [
    ("/password/reset", {"email": "a@example.org"}, "RATELIMIT_PASSWORD_RESET"),
    ("/register", {"email": "not-an-address"}, "RATELIMIT_REGISTER"),
    ("/confirm", {"email": "a@example.org"}, "RATELIMIT_PASSWORD_RESET"),
])
def test_reset_requests_and_registrations_are_limited(make_app, path, data, setting):
    limited = _limited(make_app, **{setting: "2 per minute"})
    client = limited.test_client()
    statuses = [client.post(path, data=data).status_code for _ in range(3)]
    assert 429 not in statuses[:2] and statuses[2] == 429


def test_the_api_answers_429_in_its_error_format(make_app):
    limited = _limited(make_app, RATELIMIT_API="2 per minute")
    client = limited.test_client()
    assert [client.get("/api/v1/sites").status_code for _ in range(2)] == [200, 200]
    response = client.get("/api/v1/sites")
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited"


def test_api_tokens_have_buckets_of_their_own(make_app, make):
    from accounts.auth import issue_api_token

    first = issue_api_token(make.user("one@example.org"))
    second = issue_api_token(make.user("two@example.org"))
    limited = _limited(make_app, RATELIMIT_API="1 per minute")
    client = limited.test_client()
    def me(token):
        return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert [me(first).status_code, me(first).status_code, me(second).status_code] == [
        200, 429, 200]


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own; its keys are removed afterwards. Redis must answer
    (CI starts it): no skip."""
    connection = redis.Redis.from_url(REDIS_URL)
    connection.ping()
    prefix = f"stadtlabor-test-{uuid.uuid4().hex[:8]}"
    yield prefix, connection
    for key in connection.scan_iter(f"*{prefix}*"):
        connection.delete(key)
    connection.close()


def test_workers_share_login_limits_through_redis(make_app, make, redis_prefix):
    prefix, connection = redis_prefix
    make.user("someone@example.org")
    settings = {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix,
                "RATELIMIT_LOGIN": "2 per minute"}
    worker_one = _limited(make_app, **settings).test_client()
    worker_two = _limited(make_app, **settings).test_client()
    assert _login(worker_one).status_code == 422
    assert _login(worker_two).status_code == 422
    assert _login(worker_one).status_code == 429
    assert _login(worker_two).status_code == 429
    assert list(connection.scan_iter(f"*{prefix}*")), "the counters must live in Redis"


def test_limits_switched_off_after_the_start_stay_off(make_app):
    limited = _limited(make_app, RATELIMIT_API="1 per minute")
    limited.config["RATELIMIT_ENABLED"] = False
    client = limited.test_client()
    assert [client.get("/api/v1/sites").status_code for _ in range(3)] == [200, 200, 200]
