"""Random lives of a folder: files added, edited and deleted, reindexed incrementally between
changes, must search exactly like a fresh ``--full`` index of the same files (Hypothesis).

The model is a dict of what the folder should hold; the searches go through the engine a server
would hold open across all the reindexes, and through a fresh one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.index import reindex
from indexer.search import SearchEngine

SENTENCES = [
    "고용노동부는 최저임금 인상을 발표했다.",
    "국제노동기구(ILO)와 협력을 강화한다.",
    "The ministry announced new labor policies.",
    "Heatwave protection for platform workers.",
    "서울고용센터를 방문한 사무총장은 AI 면접을 체험했다.",
    "Bangkok hosts the ILO regional office.",
]
QUERIES = [
    "최저임금",
    "ILO",
    "labor policy",
    "협력을",
    "고용노동부",
    "heatwave -Bangkok",
    '"labor policies"',
    "서울고용센터",
    "ILO AND 협력",
    "lang:en ILO",
    "AI",
]
NAMES = [f"doc{i}.txt" for i in range(6)]

texts = st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=3).map("\n".join)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("write"), st.sampled_from(NAMES), texts),  # add, or edit if it exists
        st.tuples(st.just("delete"), st.sampled_from(NAMES[1:]), st.just("")),  # doc0 stays: never empty
        st.tuples(st.just("reindex"), st.just(""), st.just("")),
    ),
    min_size=1,
    max_size=10,
)


def hit_sets(engine: SearchEngine) -> dict[str, set[str]]:
    return {query: {hit.id for hit in engine.search(query, per_page=100).hits} for query in QUERIES}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_incremental_reindexes_search_like_a_full_rebuild(tmp_path: Path, steps) -> None:
    run = tmp_path / f"run{len(list(tmp_path.iterdir()))}"
    folder, index_dir = run / "docs", run / "index"
    folder.mkdir(parents=True)
    model = {"doc0.txt": SENTENCES[0]}
    (folder / "doc0.txt").write_text(SENTENCES[0], encoding="utf-8")
    reindex([folder], index_dir, procs=1)
    held = SearchEngine(index_dir)
    for action, name, text in steps:
        if action == "write":
            model[name] = text
            (folder / name).write_text(text, encoding="utf-8")
        elif action == "delete" and name in model:
            del model[name]
            (folder / name).unlink()
        elif action == "reindex":
            reindex([folder], index_dir, procs=2 if len(model) % 2 else 1)
    reindex([folder], index_dir, procs=1)
    full = SearchEngine(_rebuilt(folder, run / "full"))
    expected = hit_sets(full)
    assert held.doc_count() == full.doc_count() == len(model)
    assert hit_sets(held) == expected
    assert hit_sets(SearchEngine(index_dir)) == expected
    for query in ("최저임금", "ILO"):
        for hit in held.search(query, per_page=100).hits:
            assert query.lower() in model[hit.id].lower()
    shutil.rmtree(run)


def _rebuilt(folder: Path, index_dir: Path) -> Path:
    reindex([folder], index_dir, full=True, procs=1)
    return index_dir
