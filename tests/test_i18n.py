"""Vietnamese by default, English on request, remembered per visitor and per user; every
visible string is in the catalogue."""

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from babel.messages.pofile import read_po

from matchmaker.auth.models import User
from matchmaker.extensions import db
from tests import factories
from tests.conftest import csrf_token, log_in

ROOT = Path(__file__).resolve().parent.parent
VI_PO = ROOT / "matchmaker" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"


def switch(client, lang, next_url="/"):
    return client.post("/language", data={
        "lang": lang, "next": next_url, "csrf_token": csrf_token(client, "/")})


def test_vietnamese_is_the_default_whatever_the_browser_says(client):
    page = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    html = page.get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert "Đăng nhập" in html and "Mật khẩu" in html


def test_switch_to_english_and_back_for_a_visitor(client):
    response = switch(client, "en", "/register?x=1")
    assert response.status_code == 302 and response.headers["Location"] == "/register?x=1"
    html = client.get("/register").get_data(as_text=True)
    assert '<html lang="en">' in html and "Register your organisation" in html
    switch(client, "vi")
    assert "Đăng ký doanh nghiệp/tổ chức" in client.get("/register").get_data(as_text=True)


def test_language_is_remembered_on_the_account(app, app_ctx):
    user = factories.make_user()
    browser = app.test_client()
    log_in(browser, user)
    switch(browser, "en")
    db.session.rollback()  # end the test's read snapshot
    assert db.session.get(User, user.id).locale == "en"
    # A new browser, after logging in, gets the saved language.
    other = app.test_client()
    other.post("/login", data={"email": user.email, "password": factories.PASSWORD,
                               "csrf_token": csrf_token(other)})
    assert "My account" in other.get("/account/").get_data(as_text=True)


def test_registration_saves_the_language_in_use(client, app_ctx):
    switch(client, "en")
    client.post("/register", data={
        "full_name": "Lê Thị Thuỷ", "email": "thuy@example.vn", "password": "0123456789ab",
        "confirm": "0123456789ab", "organisation_name": "Công ty TNHH Thuỷ Sản Cửa Lò",
        "side": "both", "csrf_token": csrf_token(client, "/register")})
    assert db.session.scalar(sa.select(User.locale)) == "en"


def test_unknown_language_is_refused(client):
    assert switch(client, "fr").status_code == 400


def test_error_pages_in_both_languages(client):
    assert "Không tìm thấy trang" in client.get("/no-such-page").get_data(as_text=True)
    switch(client, "en")
    page = client.get("/no-such-page")
    assert page.status_code == 404 and "Page not found" in page.get_data(as_text=True)


def test_403_page_in_vietnamese(client, app_ctx):
    log_in(client, factories.make_user())
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "Tài khoản của bạn không có quyền truy cập trang này." in response.get_data(
        as_text=True)


def test_every_source_string_has_a_vietnamese_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-k", "_ln:1,2", "-o", str(pot), "--no-location", "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as f:
        source_ids = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    with VI_PO.open("rb") as f:
        catalogue = read_po(f)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalogue
        if m.id and "fuzzy" not in m.flags
        and (m.string if isinstance(m.string, str) else m.string[0])
    }
    missing = sorted(source_ids - translated)
    assert not missing, "untranslated (run `make extract-messages`, then translate): " + repr(
        missing)
    assert len(source_ids) > 50
