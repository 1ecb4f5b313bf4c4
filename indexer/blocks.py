"""A term's postings: pooled by term while indexing (``TermPool``), then on disk in Whoosh's W3 posting
blocks with docnums and weights as arrays.

Whoosh pickles each block of up to 128 postings as one tuple (docnum deltas, weights, values), so
every block read, to score a word or to find whether a hit holds it, unpickles hundreds of objects,
the positions (values) that scoring never looks at among them, and undoes the deltas in a Python
loop: a fifth of a Korean question's time at 20k documents.  Here a block is a fixed header (its
length, posting count, last docnum and best weight), then the docnums as an ``array("I")``, the
weights as an ``array("f")`` (one weight for all, or none when all are 1.0), then the values, read
only when asked for; numbers in network order, as Whoosh's ``StructFile.get_array`` reads them.
Term infos and files are W3's otherwise; ``codec.LeanCodec`` writes these blocks and reads them
with ``ArrayBlockMatcher``.  Imports nothing of dari.
"""

from __future__ import annotations

import heapq
import pickle
import struct
from array import array
from collections.abc import Iterator, Sequence
from itertools import groupby
from operator import itemgetter

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.compat import array_frombytes, dumps, loads
from whoosh.system import IS_LITTLE
from whoosh.writing import PostingPool

# Block length (negative for a term's last block), posting count, last docnum, best weight.
HEADER = struct.Struct("!iIId")
NO_WEIGHTS, ONE_WEIGHT, WEIGHTS = 0, 1, 2  # every weight 1.0; one weight for all; one each

# What a pooled posting and a pooled term hold in memory, in bytes, as a pool's limit counts them
# (CPython 3.11: a posting's docnum, weight and value end in arrays grown by an eighth; a term's
# bytes, dict entry, ``TermPostings`` and its three arrays and bytearray).
POSTING_BYTES, TERM_BYTES = 14, 460


class TermPostings:
    """One term's pooled postings: docnums, weights and where each value ends as arrays, the values
    joined.  Whoosh's tuple of four objects per posting took four to five times the memory: a 20k
    build's workers spilled sorted runs to disk and merged them back (a third of their CPU beyond
    Kiwi), and now keep their postings in memory.  (A term's values in one segment stay under 4 GiB,
    as the ends are 32-bit: some 400 million occurrences.)"""

    __slots__ = ("docnums", "weights", "ends", "values")

    def __init__(self) -> None:
        self.docnums, self.weights, self.ends, self.values = array("I"), array("f"), array("I"), bytearray()

    def add(self, docnum: int, weight: float, value: bytes | None) -> None:
        self.docnums.append(docnum)
        self.weights.append(weight)
        if value:
            self.values += value
        self.ends.append(len(self.values))

    def extend(self, later: TermPostings) -> None:
        """Append ``later``'s postings (a later run's: higher docnums)."""
        offset = len(self.values)
        self.docnums.extend(later.docnums)
        self.weights.extend(later.weights)
        self.ends.frombytes((np.frombuffer(later.ends, dtype=np.uint32) + offset).tobytes())
        self.values += later.values

    def encoded(self, limit: int, fixed_size: int | None, value_ends: bool) -> bytes:
        """The postings as ``encode_block``'s blocks of up to ``limit``, each block's value ends counted
        from its first value.  Most terms fit in one block: their arrays as they are."""
        if len(self.docnums) <= limit:
            arrays = (self.docnums, self.weights, self.ends, self.values)
            return encode_block(*arrays, fixed_size, True, value_ends)
        ends = np.frombuffer(self.ends, dtype=np.uint32)
        blocks = []
        for first in range(0, len(ends), limit):
            stop = first + limit
            start = int(ends[first - 1]) if first else 0
            block_ends = array("I")
            block_ends.frombytes((ends[first:stop] - start).tobytes())
            values = self.values[start : block_ends[-1] + start]
            block = (self.docnums[first:stop], self.weights[first:stop], block_ends, values)
            blocks.append(encode_block(*block, fixed_size, stop >= len(ends), value_ends))
        return b"".join(blocks)

    def to_bytes(self) -> tuple[bytes, bytes, bytes, bytes]:
        return self.docnums.tobytes(), self.weights.tobytes(), self.ends.tobytes(), bytes(self.values)

    @classmethod
    def from_bytes(cls, docnums: bytes, weights: bytes, ends: bytes, values: bytes) -> TermPostings:
        postings = cls()
        postings.docnums.frombytes(docnums)
        postings.weights.frombytes(weights)
        postings.ends.frombytes(ends)
        postings.values += values
        return postings


def encode_block(
    docnums: array,
    weights: array,
    ends: array,
    values: bytes | bytearray,
    fixed_size: int | None,
    last: bool,
    value_ends: bool = True,
) -> bytes:
    """One block of a term's postings, as ``ArrayBlockMatcher`` reads it: ``values`` joined, ``ends``
    where each ends in them; ``fixed_size`` is the field format's value size (None or negative:
    values of any size, 0: none).  Values of any size are stored after the array of where each
    ends (``value_ends``; an older dari pickled them as one tuple, which a hit's positions then
    unpickled whole: 128 postings' for one)."""
    count = len(docnums)
    if weights.count(1.0) == count:
        weight_bytes = bytes([NO_WEIGHTS])
    elif weights.count(weights[0]) == count:
        weight_bytes = bytes([ONE_WEIGHT]) + network_order(weights[:1])
    else:
        weight_bytes = bytes([WEIGHTS]) + network_order(weights)
    any_size = fixed_size is None or fixed_size < 0
    if any_size and not value_ends:
        starts = [0, *ends[:-1]]
        value_bytes = dumps(tuple(bytes(values[a:b]) for a, b in zip(starts, ends, strict=True)), 2)
    elif any_size:
        value_bytes = network_order(ends) + values
    else:
        value_bytes = values if fixed_size else b""
    data = network_order(docnums) + weight_bytes + value_bytes
    best = max(0.0, *weights)
    return HEADER.pack(-len(data) if last else len(data), count, docnums[-1], best) + data


def network_order(numbers: array) -> bytes:
    """The array's bytes as ``StructFile.get_array`` reads them back (big-endian)."""
    if IS_LITTLE:
        numbers = numbers[:]  # a copy to swap (a slice copies its bytes at once)
        numbers.byteswap()
    return numbers.tobytes()


class ArrayBlockMatcher(W3LeafMatcher):
    """Whoosh's W3 leaf matcher over ``encode_block``'s blocks: the same postings, read as arrays."""

    value_ends = True  # False: the block's values are one pickled tuple (an older dari's segment)

    def _goto(self, position: int) -> None:
        self._data = self._ids = self._weights = self._values = None
        self._i = 0
        length, count, last_docnum, best = HEADER.unpack(self._postfile.get(position, HEADER.size))
        self._lastblock = length < 0
        self._dataoffset = position + HEADER.size
        self._nextoffset = self._dataoffset + abs(length)
        self._blocklength, self._maxid, self._maxweight = count, last_docnum, best
        self._compression, self._minlength, self._maxlength = 0, 0, 0  # no length statistics

    def _read_ids(self) -> None:
        self._ids = self._postfile.get_array(self._dataoffset, "I", self._blocklength)

    def _weights_at(self) -> tuple[int, int]:
        """Where the block's weights start, and their kind."""
        start = self._dataoffset + 4 * self._blocklength
        return start + 1, self._postfile.get(start, 1)[0]

    def _read_weights(self) -> None:
        start, kind = self._weights_at()
        if kind == NO_WEIGHTS:
            self._weights = array("f", [1.0]) * self._blocklength
        elif kind == ONE_WEIGHT:
            self._weights = self._postfile.get_array(start, "f", 1) * self._blocklength
        else:
            self._weights = self._postfile.get_array(start, "f", self._blocklength)

    def _read_values(self) -> None:
        start, kind = self._weights_at()
        start += {NO_WEIGHTS: 0, ONE_WEIGHT: 4}.get(kind, 4 * self._blocklength)
        raw = self._postfile.get(start, self._nextoffset - start)
        size = self._fixedsize
        if (size is None or size < 0) and self.value_ends:
            self._values = EndedValues(raw, self._blocklength)
        elif size is None or size < 0:
            self._values = loads(raw)
        elif size == 0:
            self._values = (None,) * self._blocklength
        else:
            self._values = tuple(raw[i : i + size] for i in range(0, len(raw), size))

    def rest(self) -> tuple[np.ndarray, np.ndarray]:
        """The docnums and weights of the postings from the current one to the term's end, read
        straight from the file's bytes (of the memory map where the file is one): each block's
        arrays are joined as bytes and decoded once, not stepped a block at a time (a block's
        Python calls cost more than reading it).  The matcher itself is used up."""
        buf = getattr(self._postfile, "_buf", None)  # BufferFile and dari's MappedFile: the bytes
        read = (lambda at, size: buf[at : at + size]) if buf is not None else self._postfile.get
        ids, weights = [], []
        position, last = self._nextoffset, self._lastblock
        while not last:
            length, count, _, _ = HEADER.unpack(read(position, HEADER.size))
            start = position + HEADER.size
            ids.append(read(start, 4 * count))
            kind = read(start + 4 * count, 1)[0]
            if kind == WEIGHTS:
                weights.append(read(start + 4 * count + 1, 4 * count))
            else:  # one weight for all: its 4 bytes, count times
                weights.append((bytes(read(start + 4 * count + 1, 4)) if kind else _ONE) * count)
            position, last = start + abs(length), length < 0
        self.id(), self.weight()  # the current block's docnums and weights, read if not yet
        first_ids, first_weights = self._ids[self._i :], self._weights[self._i :]
        self._i, self._atend = self._blocklength, True
        docnums = np.concatenate([np.asarray(first_ids), np.frombuffer(b"".join(ids), dtype=">u4")])
        tfs = np.concatenate([np.asarray(first_weights), np.frombuffer(b"".join(weights), dtype=">f4")])
        return docnums, tfs


_ONE = struct.pack("!f", 1.0)


class EndedValues(Sequence):
    """A block's values of any size, each sliced from the block's bytes when asked for (a hit's
    positions need one posting's, not the block's 128)."""

    def __init__(self, raw: bytes, count: int) -> None:
        ends = array("I")
        array_frombytes(ends, raw[: 4 * count])
        if IS_LITTLE:
            ends.byteswap()
        self._ends, self._raw, self._start = ends, raw, 4 * count

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i: int) -> bytes:
        start = self._ends[i - 1] if i else 0
        return self._raw[self._start + start : self._start + self._ends[i]]


PooledTerm = tuple[str, bytes, TermPostings]  # a field, a term and its postings


class TermPool(PostingPool):
    """Whoosh's posting pool, kept by field and term (``TermPostings``) instead of as one list of
    postings.

    Whoosh's pool checks two types and sizes five objects per posting, and sorts all the postings
    at commit (a tenth of indexing's CPU beyond Kiwi); here a posting joins its term's arrays, and
    only the terms are sorted.  Postings arrive in docnum order (documents, then merged segments'
    documents after them), so each term's are already in order.  Past its limit the pool spills a
    sorted run of terms to disk, and at commit the runs' terms are merged, a term's postings from
    each run in turn.
    """

    def __init__(self, tempstore, segment, limitmb: float) -> None:
        super().__init__(tempstore, segment, limitmb=limitmb)
        self._fields: dict[str, dict[bytes, TermPostings]] = {}

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        """Add Whoosh's posting (field, term, docnum, weight, value)."""
        fieldname, text, docnum, weight, value = item
        terms = self._fields.get(fieldname)
        if terms is None:
            terms = self._fields[fieldname] = {}
            self.fieldnames.add(fieldname)
        postings = terms.get(text)
        if postings is None:
            postings = terms[text] = TermPostings()
            self.currentsize += TERM_BYTES + len(text)
        postings.add(docnum, weight, value)
        self.currentsize += POSTING_BYTES + (len(value) if value else 0)
        if self.currentsize > self.limit:
            self.save()

    def _terms(self) -> Iterator[PooledTerm]:
        """(field, term, postings) of the pool in memory, in field and term order."""
        for fieldname in sorted(self._fields):
            terms = self._fields[fieldname]
            for text in sorted(terms):
                yield fieldname, text, terms[text]

    def save(self) -> None:
        if not self._fields:
            return
        path, run = self._new_run()
        with run:
            for fieldname, text, postings in self._terms():
                pickle.dump((fieldname, text, *postings.to_bytes()), run, pickle.HIGHEST_PROTOCOL)
        self._add_run(path)
        self._fields, self.currentsize = {}, 0

    def _read_run(self, path: str) -> Iterator[PooledTerm]:
        with self._open_run(path) as run:
            while True:
                try:
                    fieldname, text, *arrays = pickle.load(run)
                except EOFError:
                    break
                yield fieldname, text, TermPostings.from_bytes(*arrays)
        self._remove_run(path)

    def iter_postings(self) -> Iterator[PooledTerm]:
        """The pool's (field, term, postings) in order, which ``codec.BulkFieldWriter`` writes a
        term at a time (Whoosh's pool gives its postings one by one)."""
        if not self.runs:
            return self._terms()
        self.save()
        runs, self.runs = self.runs, []
        return self._merged(runs)

    def _merged(self, runs: list[str]) -> Iterator[PooledTerm]:
        """The runs' terms in order, each term's postings joined in the order of the runs."""
        # heapq.merge yields equal keys in the order of its inputs: the runs', so the docnums'.
        merged = heapq.merge(*map(self._read_run, runs), key=itemgetter(0, 1))
        for (fieldname, text), parts in groupby(merged, key=itemgetter(0, 1)):
            (_, _, postings), *later = parts
            for _, _, more in later:
                postings.extend(more)
            yield fieldname, text, postings

    def cleanup(self) -> None:
        self._fields = {}
        super().cleanup()
