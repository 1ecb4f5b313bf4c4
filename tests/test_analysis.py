"""The analyzer on real Kiwi: content morphemes, English stems, compounds, offsets."""

from __future__ import annotations

import pickle
import unicodedata
from pathlib import Path

import pytest
from whoosh.fields import TEXT

from indexer.analysis import compound_pieces, index_terms, make_analyzer
from indexer.index import reindex
from indexer.schema import MorphemeField
from indexer.search import SearchEngine

ANALYZER = make_analyzer()
SEEDS = Path(__file__).resolve().parents[1] / "seeds"


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
        ("labour policy's", ["labor", "polici"]),  # American spelling
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


def term_offsets(text: str) -> list[tuple[str, int, int]]:
    return [(t.text, t.startchar, t.endchar) for t in ANALYZER(text, chars=True, mode="query")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Kiwi cut these at a sentence end: emplo + yment., p + olicy.
        (
            "발표. The ministry announced new employment.",
            [("발표", 0, 2), ("ministri", 8, 16), ("announc", 17, 26), ("new", 27, 30), ("employ", 31, 41)],
        ),
        ("정책 policy.", [("정책", 0, 2), ("polici", 3, 9)]),
        ("회의 meeting.", [("회의", 0, 2), ("meet", 3, 10)]),
        ("문서 document.", [("문서", 0, 2), ("document", 3, 11)]),
        ("고용 employment, 정책", [("고용", 0, 2), ("employ", 3, 13), ("정책", 15, 17)]),
        (
            "협력 (labour policy) 강화",
            [("협력", 0, 2), ("labor", 4, 10), ("polici", 11, 17), ("강화", 19, 21)],
        ),
        ("장관의 minister's 발언", [("장관", 0, 2), ("minist", 4, 14), ("발언", 15, 17)]),
        # Kiwi read the particles after these as nouns (을, 르) and a verb (늘다).
        ("co-operation을 강화", [("cooper", 0, 12), ("강화", 14, 16)]),  # one word, as cooperation
        ("policy를 강화", [("polici", 0, 6), ("강화", 8, 10)]),
        ("policy는 강화", [("polici", 0, 6), ("강화", 8, 10)]),
        ("AI를 활용", [("ai", 0, 2), ("활용", 4, 6)]),
        ("ILO와 협력", [("ilo", 0, 3), ("협력", 5, 7)]),
        ("COVID-19 대응", [("covid", 0, 5), ("19", 6, 8), ("대응", 9, 11)]),
        ("3.5% 성장", [("3.5", 0, 3), ("성장", 5, 7)]),
        ("US$2.8 지원", [("us", 0, 2), ("2.8", 3, 6), ("지원", 7, 9)]),
        ("IT 분야", [("it", 0, 2), ("분야", 3, 5)]),
        # Kiwi tags Cyrillic as a symbol, and then reads the particle after it as a noun.
        ("Москва와 협력", [("москва", 0, 6), ("협력", 8, 10)]),
        # Kiwi reads a URL as one W_URL token, which was not indexed: its words now are, as in English.
        (
            "자료는 https://www.ilo.org 참조",
            [
                ("자료", 0, 2),
                ("https", 4, 9),
                ("www", 12, 15),
                ("ilo", 16, 19),
                ("org", 20, 23),
                ("참조", 24, 26),
            ],
        ),
    ],
)
def test_latin_words_in_a_korean_line_are_whole_with_exact_offsets(
    text: str, expected: list[tuple[str, int, int]]
) -> None:
    assert term_offsets(text) == expected


@pytest.mark.parametrize(
    "words",
    [
        "new employment.",
        "policy.",
        "meeting.",
        "(document)",
        "co-operation",
        "minister's",
        "COVID-19",
        "G20",
        "MP3",
        "U.S.A.",
        "Ltd.",
        "https://www.ilo.org/seoul",
        "café naïve Straße",
    ],
)
def test_a_latin_word_has_the_same_terms_in_a_korean_line_as_in_an_english_one(words: str) -> None:
    # A Korean page's "employment." must be found by the English query "employment".
    english = term_offsets(words)
    assert term_offsets("노동 " + words) == [("노동", 0, 2)] + [(t, s + 3, e + 3) for t, s, e in english]


def test_an_english_word_in_a_korean_line_is_found_and_marked(tmp_path: Path) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "ko.txt").write_text("고용노동부 발표\n발표. The ministry announced new employment.\n")
    (corpus / "en.txt").write_text("Labour report\nThe ministry met the unions.\n")
    reindex([corpus], tmp_path / "index")
    engine = SearchEngine(tmp_path / "index")
    results = engine.search("employment")
    assert [hit.id for hit in results.hits] == ["ko.txt"]
    assert results.hits[0].snippet.endswith("announced new <mark>employment</mark>.")
    assert engine.mark_document("ko.txt", "employment").endswith("new <mark>employment</mark>.")
    assert engine.search("emplo", fuzzy=False).total == 0  # the broken piece is no term


# Hanja in Korean and English lines (readings, pieces), compounds cut by particles and Latin runs,
# stopwords, possessives, a restored morpheme, NFD and emoji: every step of the index-mode filters.
INDEX_TEXTS = [
    "國際勞動機構(ILO)와 勞動部, 大韓民國 憲法 第1條에 따라 規律과 旋律",
    "勞動 法律 國際勞動機構 in an English line of 漢字",
    "고용노동부를 국제노동기구와 서울고용센터에서 만나 노동권을 보장했다",
    "김 장관은 ILO와 AI를 policy는 Москва와 논의했다. Labour policies' co-operation matters.",
    "The IT of it: WHO, who and US$2.8 million; Beyoncé's non-profit",
    "협력을게 " + unicodedata.normalize("NFD", "협력을 강화") + " 😀 노동권 🇰🇷",
    "",
]


@pytest.mark.parametrize(
    "text", INDEX_TEXTS + [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
)
def test_index_terms_are_the_analyzers_tokens(text: str) -> None:
    assert index_terms(text) == spans(text)


def test_morpheme_field_postings_are_stock_whooshs() -> None:
    # Characters.word_values over the analyzer: what a TEXT field would write for the same text.
    stock = TEXT(analyzer=ANALYZER, stored=True, chars=True)
    for text in INDEX_TEXTS:
        assert sorted(MorphemeField().index(text)) == sorted(stock.index(text))
    assert sorted(MorphemeField().index(["a", "b"])) == sorted(stock.index(["a", "b"]))
