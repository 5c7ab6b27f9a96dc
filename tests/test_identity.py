"""Organisation identity: one key for the usual ways of writing one name; close names are
scored for review, placeholders are not organisations."""

import pytest

from matchmaker.organisations.identity import (
    CLOSE_MATCH,
    identity_key,
    legal_form_of,
    match_score,
    placeholder_reason,
)
from matchmaker.organisations.models import LegalForm, Organisation


@pytest.mark.parametrize("names", [
    ("Công ty CP thủy sản Nghệ An", "Công ty cổ phần Thủy sản Nghệ An",
     "CÔNG TY CỔ PHẦN THUỶ SẢN NGHỆ AN", "CTCP Thủy sản Nghệ An", "Cty CP Thuỷ Sản Nghệ An",
     "  công ty  cp. thủy sản  nghệ an ", "CONG TY CO PHAN THUY SAN NGHE AN"),
    ("Công ty TNHH XNK Nông lâm Thủy sản Sỹ Thắng",
     "Công ty trách nhiệm hữu hạn xuất nhập khẩu nông lâm thủy sản Sĩ Thắng"),
    ("Công ty TNHH sản xuất và thương mại Mom Beauty", "Cty TNHH SX & TM Mom Beauty",
     "Công ty TNHH SX-TM Mom Beauty"),
    ("HTX nông nghiệp Sen quê Bác", "Hợp tác xã Nông nghiệp Sen Quê Bác"),
    ("Công ty TNHH MTV Chè Hoà Bình", "Công ty TNHH một thành viên chè Hòa Bình"),
    ("DNTN Hương Giang", "Doanh nghiệp tư nhân Hương Giang"),
    # Unicode: decomposed (NFD) input and old/new tone placement.
    ("Công ty CP Dược liệu Pù Mát", "Co\u0302ng ty CP Du\u031bo\u031b\u0323c lie\u0323\u0302u "
                                    "Pu\u0300 Ma\u0301t"),
])
def test_spellings_of_one_organisation_share_a_key(names):
    keys = {identity_key(name) for name in names}
    assert len(keys) == 1, keys


def test_the_key_is_the_stored_identity_key():
    org = Organisation(name="Công ty cổ phần Thủy sản Nghệ An", side="producer")
    assert org.identity_key == identity_key("Công ty CP thủy sản Nghệ An") \
        == "cp thuy san nghe an"


@pytest.mark.parametrize(("a", "b"), [
    ("Công ty CP Thủy sản Nghệ An", "Công ty TNHH Thủy sản Nghệ An"),  # another legal form
    ("Công ty CP Thủy sản Vạn Phần", "Công ty CP Thủy sản Vạn Phần Diễn Châu"),
    ("HTX Nông nghiệp số 1", "HTX Nông nghiệp số 2"),
    ("Công ty TNHH Đức Phong", "Công ty TNHH Đức Phúc"),
])
def test_different_names_keep_different_keys(a, b):
    assert identity_key(a) != identity_key(b)


def test_one_name_containing_the_other_plus_a_place_is_close():
    score = match_score(identity_key("Công ty CP Thủy sản Vạn Phần"),
                        identity_key("Công ty cổ phần Thủy sản Vạn Phần Diễn Châu"))
    assert CLOSE_MATCH <= score < 1


@pytest.mark.parametrize(("a", "b", "close"), [
    ("Công ty TNHH Hương trầm Liên Đức", "Công ty TNHH Hương trầm Liên Dức", True),  # a typo
    ("Công ty CP Thủy sản Nghệ An", "Công ty TNHH Thủy sản Nghệ An", True),
    ("Công ty CP Thủy sản Nghệ An", "Công ty CP Thủy sản Vạn Phần", False),
    ("Công ty TNHH Hương trầm Liên Đức", "Công ty TNHH hương trầm Bảy Lương", False),
    ("HTX Nông nghiệp số 1", "HTX Nông nghiệp số 2", False),
    ("HTX Sen", "HTX Sen Quê Bác", False),  # one word is too little to go on
    ("Công ty CP Dược liệu Pù Mát", "Công ty CP Tập đoàn Bometa", False),
])
def test_close_matches(a, b, close):
    assert (match_score(identity_key(a), identity_key(b)) >= CLOSE_MATCH) is close


@pytest.mark.parametrize(("name", "form"), [
    ("Công ty CP Dược liệu Pù Mát", LegalForm.JOINT_STOCK),
    ("CTCP An An Agri", LegalForm.JOINT_STOCK),
    ("Công ty TNHH Đức Phong", LegalForm.LIMITED),
    ("Công ty TNHH MTV Long Lưu", LegalForm.LIMITED),
    ("HTX làng nghề thổ cẩm Hoa Tiến", LegalForm.COOPERATIVE),
    ("Hợp tác xã Nông nghiệp Diễn Kim", LegalForm.COOPERATIVE),
    ("Tổ hợp tác chè Thanh Đức", LegalForm.COOPERATIVE_GROUP),
    ("Doanh nghiệp tư nhân Hương Giang", LegalForm.PRIVATE),
    ("Hộ kinh doanh Giò bê Lâm Ngọc", LegalForm.HOUSEHOLD),
    ("Cơ sở sản xuất nước mắm Cửa Hội", LegalForm.HOUSEHOLD),
    ("Công ty hợp danh Kiểm toán Vinh", LegalForm.PARTNERSHIP),
    ("Công ty Đầu tư và sản xuất ATC", None),
])
def test_legal_form_from_the_name(name, form):
    assert legal_form_of(name) == form


@pytest.mark.parametrize(("name", "reason"), [
    ("", "producer_missing"),
    ("  -  ", "producer_missing"),
    ("?", "producer_missing"),
    ("(not stated in source excerpt)", "producer_not_stated"),
    ("không rõ", "producer_not_stated"),
    ("Không rõ chủ thể", "producer_not_stated"),
    ("N/A", "producer_not_stated"),
    ("(household business – name withheld)", "producer_withheld"),
    ("(ẩn danh)", "producer_withheld"),
    ("Công ty CP Dược liệu Pù Mát", None),
    ("Hộ kinh doanh Nguyễn Văn An", None),
    ("Công ty TNHH Không Rõ Ràng Trading", None),  # a word in a real name
])
def test_placeholders_are_not_organisations(name, reason):
    assert placeholder_reason(name) == reason
