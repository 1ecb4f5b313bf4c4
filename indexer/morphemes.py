"""Where the words are: Kiwi's morphemes on lines with Hangul, regex words on the others, each a
``Span`` (start, end, text, tag) with exact offsets into the NFC text.

``indexer.analysis`` turns these spans into index terms; the surface-word, bridge and lexicon
steps read them too.  Kiwi itself lives here, loaded once per process.  Imports nothing of dari.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

from kiwipiepy import Kiwi

HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
HANGUL_SYLLABLES = re.compile(r"^[\uac00-\ud7a3]+$")
HANGUL_RUN = re.compile(r"[\uac00-\ud7a3]+")
# Words outside Hangul lines: letters/digits with inner apostrophes, or decimal numbers (2.8, 11.95);
# a hyphenated prefix that American spelling closes up stays on its word (co-operation, non-profit).
JOINED_PREFIX = r"(?:(?<![^\W_])(?:[Cc]o|[Nn]on|[Pp]re|[Rr]e)-(?=[^\W\d_]))?"
WORD = re.compile(rf"\d+(?:[.,]\d+)*|{JOINED_PREFIX}[^\W_]+(?:['’][^\W_]+)*")
LINE = re.compile(r"[^\n]+")
# What Kiwi reads itself on a Hangul line: Hangul (as in HANGUL) and Han characters (tagged SH).
KIWI_SCRIPTS = (
    "\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3"  # Hangul
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"  # Han
)
# On a Hangul line, a run of other non-space characters holding a letter (``employment.``, ``COVID-19``,
# ``https://ilo.org``, ``Москва``) is read by WORD, as on an English line.
NON_KIWI_RUN = re.compile(rf"[^\s{KIWI_SCRIPTS}]+")
NON_KIWI_LETTER = re.compile(rf"[^\W\d_{KIWI_SCRIPTS}]")
# Lone surrogates (from a JSON "\ud800" or an undecodable command-line argument) make Kiwi fail.
SURROGATE = re.compile(r"[\ud800-\udfff]")
MAX_CHUNK = 2000  # Kiwi's cost and memory grow with input length; long lines are cut at a space

LEMMA_TAGS = frozenset({"VV", "VA"})  # verbs and adjectives: indexed by lemma (만나 → 만나다)

# Without Kiwi's multi-word proper-noun dictionary: it makes "캐나다 태평양 철도" one term that a
# search for 철도 never finds; without it Kiwi loads in 0.8 s instead of 1.9, takes 330 MiB
# instead of 520 and runs ~12 % faster (korquad nDCG@10 unchanged: .962 both ways).  Without its
# default dictionary either, 113k names of places, schools and people: a compound it holds whole
# (한국문화예술회관연합회) is read in parts, which its pieces and bigrams meet anyway.  Kiwi then
# loads and sets up ~0.5 s sooner (reindex's second core waits for it) in 265 MiB instead of 330;
# korquad nDCG@10 .972 both ways, park-test R@10 .859/.871 (.858/.871), the Korean typo sets
# (1,000-question sample) the same or better: titles-typo .9225 (.9128), initials .6781 (.6708).
KIWI_OPTIONS = {"load_multi_dict": False, "load_default_dict": False}

_kiwi: Kiwi | None = None
_kiwi_lock = threading.Lock()


def get_kiwi() -> Kiwi:
    """The process's one Kiwi (≈265 MiB, ~0.5 s to load): created on first use, shared after."""
    global _kiwi
    with _kiwi_lock:
        if _kiwi is None:
            _kiwi = Kiwi(**KIWI_OPTIONS)
        return _kiwi


def warm_up() -> None:
    """Load Kiwi and run it once, so the first real query does not pay ~2 s of start-up."""
    list(get_kiwi().tokenize("협력을 위한 AI 정책"))


def is_dictionary_word(text: str) -> bool:
    """Whether Kiwi reads all of ``text`` as one morpheme of its dictionary, whatever its kind (안녕, an
    interjection; 학교), not as a guess at an unknown word or as several morphemes (갸 + 나)."""
    found = get_kiwi().tokenize(text)
    return len(found) == 1 and found[0].len == len(text) and not found[0].oov


def nfc(text: str) -> str:
    """``text`` in Unicode NFC (composed Hangul syllables), which offsets are counted in."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def has_hangul(text: str) -> bool:
    return HANGUL.search(text) is not None


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """Yield (offset, chunk) per line, cutting lines longer than MAX_CHUNK at a space."""
    for line in LINE.finditer(text):
        start, chunk = line.start(), line.group()
        while len(chunk) > MAX_CHUNK:
            cut = chunk.rfind(" ", 0, MAX_CHUNK)
            cut = cut if cut > 0 else MAX_CHUNK
            yield start, chunk[:cut]
            start, chunk = start + cut, chunk[cut:]
        if chunk.strip():
            yield start, chunk


Span = tuple[int, int, str, str]  # (start, end, text, tag) of one word in the NFC text


def _words(offset: int, text: str) -> Iterator[Span]:
    """The regex words of ``text`` (numbers tagged SN), at ``offset``: the English path's split."""
    for w in WORD.finditer(text):
        tag = "SN" if w.group()[0].isdigit() else "WORD"
        yield offset + w.start(), offset + w.end(), w.group(), tag


def _latin_runs(chunk: str) -> list[tuple[int, int]]:
    """(start, end) of each run of ``chunk`` that is neither Hangul, Han nor space and holds a letter.

    Kiwi cuts Latin words it should not (``employment.`` → ``emplo`` + ``yment.``, ``policy.`` →
    ``p`` + ``olicy.``) and tags Cyrillic or Greek as symbols (then ``Москва와`` indexes ``와``); given
    each run as one pretokenized token it reads the particles after it right (``AI를``)."""
    if NON_KIWI_LETTER.search(chunk) is None:  # most Korean lines: one scan, no run to look at
        return []
    return [run.span() for run in NON_KIWI_RUN.finditer(chunk) if NON_KIWI_LETTER.search(run.group())]


@lru_cache(maxsize=4)
def bilingual_spans(value: str) -> tuple[Span, ...]:
    """The words of ``value`` (NFC) with their tags and offsets, Kiwi's for Hangul lines.

    The last few texts' spans are kept: a document's surface words (``indexer.surface``) are read
    from the spans its body and title were just indexed with, not from a second Kiwi run.
    """
    korean: list[tuple[int, str]] = []
    other: list[tuple[int, str]] = []
    for offset, chunk in _chunks(value):
        (korean if has_hangul(chunk) else other).append((offset, chunk))
    # One plain call per chunk: Kiwi's list API hands items to its worker threads and waits
    # (slower for one text), and those threads do not exist in reindex's forked workers.
    kiwi = get_kiwi() if korean else None
    raw: list[Span] = []
    for offset, chunk in korean:
        chunk = SURROGATE.sub("\ufffd", chunk)  # U+FFFD for a surrogate keeps every offset where it was
        runs = _latin_runs(chunk)
        for start, end in runs:
            raw.extend(_words(offset + start, chunk[start:end]))
        # Kiwi gives each run back as one token, skipped here: split into words, its offsets are
        # inexact (a run's first and last words are stretched over its punctuation).  Read as a
        # proper noun, the run's particle is one (as SL, or left to Kiwi, ``policy를`` gives 르 and
        # ``policy는`` 늘다: 105 and 96 of 1,995 word+particle+context samples misread, 0 as NNP).
        run_starts = {start for start, _ in runs}
        pretokenized = [(start, end, "NNP") for start, end in runs]
        for m in kiwi.tokenize(chunk, pretokenized=pretokenized or None):
            if not m.len or m.start in run_starts:  # a run (read above), or a morpheme Kiwi restores
                continue  # with no letters of its own (하 in 협력을게)
            tag = m.tag.partition("-")[0]  # VV-R, VA-I: irregular stems are verbs too
            form = m.lemma if tag in LEMMA_TAGS else m.form
            raw.append((offset + m.start, offset + m.start + m.len, form, tag))
    for offset, chunk in other:
        raw.extend(_words(offset, chunk))
    raw.sort(key=lambda r: r[0])
    return tuple(raw)
