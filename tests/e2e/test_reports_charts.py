"""The report's charts in a real browser (Debian's headless Chromium, as in ``tests/e2e``;
skipped without it): Chart.js loads from ``static/vendor``, ``static/js/reports.js`` draws a
chart beside each table from the JSON script tag, and the CSP refuses nothing. Lives in
``tests/e2e`` to share its one browser: a second Playwright in the same run fails."""

import os

from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.test_reports import deals, warm  # noqa: F401

SCREENSHOTS = os.environ.get("REPORT_SCREENSHOTS")  # a folder, to look at the page


def test_every_chart_is_drawn_beside_its_table(app, deals, users, live_server, page):  # noqa: F811
    warm(deals["E1"])
    log_in(page, live_server, "organiser@example.vn")
    page.goto(f"{live_server}/reports/conversion?event={deals['E1']}")
    charts = page.locator("figure[data-chart]")
    names = charts.evaluate_all("els => els.map(e => e.dataset.chart)")
    assert names == ["funnel", "outcomes", "reasons", "over_time", "ocop", "hs", "province",
                     "buyer_type", "stars"]
    for name in names:
        figure = page.locator(f'figure[data-chart="{name}"]')
        expect(figure).to_be_visible()
        box = figure.locator("canvas").bounding_box()
        assert box["width"] > 100 and box["height"] > 100, name
    drawn = page.evaluate("Object.keys(Chart.instances).length")
    assert drawn == len(names)
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/report-event.png", full_page=True)
    page.goto(f"{live_server}/reports/programme?from_year=2024&to_year=2025")
    expect(page.locator('figure[data-chart="programme"]')).to_be_visible()
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/report-programme.png", full_page=True)
    page.goto(f"{live_server}/reports/")
    expect(page.get_by_test_id("report-events")).to_contain_text("OCOP Nghệ An 2025")
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/report-index.png", full_page=True)
    assert page.console_errors == []
