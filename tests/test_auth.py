"""Registration, login, logout and password change, through the real forms (CSRF on)."""

import re
import unicodedata

import sqlalchemy as sa

from matchmaker.auth.models import User
from matchmaker.extensions import db, limiter
from matchmaker.organisations.models import Organisation
from tests import factories
from tests.conftest import csrf_token, log_in

REGISTRATION = {
    "full_name": "  Trần Văn Đức ",
    "email": " Duc.Tran@HTX-QuynhLuu.VN ",
    "password": "nuoc-mam-cua-lo",
    "confirm": "nuoc-mam-cua-lo",
    "organisation_name": "HTX  Nông nghiệp   Quỳnh Lưu",
    "side": "producer",
}


def register(client, **changes):
    data = {**REGISTRATION, **changes, "csrf_token": csrf_token(client, "/register")}
    return client.post("/register", data=data)


def login(client, email, password, **extra):
    data = {"email": email, "password": password, "csrf_token": csrf_token(client), **extra}
    return client.post("/login" + extra.pop("query", ""), data=data)


def test_register_creates_member_and_organisation(client, app_ctx):
    response = register(client)
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User))
    assert user.email == "duc.tran@htx-quynhluu.vn"
    assert user.full_name == "Trần Văn Đức"
    assert user.role == "member"
    assert user.locale == "vi"
    assert user.organisation.name == "HTX Nông nghiệp Quỳnh Lưu"
    assert user.organisation.name_key == "htx nong nghiep quynh luu"
    assert user.organisation.side == "producer"
    assert user.password_hash.startswith("scrypt:")
    # Logged in straight away.
    page = client.get("/account/").get_data(as_text=True)
    assert "duc.tran@htx-quynhluu.vn" in page


def test_same_email_in_other_case_is_the_same_account(client, app_ctx):
    factories.make_user(email="a@x.vn")
    response = register(client, email="A@X.vn ")
    assert response.status_code == 200
    assert "Email này đã có tài khoản" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
    # Nothing half-made: the organisation of the refused registration is not kept.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1


def test_short_password_and_mismatch_are_refused_in_vietnamese(client, app_ctx):
    page = register(client, password="ngan", confirm="khac").get_data(as_text=True)
    assert "Mật khẩu phải dài từ 10 đến 128 ký tự." in page
    page = register(client, confirm="nuoc-mam-cua-lo-2").get_data(as_text=True)
    assert "Hai mật khẩu không giống nhau." in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_register_refuses_bad_email_and_missing_side(client, app_ctx):
    page = register(client, email="not-an-email", side="").get_data(as_text=True)
    assert "Hãy nhập địa chỉ email hợp lệ" in page
    assert "Hãy chọn nhà sản xuất, nhà phân phối hoặc cả hai." in page
    page = register(client, side="supplier").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_login_with_any_case_and_spaces(client, app_ctx):
    factories.make_user(email="a@x.vn")
    response = login(client, "  A@X.VN", factories.PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_failed_login_says_the_same_for_unknown_email_and_wrong_password(client, app_ctx):
    factories.make_user(email="a@x.vn")
    wrong_password = login(client, "a@x.vn", "wrong password!!").get_data(as_text=True)
    unknown_email = login(client, "nobody@x.vn", "wrong password!!").get_data(as_text=True)

    def message(page):
        return re.findall(r'class="invalid-feedback">([^<]+)<', page)

    assert message(wrong_password) == message(unknown_email) == [
        "Email hoặc mật khẩu không đúng."
    ]


def test_disabled_account_cannot_log_in_or_keep_its_session(client, app_ctx):
    user = factories.make_user(email="a@x.vn", active=False)
    page = login(client, "a@x.vn", factories.PASSWORD).get_data(as_text=True)
    assert "Tài khoản này đã bị khoá" in page
    log_in(client, user)
    assert client.get("/account/").status_code == 302


def test_next_redirects_only_within_the_site(client, app_ctx):
    factories.make_user(email="a@x.vn")
    for target, expected in [
        ("/account/", "/account/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ]:
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        response = login(client, "a@x.vn", factories.PASSWORD, next=target)
        assert response.headers["Location"] == expected, target


def test_login_starts_a_new_session(client, app_ctx):
    factories.make_user(email="a@x.vn")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    token_before = csrf_token(client)
    login(client, "a@x.vn", factories.PASSWORD)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != token_before


def test_logout_is_post_only_and_final(client, app_ctx):
    factories.make_user(email="a@x.vn")
    login(client, "a@x.vn", factories.PASSWORD)
    # GET only shows a confirmation page: a link elsewhere cannot log anyone out.
    page = client.get("/logout")
    assert page.status_code == 200 and 'action="/logout"' in page.get_data(as_text=True)
    assert client.get("/account/").status_code == 200
    stolen_cookie = client.get_cookie("session").value
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get("/account/").status_code == 302
    # The cookie of the ended session is worthless, even replayed.
    client.set_cookie("session", stolen_cookie)
    assert client.get("/account/").status_code == 302


def test_password_typed_in_decomposed_unicode_is_the_same_password(client, app_ctx):
    nfd = unicodedata.normalize("NFD", "mật-khẩu-tiếng-việt")
    nfc = unicodedata.normalize("NFC", nfd)
    assert nfd != nfc
    register(client, password=nfd, confirm=nfd)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    email = unicodedata.normalize("NFD", "Người.Dùng@ví-dụ.vn")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    register(client, email=email, password=nfd, confirm=nfd)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert login(client, unicodedata.normalize("NFC", email), nfc).status_code == 302


def test_invisible_characters_do_not_make_a_name(client, app_ctx):
    page = register(client, full_name="\u200b\u200b", organisation_name="\u202e\x07")
    html = page.get_data(as_text=True)
    assert "Hãy nhập họ tên." in html and "Hãy nhập tên doanh nghiệp/tổ chức." in html
    register(client, full_name="Lê\u200b Văn\x1b Tám")
    assert db.session.scalar(sa.select(User.full_name)) == "Lê Văn Tám"


def test_nul_characters_are_refused_before_they_reach_the_database(client, app_ctx):
    response = client.post("/register", data={
        **REGISTRATION, "full_name": "Bad\x00Name", "csrf_token": csrf_token(client, "/register")})
    assert response.status_code == 400
    assert client.get("/login?next=/a%00b").status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_builtin_form_messages_are_in_vietnamese(client, app_ctx):
    page = register(client, email="a" * 250 + "@x.vn", side="supplier").get_data(as_text=True)
    assert "Không được dài quá 254 ký tự." in page
    assert "Lựa chọn không hợp lệ." in page


def test_change_password_ends_other_sessions(app, app_ctx):
    user = factories.make_user(email="a@x.vn")
    this_browser, other_browser = app.test_client(), app.test_client()
    login(this_browser, "a@x.vn", factories.PASSWORD)
    login(other_browser, "a@x.vn", factories.PASSWORD)
    response = this_browser.post("/account/password", data={
        "current_password": factories.PASSWORD,
        "new_password": "mat-khau-moi-2026",
        "confirm": "mat-khau-moi-2026",
        "csrf_token": csrf_token(this_browser, "/account/password"),
    })
    assert response.status_code == 302
    assert this_browser.get("/account/").status_code == 200
    assert other_browser.get("/account/").status_code == 302
    db.session.refresh(user)
    assert user.check_password("mat-khau-moi-2026")
    assert not user.check_password(factories.PASSWORD)


def test_new_password_must_differ_from_the_current_one(client, app_ctx):
    log_in(client, factories.make_user())
    page = client.post("/account/password", data={
        "current_password": factories.PASSWORD, "new_password": factories.PASSWORD,
        "confirm": factories.PASSWORD, "csrf_token": csrf_token(client, "/account/password"),
    }).get_data(as_text=True)
    assert "Mật khẩu mới phải khác mật khẩu hiện tại." in page


def test_guessing_the_current_password_is_rate_limited(client, app_ctx):
    log_in(client, factories.make_user())
    limiter.reset()
    statuses = [client.post("/account/password", data={
        "current_password": f"guess number {i}", "new_password": "mat-khau-moi-2026",
        "confirm": "mat-khau-moi-2026", "csrf_token": csrf_token(client, "/account/password"),
    }).status_code for i in range(6)]
    assert statuses == [200] * 5 + [429]


def test_change_password_needs_the_current_one(client, app_ctx):
    user = factories.make_user()
    log_in(client, user)
    page = client.post("/account/password", data={
        "current_password": "not my password",
        "new_password": "mat-khau-moi-2026",
        "confirm": "mat-khau-moi-2026",
        "csrf_token": csrf_token(client, "/account/password"),
    }).get_data(as_text=True)
    assert "Mật khẩu hiện tại không đúng." in page
    db.session.refresh(user)
    assert user.check_password(factories.PASSWORD)
