"""Search keys, the Vietnamese sort key, the flush hook that keeps them current, and the
full-text index structures created by migration 0003_search."""

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

import tests.access  # noqa: F401  (loads every access_* module, ours included, in order)
from matchmaker.catalogue import search_index
from matchmaker.catalogue.models import Category, Product
from matchmaker.catalogue.search import search
from matchmaker.catalogue.search_index import (
    ancestor_paths,
    include_name,
    name_sort_key,
    product_search_key,
    reindex_products,
    search_tokens,
)
from matchmaker.catalogue.search_params import SearchParams
from matchmaker.extensions import db
from matchmaker.text import sort_key
from tests.access_search import category, make_org, make_product


def found(q: str) -> list[str]:
    return [hit.product.name for hit in search(SearchParams(q=q)).hits]


def test_search_tokens_fold_everything_away():
    assert search_tokens("Nước mắm (Cửa Lò) 40°N, CL-28") == [
        "nuoc", "mam", "cua", "lo", "40", "n", "cl", "28"]
    assert search_tokens("ĐẶC SẢN Hoà Bình") == search_tokens("đặc sản hòa bình") == [
        "dac", "san", "hoa", "binh"]
    assert search_tokens(None) == []


def test_ancestor_paths():
    assert ancestor_paths("ocop/I/I.4/I.4.a") == ["ocop/I", "ocop/I/I.4", "ocop/I/I.4/I.4.a"]
    assert ancestor_paths("") == []


def test_product_search_key_holds_name_description_producer_and_category_chain():
    names = {"ocop/I": "san pham thuc pham food products", "ocop/I/I.5": "che",
             "ocop/I/I.5/I.5.a": "che tuoi, che bien"}
    key = product_search_key("Chè xanh Thanh Chương", "Búp non, sao tay.", "HTX Thanh Đức",
                             ["ocop/I/I.5/I.5.a", None], names)
    assert key == ("che xanh thanh chuong bup non sao tay htx thanh duc "
                   "san pham thuc pham food products che tra che tuoi che bien")


def test_real_category_names_are_in_the_key_in_both_languages(app_ctx):
    org = make_org("Công ty CP Thủy sản Nghệ An")
    product = make_product(org, "Nước mắm Cửa Lò", "I.4.a", "2103")
    db.session.flush()
    words = set(product.search_key.split())
    # OCOP I (vi + en), I.4 "Gia vị", I.4.a; HS section IV, chapter 21, heading 2103 (en).
    assert {"thuc", "food", "gia", "vi", "tuong", "sauces", "preparations"} <= words
    db.session.rollback()


def test_vietnamese_sort_key_order():
    names = ["b", "â", "a", "ă", "đ", "d", "e", "ê", "Ơ", "ô", "o", "ư", "u", "A", "à", "á"]
    assert sorted(names, key=name_sort_key) == sorted(names, key=sort_key)
    assert name_sort_key("a") < name_sort_key("ă") < name_sort_key("â") < name_sort_key("b")
    assert name_sort_key("d") < name_sort_key("đ") < name_sort_key("e")
    assert name_sort_key("An Giang") < name_sort_key("Anh")
    assert name_sort_key("hoà") == name_sort_key("hòa")


VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợ" \
             "ùủũúụừửữứựỳỷỹýỵ AĂÂĐÊÔƠƯ0123456789-,.()"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=VIETNAMESE, max_size=12), st.text(alphabet=VIETNAMESE, max_size=12))
def test_sort_key_bytes_order_like_text_sort_key(a, b):
    assert (name_sort_key(a) < name_sort_key(b)) == (sort_key(a) < sort_key(b))
    assert (name_sort_key(a) == name_sort_key(b)) == (sort_key(a) == sort_key(b))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=8), st.text(max_size=8))
def test_sort_key_bytes_order_for_any_text(a, b):
    assert (name_sort_key(a) < name_sort_key(b)) == (sort_key(a) < sort_key(b))


def test_new_products_get_their_keys_on_flush(app_ctx):
    org = make_org("HTX Nông nghiệp Quỳnh Lưu")
    product = make_product(org, "Nước mắm Quỳnh", "I.4.a")
    db.session.commit()
    assert product.search_key.startswith("nuoc mam quynh htx nong nghiep quynh luu ")
    assert product.name_sort_key == name_sort_key("Nước mắm Quỳnh")
    assert found("quynh luu") == ["Nước mắm Quỳnh"]


def test_changes_reach_the_index(app_ctx):
    org = make_org("HTX Diễn Châu")
    product = make_product(org, "Lạc sen", "I.1.a")
    db.session.commit()
    product.name = "Hạt sen sấy"
    product.description = "Sen quê Bác"
    db.session.commit()
    assert found("lac sen") == []
    assert found("hat sen") == found("que bac") == ["Hạt sen sấy"]
    assert product.name_sort_key == name_sort_key("Hạt sen sấy")

    product.ocop_category_id = category("II.1.a").id  # by id: the relationship is stale
    db.session.commit()
    assert found("ruou trang") == ["Hạt sen sấy"]
    assert found("rau cu qua") == []

    product.hs_category = category("0409", "hs")
    db.session.commit()
    assert found("natural honey") == ["Hạt sen sấy"]

    db.session.delete(product)
    db.session.commit()
    assert found("hat sen") == []


def test_renaming_the_producer_updates_its_products(app_ctx):
    org = make_org("HTX Hoa Tiến")
    make_product(org, "Khăn thổ cẩm")
    make_product(org, "Váy thổ cẩm")
    other = make_product(make_org("HTX Khác"), "Túi thổ cẩm")
    db.session.commit()
    org.name = "HTX làng nghề thổ cẩm Hoa Tiến"
    db.session.commit()
    assert set(found("lang nghe")) == {"Khăn thổ cẩm", "Váy thổ cẩm"}
    assert "lang nghe" not in other.search_key


def test_renaming_a_category_updates_products_below_it(app_ctx):
    org = make_org("HTX Cửa Lò")
    product = make_product(org, "Mắm tôm", "I.4.a")
    db.session.commit()
    group = category("I.4")
    try:
        group.name_key = "gia vi va nuoc cham"
        db.session.flush()
        assert "nuoc cham" in product.search_key
    finally:
        db.session.rollback()  # categories are shared by the whole test session


def test_reindex_products_repairs_keys_written_behind_the_orms_back(app_ctx):
    org = make_org("HTX Nghĩa Đàn")
    product = make_product(org, "Cam Vinh")
    db.session.commit()
    db.session.execute(sa.update(Product).values(search_key="", name_sort_key=b""))
    db.session.commit()
    assert found("nghia dan") == []  # the name itself is indexed from name_key
    assert reindex_products(db.session) == 1
    db.session.commit()
    assert found("nghia dan") == ["Cam Vinh"]
    assert product.name_sort_key == name_sort_key("Cam Vinh")
    assert reindex_products(db.session) == 0


def test_full_text_structures_exist_after_all_migrations(app_ctx):
    # A later migration that rebuilds `products` in SQLite batch mode would drop the triggers.
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            names = set(conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')").scalars())
            assert {search_index.FTS_TABLE, *search_index.SQLITE_TRIGGERS} <= names
        else:
            assert conn.exec_driver_sql(
                "SELECT count(*) FROM pg_indexes WHERE indexname = %s",
                (search_index.PG_TSV_INDEX,)).scalar() == 1


def test_include_name_skips_only_search_objects():
    assert not include_name("products_fts", "table", {})
    assert not include_name("products_fts_data", "table", {})
    assert include_name("products", "table", {})
    assert not include_name("search_tsv", "column", {"table_name": "products"})
    assert include_name("search_key", "column", {"table_name": "products"})
    assert not include_name("ix_products_search_tsv", "index", {"table_name": "products"})
    assert include_name("ix_products_name_sort_key", "index", {"table_name": "products"})


def test_ocop_group_names_come_from_the_tree(app_ctx):
    # The alias table refers to real paths.
    paths = set(db.session.scalars(sa.select(Category.path).where(
        Category.path.in_(list(search_index.CATEGORY_ALIASES)))))
    assert paths == set(search_index.CATEGORY_ALIASES)
