"""Organisation profiles: the public page, editing (who may, what is checked, what is stored),
logos, old addresses, and the ward list behind the province picker. Through the real forms
with CSRF on; messages are checked in English after switching the language."""

import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from matchmaker.catalogue.models import Product
from matchmaker.extensions import db
from matchmaker.organisations import addresses, divisions
from matchmaker.organisations.addresses import AddressResolution
from matchmaker.organisations.models import Certification, DeliveryProvince, Organisation
from tests.conftest import client_for as member_client
from tests.conftest import csrf_token, log_in
from tests.conftest import use_english as english

NGHE_AN, HA_NOI, QUANG_TRI = 40, 1, 44
XA_DIEN_CHAU = 17464  # a ward of Nghệ An
PHUONG_BA_DINH = 4  # a ward of Hà Nội
VALID_MST = "2901234568"


pytestmark = pytest.mark.usefixtures("uploads")


def png(size=(8, 8), color="#0b5e55", mode="RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, "PNG", **save)
    return out.getvalue()


def jpeg(size=(8, 8), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "#c0392b").save(out, "JPEG", **save)
    return out.getvalue()


def profile_form(org: Organisation, **changes) -> dict:
    """Everything the edit form sends, as stored now, with ``changes`` applied."""
    data = {
        "name": org.name, "short_name": org.short_name or "", "side": org.side,
        "legal_form": org.legal_form or "", "tax_code": org.tax_code or "",
        "province_code": org.province_code or "", "ward_code": org.ward_code or "",
        "address_line": org.address_line or "", "address_as_written": "",
        "phone": org.phone or "", "website": org.website or "",
        "description": org.description or "",
    }
    if org.is_distributor:
        data["buyer_type"] = org.buyer_type or ""
        data["delivery_province_codes"] = org.delivery_province_codes
    data.update(changes)
    return data


def post_profile(client, org, **changes):
    data = profile_form(org, **changes)
    data["csrf_token"] = csrf_token(client, f"/organisations/{org.id}/edit")
    return closed(client.post(f"/organisations/{org.id}/edit", data=data,
                              content_type="multipart/form-data", buffered=True))


def closed(response):
    """Close ``response`` (its body stays readable) and the temporary file the test client
    spools a big upload to, which would otherwise leak."""
    response.close()
    response.request.environ["wsgi.input"].close()
    return response


def errors(response) -> list[str]:
    """The field messages on a re-rendered form."""
    return re.findall(r'class="invalid-feedback[^"]*">([^<]+)<', response.get_data(as_text=True))


def fresh(org: Organisation) -> Organisation:
    db.session.rollback()  # end the test's snapshot; the request committed elsewhere
    return db.session.get(Organisation, org.id)


# --- The public profile ---------------------------------------------------------------------


def test_profile_is_public_and_shows_the_details(client, users):
    org = users["member_b"].organisation  # Siêu thị Đô Lương, a distributor
    org.legal_form, org.short_name = "joint_stock", "ĐL Mart"
    org.tax_code, org.phone, org.website = "0101234565001", "+842383844555", "https://dlmart.vn"
    org.province_code, org.ward_code, org.address_line = NGHE_AN, XA_DIEN_CHAU, "Khối 3"
    org.description, org.buyer_type = "Chuỗi 12 siêu thị.\nGiao hàng mỗi ngày.", "supermarket"
    org.delivery_provinces = [DeliveryProvince(province_code=c) for c in (NGHE_AN, HA_NOI)]
    db.session.commit()

    english(client)
    response = client.get(f"/organisations/{org.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Siêu thị Đô Lương" in page and "ĐL Mart" in page
    assert "0101234565-001" in page  # a branch MST, shown the way it is written
    assert "Khối 3, Xã Diễn Châu, Nghệ An" in page
    assert 'href="tel:+842383844555"' in page and "0238 3844 555" in page
    assert 'href="https://dlmart.vn" rel="nofollow noopener noreferrer"' in page
    assert "Supermarket chain" in page and "Joint-stock company" in page
    assert re.search(r'data-testid="delivery-provinces">\s*Thành phố Hà Nội, Nghệ An', page)
    # Only editors see the edit button.
    assert f"/organisations/{org.id}/edit" not in page


def test_missing_profile_is_404(client, users):
    assert client.get("/organisations/987654").status_code == 404


def test_documents_only_for_the_organisation_and_staff(app, users, uploads):
    org = users["member_a"].organisation
    folder = uploads / "certifications"
    folder.mkdir(parents=True)
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4 OCOP decision")
    cert = Certification(organisation_id=org.id, kind="ocop_4", number="1234/QĐ-UBND",
                         issuer="UBND tỉnh Nghệ An", document_path="certifications/scan.pdf")
    db.session.add(cert)
    db.session.commit()
    document = f"/organisations/{org.id}/certifications/{cert.id}/document"

    for role, allowed in [(None, False), ("member_b", False), ("member_a", True),
                          ("organiser", True), ("admin", True)]:
        client = app.test_client()
        if role:
            log_in(client, users[role])
        page = client.get(f"/organisations/{org.id}").get_data(as_text=True)
        # The certificate itself is public ...
        assert "1234/QĐ-UBND" in page and "UBND tỉnh Nghệ An" in page, role
        # ... its scan is not.
        assert (document in page) is allowed, role
        response = client.get(document)
        if allowed:
            assert response.status_code == 200
            assert response.data == b"%PDF-1.4 OCOP decision"
            assert response.mimetype == "application/pdf"
            assert response.headers["Content-Disposition"].startswith("attachment")
        else:
            assert response.status_code == (302 if role is None else 403), role


def test_products_of_the_organisation_are_listed(client, users):
    org = users["member_a"].organisation
    db.session.add_all([
        Product(organisation_id=org.id, name="Nước mắm Vạn Phần", unit="lít", ocop_stars=4),
        Product(organisation_id=org.id, name="Chè xanh", unit="kg"),
        Product(organisation_id=org.id, name="Sản phẩm ngừng bán", unit="kg", active=False),
    ])
    db.session.commit()
    page = client.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert "Nước mắm Vạn Phần" in page and "Chè xanh" in page
    assert "Sản phẩm ngừng bán" not in page


def test_profile_queries_do_not_grow_with_rows(app, users, count_queries):
    org = users["member_b"].organisation
    url = f"/organisations/{org.id}"
    client = app.test_client()
    log_in(client, users["member_a"])  # a logged-in visitor of another organisation
    with count_queries() as few:
        assert client.get(url).status_code == 200
    db.session.rollback()  # log_in committed elsewhere: end the stale read snapshot
    org.side = "both"
    org.delivery_provinces = [DeliveryProvince(province_code=c)
                              for c, _name in divisions.provinces()[:20]]
    for i in range(25):
        db.session.add(Certification(organisation_id=org.id, kind="vietgap", number=f"VG-{i}"))
        db.session.add(Product(organisation_id=org.id, name=f"Sản phẩm {i}", unit="kg"))
    db.session.commit()
    with count_queries() as many:
        page = client.get(url).get_data(as_text=True)
    assert "VG-24" in page and "Sản phẩm 24" in page
    assert many.count == few.count <= 5, many.statements


# --- Who may edit -----------------------------------------------------------------------------


def test_member_edits_their_own_profile(app, users):
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"])
    response = post_profile(
        client, org, name="  Công ty CP  Thực phẩm Nghệ An ", short_name="NAFOODS",
        legal_form="joint_stock", tax_code="29.01.234.568", province_code=NGHE_AN,
        ward_code=XA_DIEN_CHAU, address_line="Xóm 5", phone="0912 345 678",
        website="nafoods.vn", description="Nước ép  trái cây.\r\nXuất khẩu.")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/organisations/{org.id}"
    org = fresh(org)
    assert org.name == "Công ty CP Thực phẩm Nghệ An"
    assert org.name_key == "cong ty cp thuc pham nghe an"
    assert (org.short_name, org.legal_form, org.tax_code) == ("NAFOODS", "joint_stock", VALID_MST)
    assert (org.province_code, org.ward_code, org.address_line) == (NGHE_AN, XA_DIEN_CHAU,
                                                                   "Xóm 5")
    assert org.phone == "+84912345678"
    assert org.website == "https://nafoods.vn"
    assert org.description == "Nước ép  trái cây.\nXuất khẩu."
    # The form shows stored values the way people write them.
    page = client.get(f"/organisations/{org.id}/edit").get_data(as_text=True)
    assert 'value="0912 345 678"' in page and f'value="{VALID_MST}"' in page


def test_member_of_another_organisation_cannot_edit(app, users):
    org = users["member_a"].organisation
    intruder = app.test_client()
    log_in(intruder, users["member_b"])
    token = csrf_token(intruder, "/account/")
    for url in (f"/organisations/{org.id}/edit",):
        assert intruder.get(url).status_code == 403
        response = intruder.post(url, data={**profile_form(org, name="Đã bị đổi tên"),
                                             "csrf_token": token})
        assert response.status_code == 403
    assert fresh(org).name == "Công ty CP Thực phẩm Nghệ An"


def test_anonymous_visitors_are_sent_to_log_in(client, users):
    org = users["member_a"].organisation
    response = client.get(f"/organisations/{org.id}/edit")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.post(f"/organisations/{org.id}/edit",
                           data={**profile_form(org, name="X"),
                                 "csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302
    assert fresh(org).name == "Công ty CP Thực phẩm Nghệ An"


@pytest.mark.parametrize("role", ["organiser", "admin"])
def test_staff_edit_any_profile(app, users, role):
    org = users["member_a"].organisation
    client = member_client(app, users[role])
    assert post_profile(client, org, phone="0238 3844 555").status_code == 302
    assert fresh(org).phone == "+842383844555"


def test_profile_page_offers_editing_to_editors(app, users):
    org = users["member_a"].organisation
    page = member_client(app, users["member_a"]).get(f"/organisations/{org.id}")
    assert f'href="/organisations/{org.id}/edit"' in page.get_data(as_text=True)


# --- Bad input says so and saves nothing ----------------------------------------------------


def assert_nothing_saved(org, response, message):
    assert response.status_code == 200
    assert message in errors(response), errors(response)
    assert "Nothing was saved" in response.get_data(as_text=True)
    org = fresh(org)
    assert org.name == "Công ty CP Thực phẩm Nghệ An"
    assert org.tax_code is None and org.phone is None and org.logo_path is None


@pytest.mark.parametrize(("tax_code", "message"), [
    ("2901234567", "This tax code is not valid: its last digit does not match. "
                   "Check it for a typo."),
    ("29012345", "A tax code has 10 digits, or 13 for a branch (0101234567-001)."),
    ("MST 2901234568", "A tax code has only digits, e.g. 0101234567 or 0101234567-001."),
])
def test_invalid_tax_code_is_refused(app, users, tax_code, message):
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"])
    response = post_profile(client, org, name="Tên mới", tax_code=tax_code)
    assert_nothing_saved(org, response, message)


def test_personal_id_needs_the_household_legal_form(app, users):
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"])
    response = post_profile(client, org, legal_form="limited", tax_code="040095001234")
    assert_nothing_saved(org, response, (
        "A 12-digit personal ID number is accepted only for a household business. Enter the "
        "10-digit tax code, or choose the legal form “Household business”."))
    response = post_profile(client, org, legal_form="household", tax_code="040095001234")
    assert response.status_code == 302
    assert fresh(org).tax_code == "040095001234"


def test_the_same_tax_code_cannot_belong_to_two_organisations(app, users):
    other = users["member_b"].organisation
    other.tax_code = VALID_MST
    db.session.commit()
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"])
    response = post_profile(client, org, phone="0912345678", tax_code="2901 234 568")
    assert_nothing_saved(org, response, (
        "Another organisation is already registered with this tax code. If it is yours, "
        "contact the organisers to merge the two."))


def test_renaming_updates_the_search_keys(app, users):
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"])
    response = post_profile(client, org, name="Hợp tác xã Nước mắm Vạn Phần")
    assert response.status_code == 302
    org = fresh(org)
    assert org.name_key == "hop tac xa nuoc mam van phan"
    assert org.identity_key == "htx nuoc mam van phan"


def test_the_database_refuses_a_duplicate_tax_code_too(app_ctx, users):
    users["member_a"].organisation.tax_code = VALID_MST
    users["member_b"].organisation.tax_code = VALID_MST
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize(("phone", "message"), [
    ("0912 345 67", "This phone number does not exist. Check the number of digits, "
                    "e.g. 0912 345 678 or 0238 3844 555."),
    ("gọi giờ hành chính", "Enter a phone number, e.g. 0912 345 678 or 0238 3844 555."),
])
def test_invalid_phone_is_refused(app, users, phone, message):
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"])
    assert_nothing_saved(org, post_profile(client, org, name="Tên mới", phone=phone), message)


@pytest.mark.parametrize("website", ["javascript:alert(1)", "not a site", "ftp://x.vn"])
def test_invalid_website_is_refused(app, users, website):
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"])
    response = post_profile(client, org, name="Tên mới", website=website)
    assert_nothing_saved(org, response, "Enter a web address, e.g. https://www.example.vn.")


def test_ward_must_lie_in_the_province(app, users):
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"])
    # What a browser without JavaScript sends after changing only the province.
    response = post_profile(client, org, name="Tên mới", province_code=HA_NOI,
                            ward_code=XA_DIEN_CHAU)
    assert_nothing_saved(org, response, "This ward or commune is not in the chosen province. "
                                        "Choose it again from the list.")
    # The ward list is now the new province's.
    page = response.get_data(as_text=True)
    assert f'value="{PHUONG_BA_DINH}"' in page and f'value="{XA_DIEN_CHAU}"' not in page
    response = post_profile(client, org, name="Tên mới", ward_code=XA_DIEN_CHAU)
    assert_nothing_saved(org, response, "Choose the province first, then the ward or commune.")
    response = post_profile(client, org, province_code=999)
    assert "Choose a province from the list." in errors(response)


def test_required_name_and_side(app, users):
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"])
    response = post_profile(client, org, name="   ", side="seller", phone="0912345678")
    assert "Enter the organisation's legal name." in errors(response)
    assert fresh(org).phone is None


# --- Logo -------------------------------------------------------------------------------------


def test_logo_is_resized_stripped_and_served(app, users, uploads):
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"])
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"  # Make
    exif[0x0131] = "Photo editor 1.0"  # Software
    big = jpeg(size=(1200, 900), exif=exif.tobytes(), comment=b"taken at home")
    assert b"Camera maker" in big
    response = post_profile(client, org, logo=(io.BytesIO(big), "logo.jpg"))
    assert response.status_code == 302
    org = fresh(org)
    stored = uploads / org.logo_path
    assert org.logo_path.startswith("logos/") and org.logo_path.endswith(".jpg")
    assert "logo" not in Path(org.logo_path).stem.lower()  # a random name, not the upload's
    data = stored.read_bytes()
    assert b"Camera maker" not in data and b"taken at home" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG" and image.size == (400, 300)
        assert not image.getexif()

    served = app.test_client().get(f"/organisations/{org.id}/logo")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.data == data
    # A PNG keeps its transparency; a small one is not enlarged.
    response = post_profile(client, org, logo=(io.BytesIO(png((120, 80), (0, 0, 0, 0),
                                                              mode="RGBA")), "logo.png"))
    assert response.status_code == 302
    org = fresh(org)
    assert not stored.exists()  # the old logo is deleted once the new one is saved
    with Image.open(uploads / org.logo_path) as image:
        assert image.format == "PNG" and image.size == (120, 80) and image.mode == "RGBA"


def test_logo_can_be_removed(app, users, uploads):
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"])
    post_profile(client, org, logo=(io.BytesIO(png()), "logo.png"))
    path = uploads / fresh(org).logo_path
    assert path.exists()
    assert post_profile(client, org, remove_logo="y").status_code == 302
    assert fresh(org).logo_path is None and not path.exists()
    assert client.get(f"/organisations/{org.id}/logo").status_code == 404


@pytest.mark.parametrize(("content", "filename", "message"), [
    (b"just some text, not an image", "logo.png", "The logo must be a JPEG or PNG image."),
    (b"%PDF-1.4 a document", "logo.pdf", "The logo must be a JPEG or PNG image."),
    (b"GIF89a" + b"\0" * 100, "logo.gif", "The logo must be a JPEG or PNG image."),
    (b"\x89PNG\r\n\x1a\n" + b"broken" * 10, "logo.png",
     "This image could not be read. Save it again as JPEG or PNG and upload it."),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * (2 * 1024 * 1024), "logo.png",
     "The file is too large: at most 2 MB."),
    (b"", "logo.png", "The file is empty. Choose the file again."),
])
def test_bad_logo_is_refused(app, users, content, filename, message):
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"])
    response = post_profile(client, org, name="Tên mới", logo=(io.BytesIO(content), filename))
    assert_nothing_saved(org, response, message)


def test_a_20_mb_upload_gets_the_friendly_413_page(app, users, uploads):
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"])
    huge = b"\x89PNG\r\n\x1a\n" + b"\0" * (20 * 1024 * 1024)
    response = post_profile(client, org, name="Tên mới", logo=(io.BytesIO(huge), "logo.png"))
    assert response.status_code == 413
    assert "larger than 10 MB, the most this site accepts" in response.get_data(as_text=True)
    org = fresh(org)
    assert org.name == "Công ty CP Thực phẩm Nghệ An" and org.logo_path is None
    assert not uploads.exists() or not any(uploads.rglob("*.*"))


# --- Distributor details ----------------------------------------------------------------------


def test_distributor_details_are_saved_and_shown_only_for_distributors(app, users):
    producer = users["member_a"].organisation
    page = member_client(app, users["member_a"]).get(f"/organisations/{producer.id}/edit")
    assert 'name="buyer_type"' not in page.get_data(as_text=True)

    org = users["member_b"].organisation
    client = member_client(app, users["member_b"])
    page = client.get(f"/organisations/{org.id}/edit").get_data(as_text=True)
    assert 'name="buyer_type"' in page and 'name="delivery_province_codes"' in page
    response = post_profile(client, org, buyer_type="wholesaler",
                            delivery_province_codes=[str(NGHE_AN), str(QUANG_TRI)])
    assert response.status_code == 302
    org = fresh(org)
    assert org.buyer_type == "wholesaler"
    assert org.delivery_province_codes == [NGHE_AN, QUANG_TRI]
    # Untick one, tick another: the rows follow.
    post_profile(client, org, delivery_province_codes=[str(QUANG_TRI), str(HA_NOI)])
    assert fresh(org).delivery_province_codes == [HA_NOI, QUANG_TRI]
    # An unknown province or buyer type is refused.
    response = post_profile(client, org, delivery_province_codes=["999"], buyer_type="mall")
    assert "Choose provinces from the list." in errors(response)
    assert "Choose a buyer type from the list." in errors(response)
    # No longer a distributor: the distributor data goes.
    assert post_profile(client, fresh(org), side="producer").status_code == 302
    org = fresh(org)
    assert org.buyer_type is None and org.delivery_province_codes == []


# --- Old addresses ----------------------------------------------------------------------------


def test_old_address_is_resolved_to_the_current_province_and_ward(app, users):
    # The real resolver: a pre-2025 district and commune of Nghệ An.
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"])
    written = "Xóm 5, xã Diễn Kỷ, huyện Diễn Châu, Nghệ An"
    found = addresses.resolve_address(written)
    assert found.province_code == NGHE_AN
    response = post_profile(client, org, address_as_written=written)
    assert response.status_code == 302
    org = fresh(org)
    assert org.province_code == NGHE_AN and org.ward_code == found.ward_code
    assert org.address_as_written == written
    # An old province alone: Quảng Bình is part of Quảng Trị since 2025.
    response = post_profile(client, org, province_code="", ward_code="",
                            address_as_written="Quảng Bình")
    assert response.status_code == 302
    org = fresh(org)
    assert (org.province_code, org.ward_code) == (QUANG_TRI, None)


def test_ambiguous_old_address_asks_which_province(app, users, monkeypatch):
    calls = []

    def resolve(text):
        calls.append(text)
        return AddressResolution(None, None, ((NGHE_AN, "Nghệ An (Huyện Yên Thành)"),
                                              (QUANG_TRI, "Quảng Trị (Xã Yên Thành)")),
                                 "có ở nhiều tỉnh")

    monkeypatch.setattr(addresses, "resolve_address", resolve)
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"])
    response = post_profile(client, org, name="Tên mới", address_as_written="xã Yên Thành")
    assert_nothing_saved(org, response,
                         "This address fits more than one province. Choose the right one.")
    page = response.get_data(as_text=True)
    assert "Nghệ An (Huyện Yên Thành)" in page and "Quảng Trị (Xã Yên Thành)" in page
    assert calls == ["xã Yên Thành"]
    # The user picks one: saved without asking the resolver again.
    response = post_profile(client, org, address_as_written="xã Yên Thành",
                            address_candidate=str(QUANG_TRI))
    assert response.status_code == 302 and calls == ["xã Yên Thành"]
    org = fresh(org)
    assert org.province_code == QUANG_TRI and org.address_as_written == "xã Yên Thành"


def test_unrecognised_old_address_asks_for_the_province(app, users, monkeypatch):
    monkeypatch.setattr(addresses, "resolve_address",
                        lambda text: AddressResolution(None, None, (), "không nhận ra"))
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"])
    response = post_profile(client, org, name="Tên mới", address_as_written="Chợ Bến Thủy")
    assert_nothing_saved(org, response, "We could not find the province in this address. "
                                        "Choose the province and ward from the lists.")


def test_a_chosen_province_wins_over_the_old_address(app, users, monkeypatch):
    def resolve(_text):
        raise AssertionError("no resolution when the province is chosen")

    monkeypatch.setattr(addresses, "resolve_address", resolve)
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"])
    response = post_profile(client, org, province_code=HA_NOI,
                            address_as_written="huyện Diễn Châu, Nghệ An")
    assert response.status_code == 302
    org = fresh(org)
    assert org.province_code == HA_NOI and org.address_as_written == "huyện Diễn Châu, Nghệ An"


# --- Ward list ------------------------------------------------------------------------------


def test_wards_json_lists_the_wards_of_a_province(client):
    response = client.get(f"/organisations/divisions/{NGHE_AN}/wards.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    wards = response.get_json()
    assert {"code": XA_DIEN_CHAU, "name": "Xã Diễn Châu"} in wards
    assert all(set(w) == {"code", "name"} for w in wards)
    assert PHUONG_BA_DINH not in {w["code"] for w in wards}
    assert "public" in response.headers["Cache-Control"]
    assert client.get("/organisations/divisions/999/wards.json").status_code == 404


def test_the_edit_page_wires_the_ward_picker(app, users):
    org = users["member_a"].organisation
    page = member_client(app, users["member_a"]).get(f"/organisations/{org.id}/edit")
    html = page.get_data(as_text=True)
    assert 'data-wards-url="/organisations/divisions/0/wards.json"' in html
    assert 'data-ward-select="ward_code"' in html
    assert '<script src="/static/js/divisions.js"></script>' in html
    assert "<script>" not in html and "style=" not in html  # the CSP forbids both


# --- Vietnamese (needs the translations merged) -----------------------------------------------


def test_checksum_message_in_vietnamese(app, users):
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"], lang="vi")
    response = post_profile(client, org, tax_code="2901234567")
    assert response.status_code == 200
    assert "Mã số thuế này không hợp lệ" in " ".join(errors(response))
