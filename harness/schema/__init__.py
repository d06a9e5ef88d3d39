"""The result document: typed records (`document.py`) and the JSON Schema they are written against
(`result.schema.json`, package data)."""

from bench.harness.schema.document import (
    SCHEMA_VERSION,
    Direction,
    MetricRecord,
    MetricValue,
    ModelRecord,
    PlotRecord,
    Provenance,
    ResultDocument,
    RunConfigRecord,
    TaskResult,
    TaskStatus,
)

__all__ = [
    "SCHEMA_VERSION", "Direction", "MetricRecord", "MetricValue", "ModelRecord", "PlotRecord", "Provenance",
    "ResultDocument", "RunConfigRecord", "TaskResult", "TaskStatus",
]
