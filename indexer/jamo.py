"""Hangul letters (jamo): syllables split into the keystrokes that type them, and put back together.

Forgiving search compares Korean words by what the fingers did, not by whole syllables: `고용노동뷰` is
one keystroke (ㅠ for ㅜ) from `고용노동부`, while Elasticsearch's fuzziness counts UTF-16 units and
so calls any changed syllable one edit whatever its jamo.  Everything here works in *compatibility
jamo* (U+3131–318E, the letters a keyboard types: ㄱ, ㅏ), one character per keystroke on the 2-beolsik
(두벌식) layout: compound vowels and final clusters are two keystrokes (ㅘ = ㅗ+ㅏ, ㄳ = ㄱ+ㅅ), double
consonants one (ㄲ is Shift+ㄱ).  Conjoining jamo (U+1100–11FF, what NFD text holds) are read too.

The arithmetic is Unicode's (chapter 3.12, "Conjoining Jamo Behavior"); no maintained library also
does the keystroke split and the IME's composition rules, so both are written out here.
Imports nothing of dari.
"""

from __future__ import annotations

import unicodedata

SYLLABLE_FIRST, SYLLABLE_LAST = 0xAC00, 0xD7A3
CHOSEONG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"  # the 19 initials, in Unicode's order
JUNGSEONG = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"  # the 21 medials
JONGSEONG = ("", *"ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ")  # the 27 finals, or none
CONSONANTS = frozenset(CHOSEONG) | frozenset(JONGSEONG[1:])
VOWELS = frozenset(JUNGSEONG)

# Letters typed as two keystrokes: compound vowels and final consonant clusters.
COMPOUNDS = {
    "ㅘ": "ㅗㅏ",
    "ㅙ": "ㅗㅐ",
    "ㅚ": "ㅗㅣ",
    "ㅝ": "ㅜㅓ",
    "ㅞ": "ㅜㅔ",
    "ㅟ": "ㅜㅣ",
    "ㅢ": "ㅡㅣ",
    "ㄳ": "ㄱㅅ",
    "ㄵ": "ㄴㅈ",
    "ㄶ": "ㄴㅎ",
    "ㄺ": "ㄹㄱ",
    "ㄻ": "ㄹㅁ",
    "ㄼ": "ㄹㅂ",
    "ㄽ": "ㄹㅅ",
    "ㄾ": "ㄹㅌ",
    "ㄿ": "ㄹㅍ",
    "ㅀ": "ㄹㅎ",
    "ㅄ": "ㅂㅅ",
}
JOINS = {pair: letter for letter, pair in COMPOUNDS.items()}

_CHOSEONG_INDEX = {letter: i for i, letter in enumerate(CHOSEONG)}
_JUNGSEONG_INDEX = {letter: i for i, letter in enumerate(JUNGSEONG)}
_JONGSEONG_INDEX = {letter: i for i, letter in enumerate(JONGSEONG)}
# Conjoining jamo (NFD's letters) → compatibility jamo; archaic ones outside these blocks stay as they are.
_CONJOINING = {
    **{chr(0x1100 + i): letter for i, letter in enumerate(CHOSEONG)},
    **{chr(0x1161 + i): letter for i, letter in enumerate(JUNGSEONG)},
    **{chr(0x11A7 + i): letter for i, letter in enumerate(JONGSEONG) if i},
}


def is_syllable(char: str) -> bool:
    """A precomposed modern syllable (가–힣)."""
    return len(char) == 1 and SYLLABLE_FIRST <= ord(char) <= SYLLABLE_LAST


def split_syllable(syllable: str) -> tuple[str, str, str]:
    """(초성, 중성, 종성) of one syllable; the final is '' when there is none: 닭 → (ㄷ, ㅏ, ㄺ)."""
    if not is_syllable(syllable):
        raise ValueError(f"not a Hangul syllable: {syllable!r}")
    index = ord(syllable) - SYLLABLE_FIRST
    return CHOSEONG[index // 588], JUNGSEONG[index // 28 % 21], JONGSEONG[index % 28]


def join_syllable(initial: str, medial: str, final: str = "") -> str:
    """The syllable of these letters: (ㄷ, ㅏ, ㄺ) → 닭.  ValueError for a letter that cannot stand there."""
    try:
        index = (_CHOSEONG_INDEX[initial] * 21 + _JUNGSEONG_INDEX[medial]) * 28 + _JONGSEONG_INDEX[final]
    except KeyError:
        raise ValueError(f"no syllable of {initial!r} + {medial!r} + {final!r}") from None
    return chr(SYLLABLE_FIRST + index)


def letters(text: str) -> str:
    """Text with each syllable written as its compatibility jamo (한 → ㅎㅏㄴ, 과 → ㄱㅘ); NFD's conjoining
    jamo become compatibility jamo; other characters are kept."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        if is_syllable(char):
            out.extend(split_syllable(char))
        else:
            out.append(_CONJOINING.get(char, char))
    return "".join(out)


def keystrokes(text: str) -> str:
    """Text as the 2-beolsik keystrokes that type it, one character each: 과 → ㄱㅗㅏ, 닭 → ㄷㅏㄹㄱ,
    ㅢ → ㅡㅣ; double consonants stay one keystroke (까 → ㄲㅏ); other characters are kept."""
    return "".join(COMPOUNDS.get(letter, letter) for letter in letters(text))


def compose(jamo: str) -> str:
    """Keystrokes put together into syllables as a 2-beolsik input method does, left to right.

    A consonant after a vowel becomes its final, and two that form a cluster join (ㄱ+ㅅ → ㄳ); a vowel
    after a final takes it (the cluster's second half) as its own initial, so ㄱㅗㅇㅛㅇ is 고용, not 공ㅛㅇ;
    two vowels that form a compound join (ㅗ+ㅏ → ㅘ).  Keystrokes that make no syllable stay lone
    letters (ㄱㅅ stays ㄱㅅ), other characters are kept: compose(keystrokes(w)) == w for modern Hangul.
    """
    out: list[str] = []
    initial = medial = final = ""

    def flush() -> None:
        nonlocal initial, medial, final
        if initial and medial:
            out.append(join_syllable(initial, medial, final))
        else:
            out.append(initial + medial)
        initial = medial = final = ""

    for char in keystrokes(jamo):
        if char in VOWELS:
            if final:  # the final moves on: 공 + ㅛ → 고요, 넋 + ㅣ → 넉시
                pair = COMPOUNDS.get(final)
                final, moving = (pair[0], pair[1]) if pair else ("", final)
                flush()
                initial, medial = moving, char
            elif medial + char in JOINS:
                medial = JOINS[medial + char]
            elif initial and not medial:
                medial = char
            else:
                flush()
                medial = char
        elif char in CONSONANTS:
            if initial and medial and not final and char in _JONGSEONG_INDEX:
                final = char
            elif final and final + char in JOINS:
                final = JOINS[final + char]
            else:
                flush()
                initial = char
        else:
            flush()
            out.append(char)
    flush()
    return "".join(out)


def choseong(text: str) -> str:
    """The initial of each syllable (고용노동부 → ㄱㅇㄴㄷㅂ, 쌍자음 kept: 까치 → ㄲㅊ); other characters
    are kept, so the initials of initials are themselves."""
    return "".join(CHOSEONG[(ord(c) - SYLLABLE_FIRST) // 588] if is_syllable(c) else c for c in _nfc(text))


def _nfc(text: str) -> str:
    """NFC text with lone conjoining jamo read as compatibility jamo."""
    return "".join(_CONJOINING.get(char, char) for char in unicodedata.normalize("NFC", text))


def choseong_query(text: str) -> str | None:
    """The initials a query of only initials spells (ㄱㅇㄴㄷㅂ), or None when it is anything else.

    Spaces are ignored, and a cluster is read as the two initials typed (an input method turns ㄱ then ㅅ
    with no vowel into ㄳ).
    """
    jamo = "".join(_nfc(text).split())
    spelled = "".join(COMPOUNDS.get(char, char) for char in jamo)
    if not spelled or any(char not in _CHOSEONG_INDEX for char in spelled):
        return None
    return spelled
