"""Product images: checked by content, resized, stripped of metadata, at most five, positions
safe under concurrent uploads, and only the producer (and staff) may change them."""

import io
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

import tests.access  # noqa: F401  (first: it imports every access_* module, ours included)
from matchmaker.auth.models import User
from matchmaker.catalogue import services
from matchmaker.catalogue.images import (
    FULL_MAX_PX,
    THUMB_WIDTH,
    ImageError,
    process_image,
)
from matchmaker.catalogue.models import Product, ProductImage
from matchmaker.extensions import db
from tests.access_products import add_images, image_bytes, make_product
from tests.conftest import csrf_token, log_in


@pytest.fixture(autouse=True)
def uploads(app, tmp_path, monkeypatch):
    """Every test stores its uploads in its own folder."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    return folder


@pytest.fixture
def product(users):
    return make_product(users["member_a"].organisation)


def browser(app, user):
    client = app.test_client()
    log_in(client, user)
    db.session.rollback()  # a stale read snapshot may not write on SQLite
    db.session.get(User, sa.inspect(user).identity[0]).locale = "en"
    db.session.commit()
    return client


def upload(client, product_id, *files, token=True):
    """POST files given as ``(bytes, filename)`` to the product's image form.

    The body is encoded in memory: the test client would spool a large one to a temporary
    file that nobody closes when the app refuses the request unread (the 413 case).
    """
    fields = MultiDict([("images", FileStorage(io.BytesIO(content), filename=name))
                        for content, name in files])
    if token:
        fields.add("csrf_token", csrf_token(client, f"/products/{product_id}/edit"))
    boundary, body = encode_multipart(fields)
    return client.post(f"/products/{product_id}/images", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def stored(product_id) -> list[ProductImage]:
    db.session.rollback()  # end the test's read snapshot: the request committed since
    return list(db.session.scalars(
        sa.select(ProductImage).where(ProductImage.product_id == product_id)
        .order_by(ProductImage.position)))


def files_in(folder) -> list:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def open_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# --- happy paths -------------------------------------------------------------------------

def test_upload_resizes_and_serves_both_sizes(app, users, product, client):
    member = browser(app, users["member_a"])
    big = image_bytes((3000, 2000))
    response = upload(member, product.id, (big, "ruong-lua.jpg"),
                      (image_bytes((300, 200), "PNG"), "logo.png"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/products/{product.id}/edit#images"
    images = stored(product.id)
    assert [i.position for i in images] == [0, 1]
    first, second = images
    assert (first.width, first.height) == (FULL_MAX_PX, 1067)
    assert first.content_type == "image/jpeg" and second.content_type == "image/png"

    # Anyone may see an active product's images, served by content type.
    full = client.get(f"/products/{product.id}/images/{first.id}/full")
    thumb = client.get(f"/products/{product.id}/images/{first.id}/thumb")
    assert full.mimetype == thumb.mimetype == "image/jpeg"
    assert open_image(full.data).size == (FULL_MAX_PX, 1067)
    assert open_image(thumb.data).size == (THUMB_WIDTH, 267)
    assert len(thumb.data) < len(full.data) < len(big)
    # A small image is not enlarged; a PNG stays a PNG and keeps its transparency.
    png = client.get(f"/products/{product.id}/images/{second.id}/thumb")
    assert png.mimetype == "image/png"
    assert open_image(png.data).size == (300, 200) and open_image(png.data).mode == "RGBA"
    # The page shows them, cover first.
    page = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert page.index(f"/images/{first.id}/full") < page.index(f"/images/{second.id}/thumb")


def test_orientation_is_applied_and_metadata_removed(app, users, product):
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x010F] = "Camera maker"
    exif[0x8825] = {1: "N", 2: (21.0, 1.0, 0.0)}  # GPS IFD: latitude of Nghệ An
    sideways = image_bytes((600, 300), exif=exif.tobytes())
    assert open_image(sideways).getexif()  # the source does carry EXIF
    assert upload(browser(app, users["member_a"]), product.id,
                  (sideways, "chup-ngang.jpg")).status_code == 302
    image = stored(product.id)[0]
    assert (image.width, image.height) == (300, 600)  # upright
    full = app.test_client().get(f"/products/{product.id}/images/{image.id}/full").data
    assert not open_image(full).getexif()
    assert b"Exif" not in full and b"Camera maker" not in full


def test_cover_and_delete_keep_positions_dense(app, users, product, uploads):
    a, b, c = [i.id for i in add_images(product, 3)]
    member = browser(app, users["member_a"])
    token = csrf_token(member, f"/products/{product.id}/edit")
    response = member.post(f"/products/{product.id}/images/{c}/cover",
                           data={"csrf_token": token})
    assert response.status_code == 302
    assert [(i.id, i.position) for i in stored(product.id)] == [(c, 0), (a, 1), (b, 2)]
    files_before = len(files_in(uploads))
    response = member.post(f"/products/{product.id}/images/{c}/delete",
                           data={"csrf_token": token})
    assert response.status_code == 302
    assert [(i.id, i.position) for i in stored(product.id)] == [(a, 0), (b, 1)]
    assert len(files_in(uploads)) == files_before - 2  # the full copy and the thumbnail
    member.post(f"/products/{product.id}/images/{b}/cover", data={"csrf_token": token})
    assert [(i.id, i.position) for i in stored(product.id)] == [(b, 0), (a, 1)]


def test_staff_may_manage_images(app, users, product):
    (image,) = add_images(product, 1)
    staff = browser(app, users["organiser"])
    token = csrf_token(staff, f"/products/{product.id}/edit")
    assert upload(staff, product.id, (image_bytes(), "a.jpg")).status_code == 302
    assert staff.post(f"/products/{product.id}/images/{image.id}/delete",
                      data={"csrf_token": token}).status_code == 302
    assert len(stored(product.id)) == 1


# --- refused files: a clear message, nothing saved ------------------------------------------

@pytest.mark.parametrize(("content", "name", "message"), [
    (b"Day la tep van ban, khong phai anh.\n", "anh-san-pham.jpg",
     "“anh-san-pham.jpg” is not a JPEG or PNG image."),
    (b"%PDF-1.4\n%%EOF\n", "catalogue.png", "“catalogue.png” is not a JPEG or PNG image."),
    (b"", "empty.jpg", "“empty.jpg” is empty."),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 500, "broken.jpg",
     "“broken.jpg” could not be read as an image. It may be damaged."),
    # A PNG signature on JPEG content: the declared kind and the decoder must agree.
    (b"\x89PNG\r\n\x1a\n" + image_bytes()[8:], "mixed.png",
     "“mixed.png” could not be read as an image. It may be damaged."),
])
def test_files_that_are_not_images_are_refused(app, users, product, uploads, content, name,
                                               message):
    response = upload(browser(app, users["member_a"]), product.id, (content, name))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert stored(product.id) == [] and files_in(uploads) == []


def test_one_bad_file_refuses_the_whole_upload(app, users, product, uploads):
    response = upload(browser(app, users["member_a"]), product.id,
                      (image_bytes(), "good.jpg"), (b"not an image", "bad.jpg"))
    assert "“bad.jpg” is not a JPEG or PNG image." in response.get_data(as_text=True)
    assert stored(product.id) == [] and files_in(uploads) == []


def test_image_over_5_mb_is_refused(app, users, product, uploads):
    # A real JPEG followed by padding (decoders stop at the end-of-image marker).
    large = image_bytes() + b"\0" * (5 * 1024 * 1024)
    response = upload(browser(app, users["member_a"]), product.id, (large, "to.jpg"))
    assert response.status_code == 200
    assert "“to.jpg” is larger than 5 MB. Choose a smaller photo." in response.get_data(
        as_text=True)
    assert stored(product.id) == [] and files_in(uploads) == []


def test_a_20_mb_upload_gets_a_clear_413_page(app, users, product, uploads):
    huge = image_bytes() + b"\0" * (20 * 1024 * 1024)
    response = upload(browser(app, users["member_a"]), product.id, (huge, "20mb.jpg"))
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "Images too large" in page
    assert "Each image may be at most 5 MB, and one upload at most 10 MB in all." in page
    assert f'href="/products/{product.id}/edit#images"' in page
    assert stored(product.id) == [] and files_in(uploads) == []


def png_announcing(width: int, height: int) -> bytes:
    """A well-formed PNG whose header announces ``width`` × ``height`` grey pixels but whose
    body holds almost nothing: small on disk, huge once decoded."""
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))


def test_decompression_bomb_is_refused_before_decoding(app, users, product):
    bomb = png_announcing(30_000, 30_000)
    response = upload(browser(app, users["member_a"]), product.id, (bomb, "bomb.png"))
    assert "“bomb.png” has too many pixels (at most 40 megapixels)." in response.get_data(
        as_text=True)
    assert stored(product.id) == []
    # Just above our limit, where Pillow only warns: refused all the same.
    for size in ((8000, 5001), (9000, 9000)):
        with pytest.raises(ImageError) as caught:
            process_image(png_announcing(*size), "png")
        assert caught.value.code == "too_many_pixels"


def test_sixth_image_is_refused(app, users, product):
    add_images(product, 5)
    response = upload(browser(app, users["member_a"]), product.id, (image_bytes(), "6.jpg"))
    assert response.status_code == 200
    assert ("A product can have at most 5 images. Delete one first, or upload fewer."
            in response.get_data(as_text=True))
    assert len(stored(product.id)) == 5


def test_too_many_at_once_saves_none(app, users, product, uploads):
    add_images(product, 3)
    before = files_in(uploads)
    response = upload(browser(app, users["member_a"]), product.id,
                      *[(image_bytes(), f"{i}.jpg") for i in range(3)])
    assert "at most 5 images" in response.get_data(as_text=True)
    assert len(stored(product.id)) == 3 and files_in(uploads) == before


def test_no_file_chosen(app, users, product):
    member = browser(app, users["member_a"])
    response = member.post(f"/products/{product.id}/images", data={
        "csrf_token": csrf_token(member, f"/products/{product.id}/edit")})
    assert "Choose at least one image." in response.get_data(as_text=True)


def test_upload_needs_the_csrf_token(app, users, product):
    response = upload(browser(app, users["member_a"]), product.id, (image_bytes(), "a.jpg"),
                      token=False)
    assert response.status_code == 400
    assert stored(product.id) == []


# --- who may -------------------------------------------------------------------------------

def test_member_of_another_organisation_cannot_change_images(app, users, product, no_csrf):
    (image,) = add_images(product, 2)[:1]
    other = browser(app, users["member_b"])
    assert upload(other, product.id, (image_bytes(), "x.jpg"), token=False).status_code == 403
    assert other.post(f"/products/{product.id}/images/{image.id}/delete").status_code == 403
    assert other.post(f"/products/{product.id}/images/{image.id}/cover").status_code == 403
    assert len(stored(product.id)) == 2


def test_anonymous_cannot_upload(client, product, no_csrf):
    response = upload(client, product.id, (image_bytes(), "x.jpg"), token=False)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert stored(product.id) == []


def test_images_follow_the_products_visibility(app, users, product, client):
    hidden = make_product(users["member_a"].organisation, "Ẩn", active=False)
    (image,) = add_images(hidden, 1)
    url = f"/products/{hidden.id}/images/{image.id}/thumb"
    assert client.get(url).status_code == 404
    assert browser(app, users["member_b"]).get(url).status_code == 404
    assert browser(app, users["member_a"]).get(url).status_code == 200
    # An image is only found under its own product, and only in the two sizes.
    assert client.get(f"/products/{product.id}/images/{image.id}/thumb").status_code == 404
    shown = add_images(product, 1)[0]
    assert client.get(f"/products/{product.id}/images/{shown.id}/huge").status_code == 404


def test_image_of_another_product_cannot_be_deleted_through_mine(app, users, product, no_csrf):
    mine = product
    theirs = make_product(users["member_a"].organisation, "Khác")
    (image,) = add_images(theirs, 1)
    member = browser(app, users["member_a"])
    assert member.post(f"/products/{mine.id}/images/{image.id}/delete").status_code == 404
    assert len(stored(theirs.id)) == 1


# --- concurrency ---------------------------------------------------------------------------

def test_concurrent_uploads_never_share_a_position_or_exceed_five(app, users, product,
                                                                   no_csrf):
    add_images(product, 3)
    member, product_id = users["member_a"], product.id

    def attempt(i: int) -> int:
        client = app.test_client()
        log_in(client, member)
        return upload(client, product_id, (image_bytes(color=(i, i, i)), f"{i}.jpg"),
                      token=False).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(pool.map(attempt, range(6)))
    assert statuses == [200] * 4 + [302] * 2  # two fit, four are told there is no room
    assert [i.position for i in stored(product_id)] == [0, 1, 2, 3, 4]


def test_position_taken_at_the_same_moment_is_reported_and_cleaned_up(
        app, users, product, uploads, monkeypatch):
    add_images(product, 1)
    files_before = files_in(uploads)
    # As if another upload took position 0 between reading the positions and inserting.
    monkeypatch.setattr(services, "_positions", lambda product_id: set())
    response = upload(browser(app, users["member_a"]), product.id, (image_bytes(), "a.jpg"))
    assert ("Another upload for this product was being saved at the same moment. Nothing "
            "was saved: send the images again." in response.get_data(as_text=True))
    assert len(stored(product.id)) == 1
    assert files_in(uploads) == files_before


def test_the_database_refuses_a_duplicate_position(app_ctx, users):
    product = make_product(users["member_a"].organisation)
    for _ in range(2):
        db.session.add(ProductImage(product_id=product.id, position=0, path="p", thumb_path="t",
                                    content_type="image/jpeg", width=1, height=1))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
    db.session.add(ProductImage(product_id=product.id, position=5, path="p", thumb_path="t",
                                content_type="image/jpeg", width=1, height=1))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(Product, product.id).images == []
