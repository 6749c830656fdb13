"""JSON Schemas of the data model and CLI contracts, generated into `schemas/`.

Run `python -m chatx.schemas` after changing a model; a test fails while they drift.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from chatx.models import (
    ActionResult,
    Chunk,
    Citation,
    IndexSummary,
    LedgerSummary,
    Message,
    Problem,
    QueryResult,
    RedactionReport,
    StatusReport,
)

MODELS: dict[str, type[BaseModel]] = {
    "message": Message,
    "chunk": Chunk,
    "citation": Citation,
    "problem": Problem,
    "query-result": QueryResult,
    "index-summary": IndexSummary,
    "status-report": StatusReport,
    # an underscore: the file name clients already read
    "redaction_report": RedactionReport,
    "action-result": ActionResult,
    "ledger-summary": LedgerSummary,
}


def render(model: type[BaseModel]) -> str:
    """The schema of `model` as stable, pretty JSON."""
    schema = model.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_all(folder: Path) -> list[Path]:
    """Write every schema into `folder` and return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, model in MODELS.items():
        path = folder / f"{name}.schema.json"
        path.write_text(render(model), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("schemas")
    for written in write_all(target):
        print(written, file=sys.stderr)
