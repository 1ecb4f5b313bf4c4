"""Names across scripts: 김영훈 ↔ Kim Young-hoon, 클린턴 ↔ Clinton, by a consonant skeleton.

Revised Romanization does not give the English spellings (김영훈 → gimyeonghun), and English
spellings of one Korean name vary (Young/Yeong, hoon/hun), but their consonants agree once the
letters that sound alike are merged: both sides become a skeleton of k t p l j s m n h (vowels,
w and y dropped, repeats collapsed; ``ng`` is n, a silent r or h is dropped), with the
conventional spelling of the first syllable where it is a surname (이 → Lee, 박 → Park).

A name of two consonants (Obama → pm, Bush → ps) has too short a skeleton to tell it from
words (봄 → pm), so it is matched by its *vowel key* instead: the skeleton with a mark where
vowels stand, the vowel Korean adds after a consonant cluster (ㅡ of 크, 스) not counted, nor
a final vowel (Obama and 오바마 → ``VpVm``).  The vowel key also ranks a skeleton's candidates
(Beijing: 베이징 before 버지니아).

Keys are matched against the index's own words, not stored in a field of their own: a name
typed in English is looked up among the index's Hangul words with the same key (and a
Korean proper noun among its Latin words), so no reindex is needed and indexing pays nothing.
A Hangul word the lexicon translates (고민, 당국) is a word, not a foreign name, and is left out.
The key maps are built once per index commit (``NameKeys``).  Imports ``morphemes``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable

from indexer.morphemes import HANGUL_SYLLABLES

MIN_KEY = 3  # shorter skeletons (오바마 → pm) meet too many unrelated words (봄 → pm) …
MIN_VOWEL_KEY_CONSONANTS = 2  # … so they match by vowel key, which needs two consonants (VpVm)
MAX_SYLLABLES = 5  # Hangul words longer than this are not names
MAX_RUN = 3  # capitalised English words taken together at most (Kim Young-hoon)

# Initial and final consonants of a Hangul syllable (Unicode order), as skeleton letters.
INITIALS = ["k", "k", "n", "t", "t", "l", "m", "p", "p", "s", "s", "", "j", "j", "j", "k", "t", "p", "h"]
FINALS = "|k|k|k|n|n|n|t|l|k|m|l|l|l|p|l|m|p|p|t|t|n|t|t|k|t|p|".split("|")
# How Korean surnames are conventionally written in English (their skeletons differ from the
# syllable's: 이 → Lee has an l, 박 → Park a silent r).
SURNAMES = {
    "김": "kim", "이": "lee", "박": "park", "최": "choi", "정": "jung", "강": "kang", "조": "cho",
    "윤": "yoon", "장": "jang", "임": "lim", "한": "han", "오": "oh", "서": "seo", "신": "shin",
    "권": "kwon", "황": "hwang", "안": "ahn", "송": "song", "류": "ryu", "유": "yoo", "홍": "hong",
    "전": "jeon", "고": "ko", "문": "moon", "양": "yang", "손": "son", "배": "bae", "백": "baek",
    "허": "heo", "남": "nam", "노": "roh", "하": "ha", "곽": "kwak", "성": "sung", "차": "cha",
    "주": "joo", "우": "woo", "구": "koo", "민": "min", "진": "jin", "나": "na", "엄": "um",
    "원": "won", "천": "chun", "방": "bang", "공": "kong", "현": "hyun", "반": "ban", "라": "rha",
}  # fmt: skip
LATIN_DIGRAPHS = [
    ("ch", "j"),
    ("sh", "s"),
    ("ph", "p"),
    ("th", "t"),
    ("ck", "k"),
    ("ng", "n"),
    ("gh", "g"),
    ("x", "ks"),
]  # fmt: skip (ng before gh: Young-hoon)
LATIN_CONSONANTS = ("cgqdbfvrz", "kkktppplj")
LATIN_LETTERS = str.maketrans(*LATIN_CONSONANTS, "aeiouyw")
LATIN_VOWELS = re.compile(r"[aeiouyw]+")
VOWEL = "V"  # where a vowel stands, in a vowel key
SILENT_VOWEL = 18  # ㅡ, which Korean adds after a consonant the other language has alone (크, 스)
SILENT_R = re.compile(r"r(?=[^aeiouy]|$)")  # Park, Herbert: an r before a consonant is not heard
SILENT_H = re.compile(r"(?<=[aeiouy])h(?![aeiouy])|h$")  # Oh, Roh, John
REPEATS = re.compile(r"(.)\1+")
CAPITALISED = re.compile(r"[A-Z][a-z]+(?:[A-Z][a-z]+)*(?:-[A-Za-z]+)*")  # McCain, Kim Young-hoon


def _latin_sounds(word: str) -> str:
    text = re.sub(r"[^a-z]", "", word.lower())
    text = SILENT_H.sub("", SILENT_R.sub("", text))
    for digraph, letter in LATIN_DIGRAPHS:
        text = text.replace(digraph, letter)
    return text


def latin_skeleton(word: str) -> str:
    """The consonant skeleton of an English spelling (``Young-hoon`` → ``nhn``)."""
    return REPEATS.sub(r"\1", _latin_sounds(word).translate(LATIN_LETTERS))


def latin_vowel_key(word: str) -> str:
    """The skeleton with a mark where vowels stand, but a final one (``Obama`` → ``VpVm``)."""
    text = LATIN_VOWELS.sub(VOWEL, _latin_sounds(word)).translate(str.maketrans(*LATIN_CONSONANTS))
    return REPEATS.sub(r"\1", text).removesuffix(VOWEL)


def hangul_vowel_key(word: str) -> str:
    """A Hangul word's vowel key (오바마 → ``VpVm``, 이라크 → ``VlVk``: ㅡ is no vowel)."""
    if not (2 <= len(word) <= MAX_SYLLABLES and HANGUL_SYLLABLES.fullmatch(word)):
        return ""
    letters = []
    for char in word:
        code = ord(char) - 0xAC00
        vowel = "" if code % 588 // 28 == SILENT_VOWEL else VOWEL
        letters.append(INITIALS[code // 588] + vowel + FINALS[code % 28])
    return REPEATS.sub(r"\1", "".join(letters)).removesuffix(VOWEL)


def _vowel_key_usable(key: str) -> bool:
    return len(key.replace(VOWEL, "")) >= MIN_VOWEL_KEY_CONSONANTS


def _syllable(char: str) -> str:
    code = ord(char) - 0xAC00
    return INITIALS[code // 588] + FINALS[code % 28]


def hangul_skeletons(word: str) -> set[str]:
    """The skeletons of a Hangul word: as its syllables sound, and with its first syllable
    spelt as the surname it may be (김영훈 → ``kmnhn``; 이명박 → ``lmnpk``)."""
    if not (2 <= len(word) <= MAX_SYLLABLES and HANGUL_SYLLABLES.fullmatch(word)):
        return set()
    rest = "".join(_syllable(char) for char in word[1:])
    keys = {REPEATS.sub(r"\1", _syllable(word[0]) + rest)}
    if word[0] in SURNAMES:
        keys.add(REPEATS.sub(r"\1", latin_skeleton(SURNAMES[word[0]]) + rest))
    return {key for key in keys if len(key) >= MIN_KEY}


def capitalised_runs(text: str) -> list[str]:
    """The runs of 1..MAX_RUN neighbouring capitalised words of ``text``, longest first
    (``Minister Kim Young-hoon`` gives ``Kim Young-hoon``, ``Minister Kim``, ``Kim``…)."""
    runs: list[list[str]] = []
    previous_end = -1
    for match in CAPITALISED.finditer(text):
        if runs and text[previous_end : match.start()] == " ":
            runs[-1].append(match.group())
        else:
            runs.append([match.group()])
        previous_end = match.end()
    return [
        " ".join(run[i : i + size])
        for run in runs
        for size in range(min(MAX_RUN, len(run)), 0, -1)
        for i in range(len(run) - size + 1)
    ]


class NameKeys:
    """The keys of an index's words: Hangul words but the dictionary's (``is_word``), and Latin
    words (single stems)."""

    def __init__(self, words, is_word: Callable[[str], bool] = lambda word: False) -> None:
        self.hangul: dict[str, list[str]] = defaultdict(list)
        self.hangul_vowels: dict[str, list[str]] = defaultdict(list)  # of short skeletons only
        self.latin: dict[str, list[str]] = defaultdict(list)
        for word in words:
            if HANGUL_SYLLABLES.match(word):
                if is_word(word):
                    continue
                skeletons = hangul_skeletons(word)
                for key in skeletons:
                    self.hangul[key].append(word)
                if not skeletons and _vowel_key_usable(key := hangul_vowel_key(word)):
                    self.hangul_vowels[key].append(word)
            elif word.isalpha() and word.isascii() and len(word) > 3:
                key = latin_skeleton(word)
                if len(key) >= MIN_KEY:
                    self.latin[key].append(word)

    def korean_for(self, english_name: str) -> list[str]:
        """The index's Hangul words that may write ``english_name`` (``Kim Young-hoon`` → 김영훈),
        those with its vowel key first."""
        key, vowels = latin_skeleton(english_name), latin_vowel_key(english_name)
        if len(key) < MIN_KEY:
            return self.hangul_vowels.get(vowels, []) if _vowel_key_usable(vowels) else []
        found = self.hangul.get(key, [])
        return sorted(found, key=lambda word: hangul_vowel_key(word) != vowels)  # stable: index order

    def english_for(self, korean_name: str) -> list[str]:
        """The index's Latin words that may write ``korean_name`` (클린턴 → clinton)."""
        return sorted({word for key in hangul_skeletons(korean_name) for word in self.latin.get(key, [])})
