import json
from pathlib import Path

import numpy as np
import pytest

from app.errors import ConfigError
from app.resolution.model import FIELD_TYPES, Labels, MatchModel, logit, train


def rec(**values: str) -> dict[str, str | None]:
    return {f: values.get(f) for f in FIELD_TYPES}


def toy_labels() -> Labels:
    labels = Labels()
    names = [("john", "smith"), ("mary", "jones"), ("ann", "lee"), ("raj", "patel"),
             ("li", "wang"), ("eva", "novak")]  # fmt: skip
    for i, (f, last) in enumerate(names):
        dob = f"19{60 + i}-01-0{1 + i}"
        one = rec(firstName=f, lastName=last, dateOfBirth=dob, email=f"{f}@x.com")
        typo = rec(firstName=f[:-1] + "e", lastName=last, dateOfBirth=dob)
        labels.match.append((one, typo))
        g, m = names[(i + 1) % len(names)]
        other = rec(firstName=g, lastName=m, dateOfBirth="2001-05-05")
        labels.distinct.append((one, other))
    return labels


def test_explanations_add_up_to_the_probability() -> None:
    model = train(toy_labels())
    pairs = [*toy_labels().match[:2], *toy_labels().distinct[:2]]
    dist = model.distances(pairs)
    probs = model.probabilities(pairs)
    for expl, p in zip(model.explain(dist), probs, strict=True):
        assert sum(expl.values()) + model.intercept == pytest.approx(logit(float(p)), abs=1e-3)
    assert probs[0] > 0.5 > probs[-1]


def test_saved_model_round_trips_and_refuses_other_fields(tmp_path: Path) -> None:
    model = train(toy_labels())
    path = tmp_path / "m.json"
    model.save(path)
    again = MatchModel.load(path)
    assert again.version == model.version
    body = json.loads(path.read_text())
    body["fields"] = {**body["fields"], "shoeSize": "Exact"}
    path.write_text(json.dumps(body))
    with pytest.raises(ConfigError, match=r"trained on other fields.*shoeSize"):
        MatchModel.load(path)
    body["format"] = "something-else/9"
    path.write_text(json.dumps(body))
    with pytest.raises(ConfigError, match=r"something-else/9.*Retrain"):
        MatchModel.load(path)


def test_training_file_errors_name_the_first_bad_pair(tmp_path: Path) -> None:
    path = tmp_path / "labels.json"
    good = [{"firstName": "a"}, {"firstName": "b"}]
    path.write_text(json.dumps({"match": [good, [{"firstName": "a"}]], "distinct": []}))
    with pytest.raises(ConfigError, match="match pair #2 is not a list of two records"):
        Labels.load(path)
    path.write_text(json.dumps({"match": [good], "distinct": [[{"shoe": 1}, {"x": 2}]]}))
    with pytest.raises(
        ConfigError, match=r"distinct pair #1 has unknown field\(s\) \['shoe', 'x'\]"
    ):
        Labels.load(path)


def test_labels_round_trip(tmp_path: Path) -> None:
    labels = toy_labels()
    labels.save(tmp_path / "l.json")
    again = Labels.load(tmp_path / "l.json")
    assert len(again) == len(labels)
    assert np.all(train(again).coef == train(labels).coef)
