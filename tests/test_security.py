"""CSRF, cookies, headers, rate limits, production settings, upload size."""

import pytest
from werkzeug.exceptions import NotFound
from werkzeug.routing import Map, Rule

from matchmaker import create_app
from matchmaker.extensions import limiter
from matchmaker.pagination import BoundedIntConverter
from tests import factories
from tests.conftest import csrf_token, log_in


def test_post_without_csrf_token_gets_a_friendly_page(client, app_ctx):
    user = factories.make_user()
    log_in(client, user)
    response = client.post("/account/password", data={"current_password": "x"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Biểu mẫu đã hết hạn" in page
    assert "Hãy tải lại trang rồi gửi lại" in page
    assert "<nav" in page  # the site layout, not a bare error


def test_csrf_page_in_english(client):
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client, "/")})
    page = client.post("/logout").get_data(as_text=True)
    assert "The form expired" in page


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # only in production


def test_pages_have_no_inline_script_or_style(client, app_ctx):
    # The CSP forbids them; the e2e test checks the browser reports no violation either.
    log_in(client, factories.make_user(role="admin"))
    for path in ["/", "/account/", "/account/password", "/admin/users", "/nope"]:
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and " style=" not in page and "<style" not in page, path
        assert " onclick=" not in page and "javascript:" not in page, path


def test_session_cookie_flags(client, app_ctx):
    factories.make_user(email="a@x.vn")
    response = client.post("/login", data={
        "email": "a@x.vn", "password": factories.PASSWORD, "csrf_token": csrf_token(client)})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_refuses_to_start_without_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", SECRET_KEY=None, SQLALCHEMY_DATABASE_URI="sqlite://")


def test_production_settings(monkeypatch):
    app = create_app("production", SECRET_KEY="s" * 32, SQLALCHEMY_DATABASE_URI="sqlite://")
    assert app.debug is False
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    response = app.test_client().get("/healthz", base_url="https://matchmaker.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    # Plain HTTP is sent to HTTPS.
    response = app.test_client().get("/healthz", base_url="http://matchmaker.example")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("https://")


def test_request_body_is_capped(client):
    body = b"x" * (11 * 1024 * 1024)
    response = client.post("/language", data=body, content_type="application/octet-stream")
    assert response.status_code == 413
    assert "lớn hơn 10 MB" in response.get_data(as_text=True)


def test_out_of_range_numbers_in_urls_are_not_server_errors(client, app_ctx):
    log_in(client, factories.make_user(role="admin"))
    for page in ("1000000000000000000", "99999999999999999999", "-1", "abc", "٣"):
        response = client.get(f"/admin/users?page={page}")
        assert response.status_code == 200, page
        assert client.get(f"/products/?page={page}").status_code in (200, 400), page
        assert client.get(f"/api/v1/products?page={page}").status_code in (200, 400), page
    # Ids in paths: every <int:…> route of the app uses the bounded converter.
    assert client.application.url_map.converters["int"] is BoundedIntConverter
    urls = Map([Rule("/x/<int:ident>", endpoint="x")],
               converters={"int": BoundedIntConverter}).bind("localhost")
    assert urls.match("/x/2147483647") == ("x", {"ident": 2147483647})
    with pytest.raises(NotFound):
        urls.match("/x/2147483648")


def test_failed_logins_are_rate_limited_with_a_friendly_page(app, client, app_ctx):
    factories.make_user(email="a@x.vn")
    limiter.reset()
    statuses = []
    for _ in range(6):
        response = client.post("/login", data={
            "email": "a@x.vn", "password": "wrong password", "csrf_token": csrf_token(client)})
        statuses.append(response.status_code)
    assert statuses == [200] * 5 + [429]
    assert "Bạn đã thử quá nhiều lần" in response.get_data(as_text=True)
    # The right password is refused too while the limit lasts: guessing cannot go on.
    response = client.post("/login", data={
        "email": "a@x.vn", "password": factories.PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 429


def test_successful_logins_do_not_count(app, client, app_ctx):
    factories.make_user(email="a@x.vn")
    limiter.reset()
    for _ in range(8):
        response = client.post("/login", data={
            "email": "a@x.vn", "password": factories.PASSWORD, "csrf_token": csrf_token(client)})
        assert response.status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def test_the_email_limit_holds_across_client_addresses(app, app_ctx):
    factories.make_user(email="a@x.vn")
    limiter.reset()
    statuses = []
    for attempt in range(11):
        client = app.test_client()
        address = {"REMOTE_ADDR": f"203.0.113.{attempt + 1}"}
        token = csrf_token(client)
        response = client.post("/login", environ_base=address, data={
            "email": "A@x.vn", "password": "wrong password", "csrf_token": token})
        statuses.append(response.status_code)
    assert statuses == [200] * 10 + [429]
