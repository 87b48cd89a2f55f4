"""GB 11643 resident ID numbers: decoding, the MOD 11-2 check digit, and masking."""

import datetime as dt
import re

import pytest
from django.utils import translation
from hypothesis import assume, example, given
from hypothesis import strategies as st

from fangkong.people.idnumber import (
    CHECK_CHARS,
    IdNumberError,
    check_digit,
    make_id_number,
    mask_id_number,
    mask_phone,
    parse_id_number,
)

TODAY = dt.date(2022, 11, 11)


@pytest.fixture(autouse=True, scope="module")
def _english_messages():
    """The reasons below are matched in English; the interface default is zh-Hans."""
    with translation.override("en"):
        yield


# Province prefixes of GB/T 2260 (mainland), followed by real county-level codes.
PROVINCES = [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37]
PROVINCES += [41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65]
REAL_REGIONS = ["110105", "310115", "411002", "411003", "411081", "440524", "510104", "650102"]

regions = st.one_of(
    st.sampled_from(REAL_REGIONS),
    st.builds(
        lambda p, rest: f"{p:02d}{rest:04d}",
        st.sampled_from(PROVINCES),
        st.integers(0, 9999),
    ),
)
birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
sexes = st.sampled_from(["M", "F"])
sequences = st.integers(0, 499)
valid_numbers = st.builds(make_id_number, regions, birth_dates, sequences, sexes)


def weighted_sum_mod11(number: str) -> int:
    """ISO 7064 MOD 11-2 over all 18 characters: a valid number leaves remainder 1."""
    values = [10 if c == "X" else int(c) for c in number]
    return sum(v * pow(2, 17 - i, 11) for i, v in enumerate(values)) % 11


# ── generated numbers round-trip ────────────────────────────────────────────


@given(region=regions, born=birth_dates, seq=sequences, sex=sexes)
def test_generated_number_parses_back_to_its_region_birth_date_and_sex(region, born, seq, sex):
    number = make_id_number(region, born, seq, sex)

    info = parse_id_number(number, today=TODAY)

    assert len(number) == 18
    assert (info.number, info.region, info.birth_date, info.sex) == (number, region, born, sex)


@given(valid_numbers)
def test_generated_number_satisfies_iso_7064_mod_11_2(number):
    # Independent of check_digit(): the standard's own definition of validity.
    assert weighted_sum_mod11(number) == 1


@given(region=regions, born=birth_dates, sex=sexes)
def test_different_sequences_give_different_numbers(region, born, sex):
    numbers = {make_id_number(region, born, seq, sex) for seq in range(500)}
    assert len(numbers) == 500


@given(valid_numbers)
def test_sex_is_the_parity_of_the_seventeenth_digit(number):
    info = parse_id_number(number, today=TODAY)
    assert info.sex == ("M" if int(number[16]) % 2 == 1 else "F")


# ── single-character errors are caught ──────────────────────────────────────


@given(valid_numbers, st.integers(0, 17), st.sampled_from("0123456789X"))
def test_changing_one_character_makes_the_number_invalid(number, position, new_char):
    assume(new_char != number[position])
    assume(position == 17 or new_char != "X")  # X only exists as a check character
    changed = number[:position] + new_char + number[position + 1 :]

    # MOD 11-2 detects every single substitution; compute rather than trust it.
    still_checks = weighted_sum_mod11(changed) == 1
    assert not still_checks

    with pytest.raises(IdNumberError):
        parse_id_number(changed, today=TODAY)


@given(valid_numbers)
def test_every_other_check_character_is_rejected(number):
    for wrong in CHECK_CHARS.replace(number[17], ""):
        with pytest.raises(IdNumberError):
            parse_id_number(number[:17] + wrong, today=TODAY)


@given(valid_numbers)
def test_swapping_two_different_adjacent_digits_is_caught(number):
    for i in range(16):
        a, b = number[i], number[i + 1]
        if a == b:
            continue
        swapped = number[:i] + b + a + number[i + 2 :]
        with pytest.raises(IdNumberError):
            parse_id_number(swapped, today=TODAY)


# ── input forms ─────────────────────────────────────────────────────────────


def _ending_in_x(number: str) -> str | None:
    """Vary the 17th digit until the check character is X (one digit in ten gives it)."""
    for d in "0123456789":
        first17 = number[:16] + d
        if check_digit(first17) == "X":
            return first17 + "X"
    return None


@given(valid_numbers.map(_ending_in_x).filter(lambda n: n is not None))
def test_lowercase_x_is_accepted_as_uppercase(number):
    info = parse_id_number(number[:17] + "x", today=TODAY)
    assert info.number == number


def test_surrounding_whitespace_is_ignored():
    assert parse_id_number("  11010519491231002x\n").number == "11010519491231002X"


def test_full_width_digits_from_a_chinese_input_method_are_normalised():
    full_width = "１１０１０５１９４９１２３１００２ｘ"
    assert parse_id_number(full_width).number == "11010519491231002X"


@given(st.text(alphabet="0123456789X", max_size=30).filter(lambda s: len(s) != 18))
@example("1101051949123100")
@example("11010519491231002X0")
@example("")
def test_wrong_length_is_rejected(raw):
    with pytest.raises(IdNumberError):
        parse_id_number(raw, today=TODAY)


@given(valid_numbers, st.integers(0, 16), st.sampled_from("ABXYZaz -./²٣"))
def test_letters_or_symbols_among_the_first_seventeen_are_rejected(number, position, char):
    changed = number[:position] + char + number[position + 1 :]
    with pytest.raises(IdNumberError):
        parse_id_number(changed, today=TODAY)


@pytest.mark.parametrize("last", ["Y", "A", "*", "²"])
def test_only_a_digit_or_x_may_be_the_check_character(last):
    with pytest.raises(IdNumberError):
        parse_id_number("11010519491231002" + last)


# ── birth dates ─────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "date_digits",
    ["19490230", "20230229", "19491301", "19490001", "19490100", "19490431", "19491232"],
)
def test_impossible_calendar_dates_are_rejected_even_with_a_correct_check_digit(date_digits):
    first17 = f"110105{date_digits}002"
    with pytest.raises(IdNumberError, match="birth date"):
        parse_id_number(first17 + check_digit(first17))


def test_leap_day_is_a_possible_birth_date():
    first17 = "11010520000229002"
    assert parse_id_number(first17 + check_digit(first17)).birth_date == dt.date(2000, 2, 29)


@given(region=regions, days_ahead=st.integers(1, 365 * 50), seq=sequences, sex=sexes)
def test_birth_dates_after_today_are_rejected(region, days_ahead, seq, sex):
    number = make_id_number(region, TODAY + dt.timedelta(days=days_ahead), seq, sex)
    with pytest.raises(IdNumberError, match="birth date"):
        parse_id_number(number, today=TODAY)


def test_born_today_is_accepted():
    number = make_id_number("411002", TODAY, 1, "F")
    assert parse_id_number(number, today=TODAY).birth_date == TODAY


def test_birth_year_before_1890_is_rejected():
    with pytest.raises(IdNumberError, match="birth date"):
        parse_id_number(make_id_number("411002", dt.date(1889, 12, 31), 1, "M"))


# ── region codes ────────────────────────────────────────────────────────────


@pytest.mark.parametrize("prefix", ["00", "10", "90"])
def test_numbers_from_non_existent_provinces_are_rejected(prefix):
    number = make_id_number(prefix + "0105", dt.date(1980, 1, 1), 1, "M")
    with pytest.raises(IdNumberError, match="region"):
        parse_id_number(number)


# ── known examples, check digits worked by hand ─────────────────────────────


@pytest.mark.parametrize(
    ("number", "region", "born", "sex"),
    [
        # The sample printed in GB 11643 and countless forms (北京市朝阳区, 1949-12-31):
        # weighted sum 167, 167 mod 11 = 2 → "X".
        ("11010519491231002X", "110105", dt.date(1949, 12, 31), "F"),
        # 许昌市魏都区, 1980-05-17, sequence 001: sum 206, 206 mod 11 = 8 → "4".
        ("411002198005170014", "411002", dt.date(1980, 5, 17), "M"),
        # 上海市浦东新区, 1990-03-07, sequence 123: sum 212, 212 mod 11 = 3 → "9".
        ("310115199003071239", "310115", dt.date(1990, 3, 7), "M"),
        # 成都市锦江区, 2000-01-01, sequence 024: sum 99, 99 mod 11 = 0 → "1".
        ("510104200001010241", "510104", dt.date(2000, 1, 1), "F"),
    ],
)
def test_known_numbers_are_valid_and_decode(number, region, born, sex):
    info = parse_id_number(number)
    assert (info.region, info.birth_date, info.sex) == (region, born, sex)


def test_published_sample_with_a_wrong_check_digit_is_rejected():
    with pytest.raises(IdNumberError, match="check digit"):
        parse_id_number("110105194912310021")


# ── masking ─────────────────────────────────────────────────────────────────


@given(valid_numbers)
def test_masked_id_number_hides_birth_date_and_sequence(number):
    masked = mask_id_number(number)

    assert len(masked) == 18
    assert masked[3:14] == "*" * 11
    assert masked[:3] == number[:3]
    assert masked[-4:] == number[-4:]


@given(st.text(alphabet="0123456789X", max_size=30).filter(lambda s: len(s) != 18))
def test_id_number_of_unexpected_length_is_masked_entirely(raw):
    assert mask_id_number(raw) == "*" * len(raw)


@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_masked_mobile_number_hides_the_middle_four(phone):
    masked = mask_phone(phone)
    assert masked == phone[:3] + "****" + phone[-4:]


@given(st.text(alphabet="0123456789-+ ", max_size=20))
def test_masked_phone_never_shows_more_than_seven_or_hides_fewer_than_four(phone):
    masked = mask_phone(phone)
    hidden = masked.count("*")

    assert len(masked) == len(phone)
    assert hidden >= min(4, len(phone))
    assert len(phone) - hidden <= 7
    # what is shown is shown in place, at most 3 at the start and 4 at the end
    assert all(c in ("*", p) for c, p in zip(masked, phone, strict=True))
    if phone:
        assert re.fullmatch(r"[^*]{0,3}\*+[^*]{0,4}", masked)


def test_short_landline_does_not_show_every_digit():
    assert mask_phone("2345678") == "****678"
    assert mask_phone("23456789") == "****6789"
    assert mask_phone("13900000001") == "139****0001"
