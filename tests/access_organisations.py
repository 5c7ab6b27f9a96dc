"""Access-matrix rows for organisation profiles, logos, certifications and the staff list.

Organisation A (a producer) gets a logo and a certification with a document, so that the
file routes answer 200 to those allowed. Invalid POSTs re-render their form (200) without
saving, so every role can send the same one; each delete request gets a fresh certification.
"""

import io

from PIL import Image

from matchmaker.extensions import db
from matchmaker.organisations.models import Certification
from matchmaker.uploads import save_bytes
from tests.access import Case, everyone, owner_and_staff, staff_only


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "#0b5e55").save(out, "PNG")
    return out.getvalue()

PDF_TINY = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def setup(world: dict) -> None:
    org = world["org_a"]
    org.logo_path = save_bytes(_png(), "png", "logos").path
    cert = Certification(organisation_id=org.id, kind="vietgap", number="VG-40-001",
                         document_path=save_bytes(PDF_TINY, "pdf", "certifications").path)
    db.session.add(cert)
    db.session.commit()
    world["cert_a"] = cert


def _org(world) -> str:
    return f"/organisations/{world['org_a'].id}"


def _cert(world) -> str:
    return f"{_org(world)}/certifications/{world['cert_a'].id}"


def _fresh_cert(world) -> str:
    # End the test's read snapshot first: the previous role's request wrote since, and SQLite
    # refuses to let a stale snapshot write.
    db.session.rollback()
    url = _org(world)
    cert = Certification(organisation_id=world["org_a"].id, kind="haccp")
    db.session.add(cert)
    db.session.commit()
    cert_id = cert.id
    db.session.commit()
    return f"{url}/certifications/{cert_id}/delete"


CERT = "/organisations/<int:org_id>/certifications/<int:cert_id>"

CASES = [
    Case("GET", "/organisations/", "/organisations/", staff_only()),
    Case("GET", "/organisations/<int:org_id>", _org, everyone(200)),
    Case("GET", "/organisations/<int:org_id>/logo", lambda w: f"{_org(w)}/logo", everyone(200)),
    Case("GET", "/organisations/divisions/<int:province_code>/wards.json",
         "/organisations/divisions/40/wards.json", everyone(200)),
    Case("GET", "/organisations/<int:org_id>/edit", lambda w: f"{_org(w)}/edit",
         owner_and_staff()),
    Case("POST", "/organisations/<int:org_id>/edit", lambda w: f"{_org(w)}/edit",
         owner_and_staff(200), data={"name": "", "side": "producer"}),
    Case("GET", "/organisations/<int:org_id>/certifications/new",
         lambda w: f"{_org(w)}/certifications/new", owner_and_staff()),
    Case("POST", "/organisations/<int:org_id>/certifications/new",
         lambda w: f"{_org(w)}/certifications/new", owner_and_staff(200), data={"kind": ""}),
    Case("GET", f"{CERT}/edit", lambda w: f"{_cert(w)}/edit", owner_and_staff()),
    Case("POST", f"{CERT}/edit", lambda w: f"{_cert(w)}/edit", owner_and_staff(200),
         data={"kind": ""}),
    Case("POST", f"{CERT}/delete", _fresh_cert, owner_and_staff(302)),
    Case("GET", f"{CERT}/document", lambda w: f"{_cert(w)}/document", owner_and_staff()),
]
