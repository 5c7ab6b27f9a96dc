"""Old and new Vietnamese addresses resolve to the current (2025) province and ward."""

import pytest

from matchmaker.organisations.addresses import AddressResolution, resolve_address
from matchmaker.organisations.divisions import ward, ward_in_province

NGHE_AN, HA_NOI, HCM, QUANG_TRI, TUYEN_QUANG, HUE, HA_TINH, DONG_NAI = 40, 1, 79, 44, 8, 46, 42, 75


@pytest.mark.parametrize(("text", "code"), [
    ("Nghệ An", NGHE_AN),
    ("tỉnh Nghệ An", NGHE_AN),
    ("NGHE AN", NGHE_AN),
    ("  nghệ   an ", NGHE_AN),
    ("Thành phố Hà Nội", HA_NOI),
    ("Hà Nội", HA_NOI),
    ("TP Hồ Chí Minh", HCM),
    ("tp. HCM", HCM),
    ("TP.HCM", HCM),
    ("Thanh Hoá", 38),  # new-style tone placement of the official "Thanh Hóa"
    ("Khánh Hoà", 56),
])
def test_current_province_names(text, code):
    result = resolve_address(text)
    assert result.province_code == code, result
    assert result.candidates == ()


@pytest.mark.parametrize(("text", "code"), [
    ("Quảng Bình", QUANG_TRI),
    ("tỉnh Quảng Bình", QUANG_TRI),
    ("Hà Giang", TUYEN_QUANG),
    ("Thừa Thiên Huế", HUE),
    ("Bà Rịa - Vũng Tàu", HCM),
    ("Bình Dương", HCM),
    ("Hoà Bình", 25),  # -> Phú Thọ
    ("Yên Bái", 15),  # -> Lào Cai
    ("Kon Tum", 51),  # -> Quảng Ngãi
])
def test_old_provinces_map_to_the_province_they_joined(text, code):
    result = resolve_address(text)
    assert result.province_code == code, result
    assert "trước 2025" in result.note


@pytest.mark.parametrize("text", [
    "Diễn Châu", "huyện Diễn Châu", "H. Diễn Châu", "Con Cuông", "huyện Con Cuông",
    "TP. Vinh", "Thành phố Vinh", "tp vinh", "Thị xã Cửa Lò", "TX Cửa Lò", "Cửa Lò",
    "Thanh Chương", "Nam Đàn", "Quỳ Châu", "DIEN CHAU", "huyện Con Cuông tỉnh Nghệ An",
    "Con Cuông Nghệ An", "Con Cuông, Nghệ An",
])
def test_pre_2025_districts_of_nghe_an(text):
    result = resolve_address(text)
    assert result.province_code == NGHE_AN, result
    assert result.ward_code is None  # a district covers many of today's communes


def test_the_note_says_what_was_recognised():
    note = resolve_address("Cửa Lò").note
    assert "Thị xã Cửa Lò" in note and "Nghệ An" in note
    assert resolve_address("huyện Con Cuông").note.startswith("Huyện Con Cuông")


def test_a_district_name_in_two_provinces_asks_the_user():
    result = resolve_address("Hoàng Mai")  # Thị xã Hoàng Mai (Nghệ An), Quận Hoàng Mai (Hà Nội)
    assert result.province_code is None and result.ward_code is None
    codes = [code for code, _label in result.candidates]
    assert sorted(codes) == [HA_NOI, NGHE_AN]
    labels = dict(result.candidates)
    assert "Thị xã Hoàng Mai" in labels[NGHE_AN] and "Quận Hoàng Mai" in labels[HA_NOI]
    assert "nhiều tỉnh" in result.note
    # Naming the province settles it.
    assert resolve_address("Hoàng Mai, Nghệ An").province_code == NGHE_AN
    assert resolve_address("quận Hoàng Mai, Hà Nội").province_code == HA_NOI
    assert resolve_address("Tân Phú, Đồng Nai").province_code == DONG_NAI


def test_wards_old_and_new():
    # A pre-2025 commune, with its district and province: merged into one 2025 commune.
    result = resolve_address("xóm 3, xã Diễn Kim, huyện Diễn Châu, tỉnh Nghệ An")
    assert result.province_code == NGHE_AN
    assert ward_in_province(result.ward_code, NGHE_AN)
    # The same without commas, and without the province.
    assert resolve_address("xóm 3 xã Diễn Kim huyện Diễn Châu").ward_code == result.ward_code
    # A current (2025) ward name with its province.
    current = resolve_address("Phường Vinh Phú, Nghệ An")
    assert current.province_code == NGHE_AN
    assert ward(current.ward_code).name == "Phường Vinh Phú"
    # The old numbered wards of Ho Chi Minh City need their district to be told apart.
    go_vap = resolve_address("P.12, Q. Gò Vấp, TP.HCM")
    assert go_vap.province_code == HCM and ward_in_province(go_vap.ward_code, HCM)
    # A ward name found in several provinces is a question, not a guess.
    many = resolve_address("xã Tân Phú")
    assert many.province_code is None and len(many.candidates) > 2


def test_the_province_written_out_wins_over_a_contradicting_district():
    result = resolve_address("Con Cuông, Hà Tĩnh")
    assert result.province_code == HA_TINH
    assert "Bỏ qua “Con Cuông”" in result.note


@pytest.mark.parametrize("text", ["", "   ", "Số 5 đường Lê Lợi", "không rõ", "12"])
def test_nothing_recognised(text):
    assert resolve_address(text) == AddressResolution(
        None, None, (), "Không nhận ra tỉnh/thành phố nào.")
