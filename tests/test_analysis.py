"""The analyzer on real Kiwi: content morphemes, English stems, compounds, offsets."""

from __future__ import annotations

import pickle
import unicodedata

import pytest

from indexer.analysis import compound_pieces, make_analyzer

ANALYZER = make_analyzer()


def terms(text: str, mode: str = "index") -> list[str]:
    return [token.text for token in ANALYZER(text, mode=mode)]


def spans(text: str) -> list[tuple[str, int, int, int]]:
    tokens = ANALYZER(text, positions=True, chars=True, mode="index")
    return [(t.text, t.pos, t.startchar, t.endchar) for t in tokens]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("협력을", ["협력"]),
        ("ILO와", ["ilo"]),
        ("AI를", ["ai"]),
        ("policies", ["polici"]),
        ("labour policy's", ["labour", "polici"]),
        ("US$2.8 million", ["us", "2.8", "million"]),
        ("the IT of it", ["it", "it"]),  # "it" is a real term here (IT), not a stopword
    ],
)
def test_content_terms(text: str, expected: list[str]) -> None:
    assert terms(text) == expected


def test_particles_endings_and_punctuation_are_dropped() -> None:
    assert terms("장관은 사무총장을 만나 협력을 제안했다.") == [
        "장관",
        "사무총장",
        "사무",
        "무총",
        "총장",
        "만나다",
        "협력",
        "제안",
    ]


def test_one_syllable_nouns_stay() -> None:
    assert "책" in terms("책을 읽었다")
    assert "법" in terms("법을 지켜야 한다")


def test_compound_keeps_whole_and_pieces_at_one_position() -> None:
    found = spans("국제노동기구")
    assert found[0] == ("국제노동기구", 0, 0, 6)
    assert {(text, pos) for text, pos, _, _ in found} >= {("국제", 0), ("노동", 0), ("기구", 0)}
    assert ("노동", 0, 2, 4) in found  # a piece's offsets point at its own syllables


def test_pieces_span_a_run_of_morphemes() -> None:
    # Kiwi cuts 노동권 inside a sentence as 노동 + 권 (suffix); the run still yields 동권.
    assert "동권" in terms("한국의 노동권을 보장")
    assert "동권" in terms("노동권")


def test_query_mode_has_no_pieces() -> None:
    assert terms("고용노동부", mode="query") == ["고용", "노동부"]
    assert compound_pieces("노동부") == ["노동", "동부"]
    assert compound_pieces("노동") == []
    assert compound_pieces("ILO") == []


def test_offsets_are_exact_in_mixed_text() -> None:
    text = "김 장관은 ILO와 국제협력을 논의했다. Labour policies matter."
    for term, _, start, end in spans(text):
        surface = text[start:end].lower()
        assert surface, term
    by_term = {term: text[start:end] for term, _, start, end in spans(text)}
    assert by_term["ilo"] == "ILO"
    assert by_term["협력"] == "협력"
    assert by_term["polici"] == "policies"


def test_a_morpheme_with_no_letters_is_dropped() -> None:
    # Kiwi reads 협력을게 with a restored 하 of length 0 before 게 (found by test_fuzz.py): a token
    # must cover text, or highlights and offsets break.
    assert spans("협력을게") == [("협력", 0, 0, 2)]


def test_positions_skip_dropped_particles() -> None:
    positions = {text: pos for text, pos, _, _ in spans("사무총장을 만나")}
    assert positions["만나다"] == positions["사무총장"] + 1


def test_nfd_input_is_normalised() -> None:
    assert terms(unicodedata.normalize("NFD", "협력을 강화")) == ["협력", "강화"]


def test_emoji_do_not_shift_offsets() -> None:
    text = "😀 노동권 🇰🇷 협력을"
    by_term = {term: text[start:end] for term, _, start, end in spans(text)}
    assert by_term["협력"] == "협력"


def test_analyzer_pickles_small_without_kiwi() -> None:
    # Stored in the index schema: a Kiwi inside would be reloaded by every open_dir.
    assert len(pickle.dumps(ANALYZER)) < 1000


def test_a_multi_word_name_is_its_words() -> None:
    # Kiwi's multi-word dictionary would index "캐나다 태평양 철도" as one term, which "철도" never finds.
    assert terms("캐나다 태평양 철도를 건설했다", mode="query") == ["캐나다", "태평양", "철도", "건설"]
