import pandas as pd

from app.ingestion import normalize as n


def s(*values: object) -> pd.Series:
    return pd.Series(list(values), dtype="str")


def test_phone_formats_become_one_e164_number() -> None:
    out, bad = n.phone(
        s("07700 900123", "+44 7700 900123", "0044 7700 900123", "(07700) 900-123", "7700900123"),
        "GB",
    )
    assert set(out) == {"+447700900123"}
    assert not bad.any()


def test_bracketed_trunk_zero_after_country_code_is_dropped() -> None:
    out, bad = n.phone(s("+44 (0)7700 900123", "0044 (0) 7700 900123"), "GB")
    assert set(out) == {"+447700900123"} and not bad.any()


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


def test_phone_too_short_is_an_error_and_missing_is_not() -> None:
    out, bad = n.phone(s("12", None, ""), "GB")
    assert bad.tolist() == [True, False, False]
    assert out.isna().all()


def test_email_is_trimmed_lowercased_and_checked() -> None:
    out, bad = n.email(s(" John.Smith@Example.COM ", "john@", "n/a", None))
    assert out[0] == "john.smith@example.com"
    assert bad.tolist() == [False, True, True, False]


def test_dates_with_format_and_impossible_dates() -> None:
    out, bad = n.date(s("03/02/1980", "31/02/1980", "01/01/2999"), "%d/%m/%Y")
    assert out[0] == "1980-02-03"
    assert bad.tolist() == [False, True, True]


def test_full_name_split_both_orders() -> None:
    first, last = n.split_full_name(s("Smith, John", "john paul SMITH", "Cher"))
    assert first.tolist()[:2] == ["John", "John"]
    assert last.tolist()[:2] == ["Smith", "Smith"]
    assert pd.isna(last[2])


def test_address_key_ignores_abbreviations_and_postcode_spacing() -> None:
    pc = n.postcode(s("sw1a1aa", "SW1A 1AA"))
    key = n.address_id(s("12 High St.", "12 high street"), pc, s("London", "LONDON"), s("GB", "gb"))
    assert key[0] == key[1] == "GB|SW1A1AA|12 high street"
    assert pc.tolist() == ["SW1A 1AA", "SW1A 1AA"]


def test_timestamps_to_iso_and_epoch_ms() -> None:
    iso, ms, bad = n.timestamp(s("2025-01-02T03:04:05", "garbage"), None)
    assert iso[0] == "2025-01-02T03:04:05"
    assert ms[0] == 1735787045000
    assert bad.tolist() == [False, True]
