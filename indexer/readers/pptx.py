"""PPTX with ``python-pptx``: each slide's shapes (text frames, tables, groups), then its notes;
``pages`` are where the slides start.

Imports ``readers``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from indexer.readers import Extracted, checked_zip, from_pages


def read(path: Path) -> Extracted:
    checked_zip(path, "PPTX").close()
    presentation = Presentation(str(path))
    slides = []
    for slide in presentation.slides:
        parts = list(_shape_texts(slide.shapes))
        notes = slide.notes_slide.notes_text_frame if slide.has_notes_slide else None
        if notes is not None:
            parts.append(notes.text)
        slides.append("\n".join(parts))
    return from_pages(slides, presentation.core_properties.title)


def _shape_texts(shapes: Iterable) -> Iterator[str]:
    for shape in shapes:
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            yield from _shape_texts(shape.shapes)
        elif shape.has_text_frame:
            yield shape.text_frame.text
        elif getattr(shape, "has_table", False) and shape.has_table:
            for row in shape.table.rows:
                yield "\t".join(cell.text for cell in row.cells)
