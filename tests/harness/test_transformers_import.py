"""Start-up: transformers is imported without scikit-learn and scipy, which stay importable; the
installed-packages map it asks for is served from bench's cache until something is installed."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

import pytest
from bench.harness import transformers_import
from bench.harness.transformers_import import (
    _answer_unavailable,
    cached_packages_distributions,
    installation_key,
    python_packages_cache_dir,
)


def _import_utils():  # the shape of transformers.utils.import_utils: probes that call _is_package_available
    utils = SimpleNamespace(_is_package_available=lambda name, return_version=False: (importlib.util.find_spec(name) is not None, "N/A"))

    def probe(name: str):
        @lru_cache
        def available() -> bool:
            return utils._is_package_available(name)[0]

        return available

    utils.is_wave_available, utils.is_json_available, utils.is_csv_available = probe("wave"), probe("json"), probe("csv")
    return utils


def test_probes_answer_false_once_asked_and_the_packages_stay_importable():
    json_module = sys.modules["json"]
    utils = _import_utils()
    check = utils._is_package_available
    assert utils.is_json_available() is True  # asked before (as `import transformers` does): re-asked
    _answer_unavailable(utils, {"wave": "is_wave_available", "json": "is_json_available", "nope": "is_missing"})
    assert utils.is_wave_available() is False and utils.is_json_available() is False
    assert utils.is_csv_available() is True  # a name not switched is answered as before
    assert utils._is_package_available is check  # the package check is put back
    assert sys.modules["json"] is json_module  # sys.modules is never touched
    assert "wave" not in sys.modules and importlib.util.find_spec("wave") is not None


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def test_package_map_is_computed_once_then_read_from_the_cache(cache_dir):
    calls = []

    def compute():
        calls.append(1)
        return {"yaml": ["PyYAML"], "PIL": ["pillow"]}

    first = cached_packages_distributions(compute)
    second = cached_packages_distributions(compute)
    assert first == second == {"yaml": ["PyYAML"], "PIL": ["pillow"]} and len(calls) == 1
    stored = python_packages_cache_dir() / f"{installation_key()}.json"
    assert json.loads(stored.read_text()) == first


def test_package_map_is_recomputed_after_an_install_and_a_corrupt_file(cache_dir, monkeypatch):
    site = cache_dir / "lib" / "site-packages"
    site.mkdir(parents=True)
    monkeypatch.setattr(sys, "path", [*sys.path, str(site)])
    maps = iter([{"a": ["one"]}, {"a": ["two"]}, {"a": ["three"]}])
    assert cached_packages_distributions(lambda: next(maps)) == {"a": ["one"]}
    before = installation_key()
    (site / "new_package-1.0.dist-info").mkdir()  # an install changes the folder's mtime
    os.utime(site, ns=(0, os.stat(site).st_mtime_ns + 10**9))
    assert installation_key() != before
    assert cached_packages_distributions(lambda: next(maps)) == {"a": ["two"]}
    current = python_packages_cache_dir() / f"{installation_key()}.json"
    assert len(list(python_packages_cache_dir().glob("*.json"))) == 2  # another venv may still use the first
    current.write_text("{not json")
    assert cached_packages_distributions(lambda: next(maps)) == {"a": ["three"]}


def test_files_of_other_installation_states_are_deleted_after_a_week(cache_dir):
    folder = python_packages_cache_dir()
    folder.mkdir(parents=True)
    old, recent = folder / "old.json", folder / "recent.json"
    for file, age_days in ((old, 8), (recent, 6)):
        file.write_text("{}")
        os.utime(file, (time.time() - age_days * 86400,) * 2)
    cached_packages_distributions(lambda: {"c": ["y"]})
    assert sorted(f.name for f in folder.glob("*.json")) == sorted(["recent.json", f"{installation_key()}.json"])


def test_package_map_is_computed_when_the_cache_cannot_be_written(cache_dir, monkeypatch):
    def refuse(path: Path, text: str) -> None:
        raise PermissionError(path)

    monkeypatch.setattr(transformers_import, "write_text_atomic", refuse)
    assert cached_packages_distributions(lambda: {"b": ["x"]}) == {"b": ["x"]}


@pytest.mark.slow
def test_model_class_loads_without_scikit_learn_and_scipy_which_stay_importable(tmp_path):
    probe = (
        "import sys, importlib.metadata\n"
        "from bench.harness.transformers_import import import_transformers\n"
        "import_transformers()\n"
        "from transformers import AutoModelForCausalLM, LlamaForCausalLM\n"
        "from transformers.utils import import_utils\n"
        "print('sklearn' in sys.modules, 'scipy' in sys.modules)\n"
        "print(import_utils.PACKAGE_DISTRIBUTION_MAPPING == importlib.metadata.packages_distributions())\n"
        "import scipy.optimize, sklearn.metrics\n"
        "print('sklearn' in sys.modules, 'scipy' in sys.modules)\n"
    )
    env = {**os.environ, "BENCH_CACHE_DIR": str(tmp_path)}
    for _ in range(2):  # computes the package map, then reads it from the cache
        run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env)
        assert run.stdout.split() == ["False", "False", "True", "True", "True"]
    assert len(list((tmp_path / "python-packages").glob("*.json"))) == 1
