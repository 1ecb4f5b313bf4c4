"""Korean↔English translations of index terms, for a query in one language to find documents in the other.

The shipped table (``data/lexicon.tsv.gz``, built by ``tools/build_lexicon.py``; licences in
``data/NOTICE``) is keyed by index terms: Korean content morphemes and English Snowball stems,
``korean<TAB>english<TAB>weight<TAB>sources<TAB>shown``, a side with several terms being a phrase
joined by spaces (``사무총장`` → ``secretari general``), ``shown`` the English side as a person reads
it (``secretary general``: stems are for the index, not for the page). A user lexicon, a TSV of plain
words ``korean<TAB>english``, is analysed like a query and replaces the shipped translations of the
words it lists; it is re-read when its file changes.  Imports ``analysis`` and ``morphemes``.
"""

from __future__ import annotations

import gzip
import logging
import os
import threading
from collections import defaultdict
from functools import cache
from pathlib import Path

from indexer.analysis import make_analyzer
from indexer.morphemes import has_hangul

SHIPPED = Path(__file__).with_name("data") / "lexicon.tsv.gz"
MAX_TRANSLATIONS = 5  # make/take have dozens of dictionary senses: the best few carry the meaning
MIN_SHARE = 0.1  # a translation weighing less than a tenth of the word's best one is a stray sense
USER_WEIGHT = 1.0  # what the user wrote is certain

log = logging.getLogger(__name__)

Translations = dict[str, dict[str, float]]  # term → {translation: weight}
Shown = dict[str, str]  # English term(s) → the words a person reads (``cooper`` → cooperation)


def _ranked(options: dict[str, float]) -> list[tuple[str, float]]:
    """Best first, ties alphabetical; capped, without the stray senses."""
    ranked = sorted(options.items(), key=lambda item: (-item[1], item[0]))[:MAX_TRANSLATIONS]
    return [(term, weight) for term, weight in ranked if weight >= MIN_SHARE * ranked[0][1]]


def _read_shipped(path: Path, sources: frozenset[str] | None) -> tuple[Translations, Translations, Shown]:
    ko_en: Translations = defaultdict(dict)
    en_ko: Translations = defaultdict(dict)
    shown: Shown = {}
    with gzip.open(path, "rt", encoding="utf-8") as rows:
        for row in rows:
            korean, english, weight, found_in, *as_shown = row.rstrip("\n").split("\t")
            if sources is not None and not sources.intersection(found_in.split("+")):
                continue
            ko_en[korean][english] = en_ko[english][korean] = float(weight)
            shown[english] = as_shown[0] if as_shown else english  # a table built before ``shown``
    return ko_en, en_ko, shown


class UserLexicon:
    """The user's ``korean<TAB>english`` file, analysed into index terms, re-read when its mtime or
    size changes. A missing file is an empty lexicon; an unreadable one keeps the last good read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self.ko_en: Translations = {}
        self.en_ko: Translations = {}
        self.shown: Shown = {}
        self.problems: list[str] = []

    def refresh(self) -> None:
        try:
            stat = os.stat(self.path)
            stamp = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = None
        except OSError as error:
            log.warning("user lexicon %s: %s", self.path, error.strerror)
            return
        with self._lock:
            if stamp == self._stamp:
                return
            try:
                text = self.path.read_text(encoding="utf-8-sig") if stamp else ""
            except (OSError, UnicodeDecodeError) as error:
                log.warning("user lexicon %s not read (the last read stays): %s", self.path, error)
                return
            self.ko_en, self.en_ko, self.shown, self.problems = self._parse(text)
            self._stamp = stamp
            for problem in self.problems:
                log.warning("%s", problem)

    def _parse(self, text: str) -> tuple[Translations, Translations, Shown, list[str]]:
        analyzer = make_analyzer()
        ko_en: Translations = defaultdict(dict)
        en_ko: Translations = defaultdict(dict)
        shown: Shown = {}
        problems = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            korean, english = (
                [" ".join(t.text for t in analyzer(field, mode="query")) for field in fields]
                if len(fields) == 2
                else ("", "")
            )
            if not (has_hangul(korean) and english and not has_hangul(english)):
                problems.append(f"{self.path}:{number}: expected Korean<TAB>English words, skipped")
                continue
            ko_en[korean][english] = en_ko[english][korean] = USER_WEIGHT
            shown[english] = fields[1].strip()
        return ko_en, en_ko, shown, problems


class Lexicon:
    """Translations of an index term (or a phrase of terms joined by spaces) in both directions."""

    def __init__(
        self, shipped: Path = SHIPPED, user: Path | None = None, sources: frozenset[str] | None = None
    ) -> None:
        """``sources`` keeps only the shipped pairs found in those (``krdict``, ``cldr``,
        ``learned``): what each contributes is measured by benchmarks/crosslingual.py."""
        self._ko_en, self._en_ko, self._shown = _read_shipped(shipped, sources)
        self.user = UserLexicon(user) if user else None

    def translations(self, term: str) -> list[tuple[str, float]]:
        """``term``'s translations, best first: Korean terms give English ones and vice versa.
        A word the user lexicon lists gets the user's translations only."""
        korean = has_hangul(term)
        if self.user:
            self.user.refresh()
            listed = (self.user.ko_en if korean else self.user.en_ko).get(term)
            if listed:
                return _ranked(listed)
        options = (self._ko_en if korean else self._en_ko).get(term)
        return _ranked(options) if options else []

    def lists(self, term: str) -> bool:
        """Whether the shipped table translates ``term`` (a dictionary word, not a foreign name)."""
        return term in (self._ko_en if has_hangul(term) else self._en_ko)

    def shown(self, term: str) -> str:
        """``term`` as a person reads it: the English word its stems stand for (``cooper`` →
        cooperation, the user's own words first); Korean terms and unknown ones as they are."""
        if self.user and term in self.user.shown:
            return self.user.shown[term]
        return self._shown.get(term, term)


def use_user_lexicon(path: Path) -> None:
    """Make ``path`` the user lexicon of this process and the processes it starts (``--lexicon``)."""
    os.environ["DARI_LEXICON"] = str(path)
    lexicon.cache_clear()


@cache
def lexicon() -> Lexicon:
    """The process's lexicon, read on first use: the shipped table, and the user lexicon named by
    ``$DARI_LEXICON`` if set."""
    user = os.environ.get("DARI_LEXICON")
    return Lexicon(user=Path(user) if user else None)
