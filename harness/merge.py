"""`bench merge SHARD_DIRS... -o OUT`: join the shards of one sharded run into the unsharded run's document.

`bench eval --shard i/n` evaluates a seeded partition of every task's units (harness/sharding.py).
Merging checks that the folders are the n parts of ONE run, then concatenates each task's sample
records and summarizes them once (harness/samples.py, the same call the scheduler makes), so
with greedy decoding the merged metrics equal the unsharded run's exactly.

Each refusal is one line (MergeError, exit 2), checked before anything is written:

- a folder that is not a sharded run, or shards of different n;
- a shard index given twice, or missing (every i of n must be present);
- a configuration difference other than the shard and the keys that only say where and how a
  run was executed (OPERATIONAL_KEYS: output folder, cache, progress, batch size, gate);
- a different model (fingerprint, backend or backend arguments) or seed;
- a task missing from a shard, failed in a shard, or with a different version, metrics_version
  or task config;
- a sample id present in two shards;
- a task whose installed version differs from the shards' (harness/rescore.py's check).

The merged document records its parts in `provenance.merged_from` (shard, run id, sha256 of each
result.json); request counts and timings are the sums over the shards.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness.errors import UsageError
from bench.harness.rescore import load_task_for, summarize_entry, task_records
from bench.harness.results import (
    RESULT_FILENAME,
    json_safe,
    read_result,
    result_path,
    validate_result,
    write_json_atomic,
    write_jsonl_atomic,
)
from bench.harness.samples import canonical_samples, sample_order_key
from bench.harness.schema import ResultDocument, RunConfigRecord, TaskResult
from bench.harness.sharding import Shard

__all__ = ["OPERATIONAL_KEYS", "MergeError", "MergeOutcome", "merge", "register"]

# Run-config keys that say where and how a run executed, not what it measured.
OPERATIONAL_KEYS = frozenset(
    {"shard", "output_path", "cache_path", "use_cache", "rebuild_cache", "show_progress", "gate_against",
     "gate_policy", "batch_size"}
)


class MergeError(UsageError):
    """Shard folders that are not the complete, disjoint parts of one run."""


@dataclass(frozen=True)
class MergeOutcome:
    document: ResultDocument
    result_path: Path


@dataclass(frozen=True)
class _Part:
    folder: Path
    shard: Shard
    document: ResultDocument
    sha256: str

    @property
    def label(self) -> str:
        return f"shard {self.shard} ({str(self.folder)!r})"


def merge(shard_dirs: list[str | Path], output: str | Path, tasks: list[str] | None = None) -> MergeOutcome:
    """Check that `shard_dirs` are the n shards of one run and write the merged run to `output`.

    `tasks` merges only those tasks of the run (the others are neither checked nor written), e.g.
    to keep the finished tasks of a run where one task failed in a shard.
    """
    from bench.harness.scheduler import task_seed

    if not shard_dirs:
        raise MergeError("no shard folders given: bench merge SHARD_DIR... -o OUT")
    parts = [_read_part(Path(d)) for d in shard_dirs]
    if tasks:
        unknown = sorted(set(tasks) - set(parts[0].document.tasks))
        if unknown:
            raise MergeError(f"--tasks {', '.join(unknown)} not in the run; it has: {', '.join(parts[0].document.tasks)}")
        parts = [_only_tasks(p, tasks) for p in parts]
    _check_complete(parts)
    first = parts[0]
    for part in parts[1:]:
        _check_same_run(first, part)
    for part in parts:
        for name, entry in part.document.tasks.items():
            if not entry.ok:
                raise MergeError(f"task {name!r} failed in {part.label} ({entry.error}); run that shard again")
    out = Path(output)
    _check_output(out)

    records: dict[str, list[dict[str, Any]]] = {}
    for name in first.document.tasks:
        owner: dict[str, str] = {}
        merged: list[dict[str, Any]] = []
        for part in parts:
            for record in task_records(part.folder, part.document.tasks[name], part.label):
                key = sample_order_key(record)
                if key in owner:
                    raise MergeError(
                        f"task {name!r}: sample id {record['id']!r} is in both {owner[key]} and {part.label}: "
                        "the shards overlap (were they run with different seeds or task code?)"
                    )
                owner[key] = part.label
                merged.append(record)
        records[name] = merged
    installed = {name: load_task_for(entry, f"merged run {str(out)!r}") for name, entry in first.document.tasks.items()}
    out.mkdir(parents=True, exist_ok=True)  # every check passed: now write

    merged_tasks: dict[str, TaskResult] = {}
    for name, entry in first.document.tasks.items():
        task, config = installed[name]
        samples = canonical_samples(records[name], name)
        samples_file = f"samples_{name}.jsonl"
        sha = write_jsonl_atomic(out / samples_file, samples)
        base = dataclasses.replace(
            entry, samples_file=samples_file, samples_sha256=sha,
            wall_time_s=round(sum(p.document.tasks[name].wall_time_s for p in parts), 3),
        )
        seed = task_seed(first.document.config.seed, name)
        merged_tasks[name] = summarize_entry(base, task, config, samples, seed, out, f"merged run {str(out)!r}")

    document = _merged_document(parts, merged_tasks)
    data = json_safe(document)
    validate_result(data)
    target = out / RESULT_FILENAME
    write_json_atomic(target, data)
    return MergeOutcome(document, target)


def _only_tasks(part: _Part, tasks: list[str]) -> _Part:
    document = part.document
    kept = {name: entry for name, entry in document.tasks.items() if name in tasks}
    config = dataclasses.replace(document.config, tasks=tuple(name for name in document.config.tasks if name in kept))
    return dataclasses.replace(part, document=dataclasses.replace(document, tasks=kept, config=config))


def _read_part(folder: Path) -> _Part:
    source = result_path(folder)
    document = read_result(source)
    spec = document.config.options.get("shard")
    if not spec:
        raise MergeError(f"{str(folder)!r} is not a shard: its run had no --shard i/n")
    try:
        shard = Shard.parse(str(spec))
    except ValueError as exc:
        raise MergeError(f"{str(folder)!r}: {exc}") from None
    return _Part(source.parent, shard, document, hashlib.sha256(source.read_bytes()).hexdigest())


def _check_complete(parts: list[_Part]) -> None:
    counts = sorted({p.shard.count for p in parts})
    if len(counts) > 1:
        raise MergeError(f"the folders are shards of different splits (n = {', '.join(map(str, counts))})")
    n = counts[0]
    seen: dict[int, _Part] = {}
    for part in parts:
        if part.shard.index in seen:
            raise MergeError(
                f"shard {part.shard} is given twice: {str(seen[part.shard.index].folder)!r} and {str(part.folder)!r}"
            )
        seen[part.shard.index] = part
    missing = [f"{i}/{n}" for i in range(n) if i not in seen]
    if missing:
        have = ", ".join(str(p.shard) for p in sorted(parts, key=lambda p: p.shard.index))
        raise MergeError(f"shard(s) {', '.join(missing)} missing (have {have}): every i of n is needed")


def _measured_config(config: RunConfigRecord) -> dict[str, Any]:
    return {k: v for k, v in config.to_json().items() if k not in OPERATIONAL_KEYS}


def _check_same_run(first: _Part, part: _Part) -> None:
    a, b = first.document, part.document
    if a.config.seed != b.config.seed:
        raise MergeError(f"{part.label} ran with seed {b.config.seed}, {first.label} with seed {a.config.seed}")
    for field in ("fingerprint", "backend", "backend_args"):
        if getattr(a.model, field) != getattr(b.model, field):
            raise MergeError(
                f"{part.label} evaluated a different model than {first.label} ({field}: "
                f"{_short(getattr(b.model, field))} vs {_short(getattr(a.model, field))})"
            )
    config_a, config_b = _measured_config(a.config), _measured_config(b.config)
    for key in sorted(set(config_a) | set(config_b)):
        if config_a.get(key) != config_b.get(key):
            raise MergeError(
                f"{part.label} differs from {first.label} in config key {key!r}: "
                f"{_short(config_b.get(key))} vs {_short(config_a.get(key))}"
            )
    if set(a.tasks) != set(b.tasks):
        raise MergeError(f"{part.label} has tasks {sorted(b.tasks)}, {first.label} has {sorted(a.tasks)}")
    for name, entry in b.tasks.items():
        other = a.tasks[name]
        for field in ("version", "metrics_version", "config"):
            if getattr(entry, field) != getattr(other, field):
                raise MergeError(
                    f"task {name!r}: {part.label} has {field} {_short(getattr(entry, field))}, "
                    f"{first.label} has {_short(getattr(other, field))}"
                )


def _check_output(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise MergeError(f"-o {str(out)!r} is a file; give a folder for the merged run")
    if (out / RESULT_FILENAME).exists():
        raise MergeError(f"-o {str(out)!r} already holds a result.json; choose a new folder")


def _merged_document(parts: list[_Part], tasks: dict[str, TaskResult]) -> ResultDocument:
    ordered = sorted(parts, key=lambda p: p.shard.index)
    first = ordered[0].document
    options = {k: v for k, v in first.config.options.items() if k != "shard"}
    provenances = [p.document.provenance for p in ordered]

    def total(field: str) -> Any:
        values = [getattr(p, field) for p in provenances]
        return None if any(v is None for v in values) else sum(values)

    provenance = dataclasses.replace(
        first.provenance,
        started_at=min(p.started_at for p in provenances),
        wall_time_s=round(sum(p.wall_time_s for p in provenances), 3),
        requests=total("requests"),
        cache_hits=total("cache_hits"),
        backend_requests=total("backend_requests"),
        batches=total("batches"),
        backend_seconds=None if total("backend_seconds") is None else round(total("backend_seconds"), 3),
        other={
            **first.provenance.other,
            "merged_from": [
                {"shard": str(p.shard), "run_id": p.document.run_id, "result_sha256": p.sha256} for p in ordered
            ],
        },
    )
    return dataclasses.replace(
        first,
        run_id=uuid.uuid4().hex[:8],
        created_at=datetime.now(UTC).isoformat(),
        config=dataclasses.replace(first.config, options=options),
        tasks=tasks,
        provenance=provenance,
    )


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def register(subparsers: Any) -> None:
    """`bench merge` (entry point in the `bench.commands` group)."""
    parser = subparsers.add_parser(
        "merge",
        help="join the shards of a run (bench eval --shard i/n) into one result document",
        description="Check that the folders are all n shards of one run (same config, model, seed, task versions; "
        "no sample in two shards), concatenate each task's sample records and summarize them once: the metrics "
        "equal the unsharded run's.",
    )
    parser.add_argument("shards", nargs="+", help="the shard run folders (or their result.json files)")
    parser.add_argument("-o", "--output", required=True, help="folder for the merged run")
    parser.add_argument("--tasks", help="merge only these tasks of the run (comma-separated)")
    parser.set_defaults(func=cmd_merge)


def cmd_merge(args: Any) -> int:
    from bench.harness.summary import format_result_table

    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()] if args.tasks else None
    outcome = merge(args.shards, args.output, tasks)
    print(format_result_table(outcome.document))
    print(f"\nresult: {outcome.result_path}")
    return 0
