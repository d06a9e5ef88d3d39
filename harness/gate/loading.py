"""Opening the two runs the gate compares: the typed document, its folder, its sample records.

A run is a result.json path (or its run folder), a `ResultDocument`, or a JSON dict of one. Sample
records are read through `bench.harness.results.read_samples` (the one reader: inside the run folder
only, sha256 checked) and only when a test needs them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness.errors import ResultFileError
from bench.harness.results import read_result, read_samples, result_path, validate_result
from bench.harness.schema import ResultDocument


@dataclass(frozen=True)
class RunIdentity:
    """Who produced a result document: enough to say in a report what was compared with what."""

    path: str | None
    model: str
    fingerprint: str
    backend: str
    run_id: str
    created_at: str
    seed: int
    git_revision: str | None

    @classmethod
    def of(cls, document: ResultDocument, path: Path | None) -> RunIdentity:
        return cls(
            path=str(path) if path else None, model=document.model.name, fingerprint=document.model.fingerprint,
            backend=document.model.backend, run_id=document.run_id, created_at=document.created_at,
            seed=document.provenance.seed, git_revision=document.provenance.git_revision,
        )


@dataclass
class GateRun:
    """A loaded document, the folder its samples files live in (None: none to read), and samples read so far."""

    label: str
    document: ResultDocument
    folder: Path | None
    path: Path | None
    _samples: dict[str, dict[str, dict[str, Any]] | None] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)  # task -> why its samples are not used

    def samples(self, task: str) -> dict[str, dict[str, Any]] | None:
        """Records of `task` by id, or None where there is no samples file to read (or no hash to check it)."""
        if task not in self._samples:
            entry = self.document.tasks[task]
            records = None
            if self.folder is not None and entry.samples_file:
                records = read_samples(self.folder, entry, label=self.label)
                if records is None:
                    self.notes[task] = f"{self.label} records no samples_sha256: its samples are not used"
            self._samples[task] = records
        return self._samples[task]

    @property
    def identity(self) -> RunIdentity:
        return RunIdentity.of(self.document, self.path)


def open_run(source: ResultDocument | Mapping[str, Any] | str | Path, label: str, folder: Path | None) -> GateRun:
    """The run `source` names; ResultFileError (prefixed with `label`) when it is missing or invalid."""
    if isinstance(source, ResultDocument):
        return GateRun(label, source, folder, None)
    if isinstance(source, Mapping):
        validate_result(dict(source), where=f"{label} document")
        return GateRun(label, ResultDocument.from_json(source), folder, None)
    file = result_path(source)
    try:
        document = read_result(file)
    except ResultFileError as exc:
        raise ResultFileError(f"{label}: {exc}") from None
    return GateRun(label, document, file.parent, file)
