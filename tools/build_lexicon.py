"""Build dari's shipped Korean↔English lexicon, ``indexer/data/lexicon.tsv.gz``.

Three sources, each mapped to dari's *index terms* (what ``make_analyzer()`` yields in query mode:
Korean content morphemes, English Snowball stems), so the lexicon is keyed by what the index holds:

- krdict: the Basic Korean Dictionary (한국어기초사전, 국립국어원, CC BY-SA 2.0 KR), without grammar
  entries, romanisations and headwords whose analysis drops a prefix (무정부 is not 정부);
- cldr: country, language and currency names in Korean and English (CLDR via babel, Unicode licence);
- learned: IBM Model 1 word translations, both directions, combined by geometric mean, from Tatoeba
  (CC BY 2.0 FR) and koen_parallel's park-dev and jhe pairs (CC BY-SA 3.0). Never park-test: that is
  the evaluation split, dropped by id before anything else is read from a line.

The learned table also prunes dictionary senses the parallel text contradicts: 정부 is seen with
"government" in most of its sentences and never with "lover", so that homograph goes.

Output rows: ``korean<TAB>english<TAB>weight<TAB>sources<TAB>shown`` (terms joined by spaces when a
side is a phrase; sources joined by ``+``; ``shown``: the English side as a person reads it, the
word or gloss its stems were most often seen as, ``cooper`` → cooperation), sorted, gzip with a
zero timestamp: the same inputs give the same bytes. Run from the repository root (needs babel and
wordfreq: ``pip install -e '.[lexicon]'``)::

    .venv/bin/python tools/build_lexicon.py --data /work/shared/data
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import json
import math
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from indexer.analysis import BilingualTokenizer, make_analyzer
from indexer.morphemes import HANGUL_RUN, get_kiwi, has_hangul, nfc

EVAL_PREFIX = "park-test-"  # the evaluation split: never learned from
TRAIN_PREFIXES = ("park-dev-", "jhe-")
ALL_SOURCES = ("krdict", "cldr", "learned")
OUT = Path(__file__).resolve().parent.parent / "indexer" / "data" / "lexicon.tsv.gz"

MAX_PHRASE_TERMS = 3  # longer dictionary glosses are definitions, not translations
MAX_SENSES = 12  # a krdict headword with more English equivalents than this keeps only attested ones
PHRASE_DISCOUNT = 0.02
EM_ITERATIONS = 5
LEARNED_TOP = 3  # learned translations kept per word, in each direction
LEARNED_MIN_SCORE = 0.08  # geometric mean of t(e|k) and t(k|e)
LEARNED_MIN_COOCCURRENCE = 3
STOP_SHARE = 0.03  # a term in more than 3 % of the training sentences of its side is stopword-like
EVIDENCE_MIN = 5  # sentences a term needs before the parallel text may veto its dictionary senses
EVIDENCE_SHARE = 0.3  # ... and one of its senses must co-occur with it in this share of them

ANALYZER = make_analyzer()
TOKENIZER = BilingualTokenizer()
# English term (or phrase) → the surface forms this build's inputs wrote it as, and how often.
SURFACES: dict[str, Counter[str]] = defaultdict(Counter)

Pair = tuple[str, str]  # (korean term or phrase, english term or phrase)


def terms(text: str) -> list[str]:
    """dari's query-mode index terms of ``text``."""
    return [token.text for token in ANALYZER(text, mode="query")]


def loses_prefix(word: str) -> bool:
    """True when Kiwi reads a prefix (XPN) the analyzer drops: 무정부 → 정부, 비정규직 → 정규직."""
    return any(tag == "XPN" for _, _, _, tag in TOKENIZER.spans(nfc(word)))


# ---- training text -----------------------------------------------------------------------------


def parallel_pairs(path: Path, prefixes: tuple[str, ...] = TRAIN_PREFIXES) -> list[tuple[str, str, str]]:
    """(id, korean, english) of the training pairs in koen_parallel's pairs.jsonl whose id starts
    with one of ``prefixes``. Park-test pairs are dropped by id first, whatever ``prefixes`` says."""
    kept = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            pair_id = row["id"]
            if pair_id.startswith(EVAL_PREFIX) or not pair_id.startswith(prefixes):
                continue
            kept.append((pair_id, row["ko"], row["en"]))
    assert not any(pair_id.startswith(EVAL_PREFIX) for pair_id, _, _ in kept), "park-test leaked"
    return kept


def tatoeba_pairs(path: Path) -> list[tuple[str, str, str]]:
    """(id, korean, english) of the Tatoeba file (english<TAB>korean<TAB>attribution)."""
    rows = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            english, korean, *_ = line.rstrip("\n").split("\t")
            rows.append((f"tatoeba-{number}", korean, english))
    return rows


def analysed_corpus(pairs: Iterable[tuple[str, str, str]]) -> list[tuple[list[str], list[str]]]:
    """Each pair as (Korean terms, English terms); Latin words on the Korean side (ILO, 2008) stay
    out, as their translation is themselves."""
    corpus = []
    for _, korean, english in pairs:
        ko = [t for t in terms(korean) if has_hangul(t)]
        tokens = [t for t in ANALYZER(nfc(english), mode="query", chars=True) if t.text.isalpha()]
        en = [t.text for t in tokens if len(t.text) > 1]
        for token in tokens:
            SURFACES[token.text][nfc(english)[token.startchar : token.endchar]] += 1
        if ko and en:
            corpus.append((ko, en))
    return corpus


# ---- IBM Model 1 -------------------------------------------------------------------------------


def ibm_model_1(corpus: list[tuple[list[str], list[str]]], iterations: int) -> dict[Pair, float]:
    """t(target | source) by EM from a uniform start (so no randomness: the same corpus gives the
    same table), with a NULL source word that absorbs target words nothing explains."""
    targets = {word for _, target in corpus for word in target}
    uniform = 1.0 / len(targets)
    table: dict[Pair, float] = {}
    for source, target in corpus:
        for s in [None, *source]:
            for t in target:
                table[(s, t)] = uniform
    for _ in range(iterations):
        counts: dict[Pair, float] = defaultdict(float)
        totals: dict[str | None, float] = defaultdict(float)
        for source, target in corpus:
            sources = [None, *source]
            for t in target:
                norm = sum(table[(s, t)] for s in sources)
                for s in sources:
                    share = table[(s, t)] / norm
                    counts[(s, t)] += share
                    totals[s] += share
        table = {(s, t): count / totals[s] for (s, t), count in counts.items()}
    return table


class Evidence:
    """What the parallel text says: term frequencies, sentence co-occurrence and both IBM 1 tables."""

    def __init__(self, corpus: list[tuple[list[str], list[str]]]) -> None:
        self.sentences = len(corpus)
        self.ko_count: Counter[str] = Counter()
        self.en_count: Counter[str] = Counter()
        self.cooccurrence: Counter[Pair] = Counter()
        for ko, en in corpus:
            self.ko_count.update(set(ko))
            self.en_count.update(set(en))
            self.cooccurrence.update((k, e) for k in set(ko) for e in set(en))
        self.en_given_ko = ibm_model_1(corpus, EM_ITERATIONS)
        self.ko_given_en = ibm_model_1([(en, ko) for ko, en in corpus], EM_ITERATIONS)

    def stopword_like(self, term: str) -> bool:
        count = (self.ko_count if has_hangul(term) else self.en_count)[term]
        return count > STOP_SHARE * self.sentences

    def score(self, ko: str, en: str) -> float:
        """Geometric mean of the two directions' translation probabilities."""
        return math.sqrt(self.en_given_ko.get((ko, en), 0.0) * self.ko_given_en.get((en, ko), 0.0))

    def vetoed(self, candidates: dict[str, set[str]], count: Counter[str], cooc) -> set[Pair]:
        """Pairs (word, sense) to drop: the word is well attested, one of its senses co-occurs with it
        in at least EVIDENCE_SHARE of its sentences, and this sense never does."""
        dropped = set()
        for word, senses in candidates.items():
            seen = count[word]
            if seen < EVIDENCE_MIN or max(cooc(word, s) for s in senses) < EVIDENCE_SHARE * seen:
                continue
            dropped |= {(word, s) for s in senses if cooc(word, s) == 0}
        return dropped

    def learned(self) -> dict[Pair, float]:
        """The top LEARNED_TOP translations of each word in each direction, by geometric mean."""
        scored = [
            (ko, en, self.score(ko, en))
            for (ko, en), together in self.cooccurrence.items()
            if together >= LEARNED_MIN_COOCCURRENCE and not (self.stopword_like(ko) or self.stopword_like(en))
        ]
        scored = [(ko, en, score) for ko, en, score in scored if score >= LEARNED_MIN_SCORE]
        by_ko: dict[str, list[tuple[float, str]]] = defaultdict(list)
        by_en: dict[str, list[tuple[float, str]]] = defaultdict(list)
        for ko, en, score in scored:
            by_ko[ko].append((score, en))
            by_en[en].append((score, ko))
        keep: dict[Pair, float] = {}
        for ko, ranked in by_ko.items():
            for score, en in sorted(ranked, key=lambda r: (-r[0], r[1]))[:LEARNED_TOP]:
                keep[(ko, en)] = score
        for en, ranked in by_en.items():
            for score, ko in sorted(ranked, key=lambda r: (-r[0], r[1]))[:LEARNED_TOP]:
                keep[(ko, en)] = score
        return keep


# ---- dictionary and CLDR -----------------------------------------------------------------------

CHOSEONG = "g kk n d tt r m b pp s ss - j jj ch k t p h".split()
JUNGSEONG = "a ae ya yae eo e yeo ye o wa wae oe yo u wo we wi yu eu ui i".split()
# Finals as pronounced alone (ㅅ, ㅈ, ㅎ … → t), as the dictionary writes them: 맞절하다 → matjeolhada.
JONGSEONG = ["", *"k k k n n n t l k m l l l p l m p p t t ng t t k t p t".split()]


def romanised(word: str) -> str:
    """A rough Revised Romanisation of the Hangul in ``word``, to spot glosses that only spell it."""
    letters = []
    for char in word:
        code = ord(char) - 0xAC00
        if 0 <= code < 11172:
            initial, medial, final = code // 588, code % 588 // 28, code % 28
            letters.append(CHOSEONG[initial].strip("-") + JUNGSEONG[medial] + JONGSEONG[final])
    return "".join(letters)


def is_romanisation(gloss: str, headword: str) -> bool:
    """True for a gloss that spells the headword (하다 → "hada", 맞절하다 → "matjeolhada")."""
    plain = "".join(c for c in gloss.lower() if c.isalpha())
    return difflib.SequenceMatcher(None, plain, romanised(headword)).ratio() >= 0.85


def phrase(words: list[str]) -> str | None:
    """Terms joined by spaces, or None if there are none, more than MAX_PHRASE_TERMS, or a lone
    letter ("U.S." → u, which every "u" would match)."""
    if not 0 < len(words) <= MAX_PHRASE_TERMS or any(len(word) < 2 for word in words):
        return None
    return " ".join(words)


def korean_frequency(headword: str) -> float:
    """How common a Korean word is: Kiwi's language-model probability of its analysis, endings and
    particles left out (노동 e^-9.4, 노고 e^-14.2): the Korean side of P(k) in the dictionary's weights."""
    tokens, _ = get_kiwi().analyze(headword, top_n=1)[0]
    return math.exp(sum(t.score for t in tokens if not t.tag.startswith(("E", "J"))))


def english_frequency(gloss: str) -> float:
    """How common an English word or phrase is (wordfreq, from many corpora), floored for unknowns.
    wordfreq rates a phrase near its rarest word ("working together" above "cooperation"), so each
    word after the first divides it by 1/PHRASE_DISCOUNT."""
    from wordfreq import word_frequency  # only this build needs wordfreq

    words = len(gloss.split())
    return max(word_frequency(gloss, "en") * PHRASE_DISCOUNT ** (words - 1), 1e-9)


def krdict_senses(path: Path) -> tuple[dict[str, set[str]], dict[str, float], dict[str, float]]:
    """Korean term/phrase → English term/phrases from krdict, filtered as the module says, and the
    frequency of each side's most common surface word."""
    senses: dict[str, set[str]] = defaultdict(set)
    ko_frequency: dict[str, float] = defaultdict(float)
    en_frequency: dict[str, float] = defaultdict(float)
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            entry = json.loads(line)
            headword = entry["ko"]
            if "-" in headword or loses_prefix(headword):  # grammar entries: -ㄴ, -자면, 헛-
                continue
            korean = phrase(terms(headword))
            if korean is None or not has_hangul(korean):
                continue
            for gloss in entry["en"]:
                english = None if is_romanisation(gloss, headword) else phrase(terms(gloss))
                if english and not has_hangul(english):
                    senses[korean].add(english)
                    SURFACES[english][gloss.strip()] += 1
                    en_frequency[english] = max(en_frequency[english], english_frequency(gloss))
            if senses.get(korean):
                ko_frequency[korean] = max(ko_frequency[korean], korean_frequency(headword))
    return senses, ko_frequency, en_frequency


def sense_weights(
    senses: dict[str, set[str]], frequency: dict[str, float], others: dict[str, set[str]]
) -> dict[Pair, float]:
    """P(translation | word) for each word's translations ``senses[word]``, by sense.

    Two translations of a word belong to one sense when they share another translation back
    (labor → 노동, 근로 both give "work"; labor → 출산 shares nothing with them): each sense is a
    connected group. A sense weighs the geometric mean of its share of the translations and its
    share of their frequency (over their own number of senses, ``others``), and every translation
    takes its sense's weight, scaled by the square root of its frequency relative to the group's
    most common one: synonyms are all good translations, a sense with a single rare word is not.
    """
    weights: dict[Pair, float] = {}
    for word, options in senses.items():
        mass = {o: frequency[o] / len(others[o]) for o in options}
        groups: list[set[str]] = []
        for option in sorted(options):
            linked = [g for g in groups if any((others[option] & others[o]) - {word} for o in g)]
            merged = {option}.union(*linked)
            groups = [g for g in groups if g not in linked] + [merged]
        total = sum(mass.values())
        shares = {}
        for group in groups:
            group_mass = sum(mass[o] for o in group)
            shares[frozenset(group)] = math.sqrt(len(group) / len(options) * group_mass / total)
        norm = sum(shares.values())
        for group, share in shares.items():
            best = max(mass[o] for o in group)
            for option in group:
                weights[(word, option)] = share / norm * math.sqrt(mass[option] / best)
    return weights


def dictionary_weights(
    senses: dict[str, set[str]], ko_frequency: dict[str, float], en_frequency: dict[str, float]
) -> dict[Pair, float]:
    """Geometric mean of P(e|k) and P(k|e) from ``sense_weights``."""
    by_english: dict[str, set[str]] = defaultdict(set)
    for ko, ens in senses.items():
        for en in ens:
            by_english[en].add(ko)
    en_given_ko = sense_weights(senses, en_frequency, by_english)
    ko_given_en = sense_weights(by_english, ko_frequency, senses)
    return {(ko, en): math.sqrt(p * ko_given_en[(en, ko)]) for (ko, en), p in en_given_ko.items()}


def krdict_pairs(path: Path, evidence: Evidence) -> dict[Pair, float]:
    """Dictionary pairs weighted by ``dictionary_weights``, less stopword-like words, the senses the
    parallel text vetoes (정부 → lover) and, for headwords with dozens of senses (하다, 만들다), the
    ones it never shows."""
    senses, ko_frequency, en_frequency = krdict_senses(path)
    senses = {ko: ens for ko, ens in senses.items() if not evidence.stopword_like(ko)}
    by_english: dict[str, set[str]] = defaultdict(set)
    for ko, ens in senses.items():
        for en in ens:
            if not evidence.stopword_like(en):
                by_english[en].add(ko)
    cooc = evidence.cooccurrence
    dropped = evidence.vetoed(senses, evidence.ko_count, lambda k, e: cooc[(k, e)])
    dropped |= {(k, e) for e, k in evidence.vetoed(by_english, evidence.en_count, lambda e, k: cooc[(k, e)])}
    kept: dict[str, set[str]] = defaultdict(set)
    for ko, ens in senses.items():
        for en in ens:
            if en in by_english and (ko, en) not in dropped and (len(ens) <= MAX_SENSES or cooc[(ko, en)]):
                kept[ko].add(en)
    return dictionary_weights(kept, ko_frequency, en_frequency)


def cldr_pairs() -> dict[Pair, float]:
    """Territory, language and currency names, Korean ↔ English, from CLDR (babel), weight 1."""
    from babel import Locale  # only this build needs babel

    korean, english = Locale("ko"), Locale("en")
    pairs = {}
    for table in ("territories", "languages", "currencies"):
        ko_names, en_names = getattr(korean, table), getattr(english, table)
        for code in sorted(ko_names.keys() & en_names.keys()):
            if code.isdigit():  # regions such as 001 (세계 / world) are not names
                continue
            ko, en = phrase(terms(ko_names[code])), phrase(terms(en_names[code]))
            # Kiwi must read the name as itself: 가나 (Ghana) is not the verb 가다
            spelt = ko is not None and ko.replace(" ", "") == "".join(HANGUL_RUN.findall(ko_names[code]))
            if spelt and en and not has_hangul(en):
                pairs[(ko, en)] = 1.0
                SURFACES[en][en_names[code]] += 1
    return pairs


# ---- output ------------------------------------------------------------------------------------


def shown(english: str) -> str:
    """How ``english`` (terms) is shown: its commonest surface form of as many words (``employ``:
    employed, not "be employed"), the shorter on a tie."""
    forms = SURFACES.get(english)
    if not forms:
        return english
    words = len(english.split())
    return min(forms, key=lambda form: (len(form.split()) != words, -forms[form], len(form), form))


def combine(tables: dict[str, dict[Pair, float]]) -> list[tuple[str, str, float, str, str]]:
    """One row per pair: noisy-or of the sources' weights (two sources agreeing rank higher)."""
    merged: dict[Pair, tuple[float, list[str]]] = {}
    for source, pairs in tables.items():
        for pair, weight in pairs.items():
            miss, names = merged.get(pair, (1.0, []))
            merged[pair] = (miss * (1 - weight), [*names, source])
    return sorted(
        (ko, en, round(1 - miss, 4), "+".join(names), shown(en)) for (ko, en), (miss, names) in merged.items()
    )


def build(
    data: Path, sources: Iterable[str], prefixes: tuple[str, ...] = TRAIN_PREFIXES
) -> list[tuple[str, str, float, str, str]]:
    sources = list(sources)
    pairs = parallel_pairs(data / "koen_parallel" / "pairs.jsonl", prefixes)
    pairs += tatoeba_pairs(data / "koen_lexicon" / "tatoeba_kor_eng.tsv")
    evidence = Evidence(analysed_corpus(pairs))
    print(f"{len(pairs)} training pairs ({evidence.sentences} with terms on both sides)", file=sys.stderr)
    tables: dict[str, dict[Pair, float]] = {}
    if "krdict" in sources:
        tables["krdict"] = krdict_pairs(data / "koen_lexicon" / "krdict_ko_en.jsonl", evidence)
    if "cldr" in sources:
        tables["cldr"] = cldr_pairs()
    if "learned" in sources:
        tables["learned"] = evidence.learned()
    for source, table in tables.items():
        print(f"{source}: {len(table)} pairs", file=sys.stderr)
    return combine(tables)


def write(rows: list[tuple[str, str, float, str, str]], out: Path) -> None:
    text = "".join("\t".join(map(str, row)) + "\n" for row in rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as packed:
        packed.write(text.encode("utf-8"))
    print(f"{len(rows)} rows → {out} ({out.stat().st_size:,} bytes)", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=Path("../shared/data"),
        help="folder holding koen_lexicon/ and koen_parallel/",
    )
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--sources",
        default=",".join(ALL_SOURCES),
        help="comma-separated subset of krdict,cldr,learned (to measure each one)",
    )
    parser.add_argument(
        "--train",
        default=",".join(TRAIN_PREFIXES),
        help="id prefixes of the koen_parallel pairs to learn from (jhe- alone measures "
        "park-dev without training on it); park-test- is refused",
    )
    args = parser.parse_args()
    prefixes = tuple(args.train.split(","))
    if any(EVAL_PREFIX.startswith(prefix) or prefix.startswith(EVAL_PREFIX) for prefix in prefixes):
        parser.error(f"{EVAL_PREFIX}* is the evaluation split: it is never learned from")
    write(build(args.data, args.sources.split(","), prefixes), args.out)


if __name__ == "__main__":
    main()
