"""Document readers' speed: extraction alone per format against a whole `dari reindex` of the files.

Run from the repository root (inside the project's virtualenv, with the test extra for reportlab):

    python benchmarks/documents.py            # 100 each of PDF (3 pages), DOCX and HWPX
    python benchmarks/documents.py --count 300

The PDFs and DOCX files are written by the same helpers as tests/test_readers.py (seeded Korean and
English lines), the HWPX files are copies of the real no-manifest notice in tests/fixtures/documents.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_readers import FIXTURES, write_docx, write_pdf  # noqa: E402

from indexer.readers import read  # noqa: E402

WORDS = (
    "국제노동기구 협력 고용 동향 청년 일자리 지원 정책 노동시장 통계 발표 "
    "labour market policy youth employment decent work"
).split()


def write_files(folder: Path, count: int, seed: int) -> None:
    rng = random.Random(seed)

    def line() -> str:
        return " ".join(rng.choice(WORDS) for _ in range(8))

    for number in range(count):
        write_pdf(folder / f"report{number}.pdf", ["\n".join(line() for _ in range(30)) for _ in range(3)])
        write_docx(
            folder / f"brief{number}.docx",
            "\n".join(line() for _ in range(20)),
            header=line(),
            text_box=line(),
            footnote=line(),
            title=f"보고서 {number}",
        )
        shutil.copy(FIXTURES / "hwpxlib_error_20240626_no_manifest.hwpx", folder / f"notice{number}.hwpx")


def extraction(folder: Path) -> list[dict]:
    """Each format's files read by ``readers.read`` in this one process: files, pages, seconds."""
    read(next(folder.glob("*.pdf")))  # load pdfium and the readers before timing
    rows = []
    for suffix in ("pdf", "docx", "hwpx"):
        files = sorted(folder.glob(f"*.{suffix}"))
        started = time.perf_counter()
        pages = sum(len(read(path).pages or [1]) for path in files)
        rows.append(
            {"format": suffix, "files": len(files), "pages": pages, "seconds": time.perf_counter() - started}
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100, help="files of each format (default 100)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dari-documents-") as tmp:
        folder = Path(tmp, "files")
        folder.mkdir()
        write_files(folder, args.count, args.seed)
        print("| format | files | extraction ms/file | ms/page |")
        print("|---|---:|---:|---:|")
        rows = extraction(folder)
        for row in rows:
            print(
                f"| {row['format']} | {row['files']} | {1000 * row['seconds'] / row['files']:.1f} | "
                f"{1000 * row['seconds'] / row['pages']:.1f} |"
            )
        extracted = sum(row["seconds"] for row in rows)
        started = time.perf_counter()
        dari = Path(sys.executable).with_name("dari")
        subprocess.run(
            [dari, "reindex", folder, "--full", "--index", Path(tmp, "index")],
            check=True,
            capture_output=True,
        )
        reindex = time.perf_counter() - started
        print(
            f"\n`dari reindex --full` of all {3 * args.count} files: {reindex:.1f} s, of which "
            f"extraction alone {extracted:.1f} s ({100 * extracted / reindex:.0f} %)"
        )


if __name__ == "__main__":
    main()
