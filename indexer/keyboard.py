"""The 2-beolsik (두벌식, KS X 5002) keyboard: 한/영 slips both ways, and an edit distance that knows it.

`rhdyd` is 고용 typed with the keyboard left in English mode, `ㅗ디ㅣㅐ` is hello typed in Korean mode;
both are the same keys read through the other layout.  And a slip to the next key (ㅠ for ㅜ: B and N
sit side by side) is likelier than any other letter, so it costs half an edit.  Imports ``jamo``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from indexer.jamo import compose, is_syllable, keystrokes

# The standard 2-beolsik layout, row by row as on a QWERTY keyboard (KS X 5002); the Shift layer gives
# the five double consonants and ㅒ ㅖ, other shifted keys type their unshifted letter.
ROWS = (
    ("qwertyuiop", "ㅂㅈㄷㄱㅅㅛㅕㅑㅐㅔ"),
    ("asdfghjkl", "ㅁㄴㅇㄹㅎㅗㅓㅏㅣ"),
    ("zxcvbnm", "ㅋㅌㅊㅍㅠㅜㅡ"),
)
SHIFTED = {"Q": "ㅃ", "W": "ㅉ", "E": "ㄸ", "R": "ㄲ", "T": "ㅆ", "O": "ㅒ", "P": "ㅖ"}
KEY_TO_JAMO = {key: jamo for keys, jamos in ROWS for key, jamo in zip(keys, jamos, strict=True)}
KEY_TO_JAMO |= {key.upper(): jamo for key, jamo in KEY_TO_JAMO.items()} | SHIFTED
JAMO_TO_KEY = {jamo: key for key, jamo in KEY_TO_JAMO.items() if key.islower() or key in SHIFTED}
LATIN_RUN = re.compile(r"[A-Za-z]+")

NEIGHBOUR_COST = 0.5  # a slip to an adjacent key, or Shift missed or held (ㄱ/ㄲ, ㅐ/ㅒ)


def _neighbour_pairs() -> frozenset[frozenset[str]]:
    """Pairs of jamo on touching keys: left and right in a row, and the two keys each one touches in the
    row below (each row sits a quarter to half a key right of the one above, so key i of a row touches
    keys i-1 and i of the next: ㅈ(W) touches ㅁ(A) and ㄴ(S)); plus each double consonant or shifted
    vowel with its unshifted letter."""
    pairs = set()
    for row, (_, jamos) in enumerate(ROWS):
        pairs.update(frozenset(pair) for pair in zip(jamos, jamos[1:], strict=False))
        if row + 1 < len(ROWS):
            below = ROWS[row + 1][1]
            for i, jamo in enumerate(jamos):
                pairs.update(frozenset((jamo, below[j])) for j in (i - 1, i) if 0 <= j < len(below))
    pairs.update(frozenset((KEY_TO_JAMO[key.lower()], jamo)) for key, jamo in SHIFTED.items())
    return frozenset(pairs)


NEIGHBOURS = _neighbour_pairs()


def latin_to_hangul(text: str) -> str:
    """What the Latin letters would have typed in Korean mode: rhdyd → 고용, dkssud → 안녕, rkskek → 가나다;
    other characters are kept (spaces and digits type the same in both modes)."""
    return LATIN_RUN.sub(lambda run: compose("".join(KEY_TO_JAMO[key] for key in run.group())), text)


def hangul_to_latin(text: str) -> str:
    """What the Hangul would have typed in English mode: ㅗ디ㅣㅐ → hello, 한글 → gksrmf; other characters
    are kept."""
    return "".join(JAMO_TO_KEY.get(stroke, stroke) for stroke in keystrokes(text))


def is_korean_slip(run: str) -> bool:
    """Whether a run of Latin letters plausibly is Korean typed in English mode: it types only whole
    syllables (rhdyd → 고용 yes; rhind → 고ㅑㅜㅇ and hello → ㅗ디ㅣㅐ no).

    Some English words pass too (risk → 갸나): the caller tells them apart by which side its vocabulary
    knows.
    """
    return LATIN_RUN.fullmatch(run) is not None and all(map(is_syllable, latin_to_hangul(run)))


@cache
def substitution_cost(a: str, b: str) -> float:
    """0 for the same keystroke, NEIGHBOUR_COST for touching keys, else 1."""
    if a == b:
        return 0.0
    return NEIGHBOUR_COST if frozenset((a, b)) in NEIGHBOURS else 1.0


def unit_cost(a: str, b: str) -> float:
    """Every substitution one edit: the plain edit count."""
    return 0.0 if a == b else 1.0


def keystroke_distance(
    s: str, t: str, substitution: Callable[[str, str], float] = substitution_cost
) -> float:
    """Damerau–Levenshtein (optimal string alignment: a swap of neighbouring keystrokes is one edit)
    between two keystroke strings (see jamo.keystrokes); substitutions cost what `substitution` says."""
    previous2: list[float] = []
    previous = [float(j) for j in range(len(t) + 1)]
    for i in range(1, len(s) + 1):
        current = [float(i)] + [0.0] * len(t)
        for j in range(1, len(t) + 1):
            current[j] = min(
                previous[j] + 1, current[j - 1] + 1, previous[j - 1] + substitution(s[i - 1], t[j - 1])
            )
            if i > 1 and j > 1 and s[i - 1] == t[j - 2] and s[i - 2] == t[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def word_distance(a: str, b: str) -> float:
    """Keyboard-aware distance between two words' keystrokes: 고용노동부/고용노동뷰 0.5 (ㅜ/ㅠ touch),
    고용노동부/고용노동두 1 (ㅂ/ㄷ do not), 과/가 1 (ㅗ dropped), 의/이 1 (ㅡ dropped)."""
    return keystroke_distance(keystrokes(a), keystrokes(b))
