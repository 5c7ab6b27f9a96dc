"""The top bar fits common laptop widths for every kind of user, in both languages: no page
scrolls sideways and the account menu stays reachable."""

import pytest

from matchmaker.organisations.models import Side
from matchmaker.permissions import Role
from tests import factories
from tests.conftest import log_in

WIDTHS = (1200, 1280, 1366)


def _cookie_for(app, user) -> str:
    client = app.test_client()
    log_in(client, user)
    return client.get_cookie("session").value


@pytest.mark.parametrize("kind", ["anonymous", "both_member", "organiser", "admin"])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_top_bar_fits_without_sideways_scrolling(app, app_ctx, live_server, browser,
                                                     kind, lang):
    context = browser.new_context(locale="en-US")
    if kind != "anonymous":
        if kind == "both_member":
            # The longest menu: a producer-and-distributor organisation's member.
            org = factories.make_organisation("Công ty TNHH Thương mại và Sản xuất Hồng Sơn",
                                              Side.BOTH)
            user = factories.make_user(organisation=org, full_name="Nguyễn Thị Phương Hoà",
                                       locale=lang)
        else:
            user = factories.make_user(Role(kind), full_name="Nguyễn Thị Phương Hoà",
                                       locale=lang)
        context.add_cookies([{"name": "session", "value": _cookie_for(app, user),
                              "url": live_server}])
    page = context.new_page()
    try:
        page.goto(live_server + "/")
        if kind == "anonymous" and lang == "en":
            page.get_by_role("button", name="English").click()
        assert page.locator("html").get_attribute("lang") == lang
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{kind} {lang} at {width}px: {overflow}px too wide"
    finally:
        context.close()


PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_event_pages_fit_a_phone(app, app_ctx, live_server, browser, lang):
    """The event page (long category names, the places table), the list and the organiser's
    check-in page, at a phone's width: nothing wider than the screen."""
    import tests.access  # noqa: F401  (loads the access modules in order)
    from tests.access_events import make_event

    event = make_event("Hội nghị kết nối cung cầu sản phẩm OCOP và dược liệu Nghệ An 2026",
                       categories=("III.1", "I.4.a", "I.2"))
    event_id = event.id
    organiser = factories.make_user(Role.ORGANISER, locale=lang)
    context = browser.new_context(locale="en-US", viewport=PHONE)
    context.add_cookies([{"name": "session", "value": _cookie_for(app, organiser),
                          "url": live_server}])
    page = context.new_page()
    try:
        for path in ("/events/", f"/events/{event_id}", f"/events/{event_id}/check-in",
                     f"/events/{event_id}/registrations"):
            page.goto(live_server + path)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{path} ({lang}) is {overflow}px wider than a phone"
    finally:
        context.close()
