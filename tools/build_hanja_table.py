"""Build dari's Hanja reading table, ``indexer/data/hanja.tsv.gz``, from the ``hanja`` package's table.

The ``hanja`` package (Sumin Byeon, WTFPL v2) pins pyyaml and requires pytest, pytest-cov and
coveralls at run time, so dari ships its table instead (licence in ``indexer/data/NOTICE``).  Its
``table.yml`` maps each of 27,497 ideographs to one Hangul syllable, one ``"\\uXXXX": "\\uYYYY"``
line each; it is read here without yaml.  Output rows: ``reading<TAB>ideographs`` (each reading once,
its ideographs in code point order), sorted, gzip with a zero timestamp: the same wheel gives the
same bytes.  Run from the repository root::

    .venv/bin/pip download --no-deps hanja==0.15.1 -d /tmp/hanja
    .venv/bin/python tools/build_hanja_table.py /tmp/hanja/hanja-0.15.1-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import gzip
import re
import zipfile
from collections import defaultdict
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent.parent / "indexer" / "data" / "hanja.tsv.gz"
ROW = re.compile(r'^"(\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})": "(\\u[0-9A-Fa-f]{4})"$')


def readings(table_yml: str) -> dict[str, str]:
    """ideograph → its Hangul reading, from the lines of hanja's table.yml."""
    table = {}
    for number, line in enumerate(table_yml.splitlines(), start=1):
        match = ROW.match(line.strip())
        if not match:
            raise SystemExit(f"table.yml:{number}: not an ideograph and its reading: {line[:60]!r}")
        ideograph, reading = (group.encode().decode("unicode_escape") for group in match.groups())
        table[ideograph] = reading
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="the hanja package's wheel")
    args = parser.parse_args()
    with zipfile.ZipFile(args.wheel) as wheel:
        table = readings(wheel.read("hanja/table.yml").decode("utf-8"))
    by_reading: dict[str, list[str]] = defaultdict(list)
    for ideograph, reading in table.items():
        by_reading[reading].append(ideograph)
    rows = "".join(f"{reading}\t{''.join(sorted(chars))}\n" for reading, chars in sorted(by_reading.items()))
    OUTPUT.write_bytes(gzip.compress(rows.encode("utf-8"), compresslevel=9, mtime=0))
    print(f"{len(table)} ideographs, {len(by_reading)} readings → {OUTPUT}")


if __name__ == "__main__":
    main()
