"""A new member's first visit, in a real browser: register, log out, log in, switch language."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import open_menu


def test_register_logout_login_and_switch_language(page, live_server):
    page.goto(live_server + "/")
    # Vietnamese by default, even for a browser set to English.
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    page.get_by_role("link", name="Đăng ký doanh nghiệp/tổ chức").click()

    page.get_by_label("Họ và tên").fill("Nguyễn Văn Thành")
    page.get_by_label("Email").fill("  Thanh.Nguyen@HTX-NghiaDan.vn ")
    page.get_by_label("Mật khẩu", exact=True).fill("cam-vinh-xa-doai")
    page.get_by_label("Nhập lại mật khẩu").fill("cam-vinh-xa-doai")
    page.get_by_label("Tên doanh nghiệp/tổ chức").fill("HTX Nông nghiệp Nghĩa Đàn")
    page.get_by_label("Nhà sản xuất (bán sản phẩm)").check()
    page.get_by_role("button", name="Tạo tài khoản").click()
    expect(page.get_by_role("alert")).to_contain_text("Chào mừng Nguyễn Văn Thành")
    expect(page.get_by_text("Bạn đại diện cho HTX Nông nghiệp Nghĩa Đàn.")).to_be_visible()

    # Log out from the account menu (a Bootstrap dropdown: the vendored JS runs under the CSP).
    open_menu(page, "account-menu")
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_role("alert")).to_contain_text("Bạn đã đăng xuất.")

    # A wrong password first, then the right one, with the email typed in another case.
    page.get_by_role("link", name="Đăng nhập").first.click()
    page.get_by_label("Email").fill("thanh.nguyen@htx-nghiadan.vn")
    page.get_by_label("Mật khẩu").fill("wrong-password")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_text("Email hoặc mật khẩu không đúng.")).to_be_visible()
    page.get_by_label("Email").fill("THANH.NGUYEN@htx-nghiadan.vn")
    page.get_by_label("Mật khẩu").fill("cam-vinh-xa-doai")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_test_id("account-menu")).to_have_text("Nguyễn Văn Thành")

    # Switch to English; the choice sticks on the next page.
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_text("You act for HTX Nông nghiệp Nghĩa Đàn.")).to_be_visible()
    open_menu(page, "account-menu")
    page.locator(".dropdown-menu").get_by_role("link", name="My account").click()
    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.get_by_text("thanh.nguyen@htx-nghiadan.vn")).to_be_visible()
    expect(page.locator("dd", has_text="English")).to_be_visible()

    # Nothing was blocked by the Content-Security-Policy, and no script failed.
    assert page.console_errors == []
