"""The model learned without labels: what each EM session may learn, the share of matches
among pairs that share a value, and what that does to a household's records."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from app.resolution import family, unsupervised
from app.resolution.blocking import candidate_pairs, rule_comparisons
from app.resolution.cluster import cluster
from app.resolution.evaluate import pairwise
from app.resolution.family import (
    HOUSEHOLD_VALUES,
    family_mask,
    household_weights,
    same_value_pair_count,
    same_value_pairs,
    shared_value_counts,
)
from app.resolution.fields import derive
from app.resolution.fields import sparse as sparse_records
from app.resolution.model import probability
from app.resolution.records import frame
from app.resolution.scoring import pair_levels, score_pairs
from app.resolution.training import TrainingSet, train
from app.resolution.unsupervised import (
    FOLLOWS,
    estimate_m,
    estimate_u,
    session_posterior,
    session_share,
    unsupervised_start,
)
from app.settings import Settings


def _distribution(rng: np.random.Generator, k: int) -> np.ndarray:
    x = rng.random(k) + 0.01
    return x / x.sum()


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), pairs=st.integers(1, 400), comparisons=st.integers(1, 4))
def test_the_session_share_is_the_mean_chance_of_a_match_and_leaves_m_and_u(
    seed: int, pairs: int, comparisons: int
) -> None:
    """EM for the share alone: it ends where the share equals the mean of the pairs' chances
    of being a match computed with it, and m and u are what they were."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 6, size=comparisons)
    m = [_distribution(rng, int(k)) for k in sizes]
    u = [_distribution(rng, int(k)) for k in sizes]
    before = [x.copy() for x in m + u]
    levels = np.column_stack([rng.integers(-1, int(k), size=pairs) for k in sizes]).astype(np.int8)
    free = list(range(comparisons))

    post, share = session_share(levels, free, u, m)

    assert np.array_equal(post, session_posterior(levels, free, u, m, share))
    assert abs(float(post.mean()) - share) < 1e-6
    assert all(np.array_equal(a, b) for a, b in zip(m + u, before, strict=True))


def test_the_prior_is_the_share_of_matches_the_model_expects_among_all_pairs(
    synth_records,
) -> None:
    """The prior is fitted by EM with the weights fixed: the chance of a match it gives two
    records is the number of matches the finished model expects among the candidate pairs
    over all pairs of the task. (It was once fitted to log-odds that already held an earlier
    prior, which counted the prior twice: a quarter of the matches on Splink's historical
    persons, every probability too low.)"""
    ts = TrainingSet.build(synth_records, {})
    begun = unsupervised_start(ts, cap=50, seed=0)
    model = begun.model
    logits = model.logits(begun.levels, ts.cols, begun.pool.left)
    expected = float(probability(logits).sum())
    share = float(probability(np.array([model.prior]))[0])

    assert abs(expected / ts.pair_count - share) <= 1e-6 * share
    # training without labels takes these log-odds as the start's evidence plus the prior
    assert np.array_equal(model.prior + begun.evidence, logits)


def test_the_email_is_not_learned_where_pairs_share_their_names(synth_records) -> None:
    """E-mail user names are built from names, so among pairs blocked on names they agree
    between different people far more often than u says: those sessions leave the e-mail to
    the others."""
    ts = TrainingSet.build(synth_records, {})
    rng = np.random.default_rng(0)
    _, sessions, _ = estimate_m(ts, estimate_u(ts, rng)[0], rng, 50)
    names = {"firstName", "lastName"}
    learned_email = [s["rule"] for s in sessions if "email" in s["learned"]]
    assert len(learned_email) == 1, sessions
    for s in sessions:
        blocked = rule_comparisons(tuple(s["rule"].split("+")))
        assert not ("email" in s["learned"] and blocked & names), s
    assert FOLLOWS["email"] == ("firstName", "lastName")


def test_each_comparison_is_learned_in_the_first_session_it_is_free_in(
    synth_records, monkeypatch
) -> None:
    """Sessions run in SESSION_RULES' order, the most trusted first, and a comparison's m is
    the first session's that had it free: a later one's pairs may be largely strangers (on
    the noisy town the session on birth dates put m of a national ID differing at 0.33
    where the session on names found 0.026 and the truth says 0.021), and the mean of the
    two was 0.18."""
    ts = TrainingSet.build(synth_records, {})
    found: list[list[np.ndarray]] = []
    em = unsupervised.em_session

    def kept(*args, **kwargs):  # the real session, its result kept for the comparison
        m, share = em(*args, **kwargs)
        found.append(m)
        return m, share

    monkeypatch.setattr(unsupervised, "em_session", kept)
    rng = np.random.default_rng(0)
    m, sessions, _ = estimate_m(ts, estimate_u(ts, rng)[0], rng, 50)
    names = [c.name for c in ts.comparisons]
    learned = [name for s in sessions for name in s["learned"]]
    assert sorted(learned) == sorted(names)  # each once
    assert len(sessions) >= 2
    for session, ms in zip(sessions, found, strict=True):
        for name in session["learned"]:
            j = names.index(name)
            assert np.allclose(m[j], ms[j] / ms[j].sum())


def test_without_labels_a_household_sharing_a_landline_stays_apart(
    synth_records: pd.DataFrame, synth_truth: pd.Series
) -> None:
    """The test population's households share surnames, addresses and landlines. The share of
    pairs sharing a landline that are one person is estimated with m as the sessions on
    names and birth dates learned it; refitting m over those pairs took a household for one
    person (precision 0.9734 on this population)."""
    ts = TrainingSet.build(synth_records, {})
    model, _ = train(ts, [])
    cand = candidate_pairs(ts.cols, model.rules, 50, None)
    levels, logits = score_pairs(model, ts.cols, cand.left, cand.right)
    clustering = cluster(
        len(ts),
        cand.left,
        cand.right,
        probability(logits),
        0.5,
        sparse=sparse_records(ts.cols),
        floor=0.2,
        against=model.against(levels),
    )
    scores = pairwise(pd.Series(clustering.labels, index=synth_records.index), synth_truth)
    assert scores.precision >= 0.98, scores


def test_without_labels_two_members_of_a_family_are_two_people(synth_records) -> None:
    """Surname, address and landline agreeing, no birth date: with first names that differ
    the two are a family (no match), with one first name or its nickname one person. Adding
    the weights as if the fields were independent made the family a match (0.9974 on this
    population before the household weights)."""
    model, _ = train(TrainingSet.build(synth_records, {}), [])
    household = {
        "source": "crm",
        "lastName": "Stevenson",
        "street": "38 Grace Terrace",
        "postcode": "B21 5DP",
        "city": "Birmingham",
        "phone": "+441212190330",
        "phoneType": "landline",
    }

    def chance(first_a: str, first_b: str) -> float:
        rows = [
            {"customerId": "crm:1", **household, "firstName": first_a},
            {"customerId": "crm:2", **household, "firstName": first_b},
        ]
        logit = model.score(derive(frame(rows)), np.array([0]), np.array([1]))
        return float(probability(logit)[0])

    threshold = Settings().match_threshold
    assert chance("Danny", "Ricky") < threshold
    assert chance("Danny", "Danny") > threshold
    assert chance("Daniel", "Danny") > threshold

    def shared(first_a: str, first_b: str) -> list[float]:
        """What the shared address and landline push."""
        rows = [
            {"customerId": "crm:1", **household, "firstName": first_a},
            {"customerId": "crm:2", **household, "firstName": first_b},
        ]
        cols = derive(frame(rows))
        levels = model.levels(cols, np.array([0]), np.array([1]))
        pushes = model.contributions(levels, cols, np.array([0]))[0]
        names = [c.name for c in model.comparisons]
        return [float(pushes[names.index(n)]) for n in ("address", "phone")]

    # Names only somewhat alike ("Mark" and "Mary") are a family's too: what they share
    # counts as it does for "Danny" and "Ricky", less than for one person's records.
    family = shared("Danny", "Ricky")
    assert shared("Mark", "Mary") == family
    assert all(a < b for a, b in zip(family, shared("Danny", "Danny"), strict=True))


@settings(max_examples=50, deadline=None)
@given(codes=st.lists(st.integers(-1, 6), min_size=0, max_size=40), k=st.integers(0, 50))
def test_same_value_pairs_share_a_value_and_are_two_records(codes: list[int], k: int) -> None:
    values = np.asarray(codes, dtype=np.int64)
    left, right = same_value_pairs(values, k, np.random.default_rng(0))
    every = {
        (a, b)
        for a in range(len(values))
        for b in range(a + 1, len(values))
        if values[a] >= 0 and values[a] == values[b]
    }
    if len(every) <= k:  # each once
        assert sorted(zip(left.tolist(), right.tolist(), strict=True)) == sorted(every)
    else:  # k drawn among them
        assert len(left) == k
        assert {(min(a, b), max(a, b)) for a, b in zip(left, right, strict=True)} <= every
    assert (left != right).all()


@settings(max_examples=50, deadline=None)
@given(codes=st.lists(st.integers(-1, 6), min_size=0, max_size=40))
def test_same_value_pair_count_is_every_pair_sharing_a_value(codes: list[int]) -> None:
    values = np.asarray(codes, dtype=np.int64)
    every = [
        (a, b)
        for a in range(len(values))
        for b in range(a + 1, len(values))
        if values[a] >= 0 and values[a] == values[b]
    ]
    assert same_value_pair_count(values) == len(every)


def test_families_sharing_a_value_are_counted_among_every_pair_sharing_a_surname(
    synth_records,
) -> None:
    """The family pairs at a shared street, number or e-mail, counted by enumerating the
    records that share a surname and the value, are those among every same-surname pair."""
    ts = TrainingSet.build(synth_records, {})
    model, _ = train(ts, [])
    codes = ts.cols.codes["last"]
    left, right = same_value_pairs(codes, same_value_pair_count(codes), np.random.default_rng(0))
    levels = pair_levels(ts.comparisons, ts.cols, left, right, 1)
    family = family_mask(ts, model, levels)
    names = [c.name for c in ts.comparisons]
    counted = {}
    for field, (_, shared) in HOUSEHOLD_VALUES.items():
        at = levels[family, names.index(field)]
        counted[field] = shared_value_counts(ts, model, field, 1)
        assert counted[field] == {level: int((at == level).sum()) for level in shared}
    assert counted["address"][0] > 0 and counted["phone"][1] > 0  # families share them here


def test_whether_a_shared_value_is_weighed_as_a_familys_does_not_depend_on_the_seed(
    synth_records, monkeypatch
) -> None:
    """With a sample of same-surname pairs far smaller than all of them, the levels of one
    shared value get a household weight or not whatever the seed: their family pairs are
    counted in full, not in the sample."""
    ts = TrainingSet.build(synth_records, {})
    model, _ = train(ts, [])
    monkeypatch.setattr(family, "FAMILY_PAIRS", 200)  # of 2,646 pairs sharing a surname

    def weighed(seed: int) -> set[tuple[str, int]]:
        extra, _ = household_weights(ts, model, np.random.default_rng(seed))
        return {
            (field, level)
            for field, (_, shared) in HOUSEHOLD_VALUES.items()
            for level in shared
            if field in extra and extra[field][level] < 0
        }

    first = weighed(0)
    assert ("address", 0) in first and ("phone", 1) in first
    assert all(weighed(seed) == first for seed in range(1, 8))


def test_a_level_the_data_never_shows_is_not_evidence(synth_records) -> None:
    """Trained on records without streets, the address levels that need one were never seen:
    they weigh 0, so two records at one street, from a source loaded after training, are
    not pushed apart by it. The levels the data shows keep what they learned."""
    without = synth_records.assign(street=None)
    model = unsupervised_start(TrainingSet.build(without, {}), cap=50, seed=0).model
    (address,) = [c for c in model.comparisons if c.name == "address"]
    needs_street = (
        "same street and place",
        "similar street, same place",
        "same street elsewhere",
        "same place, another street",
    )
    labels = next(spec for spec in model.specs() if spec.name == "address").levels
    weights = dict(zip(labels, address.weights, strict=True))
    assert [weights[level] for level in needs_street] == [0.0, 0.0, 0.0, 0.0]
    assert weights["same place, a street missing"] > 0
    assert weights["different"] < 0
    with_streets = unsupervised_start(TrainingSet.build(synth_records, {}), cap=50, seed=0).model
    (learned,) = [c for c in with_streets.comparisons if c.name == "address"]
    assert dict(zip(labels, learned.weights, strict=True))["same street and place"] > 0


def _many_records_a_person(people: int, each: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """`each` records of every person, as in Splink's fake_1000: names from small pools (so
    a name alone says little), birth dates near unique, a third of every field blank."""
    rng = np.random.default_rng(seed)
    firsts = [f"First{i}" for i in range(25)]
    lasts = [f"Last{i}" for i in range(25)]
    cities = [f"City{i}" for i in range(8)]
    start = pd.Timestamp("1940-01-01")
    rows, person = [], []
    for p in range(people):
        first, last = rng.choice(firsts), rng.choice(lasts)
        born = (start + pd.Timedelta(days=int(rng.integers(0, 365 * 65)))).date().isoformat()
        city = rng.choice(cities)
        for r in range(each):
            values = {"firstName": first, "lastName": last, "dateOfBirth": born, "city": city}
            blank = rng.random(len(values)) < 1 / 3
            rows.append(
                {
                    "customerId": f"crm:{p}-{r}",
                    **{k: v for (k, v), b in zip(values.items(), blank, strict=True) if not b},
                }
            )
            person.append(p)
    return frame(rows), np.array(person)


def test_where_each_person_has_many_records_a_shared_birth_date_is_counted_as_one_persons() -> None:
    """u is how often two *different* people agree. Agreement on a birth date was counted
    over all pairs, one person's pairs included; where everyone has four records those are
    most of the pairs sharing a birth date, so sharing one looked common between strangers
    (Splink's fake_1000: two records sharing only their birth date scored 0.41, though
    almost every such pair there is one person). Now, as for a phone, EM over the pairs that
    share a birth date says which share are one person's, and u counts the rest."""
    records, person = _many_records_a_person(250, 4, seed=1)
    ts = TrainingSet.build(records, {})
    model = unsupervised_start(ts, cap=50, seed=0).model
    (dob,) = [c for c in model.comparisons if c.name == "dateOfBirth"]

    dates = records["dateOfBirth"].to_numpy()
    left, right = np.triu_indices(len(records), k=1)
    both = pd.notna(dates[left]) & pd.notna(dates[right])
    strangers = both & (person[left] != person[right])
    agree = dates[left] == dates[right]
    share_between_strangers = float((agree & strangers).sum() / strangers.sum())
    share_of_one_persons = float((agree & both & ~strangers).sum() / (agree & both).sum())
    assert share_of_one_persons > 0.98  # the data: a shared birth date is one person's
    all_pairs_share = float((agree & both).sum() / both.sum())
    # u is the strangers' share, not the share over all pairs (about 90 times it here)
    assert dob.u[0] < 2 * share_between_strangers + 1 / both.sum()
    assert all_pairs_share > 50 * dob.u[0]

    only_dob = [{"customerId": "crm:a", "dateOfBirth": "1971-06-24"}]
    only_dob.append({"customerId": "crm:b", "dateOfBirth": "1971-06-24"})
    logit = model.score(derive(frame(only_dob)), np.array([0]), np.array([1]))
    assert float(probability(logit)[0]) > Settings().match_threshold


def test_where_each_person_has_many_records_a_names_frequency_counts_other_people() -> None:
    """A name's term frequency is how often other people hold it. Its count includes the
    record's own person's other records, which where each person has several are a large
    part of it; the model takes off the records it expects one person to share a name with,
    so the count it uses is nearer the truth's (the record and other people's records)."""
    records, person = _many_records_a_person(250, 4, seed=1)
    model = unsupervised_start(TrainingSet.build(records, {}), cap=50, seed=0).model
    table = model.term_frequencies["firstName"]
    first = derive(records)["first"]
    held = pd.notna(first)
    names, people = pd.Series(first[held]), person[held]
    count = names.map(names.value_counts()).to_numpy()
    theirs = pd.Series(list(zip(names, people, strict=True)))
    own = theirs.map(theirs.value_counts()).to_numpy() - 1  # its person's other records
    truth = count - own
    used = np.maximum(count - table.own, 1.0)
    assert table.own > 0
    assert np.abs(used - truth).mean() < np.abs(count - truth).mean()
