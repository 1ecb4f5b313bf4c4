"""English spellings folded to one form: British to American (labour → labor), accents dropped (Beyoncé).

An ILO report says "labour" and "programme", a US one "labor" and "program"; the Snowball stemmer keeps
them apart (labour → labour).  canonical_spelling maps a lowercase word to its American spelling by a
few suffix rules, each with the words it must not touch (hour is no "hor", advertise no "advertize").
Left out on purpose, as riskier than useful: doubled l (travelled, but compelled), ae/oe (anaemia,
but aerial), and -ce/-se beyond the four nouns in IRREGULAR (fence, science).  Nouns and verbs that
the American forms share are folded alike (analyses, plural of analysis, becomes analyzes), which is
harmless as long as documents and queries go through the same function.  Imports nothing of dari.
"""

from __future__ import annotations

import re
import unicodedata

IRREGULAR = {
    "defence": "defense",
    "offence": "offense",
    "pretence": "pretense",
    "licence": "license",
    "programme": "program",
    "grey": "gray",
    "aluminium": "aluminum",
}
# Words in -our that are spelt so in American English too.
OUR_KEPT = frozenset(
    "our hour four pour tour your flour sour dour devour contour detour troubadour "
    "paramour amour velour scour glamour".split()
)
OUR = re.compile(
    r"^(?P<stem>[a-z]+ou)r"
    r"(?P<suffix>|s|ed|ing|er|ers|ful|fully|able|ably|ite|ites|less|ist|ists|ism|al|ally)$"
)
# centre, metre, fibre, calibre → -er; these are -re in American English too.
RE_KEPT = frozenset("macabre timbre notre ombre".split())
RE = re.compile(r"^(?P<stem>[a-z]{2,}[tb])re(?P<suffix>|s|d)$")
RE_SUFFIX = {"": "", "s": "s", "d": "ed"}  # centred → centered
# -ise verbs spelt -ise in American English too (and nouns that only look like verbs); -wise words and a
# vowel before -ise (raise, noise, cruise) are left alone by the rule itself.
ISE_ONLY = frozenset(
    "advertise advise apprise arise chastise circumcise comprise compromise concise demise despise "
    "devise disguise enterprise excise exercise expertise franchise guise improvise incise merchandise "
    "mortise paradise precise premise prise promise reprise revise sunrise supervise surmise surprise "
    "televise treatise anise valise cerise chemise denise elise".split()
)
PREFIXES = ("", "un", "re", "pre", "mis", "dis", "over", "under", "counter", "self", "im")
ISE = re.compile(r"^(?P<stem>[a-z]{3,})is(?P<suffix>e|es|ed|ing|er|ers|ation|ations|ational)$")
YSE = re.compile(r"^(?P<stem>[a-z]{2,})ys(?P<suffix>e|es|ed|ing|er|ers)$")
LOGUE = re.compile(r"^(?P<stem>[a-z]{2,})logu(?P<suffix>e|es|ed|ing)$")
LOGUE_SUFFIX = {"e": "", "es": "s", "ed": "ed", "ing": "ing"}
DIACRITICS = re.compile(r"[\u0300-\u036f]")  # Unicode's Combining Diacritical Marks block
# Latin letters with no decomposition into a base letter and a mark.
LIGATURES = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ł": "l",
        "Ł": "L",
        "þ": "th",
        "Þ": "Th",
        "ı": "i",
    }
)


def _ise_to_ize(match: re.Match[str]) -> str:
    stem, suffix = match["stem"], match["suffix"]
    base = stem + "ise"
    if (
        stem[-1] in "aeiou"
        or base.endswith("wise")
        or any(base.startswith(prefix) and base[len(prefix) :] in ISE_ONLY for prefix in PREFIXES)
    ):
        return match.group()
    return f"{stem}iz{suffix}"


def canonical_spelling(word: str) -> str:
    """The American spelling of a lowercase English word: labour → labor, programmes → programs,
    organisation → organization, centres → centers, analysed → analyzed, catalogued → cataloged,
    defence → defense; words with no British form come back as they are (hour, advertise, centre's
    neighbours fence and genre)."""
    if word in IRREGULAR:
        return IRREGULAR[word]
    if word.endswith("s") and word[:-1] in IRREGULAR:
        return IRREGULAR[word[:-1]] + "s"
    if (match := OUR.match(word)) and match["stem"] + "r" not in OUR_KEPT:
        return f"{match['stem'][:-1]}r{match['suffix']}"
    if (match := RE.match(word)) and match["stem"] + "re" not in RE_KEPT:
        return f"{match['stem']}er{RE_SUFFIX[match['suffix']]}"
    if match := ISE.match(word):
        return _ise_to_ize(match)
    if match := YSE.match(word):
        return f"{match['stem']}yz{match['suffix']}"
    if match := LOGUE.match(word):
        return f"{match['stem']}log{LOGUE_SUFFIX[match['suffix']]}"
    return word


def fold_accents(text: str) -> str:
    """Latin letters without their accents (Beyoncé → Beyonce, Müller → Muller, Straße → Strasse); only
    Latin diacritics go, so Hangul, Hindi's vowel signs and the like are untouched."""
    decomposed = unicodedata.normalize("NFD", text.translate(LIGATURES))
    return unicodedata.normalize("NFC", DIACRITICS.sub("", decomposed))
