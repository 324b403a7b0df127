"""The search box's name rules (app/search.py), without a store."""

from __future__ import annotations

import pytest

from app.search import EXACT, MIN_SCORE, NICKNAME, SOUNDS_ALIKE, name_score, word_score


@pytest.mark.parametrize(
    ("typed", "name", "first", "score"),
    [
        ("grace", "Grace", True, EXACT),
        ("bill", "William", True, NICKNAME),
        ("bill", "William", False, 0.0),  # nicknames are first names only
        ("smyth", "Smith", False, SOUNDS_ALIKE),
        ("zebedee", "Smith", False, 0.0),
    ],
)
def test_word_scores(typed: str, name: str, first: bool, score: float) -> None:
    assert word_score(typed, name, first) == score


def test_a_typo_scores_below_a_sound_and_above_the_floor() -> None:
    typo = word_score("grcae", "Grace", True)  # sounds differ (KRK, KRS)
    assert MIN_SCORE <= typo < SOUNDS_ALIKE


def test_two_words_need_both_names_and_may_come_swapped() -> None:
    assert name_score(["grace", "hopper"], "Grace", "Hopper") == EXACT
    assert 0.95 < name_score(["hopper", "grace"], "Grace", "Hopper") < EXACT
    assert name_score(["grace", "smith"], "Grace", "Hopper") == 0.0
