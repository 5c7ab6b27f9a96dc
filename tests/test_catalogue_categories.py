"""Category helpers behind the product and need forms: HS codes as typed, the OCOP product
sets and tree, breadcrumbs; each look-up one query."""

import pytest

import tests.access  # noqa: F401  (first: it imports every access_* module, ours included)
from matchmaker.catalogue import categories as cat
from tests.access_needs import category, make_need


@pytest.mark.parametrize(("typed", "code"), [
    ("0901", "0901"), (" 09 ", "09"), ("0901.21", "090121"), ("09 01 21", "090121"),
    ("", ""), (None, ""), ("  ", ""),
])
def test_clean_hs_code_keeps_leading_zeros(typed, code):
    assert cat.clean_hs_code(typed) == code


@pytest.mark.parametrize("typed", ["901", "09012", "09012100", "cà phê", "０９０１", "-0901",
                                   "9", "0901a"])
def test_clean_hs_code_refuses_what_is_not_a_code(typed):
    with pytest.raises(cat.HSCodeError) as caught:
        cat.clean_hs_code(typed)
    assert caught.value.value == typed.strip()


def test_split_hs_codes():
    assert cat.split_hs_codes("0901, 090121 0902;0901\n2103") == [
        "0901", "090121", "0902", "2103"]
    assert cat.split_hs_codes(" , ") == [] and cat.split_hs_codes(None) == []
    with pytest.raises(cat.HSCodeError) as caught:
        cat.split_hs_codes("0901, 123")
    assert caught.value.value == "123"


def test_hs_lookup_is_one_query(app_ctx, count_queries):
    with count_queries() as counter:
        found = cat.hs_categories(["0901", "090121", "9999", "09"])
    assert counter.count == 1
    assert sorted(found) == ["09", "0901", "090121"]
    assert found["0901"].path == "hs/II/09/0901"
    assert cat.hs_categories([]) == {}


def test_ocop_product_sets_grouped_under_the_six_major_groups(app_ctx):
    groups = cat.ocop_set_groups(cat.ocop_tree(), "vi")
    assert [name for name, _sets in groups] == [
        "Sản phẩm thực phẩm", "Sản phẩm đồ uống",
        "Sản phẩm dược liệu và sản phẩm từ dược liệu", "Sản phẩm hàng thủ công mỹ nghệ",
        "Sản phẩm sinh vật cảnh",
        "Sản phẩm dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch"]
    labels = [label for _name, sets in groups for _id, label in sets]
    assert len(labels) == 26
    assert [int(label.split(".")[0]) for label in labels] == list(range(1, 27))
    assert labels[8] == "9. Gia vị: Tương, nước mắm, gia vị dạng lỏng khác"
    assert labels[12] == "13. Cà phê, ca cao"  # a group that is itself a set
    ids = cat.ocop_set_ids(cat.ocop_tree())
    assert len(ids) == 26
    assert {category("ocop", c).id for c in ("I.4.a", "I.6", "VI.1")} <= ids
    assert not {category("ocop", c).id for c in ("I", "I.4")} & ids
    english = cat.ocop_set_groups(cat.ocop_tree(), "en")
    assert english[0][0] == "Food products"  # groups below have Vietnamese names only


def test_ocop_tree_in_order_with_depths(app_ctx):
    choices = cat.ocop_tree_choices(cat.ocop_tree(), "vi")
    assert len(choices) == 39
    depths = [depth for _id, _label, depth in choices[:5]]
    assert depths == [0, 1, 2, 2, 1]  # I, I.1, I.1.a, I.1.b, I.2
    assert choices[0][1] == "Sản phẩm thực phẩm"
    assert choices[2][1] == "1. Rau, củ, quả, hạt tươi"


def test_breadcrumbs_for_both_schemes_in_one_query(app_ctx, count_queries):
    fish_sauce, coffee = category("ocop", "I.4.a"), category("hs", "090121")
    with count_queries() as counter:
        trails = cat.breadcrumbs([fish_sauce, coffee])
    assert counter.count == 1
    assert [[c.code for c in chain] for chain in trails] == [
        ["I", "I.4", "I.4.a"], ["II", "09", "0901", "090121"]]
    assert cat.category_label(trails[1][-1], "vi").startswith("090121 ")
    assert cat.category_label(fish_sauce, "vi") == "9. Tương, nước mắm, gia vị dạng lỏng khác"


def test_need_trails_and_form_categories_in_one_query_each(app_ctx, users, count_queries):
    need_id = make_need(users["member_b"].organisation, ocop=("I.4", "I"),
                        hs=("0901", "2103")).id
    with count_queries() as counter:
        trails = cat.need_trails(need_id)
    assert counter.count == 1
    assert [[c.code for c in chain] for chain in trails] == [
        ["I"], ["I", "I.4"], ["II", "09", "0901"], ["IV", "21", "2103"]]
    with count_queries() as counter:
        tree, chosen = cat.ocop_tree_and_need_categories(need_id)
    assert counter.count == 1
    assert [c.code for c in tree] == [c.code for c in cat.ocop_tree()]
    assert [c.code for c in chosen] == ["I", "I.4", "0901", "2103"]
    assert cat.ocop_tree_and_need_categories(None)[1] == []


def test_ancestor_paths():
    assert cat.ancestor_paths("hs/II/09/0901") == ["hs/II", "hs/II/09"]
    assert cat.ancestor_paths("ocop/I") == []
