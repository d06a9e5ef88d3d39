"""The DQN training command is seeded: two short runs give identical weights and a model card."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from bench.arenas.uno.dqn import DQNPlayer, load_q_network
from bench.arenas.uno.train_dqn import main


@pytest.mark.slow
def test_short_training_runs_are_identical_for_one_seed(tmp_path: Path):
    paths = [tmp_path / "a.safetensors", tmp_path / "b.safetensors"]
    for path in paths:
        assert main(["--seed", "3", "--steps", "1500", "--batch", "32", "--eval-games", "20", "--out", str(path)]) == 0
    first, second = (load_q_network(str(p)) for p in paths)
    assert len(first.weights) == 3
    assert all(np.array_equal(a, b) for a, b in zip(first.weights + first.biases, second.weights + second.biases))
    card = json.loads(paths[0].with_suffix(".json").read_text())
    assert card["args"]["seed"] == 3 and card["eval_1v1_vs_random"]["games"] == 20
    assert 0 <= card["eval_1v1_vs_random"]["win_rate"] <= 1
    assert DQNPlayer(load_q_network(str(paths[0]))).name == "dqn"
