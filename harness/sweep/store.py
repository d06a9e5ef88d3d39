"""Where a sweep's results go: a shared folder or any fsspec URL (file://, s3://, gs://, ...).

Layout below the sweep's `output`:

    units/<model>/<task>/<shard-i-of-n | full>/   one unit's run folder (result.json, samples, plots)
    merged/<model>/<task>/                        the merged run of each (model, task)
    sweep.json                                    the sweep configuration

A unit's folder is complete once its `result.json` is there: it is uploaded last, after the
samples and plots (on a local folder the whole run folder is copied beside its final name and
renamed into place). A sweep started again skips units whose result.json exists, so a sweep
interrupted as a whole resumes too.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench.harness.results import RESULT_FILENAME

__all__ = ["ResultStore"]


class ResultStore:
    """The sweep's output location; `url` a folder path or an fsspec URL."""

    def __init__(self, url: str) -> None:
        import fsspec

        self.url = url
        self.fs: Any
        self.fs, self.root = fsspec.core.url_to_fs(url)
        self.local = "file" in (self.fs.protocol if isinstance(self.fs.protocol, tuple) else (self.fs.protocol,))

    def path(self, relative: str) -> str:
        return f"{self.root.rstrip('/')}/{relative}"

    def has_result(self, relative: str) -> bool:
        return bool(self.fs.exists(self.path(f"{relative}/{RESULT_FILENAME}")))

    def put_run(self, local_dir: Path, relative: str) -> str:
        """Upload a finished run folder to `relative`; result.json last (its presence marks completion)."""
        target = self.path(relative)
        if self.local:
            final = Path(target)
            final.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
            shutil.copytree(local_dir, staging, dirs_exist_ok=True)
            if final.exists():  # a partial folder of an attempt killed mid-upload
                shutil.rmtree(final)
            os.replace(staging, final)
            return target
        self.fs.makedirs(target, exist_ok=True)
        for file in sorted(local_dir.rglob("*")):
            if file.is_file() and file.name != RESULT_FILENAME:
                self.fs.put_file(str(file), f"{target}/{file.relative_to(local_dir).as_posix()}")
        self.fs.put_file(str(local_dir / RESULT_FILENAME), f"{target}/{RESULT_FILENAME}")
        return target

    def fetch_run(self, relative: str, local_dir: Path) -> Path:
        """A local folder holding the run at `relative` (the folder itself when the store is local)."""
        if self.local:
            return Path(self.path(relative))
        self.fs.get(self.path(relative) + "/", str(local_dir) + "/", recursive=True)
        return local_dir

    def put_text(self, relative: str, text: str) -> None:
        if self.local:
            from bench.harness.atomic_files import write_text_atomic

            write_text_atomic(Path(self.path(relative)), text)
            return
        with self.fs.open(self.path(relative), "w") as handle:
            handle.write(text)

    def local_root(self) -> Path | None:
        return Path(self.root) if self.local else None
