"""The Hangul toolkit for forgiving search: jamo, the 2-beolsik keyboard, and the fuzzy and 초성 indexes.

The vocabulary tests use the bundled seeds analysed by the real Kiwi, as an index's terms would be.
"""

from __future__ import annotations

import random
import time
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from indexer.analysis import make_analyzer
from indexer.fuzzy import ENGLISH, ChoseongIndex, FuzzyIndex, edit_budget
from indexer.index import bundled_seeds
from indexer.jamo import choseong, choseong_query, compose, join_syllable, keystrokes, letters, split_syllable
from indexer.keyboard import (
    NEIGHBOURS,
    hangul_to_latin,
    is_korean_slip,
    keystroke_distance,
    latin_to_hangul,
    unit_cost,
    word_distance,
)


@pytest.fixture(scope="module")
def seeds_vocabulary() -> Counter[str]:
    """Every term of the bundled seeds with its count, through the analyzer queries use."""
    analyzer = make_analyzer()
    counts: Counter[str] = Counter()
    for path in sorted(Path(bundled_seeds()).iterdir()):
        counts.update(token.text for token in analyzer(path.read_text(encoding="utf-8"), mode="query"))
    return counts


# --- jamo ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("syllable", "parts"),
    [
        ("한", ("ㅎ", "ㅏ", "ㄴ")),
        ("가", ("ㄱ", "ㅏ", "")),
        ("닭", ("ㄷ", "ㅏ", "ㄺ")),
        ("의", ("ㅇ", "ㅢ", "")),
        ("쇠", ("ㅅ", "ㅚ", "")),
        ("까", ("ㄲ", "ㅏ", "")),
        ("값", ("ㄱ", "ㅏ", "ㅄ")),
        ("힣", ("ㅎ", "ㅣ", "ㅎ")),
    ],
)
def test_syllables_split_into_initial_medial_final_and_join_back(syllable: str, parts: tuple) -> None:
    assert split_syllable(syllable) == parts
    assert join_syllable(*parts) == syllable


def test_what_is_no_syllable_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="not a Hangul syllable"):
        split_syllable("a")
    with pytest.raises(ValueError, match="no syllable"):
        join_syllable("ㄳ", "ㅏ")  # a cluster is no initial
    with pytest.raises(ValueError, match="no syllable"):
        join_syllable("ㄱ", "ㅏ", "ㄸ")  # ㄸ is never a final


@pytest.mark.parametrize(
    ("text", "strokes"),
    [
        ("고용노동부", "ㄱㅗㅇㅛㅇㄴㅗㄷㅗㅇㅂㅜ"),
        ("과", "ㄱㅗㅏ"),  # compound vowels are two keystrokes
        ("의", "ㅇㅡㅣ"),
        ("외", "ㅇㅗㅣ"),
        ("넋", "ㄴㅓㄱㅅ"),  # so are final clusters
        ("닭", "ㄷㅏㄹㄱ"),
        ("까치", "ㄲㅏㅊㅣ"),  # a double consonant is one (Shift+ㄱ)
        ("ㅘ", "ㅗㅏ"),  # compatibility jamo are split the same way
        ("ㄳ", "ㄱㅅ"),
        ("ILO와 협력", "ILOㅇㅗㅏ ㅎㅕㅂㄹㅕㄱ"),  # other characters are kept
        ("", ""),
    ],
)
def test_keystrokes(text: str, strokes: str) -> None:
    assert keystrokes(text) == strokes


def test_nfd_hangul_and_conjoining_jamo_read_as_compatibility_jamo() -> None:
    assert letters(unicodedata.normalize("NFD", "한글")) == "ㅎㅏㄴㄱㅡㄹ"
    assert letters("\u1100\u1161") == "ㄱㅏ"  # an initial and a medial compose under NFC: 가
    assert letters("\u11a8") == "ㄱ"  # a lone conjoining final
    assert keystrokes(unicodedata.normalize("NFD", "의")) == "ㅇㅡㅣ"


@pytest.mark.parametrize(
    ("strokes", "text"),
    [
        ("ㄱㅗㅇㅛㅇ", "고용"),  # the final moves to the next syllable: not 공ㅛㅇ
        ("ㅇㅏㄴㄴㅕㅇ", "안녕"),
        ("ㄴㅓㄱㅅ", "넋"),  # ㄱ + ㅅ join as a final cluster
        ("ㄴㅓㄱㅅㅇㅣ", "넋이"),
        ("ㄴㅓㄱㅅㅣ", "넉시"),  # a vowel after a cluster takes its second half
        ("ㄷㅏㄹㄱ", "닭"),
        ("ㅇㅡㅣㅅㅏ", "의사"),
        ("ㄱㅗㅏㅇㅗㅣ", "과외"),
        ("ㄸㅏㄸㅏ", "따따"),  # ㄸ is never a final: it starts the next syllable
        ("ㅗㅏ", "ㅘ"),  # a lone compound vowel
        ("ㄱㅅ", "ㄱㅅ"),  # no vowel, no syllable
        ("ㄱㄱ", "ㄱㄱ"),  # doubling needs Shift on 2-beolsik
        ("ㅏㄴ", "ㅏㄴ"),
        ("ㄱㅏ 2ㄴㅏ", "가 2나"),
        ("", ""),
    ],
)
def test_compose_follows_the_input_method(strokes: str, text: str) -> None:
    assert compose(strokes) == text


def test_compose_undoes_keystrokes_for_every_syllable() -> None:
    every = "".join(chr(code) for code in range(0xAC00, 0xD7A4))
    assert compose(keystrokes(every)) == every  # 11,172 syllables typed one after another
    for code in range(0xAC00, 0xD7A4):
        assert compose(keystrokes(chr(code))) == chr(code)


@pytest.mark.parametrize(
    ("word", "initials"),
    [
        ("고용노동부", "ㄱㅇㄴㄷㅂ"),
        ("까치", "ㄲㅊ"),
        ("쌍둥이", "ㅆㄷㅇ"),
        ("의원", "ㅇㅇ"),
        ("ILO협력", "ILOㅎㄹ"),
        ("ㄱㅇ", "ㄱㅇ"),
        ("", ""),
    ],
)
def test_choseong(word: str, initials: str) -> None:
    assert choseong(word) == initials


@pytest.mark.parametrize(
    ("query", "initials"),
    [
        ("ㄱㅇㄴㄷㅂ", "ㄱㅇㄴㄷㅂ"),
        ("ㄱㅇ ㄴㄷㅂ", "ㄱㅇㄴㄷㅂ"),
        ("ㄲㅊ", "ㄲㅊ"),
        ("ㄳ", "ㄱㅅ"),  # an input method makes ㄳ of ㄱ then ㅅ typed without a vowel
        ("고용", None),
        ("ㄱㅏ", None),
        ("ㄱㅇa", None),
        ("", None),
        ("  ", None),
        ("ㅏ", None),
    ],
)
def test_choseong_query(query: str, initials: str | None) -> None:
    assert choseong_query(query) == initials


# --- the keyboard -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("rhdyd", "고용"),
        ("dkssud", "안녕"),
        ("gksrmf", "한글"),
        ("rkskek", "가나다"),
        ("sjrt", "넋"),  # ㄱ+ㅅ → ㄳ
        ("dml", "의"),
        ("dhlrnrdj", "외국어"),  # compound vowels
        ("Rkcl", "까치"),
        ("Tkd", "쌍"),  # Shift types the double consonants
        ("rhdyd shehdqn", "고용 노동부"),
        ("rhdyd2025", "고용2025"),
        ("rhind", "고ㅑㅜㅇ"),
        ("", ""),
    ],
)
def test_latin_typed_in_english_mode_becomes_the_hangul_meant(typed: str, meant: str) -> None:
    assert latin_to_hangul(typed) == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("ㅗ디ㅣㅐ", "hello"),
        ("고용", "rhdyd"),
        ("한글", "gksrmf"),
        ("까치", "Rkcl"),
        ("ㅔㅛㅅㅗㅐㅜ", "python"),
        ("과외", "rhkdhl"),
        ("ILO 협력", "ILO guqfur"),
        ("", ""),
    ],
)
def test_hangul_typed_in_korean_mode_becomes_the_latin_meant(typed: str, meant: str) -> None:
    assert hangul_to_latin(typed) == meant


def test_slips_round_trip() -> None:
    for word in ("고용노동부", "국제노동기구", "넋두리", "읽었다", "쌍둥이", "의원"):
        assert latin_to_hangul(hangul_to_latin(word)) == word


@pytest.mark.parametrize(
    ("run", "slip"),
    [
        ("rhdyd", True),
        ("dkssud", True),
        ("gksrmf", True),
        ("Rkcl", True),
        ("rhind", False),
        ("hello", False),
        ("policy", False),
        ("ILO", False),
        ("rhdyd2", False),
        ("rhdyd shehdqn", False),
        ("", False),
        ("고용", False),
    ],
)
def test_is_korean_slip(run: str, slip: bool) -> None:
    assert is_korean_slip(run) is slip


def test_neighbours_are_the_touching_keys_of_the_layout() -> None:
    def touching(a: str, b: str) -> bool:
        return frozenset((a, b)) in NEIGHBOURS

    assert touching("ㅜ", "ㅠ") and touching("ㅜ", "ㅡ")  # N between B and M
    assert touching("ㅜ", "ㅗ") and touching("ㅜ", "ㅓ")  # and under H and J
    assert touching("ㅇ", "ㄹ") and touching("ㅂ", "ㅁ") and touching("ㅈ", "ㄴ")
    assert touching("ㄱ", "ㄲ") and touching("ㅐ", "ㅒ")  # Shift missed
    assert touching("ㅁ", "ㅋ") and touching("ㅣ", "ㅔ")  # A over Z, L under P
    assert not touching("ㅂ", "ㄷ") and not touching("ㅂ", "ㅔ") and not touching("ㅋ", "ㅂ")


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("고용노동부", "고용노동부", 0),
        ("고용노동부", "고용노동뷰", 0.5),  # ㅜ → ㅠ, touching keys
        ("고용노동부", "고용노동두", 1),  # ㅂ → ㄷ, far apart
        ("과", "가", 1),
        ("의", "이", 1),
        ("외", "오", 1),  # half a compound vowel dropped
        ("닭", "달", 1),  # half a final cluster dropped
        ("까", "가", 0.5),
        ("고용", "공요", 1),  # a swap of two keystrokes is one edit
        ("", "가", 2),
        ("", "", 0),
    ],
)
def test_word_distance(a: str, b: str, distance: float) -> None:
    assert word_distance(a, b) == distance
    assert word_distance(b, a) == distance


def test_plain_edit_count_ignores_the_keyboard() -> None:
    assert keystroke_distance("ㅂㅜ", "ㅂㅠ", unit_cost) == 1
    assert keystroke_distance("ㅗㅏ", "ㅏㅗ", unit_cost) == 1


# --- the fuzzy and 초성 indexes -----------------------------------------------------------------------


def test_edit_budget_grows_with_the_keystrokes() -> None:
    words = ("가", "고", "한", "고용", "노동부", "고용노동부")
    assert [edit_budget(len(keystrokes(word))) for word in words] == [0, 0, 1, 1, 1, 2]


def test_fuzzy_lookup_on_the_seeds(seeds_vocabulary: Counter[str]) -> None:
    index = FuzzyIndex(seeds_vocabulary.items())
    assert index.lookup("노동뷰")[0].term == "노동부"  # one keystroke to a touching key
    assert index.lookup("노동뷰")[0].distance == 0.5
    assert index.lookup("사무촐장")[0].term == "사무총장"  # ㄹ for ㅇ: F beside D
    assert index.lookup("국제노동기귀")[0].term == "국제노동기구"
    assert index.lookup("협력")[0] == ("협력", 0, seeds_vocabulary["협력"])  # a known term comes first
    assert index.lookup("ILO") == [] and index.lookup("") == [] and index.lookup("고용a") == []


def test_fuzzy_lookup_ranks_by_distance_then_frequency() -> None:
    index = FuzzyIndex(
        [
            ("고용노동부", 50),
            ("고용노동청", 3),
            ("고용", 300),
            ("공용", 20),
            ("고영", 5),
            ("고용", 10),
            ("policy", 99),
            ("가", 1000),
            ("각", 9),
        ]
    )
    assert len(index) == 7  # the Latin term left out, 고용 counted once
    assert [c.term for c in index.lookup("고용노동뷰")] == ["고용노동부"]
    assert index.lookup("고용") == [("고용", 0, 310), ("고영", 0.5, 5), ("공용", 1, 20)]
    assert [c.term for c in index.lookup("곻용")] == ["고용", "공용"]  # same distance: the frequent first
    assert index.lookup("가") == [("가", 0, 1000)]  # two keystrokes: no edits allowed
    assert index.lookup("각") == [("각", 0, 9), ("가", 1, 1000)]
    assert index.lookup("고용", limit=1) == [("고용", 0, 310)]
    assert FuzzyIndex([]).lookup("고용") == []


def test_english_lookup_is_one_edit_anywhere_the_frequent_first() -> None:
    words = [("emma", 3), ("wbma", 1), ("church", 9), ("chur", 2), ("고용", 5), ("ma", 7)]
    index = FuzzyIndex(words, ENGLISH)
    assert len(index) == 5  # the Hangul term left out
    assert [c.term for c in index.lookup("wmma")] == ["emma", "wbma"]  # the first letter too
    assert index.lookup("chruch") == [("church", 1, 9)]  # a swap is one edit; chur is two away
    assert [c.term for c in index.lookup("mam")] == ["ma"]  # three letters: one edit
    assert index.lookup("mb") == [] and index.lookup("고용") == []  # two letters: none; no Hangul


def test_fuzzy_lookup_bounds_the_work_of_long_words() -> None:
    """A word's deletions grow with the square of its length: words past the cap are not looked up."""
    long_term = "가나다라마바사아자차카타파하" * 4  # 56 syllables, 112 keystrokes
    index = FuzzyIndex([(long_term, 5), ("고용", 3), ("가" * 3000, 1)])
    assert index.terms == ["고용"]
    started = time.perf_counter()
    assert index.lookup(long_term) == [] and index.lookup("가" * 1000) == []
    assert time.perf_counter() - started < 1  # a DoS guard, not a speed test
    assert index.lookup("고용") == [("고용", 0, 3)]


def test_fuzzy_lookup_finds_exactly_what_a_scan_finds(seeds_vocabulary: Counter[str]) -> None:
    """The deletion index against a comparison with every term, for typos of the seeds' terms."""
    index = FuzzyIndex(seeds_vocabulary.items())
    terms = list(zip(index.terms, index.strokes, strict=True))
    alphabet = sorted({stroke for _, strokes in terms for stroke in strokes})
    rng = random.Random(16)
    checked = 0
    for term, strokes in terms:
        for _ in range(5):
            typo = list(strokes)
            for _ in range(rng.choice((1, 2))):
                at = rng.randrange(len(typo) + 1)
                edit = rng.choice("ids") if typo else "i"
                if edit == "i":
                    typo.insert(at, rng.choice(alphabet))
                elif at < len(typo):
                    if edit == "d":
                        del typo[at]
                    else:
                        typo[at] = rng.choice(alphabet)
            query = compose("".join(typo))
            if not query or not all("가" <= char <= "힣" for char in query):
                continue
            query_strokes = keystrokes(query)
            budget = edit_budget(len(query_strokes))
            expected = {
                name
                for name, candidate in terms
                if keystroke_distance(query_strokes, candidate, unit_cost) <= budget
            }
            assert {c.term for c in index.lookup(query, limit=len(terms))} == expected, (term, query)
            checked += 1
    assert checked > 300


def test_choseong_lookup_on_the_seeds(seeds_vocabulary: Counter[str]) -> None:
    index = ChoseongIndex(seeds_vocabulary.items())
    found = index.lookup("ㄱㅇ")
    assert found[0] == ("고용", seeds_vocabulary["고용"])
    assert [frequency for _, frequency in found] == sorted((f for _, f in found), reverse=True)
    assert all(choseong(term) == "ㄱㅇ" for term, _ in found)
    assert ("국제노동기구", seeds_vocabulary["국제노동기구"]) in index.lookup("ㄱㅈㄴㄷ", prefix=True)
    assert index.lookup("ㄱㅈㄴㄷ") == []  # exactly four initials: no such term
    assert index.lookup("ㄴㄷ", prefix=True)[0] == ("노동", seeds_vocabulary["노동"])


def test_choseong_lookup_edges() -> None:
    index = ChoseongIndex(
        [("고용노동부", 50), ("고용", 300), ("기업", 300), ("감사", 7), ("까치", 2), ("ILO", 9)]
    )
    assert index.lookup("ㄱㅇ") == [("고용", 300), ("기업", 300)]  # a tie by frequency goes by term
    assert index.lookup("ㄱㅇ", prefix=True) == [("고용", 300), ("기업", 300), ("고용노동부", 50)]
    assert index.lookup("ㄱㅇ", limit=1) == [("고용", 300)]
    assert index.lookup("ㄳ") == [("감사", 7)]  # the cluster an input method makes of ㄱ then ㅅ
    assert index.lookup("ㄲㅊ") == [("까치", 2)] and index.lookup("ㄱㅊ") == []  # 쌍자음 kept apart
    assert index.lookup("ㄱ", prefix=True)[0] == ("고용", 300)
    assert index.lookup("고용") == [] and index.lookup("") == [] and index.lookup("ILO") == []
    assert ChoseongIndex([]).lookup("ㄱ", prefix=True) == []
