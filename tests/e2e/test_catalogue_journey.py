"""A producer lists a product with a photo; a distributor finds it by an unaccented query and
by a parent category, in a real browser."""

import io

from PIL import Image
from playwright.sync_api import expect

from matchmaker.organisations.models import Side
from tests import factories
from tests.e2e.conftest import open_menu


def photo(tmp_path) -> str:
    path = tmp_path / "nuoc-mam.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (150, 90, 30)).save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def log_in(page, base, email):
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(factories.PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_test_id("account-menu")).to_be_visible()


def test_producer_lists_a_product_and_a_distributor_finds_it(page, live_server, app_ctx,
                                                            tmp_path):
    producer_org = factories.make_organisation("Công ty CP Thủy sản Cửa Lò", Side.PRODUCER)
    factories.make_user(organisation=producer_org, email="ban@cualo.vn")
    buyer_org = factories.make_organisation("Siêu thị Vinh Xanh", Side.DISTRIBUTOR)
    factories.make_user(organisation=buyer_org, email="mua@vinhxanh.vn")

    # The producer adds a product, then a photo on its edit page.
    log_in(page, live_server, "ban@cualo.vn")
    open_menu(page, "organisation-menu")
    page.get_by_role("link", name="Sản phẩm của tôi").click()
    page.goto(live_server + "/products/new")
    page.get_by_label("Tên sản phẩm").fill("Nước mắm cá cơm Cửa Lò 35 độ đạm")
    page.get_by_label("Bộ sản phẩm OCOP").select_option(
        label="9. Gia vị: Tương, nước mắm, gia vị dạng lỏng khác")
    page.get_by_label("Mã HS").fill("2103")
    page.get_by_label("Đơn vị tính", exact=True).select_option(value="chai")
    page.get_by_label("Giá thấp nhất mỗi đơn vị (đồng)").fill("85.000")
    page.get_by_label("Giá cao nhất mỗi đơn vị (đồng)").fill("120.000")
    page.get_by_role("button", name="Lưu sản phẩm").click()
    expect(page.get_by_role("alert").first).to_contain_text("Đã lưu sản phẩm")
    page.locator("#image-upload input[type=file]").set_input_files(photo(tmp_path))
    page.get_by_role("button", name="Tải lên").click()
    expect(page.get_by_role("alert").first).to_contain_text("Đã thêm 1 ảnh")
    open_menu(page, "account-menu")
    page.get_by_role("button", name="Đăng xuất").click()

    # The distributor searches without accents and finds it, with its thumbnail.
    log_in(page, live_server, "mua@vinhxanh.vn")
    page.get_by_role("link", name="Sản phẩm", exact=True).click()
    page.get_by_label("Tìm sản phẩm").fill("nuoc mam cua lo")
    page.get_by_role("button", name="Tìm", exact=True).click()
    result = page.get_by_role("link", name="Nước mắm cá cơm Cửa Lò 35 độ đạm")
    expect(result).to_be_visible()
    thumbnail = page.locator("img[src*='/images/'][src$='/thumb']").first
    expect(thumbnail).to_be_visible()
    assert thumbnail.evaluate("img => img.naturalWidth") > 0

    # Browsing by the parent category (the OCOP major group) finds it too.
    page.goto(live_server + "/products/")
    page.get_by_test_id("facet-category").get_by_role("link", name="Sản phẩm thực phẩm").click()
    expect(page.get_by_role("link", name="Nước mắm cá cơm Cửa Lò 35 độ đạm")).to_be_visible()

    # The product page shows the price in đồng and the producer.
    page.get_by_role("link", name="Nước mắm cá cơm Cửa Lò 35 độ đạm").click()
    expect(page.get_by_text("85.000 ₫")).to_be_visible()
    expect(page.get_by_role("link", name="Công ty CP Thủy sản Cửa Lò")).to_be_visible()
    assert page.console_errors == []
