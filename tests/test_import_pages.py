"""The organiser's import pages: upload, report, and the merge / keep-apart review."""

import io
import re
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from matchmaker.auth.models import User
from matchmaker.catalogue.models import Product
from matchmaker.extensions import db
from matchmaker.imports.models import ImportRow, MatchReview, ProducerImport
from matchmaker.organisations.identity import identity_key
from matchmaker.organisations.models import Certification, DeliveryProvince, Organisation
from tests import factories
from tests.conftest import csrf_token, log_in
from tests.test_i18n import switch
from tests.test_import import NGHE_AN_FILE, csv_bytes, table_counts, xlsx_bytes

VAN_PHAN_SHORT = "Công ty CP Thủy sản Vạn Phần"
VAN_PHAN_LONG = "Công ty cổ phần Thủy sản Vạn Phần Diễn Châu"


def upload(client, data: bytes, filename: str = "nghe-an.csv", province: str = "40"):
    token = csrf_token(client, "/imports/")
    return client.post("/imports/", data={
        "csrf_token": token, "province": province, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data")


def organiser_client(app, users):
    client = app.test_client()
    log_in(client, users["organiser"])
    switch(client, "en")
    return client


def org_id(name: str) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(Organisation.id).where(
        Organisation.identity_key == identity_key(name)))


def test_upload_shows_the_report_and_a_second_upload_adds_nothing(app, users):
    client = organiser_client(app, users)
    response = upload(client, NGHE_AN_FILE.read_bytes())
    assert response.status_code == 302
    run_id = db.session.scalar(sa.select(ProducerImport.id))
    assert response.headers["Location"] == f"/imports/{run_id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Import saved: 31 rows imported, 1 merged, 0 unchanged, 7 skipped." in page
    assert "1 possible duplicate waits for your review." in page
    assert page.count('data-outcome="') == 39
    assert "The source does not name the producer." in page
    assert "Công ty CP Dược liệu Pù Mát" in page
    skipped = client.get(f"/imports/{run_id}?outcome=skipped").get_data(as_text=True)
    assert set(re.findall(r'data-outcome="(\w+)"', skipped)) == {"skipped"}
    assert skipped.count('data-outcome="') == 7
    assert client.get(f"/imports/{run_id}?outcome=nonsense").status_code == 404
    run = db.session.get(ProducerImport, run_id)
    assert run.imported_by_id == users["organiser"].id and run.filename == "nghe-an.csv"

    before = table_counts()
    again = upload(client, NGHE_AN_FILE.read_bytes())
    html = again.get_data(as_text=True)
    assert again.status_code == 200
    assert "Nothing changed" in html and f"import #{run_id}" in html
    assert html.count('data-outcome="unchanged"') == 32
    assert table_counts() == before
    listing = client.get("/imports/").get_data(as_text=True)
    assert "nghe-an.csv" in listing and users["organiser"].full_name in listing


def test_an_xlsx_upload_works_too(app, users):
    client = organiser_client(app, users)
    data = xlsx_bytes([["Chè xanh Thanh Chương", "HTX Chè Thanh Đức", "Thanh Chương", 4, 2019,
                        11]], ["Tên sản phẩm", "Chủ thể", "Huyện", "Số sao", "Năm", "Bộ sản phẩm"])
    response = upload(client, data, "danh-sach.xlsx", province="")
    assert response.status_code == 302
    product = db.session.scalar(sa.select(Product))
    assert product.organisation.province_code == 40  # from the old district


def test_a_refused_file_says_why_and_changes_nothing(app, users):
    client = organiser_client(app, users)
    before = table_counts()
    page = upload(client, b"%PDF-1.7 not a table", "list.pdf").get_data(as_text=True)
    assert "This is not a CSV or XLSX file. Nothing was imported." in page
    page = upload(client, csv_bytes([["Chè", "4"]], ["product_name", "ocop_stars"])).get_data(
        as_text=True)
    assert "Required columns are missing: producer_organisation." in page
    page = upload(client, b"a,b\n", province="999").get_data(as_text=True)
    assert "is-invalid" in page
    no_file = client.post("/imports/", data={"csrf_token": csrf_token(client, "/imports/")})
    assert "Choose a file to upload." in no_file.get_data(as_text=True)
    assert table_counts() == before


def test_an_upload_over_the_size_limit_is_refused(app, users, monkeypatch):
    client = organiser_client(app, users)
    # A small limit: a body over 500 kB would be spooled to a temporary file that Werkzeug
    # leaves open when it refuses the request.
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    response = upload(client, NGHE_AN_FILE.read_bytes())
    assert response.status_code == 413
    assert table_counts()["producer_imports"] == 0


def test_the_upload_needs_a_csrf_token(app, users):
    client = organiser_client(app, users)
    response = client.post("/imports/", data={"province": "", "file": (
        io.BytesIO(NGHE_AN_FILE.read_bytes()), "x.csv")})
    assert response.status_code == 400
    assert table_counts()["organisations"] == 2  # the users fixture's


def test_reviews_show_both_organisations_side_by_side(app, users):
    client = organiser_client(app, users)
    upload(client, NGHE_AN_FILE.read_bytes())
    page = client.get("/imports/reviews").get_data(as_text=True)
    assert page.count("data-review=") == 1
    assert VAN_PHAN_SHORT in page and VAN_PHAN_LONG in page
    assert page.count("Nước mắm hạ thổ") == 2
    assert "Added by the import" in page and "Already on the platform" in page
    assert "Diễn Châu" in page  # the address as written


def decide(client, action: str, review_id: int):
    token = csrf_token(client, "/imports/reviews")
    return client.post(f"/imports/reviews/{review_id}/{action}", data={"csrf_token": token})


def test_merge_folds_the_duplicate_into_the_candidate(app, users):
    client = organiser_client(app, users)
    upload(client, NGHE_AN_FILE.read_bytes())
    short_id, long_id = org_id(VAN_PHAN_SHORT), org_id(VAN_PHAN_LONG)
    # Give the duplicate more to move: a member, a certification, a delivery province, a
    # product of its own, and a tax code.
    duplicate = db.session.get(Organisation, short_id)
    duplicate.tax_code = "0100233488"
    duplicate.delivery_provinces.append(DeliveryProvince(province_code=1))
    db.session.add(Certification(organisation_id=short_id, kind="haccp", number="H-1"))
    db.session.add(Product(organisation_id=short_id, name="Mắm tôm Vạn Phần", unit="hũ"))
    db.session.commit()
    member = factories.make_user(organisation=db.session.get(Organisation, short_id))
    review_id = db.session.scalar(sa.select(MatchReview.id))

    response = decide(client, "merge", review_id)
    assert response.status_code == 302 and response.headers["Location"] == "/imports/reviews"
    page = client.get("/imports/reviews").get_data(as_text=True)
    assert f"{VAN_PHAN_SHORT} was merged into {VAN_PHAN_LONG}." in page
    assert 'data-testid="no-reviews"' in page

    db.session.rollback()
    assert db.session.get(Organisation, short_id) is None
    kept = db.session.get(Organisation, long_id)
    products = {p.name: p for p in db.session.scalars(
        sa.select(Product).where(Product.organisation_id == long_id))}
    assert sorted(products) == ["Mắm tôm Vạn Phần", "Nước mắm hạ thổ"]
    assert (products["Nước mắm hạ thổ"].ocop_year, products["Nước mắm hạ thổ"].ocop_stars) == (
        2023, 4)
    assert kept.tax_code == "0100233488" and kept.delivery_province_codes == [1]
    assert db.session.get(User, member.id).organisation_id == long_id
    assert db.session.scalar(sa.select(Certification.organisation_id)) == long_id
    # The report rows of the duplicate point at the kept organisation now.
    assert set(db.session.scalars(sa.select(ImportRow.organisation_id).where(
        ImportRow.producer_name.contains("Vạn Phần")))) == {long_id}
    review = db.session.get(MatchReview, review_id)
    assert (review.status, review.organisation_id, review.candidate_id) == ("merged", None,
                                                                            long_id)
    assert review.decided_by_id == users["organiser"].id and review.decided_at is not None
    assert review.organisation_name == VAN_PHAN_SHORT

    # The merged name now means the kept organisation: importing again adds nothing.
    before = table_counts()
    again = upload(client, NGHE_AN_FILE.read_bytes())
    assert again.status_code == 200 and "Nothing changed" in again.get_data(as_text=True)
    assert table_counts() == before
    # Deciding again is refused politely.
    page = client.get(decide(client, "merge", review_id).headers["Location"]).get_data(
        as_text=True)
    assert "Someone has already decided on this pair." in page
    assert decide(client, "merge", 987654).status_code == 404


def test_keep_apart_keeps_both_and_is_remembered(app, users):
    client = organiser_client(app, users)
    upload(client, NGHE_AN_FILE.read_bytes())
    review_id = db.session.scalar(sa.select(MatchReview.id))
    response = decide(client, "keep-apart", review_id)
    assert response.status_code == 302
    assert "Kept apart: both organisations stay." in client.get("/imports/reviews").get_data(
        as_text=True)
    db.session.rollback()
    review = db.session.get(MatchReview, review_id)
    assert review.status == "kept_apart" and review.decided_by_id == users["organiser"].id
    assert org_id(VAN_PHAN_SHORT) and org_id(VAN_PHAN_LONG)
    before = table_counts()
    upload(client, NGHE_AN_FILE.read_bytes())
    assert table_counts() == before  # no second review of the same pair
    assert "Someone has already decided" in client.get(
        decide(client, "merge", review_id).headers["Location"]).get_data(as_text=True)


def test_members_cannot_import_or_decide(app, users):
    organiser = organiser_client(app, users)
    upload(organiser, NGHE_AN_FILE.read_bytes())
    review_id = db.session.scalar(sa.select(MatchReview.id))
    member = app.test_client()
    log_in(member, users["member_a"])
    token = csrf_token(member, "/account/")
    assert member.post(f"/imports/reviews/{review_id}/merge",
                       data={"csrf_token": token}).status_code == 403
    assert member.post("/imports/", data={"csrf_token": token}).status_code == 403
    db.session.rollback()
    assert db.session.get(MatchReview, review_id).status == "pending"


def test_two_organisers_merging_at_once_merge_once(app, users):
    organiser = organiser_client(app, users)
    upload(organiser, NGHE_AN_FILE.read_bytes())
    review_id = db.session.scalar(sa.select(MatchReview.id))
    clients = []
    for user in (users["organiser"], users["admin"]):
        client = app.test_client()
        log_in(client, user)
        clients.append((client, csrf_token(client, "/imports/reviews")))

    def merge(pair):
        client, token = pair
        return client.post(f"/imports/reviews/{review_id}/merge",
                           data={"csrf_token": token}).status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = list(pool.map(merge, clients))
    assert statuses == [302, 302]
    db.session.rollback()
    assert db.session.get(MatchReview, review_id).status == "merged"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation).where(
        Organisation.name_key.contains("van phan"))) == 1
