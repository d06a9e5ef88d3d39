"""The figure cache: a hit copies the stored bytes without drawing (or importing matplotlib), a
change of arguments, code or store misses, the folder stays bounded, and a real plot served from
the cache is byte-identical to a fresh draw."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bench.harness import derived_cache as figure_cache
from bench.harness.derived_cache import cached_figure, cached_json, derived_store, using_derived_store
from bench.metrics.intervals import Estimate, Interval

calls: list[str] = []


@cached_figure
def _draw(path: Path, values: list[float], title: str = "t") -> None:
    calls.append(title)
    path.write_bytes(json.dumps([values, title]).encode())


def test_store_then_hit_copies_without_drawing(tmp_path: Path) -> None:
    calls.clear()
    store = tmp_path / "store"
    with using_derived_store(store):
        _draw(tmp_path / "a.png", [1.0, 2.0], title="x")
        _draw(tmp_path / "b.png", [1.0, 2.0], title="x")
        _draw(path=tmp_path / "c.png", values=[1.0, 2.0], title="x")  # keyed by name, not position
    assert calls == ["x"]
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes() == (tmp_path / "c.png").read_bytes()
    assert [p.suffix for p in store.iterdir()] == [".png"]


def test_other_arguments_miss(tmp_path: Path) -> None:
    calls.clear()
    with using_derived_store(tmp_path / "store"):
        _draw(tmp_path / "a.png", [1.0, 2.0])
        _draw(tmp_path / "b.png", [1.0, 2.5])
        _draw(tmp_path / "c.png", [1.0, 2.0], title="other")
    assert calls == ["t", "t", "other"]
    assert json.loads((tmp_path / "b.png").read_bytes()) == [[1.0, 2.5], "t"]


def test_no_store_always_draws(tmp_path: Path) -> None:
    calls.clear()
    _draw(tmp_path / "a.png", [1.0])
    _draw(tmp_path / "a.png", [1.0])
    assert calls == ["t", "t"]


def test_code_or_matplotlib_version_change_misses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    arguments = {"values": [1.0], "title": "t"}
    key = figure_cache.figure_key(_draw, arguments)
    monkeypatch.setattr(figure_cache, "_matplotlib_version", lambda: "0.0-other")
    assert figure_cache.figure_key(_draw, arguments) != key
    monkeypatch.undo()
    monkeypatch.setattr(figure_cache, "_module_digest", lambda module: "edited source")
    assert figure_cache.figure_key(_draw, arguments) != key


def test_store_is_bounded_oldest_first(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    for i in range(5):
        (store / f"{i}.png").write_bytes(b"x")
        os.utime(store / f"{i}.png", (1000 + i, 1000 + i))
    figure_cache._evict(store, max_entries=3)
    assert sorted(p.name for p in store.iterdir()) == ["2.png", "3.png", "4.png"]


def test_derived_store_is_beside_the_request_cache(tmp_path: Path) -> None:
    assert derived_store(tmp_path / "requests.sqlite") == tmp_path / "requests.sqlite.derived"


HIT_PROBE = r"""
import sys
from pathlib import Path
from bench.harness.derived_cache import using_derived_store
from bench.metrics.intervals import Estimate, Interval
from bench.tasks.textworld.plots import plot_score_by_trial
store, out = Path(sys.argv[1]), Path(sys.argv[2])
curves = {"self": [Estimate(0.25, 4, 0.1, Interval(0.1, 0.5, 0.95, "wilson")), Estimate(0.5, 2)]}
with using_derived_store(store):
    plot_score_by_trial(out, curves, "score by trial")
print("matplotlib" in sys.modules)
"""


def test_real_plot_hit_is_byte_identical_and_skips_matplotlib(tmp_path: Path) -> None:
    store = tmp_path / "store"

    def draw(out: Path) -> str:
        proc = subprocess.run([sys.executable, "-c", HIT_PROBE, str(store), str(out)],
                              capture_output=True, text=True, timeout=120, check=True)
        return proc.stdout.strip()

    assert draw(tmp_path / "fresh.png") == "True"  # a miss draws, importing matplotlib
    assert draw(tmp_path / "cached.png") == "False"  # a hit copies; matplotlib never imported
    # A fresh draw without the cache gives the same bytes.
    from bench.tasks.textworld.plots import plot_score_by_trial

    curves = {"self": [Estimate(0.25, 4, 0.1, Interval(0.1, 0.5, 0.95, "wilson")), Estimate(0.5, 2)]}
    plot_score_by_trial(tmp_path / "direct.png", curves, "score by trial")
    assert (tmp_path / "cached.png").read_bytes() == (tmp_path / "fresh.png").read_bytes()
    assert (tmp_path / "direct.png").read_bytes() == (tmp_path / "fresh.png").read_bytes()


def test_cached_json_hits_misses_and_survives_a_corrupt_entry(tmp_path: Path) -> None:
    store = tmp_path / "store"
    computed: list[str] = []

    def compute(value: object) -> object:
        computed.append(repr(value))
        return value

    with using_derived_store(store):
        assert cached_json("k", ["a"], lambda: compute([0.5, 1.0])) == [0.5, 1.0]
        assert cached_json("k", ["a"], lambda: compute("unused")) == [0.5, 1.0]  # hit
        assert cached_json("k", ["b"], lambda: compute([2.0])) == [2.0]  # other key parts
        assert cached_json("other", ["a"], lambda: compute([3.0])) == [3.0]  # other kind
        for entry in store.iterdir():
            entry.write_text("{not json")
        assert cached_json("k", ["a"], lambda: compute([0.5, 1.0])) == [0.5, 1.0]  # recomputed
        nan = cached_json("k", ["nan"], lambda: compute(float("nan")))
        assert nan != nan  # returned, not stored
        assert cached_json("k", ["nan"], lambda: compute(1.0)) == 1.0
    assert len(computed) == 6
    assert cached_json("k", ["a"], lambda: compute(None)) is None  # no store: computed
