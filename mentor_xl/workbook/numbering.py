"""Dictionary-encoding the columns of a log, with a shortcut for the column that numbers its rows.

An office's log usually keeps a 序号 column: 1, 2, 3 … down the rows, every value its own.
Arrow's ``dictionary_encode`` hashes all of them into a table as large as the column: in the
child that loads a 200k-row log (``aside``) that one column took 80 ms of the ~0.12 s all its
columns took, on the way to the hand-over. Numbers that follow the rows are distinct by
construction and need no hashing: only the column's other cells (the title, the header, a
footer, a gap, a number typed twice) are hashed. The result is the one ``dictionary_encode``
gives: the same dictionary in the same order, the same codes. In a warm process hashing is as
quick (the hash table's memory is already there): the parent's reader keeps Arrow's own.

Nothing here may import pandas (the command line forks the child before it does): arrays cross
between numpy and Arrow by their buffers (``_numpy``, ``_arrow``), never by ``pa.array`` or
``to_numpy``, and no kernel is given a Python scalar.
"""
from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

MIN_ROWS = 10_000  # below this the hashing costs nothing worth a shortcut
SAMPLE = 64  # cells looked at to guess whether a column numbers its rows
_INT = r"^(?:0|-?[1-9][0-9]{0,17})$"  # an integer written as a number cell reads as text
_IS_INT = re.compile(_INT).match


def dictionary_encode(col: pa.Array) -> pa.DictionaryArray:
    """``pc.dictionary_encode(col)``; faster when most cells of ``col`` number its rows."""
    off = _offset(col)
    if off is None:
        return pc.dictionary_encode(col)
    n = len(col)
    # the numbering as it reads, row by row: "off", "off + 1", …
    expected = pc.cast(_arrow(np.arange(off, off + n, dtype=np.int64)), col.type)
    follows = _numpy(pc.equal(col, expected))
    if follows.sum() * 2 < n:
        return pc.dictionary_encode(col)
    at = np.flatnonzero(follows)  # the numbers, one entry each
    others = np.flatnonzero(~follows)
    rest = pc.dictionary_encode(col.take(_arrow(others)))  # the other cells: hashed
    rest_codes = _numpy(rest.indices, null=-1).astype(np.int64)
    k, valid = len(rest.dictionary), rest_codes >= 0
    first_other = np.full(k, n, dtype=np.int64)  # where each other value first stands
    np.minimum.at(first_other, rest_codes[valid], others[valid])
    # an other value that reads as one of the numbers (a "5" above the fifth row) is that entry
    entry = np.full(n, -1, dtype=np.int64)
    entry[at] = np.arange(len(at))
    same = np.full(k, -1, dtype=np.int64)  # the number's entry, or -1
    ints = np.flatnonzero(_numpy(pc.match_substring_regex(rest.dictionary, _INT))) if k else \
        np.array([], dtype=np.int64)
    if len(ints):
        pos = _numpy(pc.cast(rest.dictionary.take(_arrow(ints)), pa.int64())) - off
        inside = (pos >= 0) & (pos < n)
        same[ints[inside]] = entry[pos[inside]]
    own = same < 0
    # each entry's first place (the dictionary's order): a number's own, or earlier as an other cell
    first = at.copy()
    np.minimum.at(first, same[~own], first_other[~own])
    first = np.concatenate([first, first_other[own]])
    order = np.argsort(first, kind="stable")  # nearly in order already; places are distinct
    code = np.empty(len(first), dtype=np.int64)
    code[order] = np.arange(len(first))
    of_rest = np.empty(k, dtype=np.int64)
    of_rest[own] = code[len(at):]
    of_rest[~own] = code[same[~own]]
    codes = np.full(n, -1, dtype=np.int64)
    codes[at] = code[:len(at)]
    codes[others[valid]] = of_rest[rest_codes[valid]]
    dictionary = col.take(_arrow(first[order]))  # each value from its first place
    return pa.DictionaryArray.from_arrays(_arrow(codes.astype(np.int32), null=codes < 0), dictionary)


def _offset(col: pa.Array) -> int | None:
    """The number the first row would have if ``col`` numbers its rows (value − place, agreed by
    three quarters of a sample of its cells), or None: no numbering worth the shortcut."""
    n = len(col)
    if n < max(MIN_ROWS, 1) or not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        return None
    middle = col[n // 2].as_py()
    if middle is None or not _IS_INT(middle):
        return None  # most columns are told by one cell, before a sample is taken
    at = np.linspace(0, n - 1, SAMPLE).astype(np.int64)
    sample = col.take(_arrow(at))
    is_int = _numpy(pc.match_substring_regex(sample, _INT))
    if is_int.sum() * 4 < SAMPLE * 3:
        return None
    vals = _numpy(pc.cast(sample.take(_arrow(np.flatnonzero(is_int))), pa.int64()))
    offs, counts = np.unique(vals - at[is_int], return_counts=True)
    best = int(np.argmax(counts))
    return int(offs[best]) if counts[best] * 4 >= SAMPLE * 3 else None


# Between numpy and Arrow by their buffers: pyarrow's own ways import pandas on first use, 0.15–0.3 s
# of the child's way to the hand-over (see the module's docstring).


def _bits(buf: pa.Buffer, offset: int, n: int) -> np.ndarray:
    return np.unpackbits(np.frombuffer(buf, dtype=np.uint8), bitorder="little")[offset:offset + n].astype(bool)


def _numpy(a: pa.Array, null=0) -> np.ndarray:
    """A boolean or integer Arrow array as numpy, ``null`` where it is null (False for booleans)."""
    n = len(a)
    validity, values = a.buffers()[:2]
    if pa.types.is_boolean(a.type):
        out = _bits(values, a.offset, n) if n and values is not None else np.zeros(n, dtype=bool)
        null = False
    else:
        dtype = np.dtype(f"int{a.type.bit_width}")  # signed: what casts and indices give
        out = np.frombuffer(values, dtype=dtype, count=n, offset=a.offset * dtype.itemsize).copy() \
            if n and values is not None else np.zeros(n, dtype=dtype)
    if a.null_count and validity is not None:
        out[~_bits(validity, a.offset, n)] = null
    return out


def _arrow(values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """An integer numpy array as Arrow (``null``: where it is null)."""
    values = np.ascontiguousarray(values, dtype=np.int32 if values.dtype == np.int32 else np.int64)
    kind = pa.int32() if values.dtype == np.int32 else pa.int64()
    validity, nulls = None, 0
    if null is not None and null.any():
        validity, nulls = pa.py_buffer(np.packbits(~null, bitorder="little")), int(null.sum())
    return pa.Array.from_buffers(kind, len(values), [validity, pa.py_buffer(values)], null_count=nulls)
