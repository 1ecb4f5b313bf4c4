"""The on-disk format dari writes: Whoosh's W3 codec with ``blocks``' posting blocks and no length
statistics (``LeanCodec``), and its field writer, which writes a segment's pooled terms in bulk.

tests/test_parallel_index.py compares what it writes, postings and term infos, with Whoosh's own
writer's.  Imports ``blocks``.
"""

from __future__ import annotations

import pickle
import struct
from array import array
from collections.abc import Iterator
from hashlib import md5
from itertools import groupby
from operator import itemgetter

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3FieldWriter
from whoosh.filedb.filetables import OrderedHashWriter
from whoosh.filedb.structfile import StructFile
from whoosh.system import pack_ushort

from indexer.blocks import ArrayBlockMatcher, PooledTerm, network_order

# W3TermInfo's bytes for postings in the postings file: its struct (not inlined, weight, document
# frequency, shortest and longest length as bytes, best weight, first and last docnum), then the
# postings' offset and length.  Before each key and value in the term index: their lengths.
TERM_INFO = struct.Struct("!BfIBBfIIqi")
TERM_ENTRY_LENGTHS = struct.Struct("!ii")


class LeanCodec(W3Codec):
    """Whoosh's default codec without per-posting length statistics, its posting blocks those of
    ``blocks`` (docnums and weights as arrays, uncompressed).

    For every posting, the stock writer looks up its document's field length to record each
    block's shortest document, which only bounds block-max skipping; search scores every match
    (``usequality=False``), and a bound of length 0 stays a safe over-estimate.  Uncompressed
    posting blocks make the index 2–3× larger and indexing and queries ~5 % faster.  Each segment
    keeps its codec (pickled in the commit): one written before the array blocks has no
    ``array_blocks`` of its own and is read as W3's blocks, until a merge or rebuild rewrites it.
    """

    length_stats = False
    array_blocks = False  # what a codec pickled before the array blocks reads as
    value_ends = False  # and before the values of any size were stored by their ends

    def __init__(self) -> None:
        super().__init__(compression=0)
        self.array_blocks = True
        self.value_ends = True

    def field_writer(self, storage, segment) -> W3FieldWriter:
        return BulkFieldWriter(self, storage, segment)

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if not self.array_blocks or terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        matcher = ArrayBlockMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)
        matcher.value_ends = self.value_ends
        return matcher


class CountingFile(StructFile):
    """A file being written that counts where it is: Whoosh asks ``tell()`` before each term's
    postings and twice per term in the term index, an ``lseek`` each (7 % of indexing's CPU on the
    mix).  Every write goes through ``write``, arrays and pickles included."""

    def __init__(self, opened: StructFile) -> None:
        super().__init__(opened.file, opened._name, opened.onclose)
        self._at = opened.tell()

    def write(self, data) -> int:
        written = self.file.write(data)
        self._at += written
        return written

    def tell(self) -> int:
        return self._at

    def seek(self, *args) -> int:
        self._at = self.file.seek(*args)
        return self._at

    def write_array(self, numbers: array) -> None:
        self.write(network_order(numbers))

    def write_pickle(self, obj, protocol: int = -1) -> None:
        self.write(pickle.dumps(obj, protocol))


class BulkFieldWriter(W3FieldWriter):
    """Whoosh's field writer, writing each term's postings in one go, in ``blocks``' format.

    Whoosh makes a call (and four type checks) per posting and a dozen per term; here a term is
    one pass over its pooled arrays (``TermPostings``, so only a ``TermPool``'s postings), its term
    info packed as ``finish_postings`` fills it, and a field's term index written in bulk.
    ``lengths`` (for length statistics) are never given: ``LeanCodec`` keeps none.
    tests/test_parallel_index.py compares the postings and term infos with Whoosh's own writer's.
    """

    def __init__(self, codec: LeanCodec, storage, segment) -> None:
        super().__init__(codec, storage, segment)
        self._postfile = CountingFile(self._postfile)
        self._tindex.dbfile = CountingFile(self._tindex.dbfile)

    def add_postings(self, schema, lengths, items: Iterator[PooledTerm]) -> None:
        for fieldname, terms in groupby(items, key=itemgetter(0)):
            self.start_field(fieldname, schema[fieldname])
            add_in_order(self._tindex, self._term_infos(terms))
            self.finish_field()

    def _term_infos(self, terms: Iterator[PooledTerm]) -> Iterator[tuple[bytes, bytes]]:
        """Write each term's postings; yield its key and term info for the term index, the bytes
        ``W3TermInfo.to_bytes`` gives for what ``finish_postings`` would fill in."""
        key_prefix, postfile = pack_ushort(self._fieldid), self._postfile
        fixed_size, limit = self._format.fixed_value_size(), self._codec._blocklimit
        value_ends = self._codec.value_ends
        for _, btext, postings in terms:
            docnums, weights = postings.docnums, postings.weights
            written = WHOOSH3_HEADER_MAGIC + postings.encoded(limit, fixed_size, value_ends)
            start = postfile.tell()
            postfile.write(written)
            # add_posting's running total and maximum (from 0) of the weights; no lengths
            best = max(0.0, max(weights))
            yield (
                key_prefix + btext,
                TERM_INFO.pack(
                    0, sum(weights), len(docnums), 0, 0, best, docnums[0], docnums[-1], start, len(written)
                ),
            )


def add_in_order(tindex: OrderedHashWriter, entries: Iterator[tuple[bytes, bytes]]) -> None:
    """``tindex.add(key, value)`` for each entry, written a megabyte at a time: Whoosh's add makes
    three writes and formats an MD5 as hex to take its last 32 bits (a fifth of a segment's writing)."""
    dbfile, buckets, positions, lastkey = tindex.dbfile, tindex.buckets, [], tindex.lastkey
    data = bytearray()
    for key, value in entries:
        if key <= lastkey:
            raise ValueError(f"Keys must increase: {lastkey!r}..{key!r}")
        position = dbfile.tell() + len(data)
        positions.append(position)
        data += TERM_ENTRY_LENGTHS.pack(len(key), len(value))
        data += key
        data += value
        hashed = int.from_bytes(md5(key, usedforsecurity=False).digest()[-4:], "big")  # filetables.md5_hash
        buckets[hashed & 255].append((hashed, position))
        lastkey = key
        if len(data) > 1 << 20:
            dbfile.write(data)
            data.clear()
    dbfile.write(data)
    tindex.index.extend(positions)
    tindex.lastkey = lastkey
