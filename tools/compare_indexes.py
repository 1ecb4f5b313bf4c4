"""Check that two indexes of the same files hold the same documents, terms and postings.

For work on the indexing path: build an index of a sample with the code before a change and one
with the code after (``PYTHONPATH`` at an unpacked copy of the old commit), then compare them.
Documents are matched by id, so two builds that numbered them differently (one process against
several, one segment against two) compare too.  Every indexed field's terms must be the same, and
each term's postings (document, weight and value bytes: positions and characters included); the
stored fields too.  Exits 1 at the first difference.  Run from the repository root::

    PYTHONPATH=/tmp/old .venv/bin/dari reindex SAMPLE --full --index /tmp/before
    .venv/bin/dari reindex SAMPLE --full --index /tmp/after
    .venv/bin/python tools/compare_indexes.py /tmp/before /tmp/after
"""

from __future__ import annotations

import argparse
import sys

from whoosh import index
from whoosh.reading import IndexReader


def postings(reader: IndexReader, ids: dict[int, str], field: str, term: bytes) -> list[tuple]:
    matcher = reader.postings(field, term)
    found = []
    while matcher.is_active():
        found.append((ids[matcher.id()], matcher.weight(), matcher.value()))
        matcher.next()
    return sorted(found)


def difference(before: IndexReader, after: IndexReader) -> str | None:
    """What differs between the two readers' indexes (None: nothing)."""
    ids_before = {n: fields["id"] for n, fields in before.iter_docs()}
    ids_after = {n: fields["id"] for n, fields in after.iter_docs()}
    if sorted(ids_before.values()) != sorted(ids_after.values()):
        return "the documents differ"
    stored_after = {fields["id"]: fields for _, fields in after.iter_docs()}
    for _, fields in before.iter_docs():
        if stored_after[fields["id"]] != fields:
            return f"the stored fields of {fields['id']} differ"
    terms = count = 0
    for field in sorted(set(before.schema.names()) | set(after.schema.names())):
        if field not in before.schema or field not in after.schema:
            return f"only one index has the field {field}"
        if not before.schema[field].indexed:
            continue
        lexicon = list(before.lexicon(field))
        if lexicon != list(after.lexicon(field)):
            return f"the terms of {field} differ"
        for term in lexicon:
            listed = postings(before, ids_before, field, term)
            if listed != postings(after, ids_after, field, term):
                return f"the postings of {field}:{term.decode('utf-8', 'replace')} differ"
            terms, count = terms + 1, count + len(listed)
    print(f"same: {len(ids_before)} documents, {terms} terms, {count} postings")
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before")
    parser.add_argument("after")
    args = parser.parse_args()
    with index.open_dir(args.before).reader() as before, index.open_dir(args.after).reader() as after:
        problem = difference(before, after)
    if problem:
        sys.exit(problem)


if __name__ == "__main__":
    main()
