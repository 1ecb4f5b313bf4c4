"""The shipped Korean↔English lexicon (indexer/data/lexicon.tsv.gz), its loader and its build script."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.lexicon import MAX_TRANSLATIONS, Lexicon

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def shipped() -> Lexicon:
    return Lexicon()


@pytest.fixture(scope="module")
def build_script():
    """tools/build_lexicon.py as a module (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location("build_lexicon", ROOT / "tools" / "build_lexicon.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def words(translations: list[tuple[str, float]]) -> list[str]:
    return [term for term, _ in translations]


def test_labor_and_노동_translate_each_other_without_stray_senses(shipped: Lexicon) -> None:
    assert "labor" in words(shipped.translations("노동"))
    labor = words(shipped.translations("labor"))
    assert "노동" in labor
    assert "출산" not in labor and "짐" not in labor  # labor (childbirth), a load: not what "labor" means


def test_정부_is_government_not_a_lover(shipped: Lexicon) -> None:
    government = shipped.translations("정부")
    assert government[0][0] == "govern"
    assert not {"lover", "mistress", "anarchi"} & set(words(government))  # 무정부 is not 정부
    assert "정부" in words(shipped.translations("govern"))


def test_titles_and_country_names(shipped: Lexicon) -> None:
    assert "minist" in words(shipped.translations("장관"))
    assert {"secretari general", "director general"} & set(words(shipped.translations("사무총장")))
    assert "thailand" in words(shipped.translations("태국"))
    assert "태국" in words(shipped.translations("thailand"))


def test_translations_are_ranked_and_capped(shipped: Lexicon) -> None:
    for term in ("make", "take", "만들다", "가다"):
        found = shipped.translations(term)
        assert 0 < len(found) <= MAX_TRANSLATIONS
        assert [w for _, w in found] == sorted((w for _, w in found), reverse=True)
    assert shipped.translations("zzxq") == []


def test_the_user_lexicon_overrides_and_is_reread_when_it_changes(tmp_path: Path) -> None:
    user = tmp_path / "user.tsv"
    user.write_text("정부\tadministration\nbroken line\n", encoding="utf-8")
    lexicon = Lexicon(user=user)
    assert lexicon.translations("정부") == [("administr", 1.0)]
    assert lexicon.translations("administr") == [("정부", 1.0)]
    assert lexicon.user.problems == [f"{user}:2: expected Korean<TAB>English words, skipped"]
    assert "minist" in words(lexicon.translations("장관"))  # words it does not list stay shipped

    user.write_text("정부\tcabinet\n", encoding="utf-8")
    stat = user.stat()
    os.utime(user, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a clock tick later
    assert lexicon.translations("정부") == [("cabinet", 1.0)]
    assert "정부" not in words(lexicon.translations("administr"))  # back to the shipped table

    user.unlink()
    assert words(lexicon.translations("정부"))[0] == "govern"


def test_the_build_never_reads_park_test_pairs(build_script, tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.jsonl"
    rows = [
        {"id": "park-dev-0001", "ko": "정부가 발표했다.", "en": "The government announced it."},
        {"id": "park-test-0001", "ko": "시험 문장", "en": "evaluation sentence"},
        {"id": "jhe-eval-0001", "ko": "노동", "en": "labor"},
        {"id": "other-0001", "ko": "기타", "en": "other"},
    ]
    pairs.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    kept = [pair_id for pair_id, _, _ in build_script.parallel_pairs(pairs)]
    assert kept == ["park-dev-0001", "jhe-eval-0001"]


def test_ibm_model_1_aligns_words_seen_together(build_script) -> None:
    corpus = [(["집"], ["hous"]), (["집", "크다"], ["big", "hous"]), (["크다", "개"], ["big", "dog"])]
    table = build_script.ibm_model_1(corpus, 5)
    assert table[("집", "hous")] > table[("집", "big")]
    assert table[("크다", "big")] > table[("크다", "dog")]
    assert build_script.ibm_model_1(corpus, 5) == table  # deterministic


def test_the_dictionary_filters(build_script) -> None:
    assert build_script.loses_prefix("무정부") and build_script.loses_prefix("비정규직")
    assert not build_script.loses_prefix("정부")
    assert build_script.is_romanisation("matjeolhada", "맞절하다")
    assert build_script.is_romanisation("hada", "하다")
    assert not build_script.is_romanisation("government", "정부")


def test_the_build_refuses_to_learn_from_park_test(tmp_path: Path) -> None:
    for prefixes in ("park-test-", "jhe-,park-"):
        run = subprocess.run(
            [
                sys.executable,
                str(ROOT / "tools" / "build_lexicon.py"),
                "--train",
                prefixes,
                "--data",
                str(tmp_path),
                "--out",
                str(tmp_path / "out.tsv.gz"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 2
        assert "park-test-* is the evaluation split: it is never learned from" in run.stderr
        assert not (tmp_path / "out.tsv.gz").exists()
