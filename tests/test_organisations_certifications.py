"""Certifications of an organisation: add, edit, delete, documents; who may; bad input."""

import io
from datetime import date

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.organisations.models import Certification
from tests import factories
from tests.conftest import csrf_token, log_in
from tests.test_organisations import closed, errors, member_client, png

PDF = b"%PDF-1.4\n% Giay chung nhan VietGAP\n%%EOF\n"


@pytest.fixture(autouse=True)
def uploads(app, tmp_path, monkeypatch):
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    return folder


def cert_form(**changes) -> dict:
    data = {"kind": "vietgap", "number": "VietGAP-TT-19-05-40-0012",
            "issuer": "Trung tâm Chứng nhận Phù hợp", "issued_on": "2025-03-01",
            "expires_on": "2027-02-28"}
    data.update(changes)
    return data


def post_cert(client, url, **changes):
    data = {**cert_form(**changes), "csrf_token": csrf_token(client, url)}
    return closed(client.post(url, data=data, content_type="multipart/form-data",
                              buffered=True))


def certificates() -> list[Certification]:
    db.session.rollback()  # end the test's snapshot: the request committed elsewhere
    return list(db.session.scalars(sa.select(Certification).order_by(Certification.id)))


def make_cert(org, **fields) -> Certification:
    db.session.rollback()
    cert = Certification(organisation_id=org.id, kind=fields.pop("kind", "haccp"), **fields)
    db.session.add(cert)
    db.session.commit()
    return cert


# --- Adding ------------------------------------------------------------------------------------


def test_member_adds_a_certification_with_its_document(app, users, uploads):
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"])
    url = f"/organisations/{org.id}/certifications/new"
    response = post_cert(client, url, document=(io.BytesIO(PDF), "giay-chung-nhan.pdf"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/organisations/{org.id}/edit#certifications"
    [cert] = certificates()
    assert (cert.organisation_id, cert.kind, cert.number) == (org.id, "vietgap",
                                                              "VietGAP-TT-19-05-40-0012")
    assert (cert.issued_on, cert.expires_on) == (date(2025, 3, 1), date(2027, 2, 28))
    assert cert.document_path.startswith(f"certifications/{org.id}/")
    assert "giay" not in cert.document_path  # stored under a random name
    assert (uploads / cert.document_path).read_bytes() == PDF
    # Listed on the edit page and on the public profile.
    assert "VietGAP-TT-19-05-40-0012" in client.get(f"/organisations/{org.id}/edit").get_data(
        as_text=True)
    public = app.test_client().get(f"/organisations/{org.id}").get_data(as_text=True)
    assert "VietGAP-TT-19-05-40-0012" in public and "Trung tâm Chứng nhận Phù hợp" in public


def test_dates_may_be_typed_the_vietnamese_way(app, users):
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"])
    url = f"/organisations/{org.id}/certifications/new"
    response = post_cert(client, url, kind="ocop_4", issued_on="15/08/2024",
                         expires_on="15/08/2027")
    assert response.status_code == 302
    [cert] = certificates()
    assert (cert.kind, cert.issued_on, cert.expires_on) == ("ocop_4", date(2024, 8, 15),
                                                            date(2027, 8, 15))


def test_a_pdf_named_file_with_png_content_is_fine(app, users, uploads):
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"])
    response = post_cert(client, f"/organisations/{org.id}/certifications/new",
                         document=(io.BytesIO(png()), "scan.pdf"))
    assert response.status_code == 302
    [cert] = certificates()
    assert cert.document_path.endswith(".png")  # the content decides, not the name
    served = client.get(f"/organisations/{org.id}/certifications/{cert.id}/document")
    assert served.mimetype == "image/png" and served.data == png()


@pytest.mark.parametrize(("changes", "field_message"), [
    ({"issued_on": "2026-05-01", "expires_on": "2026-04-30"},
     "The expiry date cannot be before the issue date."),
    ({"document": (io.BytesIO(b"Giay chung nhan (ban danh may)"), "giay-chung-nhan.pdf")},
     "The document must be a PDF, JPEG or PNG file."),
    ({"document": (io.BytesIO(b"PK\x03\x04 a docx"), "scan.docx")},
     "The document must be a PDF, JPEG or PNG file."),
    ({"document": (io.BytesIO(b"%PDF-" + b"0" * (5 * 1024 * 1024)), "big.pdf")},
     "The file is too large: at most 5 MB."),
    ({"kind": ""}, "Choose the kind of certification."),
    ({"kind": "iso9001"}, "Choose the kind of certification."),
    ({"issued_on": "31/02/2026"}, "Enter a date, e.g. 31/12/2026."),
    ({"number": "x" * 81}, "Field cannot be longer than 80 characters."),
])
def test_bad_input_saves_nothing(app, users, uploads, changes, field_message):
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"])
    response = post_cert(client, f"/organisations/{org.id}/certifications/new", **changes)
    assert response.status_code == 200
    assert field_message in errors(response), errors(response)
    assert "Nothing was saved" in response.get_data(as_text=True)
    assert certificates() == []
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))


def test_a_20_mb_document_gets_the_friendly_413_page(app, users):
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"])
    huge = b"%PDF-" + b"0" * (20 * 1024 * 1024)
    response = post_cert(client, f"/organisations/{org.id}/certifications/new",
                         document=(io.BytesIO(huge), "huge.pdf"))
    assert response.status_code == 413
    assert "larger than 10 MB" in response.get_data(as_text=True)
    assert certificates() == []


def test_the_database_refuses_expiry_before_issue(app_ctx, users):
    org = users["member_a"].organisation
    db.session.add(Certification(organisation_id=org.id, kind="haccp",
                                 issued_on=date(2026, 5, 1), expires_on=date(2026, 4, 30)))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


# --- Editing and deleting -----------------------------------------------------------------------


def test_edit_replaces_the_document_and_deletes_the_old_file(app, users, uploads):
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"])
    post_cert(client, f"/organisations/{org.id}/certifications/new",
              document=(io.BytesIO(PDF), "a.pdf"))
    [cert] = certificates()
    old_file = uploads / cert.document_path
    url = f"/organisations/{org.id}/certifications/{cert.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'value="2025-03-01"' in page and "VietGAP-TT-19-05-40-0012" in page
    response = post_cert(client, url, number="VG-2026-01", expires_on="",
                         document=(io.BytesIO(png()), "b.png"))
    assert response.status_code == 302
    [cert] = certificates()
    assert (cert.number, cert.expires_on) == ("VG-2026-01", None)
    assert cert.document_path.endswith(".png") and not old_file.exists()
    # Removing the document keeps the certification.
    new_file = uploads / cert.document_path
    assert post_cert(client, url, remove_document="y").status_code == 302
    [cert] = certificates()
    assert cert.document_path is None and not new_file.exists()


def test_a_refused_edit_keeps_everything(app, users, uploads):
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"])
    post_cert(client, f"/organisations/{org.id}/certifications/new",
              document=(io.BytesIO(PDF), "a.pdf"))
    [before] = certificates()
    url = f"/organisations/{org.id}/certifications/{before.id}/edit"
    response = post_cert(client, url, number="changed", expires_on="2020-01-01",
                         document=(io.BytesIO(png()), "b.png"))
    assert response.status_code == 200
    [after] = certificates()
    assert (after.number, after.document_path) == ("VietGAP-TT-19-05-40-0012",
                                                    before.document_path)
    assert len([p for p in uploads.rglob("*") if p.is_file()]) == 1


def test_delete_removes_the_certification_and_its_file(app, users, uploads):
    org = users["member_a"].organisation
    client = member_client(app, users["member_a"])
    post_cert(client, f"/organisations/{org.id}/certifications/new",
              document=(io.BytesIO(PDF), "a.pdf"))
    [cert] = certificates()
    path = uploads / cert.document_path
    base = f"/organisations/{org.id}/certifications/{cert.id}"
    assert client.get(f"{base}/delete").status_code == 405  # POST only
    response = client.post(f"{base}/delete",
                           data={"csrf_token": csrf_token(client, f"{base}/edit")})
    assert response.status_code == 302
    assert certificates() == [] and not path.exists()


def test_delete_needs_the_csrf_token(app, users):
    org = users["member_a"].organisation
    cert = make_cert(org)
    client = member_client(app, users["member_a"])
    response = client.post(f"/organisations/{org.id}/certifications/{cert.id}/delete")
    assert response.status_code == 400
    assert len(certificates()) == 1


# --- Another organisation's certificates --------------------------------------------------------


def test_members_of_another_organisation_cannot_touch_certificates(app, users, uploads):
    org = users["member_a"].organisation
    cert = make_cert(org, number="HACCP-1")
    intruder = member_client(app, users["member_b"])
    token = csrf_token(intruder, "/account/")
    base = f"/organisations/{org.id}/certifications"
    for method, url, data in [
        ("GET", f"{base}/new", {}),
        ("POST", f"{base}/new", cert_form()),
        ("GET", f"{base}/{cert.id}/edit", {}),
        ("POST", f"{base}/{cert.id}/edit", cert_form(number="changed")),
        ("POST", f"{base}/{cert.id}/delete", {}),
        ("GET", f"{base}/{cert.id}/document", {}),
    ]:
        response = intruder.open(url, method=method, data={**data, "csrf_token": token})
        assert response.status_code == 403, (method, url)
    [still] = certificates()
    assert still.number == "HACCP-1"


def test_staff_get_404_for_a_certificate_under_another_organisations_url(app, users):
    # Organisation B's certificate, asked for with organisation A's id in the URL.
    org_a, org_b = users["member_a"].organisation, users["member_b"].organisation
    cert = make_cert(org_b, number="B-1", document_path="certifications/none.pdf")
    client = member_client(app, users["organiser"])
    token = csrf_token(client, "/account/")
    base = f"/organisations/{org_a.id}/certifications/{cert.id}"
    assert client.get(f"{base}/edit").status_code == 404
    assert client.post(f"{base}/edit", data={**cert_form(), "csrf_token": token}).status_code \
        == 404
    assert client.post(f"{base}/delete", data={"csrf_token": token}).status_code == 404
    assert client.get(f"{base}/document").status_code == 404
    assert [c.number for c in certificates()] == ["B-1"]


def test_own_member_gets_404_for_a_foreign_certificate_under_their_url(app, users):
    org_a, org_b = users["member_a"].organisation, users["member_b"].organisation
    cert = make_cert(org_b, number="B-1")
    client = member_client(app, users["member_a"])
    token = csrf_token(client, "/account/")
    base = f"/organisations/{org_a.id}/certifications/{cert.id}"
    assert client.get(f"{base}/edit").status_code == 404
    assert client.post(f"{base}/delete", data={"csrf_token": token}).status_code == 404
    assert client.get(f"{base}/document").status_code == 404
    assert len(certificates()) == 1


def test_document_of_a_certificate_without_one_is_404(app, users):
    org = users["member_a"].organisation
    cert = make_cert(org)
    client = app.test_client()
    log_in(client, users["organiser"])
    assert client.get(f"/organisations/{org.id}/certifications/{cert.id}/document"
                      ).status_code == 404


def test_certifications_section_only_for_producers(app, users):
    distributor = users["member_b"].organisation
    page = member_client(app, users["member_b"]).get(f"/organisations/{distributor.id}/edit")
    assert "/certifications/new" not in page.get_data(as_text=True)
    producer = factories.make_organisation("HTX Chè Thanh Chương", "both")
    member = factories.make_user(organisation=producer)
    page = member_client(app, member).get(f"/organisations/{producer.id}/edit")
    assert f"/organisations/{producer.id}/certifications/new" in page.get_data(as_text=True)
