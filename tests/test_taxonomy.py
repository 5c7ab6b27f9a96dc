"""``flask import-categories``: both trees, from the shipped files, idempotently."""

import shutil

import sqlalchemy as sa

from matchmaker.catalogue.models import Category
from matchmaker.catalogue.taxonomy import DATA_DIR, load_categories
from matchmaker.extensions import db


def by_code(scheme: str, code: str) -> Category:
    return db.session.scalar(
        sa.select(Category).where(Category.scheme == scheme, Category.code == code))


def test_import_categories_is_idempotent(app, app_ctx):
    # The test session loaded the trees once already (conftest), as `make run` does.
    result = app.test_cli_runner().invoke(args=["import-categories"])
    assert result.exit_code == 0, result.output
    assert "ocop: 0 added, 0 updated, 39 unchanged" in result.output
    assert "hs: 0 added, 0 updated, 6957 unchanged" in result.output
    counts = dict(db.session.execute(
        sa.select(Category.scheme, sa.func.count()).group_by(Category.scheme)).all())
    assert counts == {"ocop": 39, "hs": 21 + 96 + 1228 + 5612}


def test_a_changed_source_updates_in_place(app_ctx, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR / "ocop", data / "ocop")
    shutil.copytree(DATA_DIR / "hs", data / "hs")
    ocop_file = data / "ocop" / "ocop-product-classification-qd148-2023.csv"
    ocop_file.write_text(ocop_file.read_text().replace("Gia vị khác", "Gia vị khô"))
    try:
        report = load_categories(data)
        assert report.counts["ocop"] == {"added": 0, "updated": 1, "unchanged": 38}
        assert by_code("ocop", "I.4.b").name_vi == "Gia vị khô"
    finally:
        db.session.rollback()


def test_ocop_product_sets(app_ctx):
    sets = db.session.scalars(
        sa.select(Category).where(Category.set_number.is_not(None))
        .order_by(Category.set_number)).all()
    assert [c.set_number for c in sets] == list(range(1, 27))
    fish_sauce = sets[8]
    assert fish_sauce.code == "I.4.a"
    assert fish_sauce.name_vi == "Tương, nước mắm, gia vị dạng lỏng khác"
    assert fish_sauce.path == "ocop/I/I.4/I.4.a"
    assert fish_sauce.parent.name_vi == "Gia vị"
    assert fish_sauce.parent.parent.name("en") == "Food products"
    coffee = sets[12]  # a group without subgroups is itself the product set
    assert (coffee.code, coffee.level, coffee.name_vi) == ("I.6", 2, "Cà phê, ca cao")


def test_hs_tree_keeps_leading_zeros_and_both_languages(app_ctx):
    coffee = by_code("hs", "090121")
    assert coffee.path == "hs/II/09/0901/090121"
    assert coffee.name_vi is None and coffee.name("vi").startswith("Coffee")
    chapter = by_code("hs", "09")
    assert chapter.name_vi == "Cà phê, chè, chè Paragoay và các loại gia vị"
    assert chapter.name("en") == "Coffee, tea, mate and spices"
    section = by_code("hs", "I")
    assert section.name("en") == "Live animals; animal products"
    assert section.name("vi") == "Động vật sống; các sản phẩm từ động vật"


def test_subtree_filter_includes_descendants_only(app_ctx):
    food = by_code("ocop", "I")
    inside = db.session.scalars(
        sa.select(Category.code).where(Category.subtree_filter(Category.path, food.path))).all()
    assert "I" in inside and "I.4.a" in inside and "I.6" in inside
    assert "II" not in inside and "II.1.a" not in inside
    chapter_01 = db.session.scalars(sa.select(Category.code).where(
        Category.subtree_filter(Category.path, by_code("hs", "01").path))).all()
    assert "010121" in chapter_01 and "0201" not in chapter_01
