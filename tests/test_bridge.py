"""The bridge: an English query finds the Korean seed, a Korean query the English ones, on the real
seeds index (real Kiwi, real Whoosh), through the engine, the API and the CLI; and it keeps
working after an incremental reindex leaves segments with deleted documents."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

from click.testing import CliRunner

from indexer.bridge import with_other_language
from indexer.cli import main
from indexer.index import reindex
from indexer.lexicon import lexicon
from indexer.names import (
    NameKeys,
    capitalised_runs,
    hangul_skeletons,
    hangul_vowel_key,
    latin_skeleton,
    latin_vowel_key,
)
from indexer.search import SearchEngine

KO = "002_2be1082304330c6a.txt"
ENGLISH = {"000_ed0244356ec5faa5.txt", "001_49fc5a5f86a7fafd.txt", "003_2813b88e44d30b11.txt"}


def ids(results) -> list[str]:
    return [hit.id for hit in results.hits]


def test_an_english_name_finds_the_korean_release(seeds_engine: SearchEngine) -> None:
    found = seeds_engine.search("Minister Kim Young-hoon")
    assert KO in ids(found)
    assert found.bridged["Kim Young-hoon"] == ["김영훈"]  # by its consonant skeleton
    assert KO not in ids(seeds_engine.search("Minister Kim Young-hoon", bridge=False))


def test_a_korean_query_finds_the_english_reports(seeds_engine: SearchEngine) -> None:
    found = seeds_engine.search("국제노동기구 사무총장")
    assert ids(found)[0] == KO  # the words as typed still rank first
    assert set(ids(found)) >= ENGLISH
    assert "secretary general" in found.bridged["사무총장"] and "labor" in found.bridged["노동"]
    assert ids(seeds_engine.search("국제노동기구 사무총장", bridge=False)) == [KO]


def test_exact_queries_are_not_bridged(seeds_engine: SearchEngine) -> None:
    for query in ('"labor policy"', "title:Geneva", "+Bangkok ILO", "labor AND policy"):
        assert seeds_engine.search(query).bridged == {}, query
    assert KO not in ids(seeds_engine.search("title:Geneva"))


def test_a_phrase_among_loose_words_is_translated_and_a_negated_word_is_not(seeds_engine) -> None:
    """A sentence with a quotation still finds its twin: the phrase stays exact in its language
    and its words are also searched in the other; ``-policy`` adds no 정책."""
    found = seeds_engine.search('"labor policy" Geneva')
    assert {"labor", "policy"} <= set(found.bridged) and KO in ids(found)
    negated = seeds_engine.search("labor -policy")
    assert "labor" in negated.bridged and "policy" not in negated.bridged


def test_what_was_also_searched_reads_as_words_not_index_stems(seeds_engine: SearchEngine) -> None:
    """The index holds ``polici`` and ``cooper``; the user reads policy and cooperate."""
    english = seeds_engine.search("labor policy cooperation").bridged
    assert english["policy"] == ["정책"] and "cooperation" in english and "polici" not in english
    korean = seeds_engine.search("협력 사무총장").bridged
    assert korean["협력"][0].startswith("cooperat") and korean["사무총장"] == ["secretary general"]
    assert seeds_engine.search("고용노동부 장관").bridged["노동부"] == ["Ministry of Labor"]


def test_the_api_says_what_it_added_and_can_be_switched_off(client) -> None:
    body = client.get("/api/search", query_string={"q": "labor policy"}).get_json()
    assert body["bridged"]["labor"][0] == "노동" and KO in [hit["id"] for hit in body["hits"]]
    off = client.get("/api/search", query_string={"q": "labor policy", "bridge": "off"}).get_json()
    assert off["bridged"] == {} and KO not in [hit["id"] for hit in off["hits"]]
    bad = client.get("/api/search", query_string={"q": "labor", "bridge": "maybe"})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_bridge"


def test_the_page_shows_what_it_also_searched_and_links_the_switch(client) -> None:
    page = client.get("/search", query_string={"q": "labor policy"}).get_data(as_text=True)
    assert "also searched:" in page and "노동" in page and "bridge=off" in page
    off = client.get("/search", query_string={"q": "labor policy", "bridge": "off"}).get_data(as_text=True)
    assert "also searched:" not in off and "Also search translations" in off


def test_related_documents_are_the_other_languages_best(client) -> None:
    body = client.get(f"/api/docs/{KO}/related").get_json()
    related = [item["id"] for item in body["related"]]
    assert set(related[:4]) >= ENGLISH and all(item["lang"] == "en" for item in body["related"])
    english = client.get("/api/docs/000_ed0244356ec5faa5.txt/related").get_json()
    assert [item["id"] for item in english["related"]] == [KO]
    assert client.get("/api/docs/nope.txt/related").status_code == 404
    page = client.get(f"/doc/{KO}").get_data(as_text=True)
    assert "In the other language" in page and "/doc/000_ed0244356ec5faa5.txt" in page


def test_cli_search_and_eval_take_no_bridge(seeds_index: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    on = runner.invoke(main, ["search", "labor policy", "--index", str(seeds_index), "--json"])
    off = runner.invoke(
        main, ["search", "labor policy", "--index", str(seeds_index), "--json", "--no-bridge"]
    )
    assert json.loads(on.output)["bridged"]["labor"][0] == "노동"
    assert json.loads(off.output)["bridged"] == {}
    plain = runner.invoke(main, ["search", "labor policy", "--index", str(seeds_index)])
    assert "also searched: 노동" in plain.output
    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "corpus.jsonl").write_text(
        json.dumps({"id": "k", "title": "", "text": "노동 정책을 발표했다"}) + "\n"
    )
    (folder / "queries.jsonl").write_text(json.dumps({"id": "q", "text": "labor policy"}) + "\n")
    (folder / "qrels.tsv").write_text("q\tk\t1\n")
    recalls = [
        json.loads(runner.invoke(main, ["eval", str(folder), "--json", *flag]).output)["recall@10"]
        for flag in ([], ["--no-bridge"])
    ]
    assert recalls == [1.0, 0.0]


def test_bridged_search_after_an_incremental_reindex(seeds_copy: Path, tmp_path: Path) -> None:
    """Edits and deletions leave old segments with deleted documents: the synonym groups' counts
    and the name keys still come out right."""
    index_dir = tmp_path / "index"
    reindex([seeds_copy], index_dir, procs=2)
    engine = SearchEngine(index_dir)
    assert KO in ids(engine.search("Minister Kim Young-hoon"))
    shutil.copy(seeds_copy / KO, seeds_copy / "copy.txt")
    (seeds_copy / KO).write_text("김영훈 장관은 노동 정책을 설명했다.", encoding="utf-8")
    (seeds_copy / "003_2813b88e44d30b11.txt").unlink()
    summary = reindex([seeds_copy], index_dir)
    assert (summary.added, summary.updated, summary.deleted) == (1, 1, 1)
    engine.refresh()
    assert engine._current().doc_count_all() > engine.doc_count()  # deletions still in segments
    found = ids(engine.search("Minister Kim Young-hoon labor policy"))
    assert {KO, "copy.txt"} <= set(found) and "003_2813b88e44d30b11.txt" not in found
    assert "003_2813b88e44d30b11.txt" not in [hit.id for hit in engine.related("copy.txt")]


def test_name_skeletons_meet_across_scripts() -> None:
    assert hangul_skeletons("김영훈") & {latin_skeleton("Kim Young-hoon")}
    assert hangul_skeletons("클린턴") & {latin_skeleton("Clinton")}
    assert hangul_skeletons("박근혜") & {latin_skeleton("Park Geun-hye")}
    assert not hangul_skeletons("김영훈") & {latin_skeleton("Clinton")}
    assert "Kim Young-hoon" in capitalised_runs("Minister Kim Young-hoon met the ILO")
    assert capitalised_runs("if McCain loses") == ["McCain"]  # not Cain
    assert hangul_skeletons("바그다드") & {latin_skeleton("Baghdad")}  # d is t, gh is g
    assert not hangul_skeletons("복합") & {latin_skeleton("Baghdad")}
    assert latin_vowel_key("Obama") == hangul_vowel_key("오바마") != hangul_vowel_key("봄")
    assert latin_vowel_key("Iraq") == hangul_vowel_key("이라크")  # the ㅡ of 크 is no vowel


def test_short_names_and_derived_words_find_the_other_language(tmp_path: Path) -> None:
    """Obama's skeleton (pm) is too short: its vowel key finds 오바마; Iraqi has no translation,
    the Iraq it derives from has; a word the lexicon translates is never read as a name."""
    corpus = tmp_path / "docs.jsonl"
    texts = ["오바마 대통령이 연설했다.", "이라크 대사가 말했다.", "봄이 왔다."]
    corpus.write_text("".join(json.dumps({"id": f"d{n}", "text": t}) + "\n" for n, t in enumerate(texts)))
    reindex([corpus], tmp_path / "index")
    engine = SearchEngine(tmp_path / "index")
    obama = engine.search("Obama")
    assert ids(obama) == ["d0"] and obama.bridged == {"Obama": ["오바마"]}
    iraqi = engine.search("the Iraqi ambassador")
    assert ids(iraqi)[0] == "d1" and iraqi.bridged["Iraqi"] == ["이라크"]
    assert NameKeys(["오바마", "봄"], is_word=lambda word: word == "오바마").korean_for("Obama") == []


def test_the_name_keys_are_built_once_a_commit_for_every_thread(tmp_path: Path) -> None:
    """A server thread searches through its own reader; the names' skeletons (seconds at 20k
    documents) are the commit's, shared, and built anew when a reindex adds a name."""
    corpus = tmp_path / "docs.jsonl"
    rows = [{"id": "d0", "text": "오바마 대통령이 연설했다."}]
    corpus.write_text("".join(json.dumps(row) + "\n" for row in rows))
    reindex([corpus], tmp_path / "index")
    engine = SearchEngine(tmp_path / "index")  # warm: built before any search
    first = engine._bridge.name_keys(engine._current().reader())
    seen: list = []

    def in_a_thread() -> None:
        seen.append((engine._current(), engine.search("Obama")))
        seen.append(engine._bridge.name_keys(engine._current().reader()))

    worker = threading.Thread(target=in_a_thread)
    worker.start()
    worker.join()
    (searcher, obama), keys = seen
    assert searcher is not engine._current() and keys is first and ids(obama) == ["d0"]
    rows.append({"id": "d1", "text": "젤렌스키 대통령이 말했다."})
    corpus.write_text("".join(json.dumps(row) + "\n" for row in rows))
    reindex([corpus], tmp_path / "index")
    assert ids(engine.search("Zelensky")) == ["d1"]
    assert engine._bridge.name_keys(engine._current().reader()) is not first


def test_the_other_language_keeps_places_on_the_first_page() -> None:
    ranked = ["en1", "en2", "en3", "en4", "en5", "en6", "ko1", "en7", "ko2", "ko3", "ko4"]
    shown = with_other_language(ranked, lambda hit: hit[:2], "en")
    assert shown[:7] == ["en1", "ko1", "en2", "ko2", "en3", "ko3", "en4"]
    assert sorted(shown) == sorted(ranked)  # nothing lost, nothing repeated
    assert with_other_language(ranked, lambda hit: hit[:2], None) == ranked
    assert with_other_language(["en1", "ko1"], lambda hit: hit[:2], "en") == ["en1", "ko1"]
    # Translations scored above the typed words: the query's own language still leads, each
    # language in its order (the seeds' `labor policy` once put the Korean 002 first).
    ahead = ["ko1", "ko2", "en1", "ko3", "ko4", "en2"]
    assert with_other_language(ahead, lambda hit: hit[:2], "en") == ["en1", "ko1", "en2", "ko2", "ko3", "ko4"]
    assert with_other_language(["ko1", "ko2"], lambda hit: hit[:2], "en") == ["ko1", "ko2"]


def test_cli_search_takes_a_user_lexicon(seeds_index: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DARI_LEXICON", str(tmp_path / "absent.tsv"))  # put back when the test ends
    mine = tmp_path / "mine.tsv"
    mine.write_text("노동\ttoil\n", encoding="utf-8")
    command = ["search", "toil", "--index", str(seeds_index), "--json"]
    try:
        shipped = json.loads(CliRunner().invoke(main, command).output)["bridged"]
        found = json.loads(CliRunner().invoke(main, [*command, "--lexicon", str(mine)]).output)
        assert found["bridged"] == {"toil": ["노동"]} != shipped
        assert KO in [hit["id"] for hit in found["hits"]]
    finally:
        lexicon.cache_clear()


def test_a_twin_holding_the_translations_beats_a_text_quoting_one_typed_word(tmp_path: Path) -> None:
    """The proximity bonus counts a query word found through its translations as found: the Korean
    sentence on the flood damage at the coast ranks above a Korean text that quotes ``Coast`` (an
    English film title), which the typed word alone once carried to the top."""
    corpus = tmp_path / "docs.jsonl"
    texts = [
        "영화 Coast 의 감독이 서울에 왔다.",
        "해안 지역에 홍수 피해가 컸다.",
        "봄이 왔다.",
        "시장이 열렸다.",
        "학교에 갔다.",
    ]
    corpus.write_text("".join(json.dumps({"id": f"d{n}", "text": t}) + "\n" for n, t in enumerate(texts)))
    reindex([corpus], tmp_path / "index")
    found = SearchEngine(tmp_path / "index").search("flood damage on the coast")
    assert {"flood", "damage"} <= set(found.bridged)
    assert ids(found)[:2] == ["d1", "d0"]
