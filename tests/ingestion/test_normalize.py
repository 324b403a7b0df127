from datetime import datetime, timedelta, timezone

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from app.ingestion import dates, names
from app.ingestion import normalize as n
from app.ingestion.gender import gender1


def s(*values: object) -> pd.Series:
    return pd.Series(list(values), dtype="str")


def gb(n: int) -> pd.Series:
    return pd.Series(["GB"] * n, dtype=object)


def test_phone_formats_become_one_e164_number() -> None:
    out, kind, bad = n.phone(
        s("07700 900123", "+44 7700 900123", "0044 7700 900123", "(07700) 900-123", "7700900123"),
        gb(5),
    )
    assert out.tolist() == ["+447700900123"] * 5
    assert bad.tolist() == [False] * 5
    # 07700 900xxx is Ofcom's range for drama: possible, not valid, so loaded as "unknown".
    assert kind.tolist() == ["unknown"] * 5


def test_bracketed_trunk_zero_after_country_code_is_dropped() -> None:
    out, _, bad = n.phone(s("+44 (0)7700 900123", "0044 (0) 7700 900123"), gb(2))
    assert out.tolist() == ["+447700900123", "+447700900123"]
    assert bad.tolist() == [False, False]


def test_us_number_with_its_trunk_one_is_read_once() -> None:
    assert n.phone_parts1("1 (415) 555-2671", "US") == ("+14155552671", "unknown", False)


def test_italian_numbers_keep_their_leading_zero_with_or_without_country_code() -> None:
    national = n.phone_parts1("06 6982 1234", "IT")
    international = n.phone_parts1("+39 06 6982 1234", "IT")
    assert national == international == ("+390669821234", "landline", False)
    # The country code wins over the region a number is read in.
    assert n.phone_parts1("+39 06 6982 1234", "GB") == national


def test_phone_types_from_libphonenumber() -> None:
    assert n.phone_parts1("07912 345678", "GB") == ("+447912345678", "mobile", False)
    assert n.phone_parts1("020 7946 0000", "GB") == ("+442079460000", "landline", False)
    assert n.phone_parts1("0800 123 4567", "GB") == ("+448001234567", "other", False)


def test_phone_region_is_the_records_country_when_libphonenumber_knows_it() -> None:
    assert n.phone_region1("IT", "GB") == "IT"
    assert n.phone_region1("ATLANTIS", "GB") == "GB"
    assert n.phone_region1(None, "gb") == "GB"


def test_country_names_and_aliases_become_codes() -> None:
    assert n.country(s("UK", "England", "gb", "U.K.", None, "Ireland", "NZ"), "GB").tolist() == [
        "GB",
        "GB",
        "GB",
        "GB",
        "GB",
        "IE",
        "NZ",
    ]


def test_phone_too_short_or_without_area_code_is_an_error_and_missing_is_not() -> None:
    out, kind, bad = n.phone(s("12", "not a phone", None, ""), gb(4))
    assert bad.tolist() == [True, True, False, False]
    assert out.tolist() == [None] * 4
    assert kind.tolist() == [None] * 4
    # Seven digits in the US are a local number: its area code is missing, so no key.
    assert n.phone_parts1("555 1234", "US") == (None, None, True)


def test_email_is_trimmed_lowercased_and_checked() -> None:
    out, bad = n.email(s(" John.Smith@Example.COM ", "john@", "n/a", None))
    assert out[0] == "john.smith@example.com"
    assert bad.tolist() == [False, True, True, False]


def test_a_phone_with_words_around_one_number_is_that_number() -> None:
    written = [
        "(617) 555-1234 (home)",
        "617-555-1234 cell",
        "Tel: 617 555 1234",
        "mobile: +44 7700 900123",
        # not one whole number: refused, as before
        "617-555-1234 / 617-555-9999",
        "home: 555-1234",  # no area code
        "call after 5pm",
    ]
    e164, _, bad = n.phone(s(*written), s(*["US"] * len(written)))
    assert e164.tolist() == ["+16175551234"] * 3 + ["+447700900123"] + [None] * 3
    assert bad.tolist() == [False] * 4 + [True] * 3


def test_an_address_with_a_display_name_or_as_a_link_is_the_address() -> None:
    written = [
        "John Smith <John.Smith@Example.com>",
        '"Smith, John" <john.smith@example.com>',
        "<john.smith@example.com>",
        "MAILTO:John.Smith@example.com",
        "mailto:john.smith@example.com",
        # not one address: refused, as before
        "john.smith@example.com, ann@example.com",
        "John <john.smith@example.com>, Ann <ann@example.com>",
        "John Smith <not an address>",
    ]
    out, bad = n.email(s(*written))
    assert out.tolist() == ["john.smith@example.com"] * 5 + [None] * 3
    assert bad.tolist() == [False] * 5 + [True] * 3
    assert [n.email1(w) for w in written] == list(zip(out, bad, strict=True))


def test_dates_with_format_and_impossible_dates() -> None:
    out, problem = dates.date(s("03/02/1980", "31/02/1980", "01/01/2999", "01/01/1899"), "%d/%m/%Y")
    assert out.tolist() == ["1980-02-03", None, None, None]
    assert problem.tolist() == [None, "invalid date", "date in the future", "date before 1900"]


def test_gender_words_sources_write() -> None:
    """m, f or x from the words sources use; words that state no gender are no value (not
    a gender of their own: "Unknown" was once kept as "u", a gender different from "m");
    anything else is blanked as invalid."""
    stated = ["M", " male ", "Man", "f", "FEMALE", "woman", "X", "Non-Binary", "other", "O"]
    assert [gender1(v) for v in stated] == [
        *[("m", False)] * 3,
        *[("f", False)] * 3,
        *[("x", False)] * 4,
    ]
    unstated = ["U", "Unknown", "not  known", "N/A", "prefer not to say", "?", None, "  "]
    assert [gender1(v) for v in unstated] == [(None, False)] * len(unstated)
    assert [gender1(v) for v in ["t2227949966", "female | male", "3"]] == [(None, True)] * 3


def test_early_years_keep_four_digits() -> None:
    """An earliest year far back (a mapping's `earliest:`): the year stays four digits,
    where strftime would write 850-03-01."""
    out, problem = dates.date(s("0850-03-01", "1630-08-01", "0850-03-01"), "%Y-%m-%d", 1)
    assert (out.tolist(), problem.tolist()) == (
        ["0850-03-01", "1630-08-01", "0850-03-01"],
        [None] * 3,
    )
    assert dates.date1("0850-03-01", None, 900) == (None, "date before 900")


def test_a_list_of_date_formats_is_tried_in_order() -> None:
    formats = ["%Y%m%d", "%m/%d/%Y"]
    out, problem = dates.date(s("19800203", "02/03/1980", "19281501", None), formats)
    assert out.tolist() == ["1980-02-03", "1980-02-03", None, None]
    assert problem.tolist() == [None, None, "invalid date", None]
    assert dates.date1("02/03/1980", formats) == ("1980-02-03", None)


def test_identifiers_drop_separators_and_are_upper_cased() -> None:
    assert n.identifier(s("123-45 6789", "ab.12/3", " - ", None)).tolist() == [
        "123456789",
        "AB123",
        None,
        None,
    ]


def test_codes_written_as_whole_floats_lose_the_dot_zero_and_nothing_else_does() -> None:
    """How pandas writes numbers with gaps: 2119.0, 447700900123.0."""
    assert n.identifier(s("1804974.0", "1804974", "12.50", "1804974.00", "A1.0")).tolist() == [
        "1804974",
        "1804974",
        "1250",
        "180497400",
        "A10",
    ]
    assert n.postcode(
        s("2119.0", "2119", "SW1A1AA", "0.0"), s("AU", "AU", "GB", "AU")
    ).tolist() == [
        "2119",
        "2119",
        "SW1A 1AA",
        "0",
    ]
    e164, _, bad = n.phone(s("447700900123.0", "+447700900123", "07700900123.0"), gb(3))
    assert e164.tolist() == ["+447700900123", "+447700900123", "+447700900123"]
    assert not bad.any()


@given(st.integers(min_value=0, max_value=10**15))
def test_a_whole_float_code_is_the_integer_s_code(i: int) -> None:
    assert n.code1(f"{i}.0") == n.code1(str(i)) == str(i)
    assert n.identifier1(f"{i}.0") == n.identifier1(str(i))
    assert n.postcode1(f"{i}.0") == n.postcode1(str(i))


def test_account_attribute_numbers_stay_numbers() -> None:
    assert n.typed(s("5000", "2.5", "007", "-3", "1e3", "gold", None)).tolist() == [
        5000,
        2.5,
        "007",
        -3,
        "1e3",
        "gold",
        None,
    ]


def test_several_columns_join_with_one_space_blanks_skipped() -> None:
    joined = n.join_parts([s("12", "", None, " 7 "), s("High  St", "Low Rd", None, "")])
    assert joined.tolist() == ["12 High St", "Low Rd", None, "7"]
    assert n.join_parts1(["12", None, " High\tSt "]) == "12 High St"


def test_a_date_with_a_midnight_time_is_its_date_and_another_time_is_refused() -> None:
    """With the mapping's formats, as spreadsheets and databases export date columns; any
    other time is refused (a local midnight stored in UTC reads as the day before)."""
    midnight = [
        "3/7/1985 0:00",
        "03/07/1985 00:00",
        "03/07/1985 00:00:00",
        "03/07/1985 00:00:00.000",
        "3/7/1985 12:00:00 AM",
        "3/7/1985 12:00 am",
        "3/7/1985T00:00:00Z",
        "3/7/1985 00:00:00+00:00",
    ]
    other = ["3/6/1985 23:00", "3/7/1985 12:00 PM", "3/7/1985 0:01", "3/7/1985 00:00 +01:00"]
    iso, problem = dates.date(s(*midnight, *other, "03/07/1985"), ["%m/%d/%Y"])
    assert iso.tolist() == ["1985-03-07"] * 8 + [None] * 4 + ["1985-03-07"]
    assert problem.tolist() == [None] * 8 + ["invalid date"] * 4 + [None]


def test_a_zip_code_gets_back_the_leading_zeros_a_spreadsheet_dropped() -> None:
    """Only for countries that use ZIP codes: Australia's 2119 is a whole postcode."""
    written = s("2119", "2119.0", "501", "2119-1234", "02119", "90210", "21", "2119", "2119")
    where = s("US", "US", "US", "US", "US", "US", "US", "PR", "AU")
    assert n.postcode(written, where).tolist() == [
        *("02119", "02119", "00501", "02119-1234", "02119", "90210", "21", "02119", "2119"),
    ]
    assert [n.postcode1(v, c) for v, c in zip(written, where, strict=True)] == list(
        n.postcode(written, where)
    )


def test_full_name_split_both_orders() -> None:
    first, middle, last = names.split_full_name(
        s("Smith, John", "john paul SMITH", "Cher", "Smith, John Paul", "Ann Mary Jo Lee")
    )
    assert first.tolist() == ["John", "John", "Cher", "John", "Ann"]
    assert middle.tolist() == [None, "Paul", None, "Paul", "Mary Jo"]
    assert last.tolist() == ["Smith", "Smith", None, "Smith", "Lee"]


def test_a_full_name_splits_without_its_title_or_suffix() -> None:
    """ "Mr John Smith" had the first name "Mr" (no first name to matching) and "John Smith
    Jr." the surname "Jr."."""
    written = {
        "Mr John Smith": ("John", None, "Smith"),
        "Dr. Jane Q. Doe": ("Jane", "Q.", "Doe"),
        "John Smith Jr.": ("John", None, "Smith"),
        "John Smith, Jr.": ("John", None, "Smith"),
        "Mary Ann Smith III": ("Mary", "Ann", "Smith"),
        "Prof Alan Turing OBE": ("Alan", None, "Turing"),
        "Smith Jr, Mr John Paul": ("John", "Paul", "Smith"),
        "Smith, John, Jr": ("John", None, "Smith"),
        "Mrs. Smith": (None, None, "Smith"),
        "Dr Smith Jr": (None, None, "Smith"),
        "Smith,": (None, None, "Smith"),
        "Sir Elton John": ("Elton", None, "John"),
        # a word that is only a title or a suffix stays: it is all the record says
        "Mr": ("Mr", None, None),
        "John Jr": ("John", None, "Jr"),
        # names that look like one are kept: Junior and Ma are names too
        "Carlos Silva Junior": ("Carlos", "Silva", "Junior"),
        "Ling Ma": ("Ling", None, "Ma"),
    }
    assert {w: names.split_full_name1(w) for w in written} == written


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzé'-", min_size=1, max_size=8).filter(
    lambda w: w.strip(".,").lower() not in names.NAME_TITLES | names.NAME_SUFFIXES
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_WORD, min_size=2, max_size=5),
    st.sampled_from(sorted(names.NAME_TITLES)),
    st.sampled_from(sorted(names.NAME_SUFFIXES)),
    st.booleans(),
    st.booleans(),
)
def test_a_title_or_suffix_around_any_name_leaves_its_parts_as_they_were(
    words: list[str], title: str, suffix: str, dotted: bool, comma_order: bool
) -> None:
    dot = "." if dotted else ""
    plain = " ".join(words)
    expected = names.split_full_name1(plain)
    assert names.split_full_name1(f"{title.title()}{dot} {plain} {suffix.upper()}{dot}") == expected
    if comma_order:
        last, given = words[-1], " ".join(words[:-1])
        assert names.split_full_name1(f"{last} {suffix}, {title}{dot} {given}") == expected


def test_address_key_ignores_abbreviations_and_postcode_spacing() -> None:
    pc = n.postcode(s("sw1a1aa", "SW1A 1AA"), s("GB", "GB"))
    key = n.address_id(s("12 High St.", "12 high street"), pc, s("London", "LONDON"), s("GB", "gb"))
    assert key[0] == key[1] == "GB|SW1A1AA|12 high street"
    assert pc.tolist() == ["SW1A 1AA", "SW1A 1AA"]


def test_timestamps_to_iso_and_epoch_ms() -> None:
    iso, ms, bad = dates.timestamp(s("2025-01-02T03:04:05", "garbage"), None)
    assert iso[0] == "2025-01-02T03:04:05"
    assert ms[0] == 1735787045000
    assert bad.tolist() == [False, True]


def test_iso_times_outside_the_common_shapes_follow_the_one_value_rule() -> None:
    # pandas reads a bare year and Python does not; Python reads a compact date and an offset
    # of 60 minutes, pandas does not. The column gives what timestamp1 gives for each.
    iso, ms, bad = dates.timestamp(
        s("2020", "20200101T10", "2020-01-01T00:00-00:60", "0233-07-02"), None
    )
    assert iso.tolist() == [
        None,
        "2020-01-01T10:00:00",
        "2020-01-01T01:00:00",
        "0233-07-02T00:00:00",
    ]
    assert bad.tolist() == [True, False, False, False]
    assert ms.tolist() == [0, 1577872800000, 1577840400000, -54798681600000]
    # An offset that moves year 1 before the calendar's start is a bad value, not a crash.
    assert dates.timestamp1("0001-01-01T00:00+01:00", None) == (None, 0, True)


def _iso_text(when: datetime, shape: str, offset_minutes: int | None) -> str:
    text = when.strftime(shape).replace(f"{when.year}-", f"{when.year:04d}-", 1)
    if offset_minutes is None:
        return text
    zone = timezone(timedelta(minutes=offset_minutes))
    return (
        text
        + datetime(2000, 1, 1, tzinfo=zone).strftime("%z")[:3]
        + ":"
        + f"{abs(offset_minutes) % 60:02d}"
    )


ISO_SHAPES = ["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f"]
ISO_TIMES = st.builds(
    _iso_text,
    st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31)),
    st.sampled_from(ISO_SHAPES),
    st.one_of(st.none(), st.integers(-23 * 60 - 59, 23 * 60 + 59)),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(ISO_TIMES, st.from_regex(dates.COMMON_ISO, fullmatch=True), st.text(max_size=12)),
        max_size=8,
    )
)
def test_time_column_equals_its_one_value_rule(values: list[str]) -> None:
    iso, ms, bad = dates.timestamp(pd.Series(values, dtype=object), None)
    column = list(zip(iso.where(iso.notna(), None), ms.tolist(), bad.tolist(), strict=True))
    assert column == [dates.timestamp1(v, None) for v in values]


def test_00_is_read_as_the_international_prefix_where_the_country_dials_another() -> None:
    # The US dials 011 abroad, but "0044 ..." is how most of the world writes a UK number.
    assert n.phone_parts1("0044 7912 345678", "US") == ("+447912345678", "mobile", False)
    assert n.phone_parts1("0044 7912 345678", "GB") == ("+447912345678", "mobile", False)
