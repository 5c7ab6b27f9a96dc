"""The organisation profile editor in a real browser on a phone-sized screen: the province
picker fills the ward list (static/js/divisions.js under the CSP), and the saved profile shows
the address."""

from playwright.sync_api import expect

from matchmaker.extensions import db
from tests import factories

PHONE = {"width": 390, "height": 844}


def test_province_picker_fills_the_wards_and_the_profile_shows_them(page, live_server, users):
    member = users["member_a"]
    member.locale = "en"
    org_id = member.organisation_id
    db.session.commit()

    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/login")  # in Vietnamese until the account's English applies
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Mật khẩu").fill(factories.PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{live_server}/")

    page.goto(f"{live_server}/organisations/{org_id}/edit")
    ward = page.get_by_label("Ward or commune")
    expect(ward.locator("option")).to_have_count(1)  # no province yet: only "(choose)"
    page.get_by_label("Province or city").select_option(label="Nghệ An")
    expect(ward.locator("option", has_text="Xã Diễn Châu")).to_have_count(1)
    ward.select_option(label="Xã Diễn Châu")
    # Changing the province again empties the list and refills it with the new wards.
    page.get_by_label("Province or city").select_option(label="Thành phố Hà Nội")
    expect(ward.locator("option", has_text="Phường Ba Đình")).to_have_count(1)
    expect(ward.locator("option", has_text="Xã Diễn Châu")).to_have_count(0)
    page.get_by_label("Province or city").select_option(label="Nghệ An")
    expect(ward.locator("option", has_text="Xã Diễn Châu")).to_have_count(1)
    ward.select_option(label="Xã Diễn Châu")
    page.get_by_label("Street address").fill("Xóm 5")
    page.get_by_label("Phone").fill("0238 3 844 555")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_test_id("address")).to_have_text("Xóm 5, Xã Diễn Châu, Nghệ An")
    expect(page.get_by_test_id("phone")).to_have_text("0238 3844 555")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.console_errors == []  # nothing blocked by the CSP, no script error
