"""The words of each document as written (``words``): the vocabulary forgiving search looks in.

Kiwi indexes 고용노동부 as 고용 + 노동부, so the morphemes alone know no 고용노동부 that a typo
(고용노동뷰) or initials (ㄱㅇㄴㄷㅂ) could be matched against.  Each run of touching Hangul noun
morphemes is one surface word here (고용노동부, 국제노동기구, 서울고용센터; 장관 alone too), indexed
without positions or frequencies: its document frequency is all that is read.  The runs come from the
spans the title and body were just indexed with (``morphemes.bilingual_spans`` keeps the last few),
so this costs no second Kiwi run.  English words are there too as written, not stemmed (a typo breaks
the stem: congregatoin is no congreg), lowercased and without accents (``english_words``).
Imports ``analysis`` and ``morphemes``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from whoosh.fields import FieldType
from whoosh.formats import Existence

from indexer.analysis import COMPOUND_TAGS, LATIN_TAGS, latin_surface
from indexer.morphemes import HANGUL_SYLLABLES, bilingual_spans, nfc

MIN_SYLLABLES, MAX_SYLLABLES = 2, 12  # one syllable is no typo target; longer runs are Kiwi's misreads
MAX_LETTERS = 30  # English words longer than this are codes, not words (antidisestablishmentarianism: 28)
ENGLISH_WORD = re.compile(rf"[a-z]{{2,{MAX_LETTERS}}}")


def surface_words(text: str) -> Iterator[str]:
    """Each run of touching Hangul noun morphemes of ``text``, joined: 고용노동부를 → 고용노동부."""
    run: list[str] = []
    end = -1
    for start, stop, form, tag in (*bilingual_spans(nfc(text)), (0, 0, "", "")):
        # Kiwi restores letters at times (a lemma, a changed form): its text must be the surface.
        if tag in COMPOUND_TAGS and HANGUL_SYLLABLES.match(form) and len(form) == stop - start:
            if start != end and run:
                yield from _kept("".join(run))
                run = []
            run.append(form)
            end = stop
            continue
        if run:
            yield from _kept("".join(run))
        run, end = [], -1


def english_words(text: str) -> Iterator[str]:
    """The Latin words of ``text`` written in letters a–z once bared (``analysis.latin_surface``):
    Beyoncé's → beyonce; digits, other scripts and runs over MAX_LETTERS are no words to mistype."""
    for _, _, form, tag in bilingual_spans(nfc(text)):
        if tag in LATIN_TAGS and ENGLISH_WORD.fullmatch(word := latin_surface(form)):
            yield word


def _kept(word: str) -> Iterator[str]:
    if MIN_SYLLABLES <= len(word) <= MAX_SYLLABLES:
        yield word


class SurfaceWordsField(FieldType):
    """The surface words of a document's (title, body), Korean and English, for their document
    frequencies only.

    Not a field to search in: the query parser leaves it out (``internal``).
    """

    internal = True

    def __init__(self) -> None:
        super().__init__(format=Existence(), analyzer=None)

    def index(self, value: tuple[str, ...], **kwargs) -> list[tuple[bytes, int, float, bytes]]:
        words = {word for text in value for words in (surface_words, english_words) for word in words(text)}
        return [(word.encode("utf-8"), 1, 1.0, b"") for word in sorted(words)]
