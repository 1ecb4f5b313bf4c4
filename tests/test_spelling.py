"""English spelling variants to one form, and accent folding (indexer/spelling.py)."""

from __future__ import annotations

import unicodedata

import pytest

from indexer.spelling import canonical_spelling, fold_accents


@pytest.mark.parametrize(
    ("british", "american"),
    [
        ("labour", "labor"),
        ("labours", "labors"),
        ("labourer", "laborer"),
        ("colourful", "colorful"),
        ("honourable", "honorable"),
        ("favourite", "favorite"),
        ("behavioural", "behavioral"),
        ("programme", "program"),
        ("programmes", "programs"),
        ("organisation", "organization"),
        ("organisations", "organizations"),
        ("organise", "organize"),
        ("realising", "realizing"),
        ("criticised", "criticized"),
        ("minimise", "minimize"),
        ("polarise", "polarize"),  # ends in -arise, yet no arise
        ("centre", "center"),
        ("centres", "centers"),
        ("centred", "centered"),
        ("metre", "meter"),
        ("theatre", "theater"),
        ("fibre", "fiber"),
        ("calibre", "caliber"),
        ("analyse", "analyze"),
        ("analysed", "analyzed"),
        ("paralysing", "paralyzing"),
        ("catalogue", "catalog"),
        ("catalogued", "cataloged"),
        ("cataloguing", "cataloging"),
        ("dialogue", "dialog"),
        ("defence", "defense"),
        ("defences", "defenses"),
        ("offence", "offense"),
        ("licence", "license"),
        ("grey", "gray"),
        ("aluminium", "aluminum"),
    ],
)
def test_british_spellings_become_american(british: str, american: str) -> None:
    assert canonical_spelling(british) == american
    assert canonical_spelling(american) == american  # the canonical form is a fixed point


@pytest.mark.parametrize(
    "word",
    [
        "hour",
        "hours",
        "four",
        "your",
        "yourself",
        "tourism",
        "pouring",
        "flour",
        "contour",
        "glamour",
        "journal",
        "courage",  # -our words American English shares
        "acre",
        "genre",
        "macabre",
        "timbre",
        "ogre",  # -re words it shares
        "advertise",
        "advertising",
        "exercised",
        "surprising",
        "promise",
        "premises",
        "compromising",
        "supervise",
        "unsupervised",
        "otherwise",
        "clockwise",
        "raise",
        "praise",
        "noise",
        "cruise",
        "enterprise",
        "paradise",
        "precise",
        "expertise",
        "rise",
        "wiser",  # -ise words it shares
        "analysis",
        "crisis",
        "basis",
        "fence",
        "science",
        "programmed",
        "labor",
        "",
    ],
)
def test_words_without_a_british_form_stay(word: str) -> None:
    assert canonical_spelling(word) == word


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Beyoncé", "Beyonce"),
        ("naïve café", "naive cafe"),
        ("Müller", "Muller"),
        ("Straße", "Strasse"),
        ("Łódź", "Lodz"),
        ("Ærøskøbing", "AEroskobing"),
        ("São Tomé", "Sao Tome"),
        ("plain", "plain"),
        ("한글 é", "한글 e"),  # Hangul untouched
        ("हिन्दी", "हिन्दी"),  # so are other scripts' vowel signs and viramas
        ("", ""),
    ],
)
def test_fold_accents(text: str, folded: str) -> None:
    assert fold_accents(text) == folded


def test_fold_accents_reads_decomposed_text_and_keeps_hangul_composed() -> None:
    assert fold_accents(unicodedata.normalize("NFD", "Beyoncé")) == "Beyonce"
    assert fold_accents(unicodedata.normalize("NFD", "고용노동부")) == "고용노동부"
