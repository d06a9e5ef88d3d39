"""The DQN player: a small MLP Q-network over `encode_observation`, masked to legal actions.

Trained by train_dqn.py (torch) on this engine against random opponents (2, 3 and 5 players
mixed); the shipped checkpoint is `dqn_uno.safetensors` (the state dict of the torch
`nn.Sequential`, its hidden sizes in the metadata; the training command's arguments and evaluation
in `dqn_uno.json`). Playing needs no torch: `QNetwork` runs the same MLP in numpy (Linear, ReLU,
..., Linear), so a UNO run against the DQN opponent, or a fully cached one, never imports torch
(~1 s of start-up on a small CPU). Its Q-values equal torch's to float32 rounding (tested).
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from bench.arenas.uno.actions import NUM_ACTIONS
from bench.arenas.uno.engine import UnoState
from bench.arenas.uno.observation import OBSERVATION_SIZE, encode_observation

CHECKPOINT = Path(__file__).with_name("dqn_uno.safetensors")
HIDDEN = (128, 128)


def build_q_network(hidden: tuple[int, ...] = HIDDEN) -> Any:
    """The torch module that train_dqn.py trains (Linear, ReLU, ..., Linear)."""
    import torch.nn as nn

    layers: list[nn.Module] = []
    width = OBSERVATION_SIZE
    for size in hidden:
        layers += [nn.Linear(width, size), nn.ReLU()]
        width = size
    layers.append(nn.Linear(width, NUM_ACTIONS))
    return nn.Sequential(*layers)


@dataclass(frozen=True)
class QNetwork:
    """The trained MLP as numpy arrays: q(x) = W_k relu(... relu(W_1 x + b_1) ...) + b_k."""

    weights: tuple[np.ndarray, ...]  # (out, in) per Linear layer, as torch stores them
    biases: tuple[np.ndarray, ...]

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Any]) -> QNetwork:
        """From an `nn.Sequential` state dict (torch tensors or numpy arrays): keys '<i>.weight'/'<i>.bias'."""
        layers = sorted({int(key.split(".")[0]) for key in state})
        as_array = lambda t: np.asarray(t.detach().cpu().numpy() if hasattr(t, "detach") else t, dtype=np.float32)  # noqa: E731
        return cls(
            tuple(as_array(state[f"{i}.weight"]) for i in layers),
            tuple(as_array(state[f"{i}.bias"]) for i in layers),
        )

    def __call__(self, observation: np.ndarray) -> np.ndarray:
        x = np.asarray(observation, dtype=np.float32)
        last = len(self.weights) - 1
        for i, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            x = weight @ x + bias
            if i < last:
                x = np.maximum(x, 0.0)
        return x


def save_q_network(state: Mapping[str, Any], hidden: tuple[int, ...], path: Path) -> None:
    """Write a torch state dict as the checkpoint format `load_q_network` reads."""
    from safetensors.torch import save_file

    save_file({k: v.detach().contiguous() for k, v in state.items()}, str(path), metadata={"hidden": ",".join(map(str, hidden))})


@lru_cache(maxsize=4)
def load_q_network(path: str = str(CHECKPOINT)) -> QNetwork:
    """The checkpoint at `path` as a numpy `QNetwork` (no torch import)."""
    from safetensors.numpy import load_file

    return QNetwork.from_state_dict(load_file(path))


def checkpoint_card(path: Path = CHECKPOINT) -> dict[str, Any]:
    """The training arguments and evaluation stored next to the checkpoint."""
    return json.loads(path.with_suffix(".json").read_text())


class DQNPlayer:
    """Greedy (argmax masked Q) policy of a trained network; deterministic given the state."""

    name = "dqn"

    def __init__(self, network: QNetwork | None = None) -> None:
        self.network = network if network is not None else load_q_network()

    def act(self, state: UnoState, rng: random.Random) -> int:
        legal = state.legal_actions()
        if len(legal) == 1:
            return legal[0]
        q = self.network(encode_observation(state, state.current))
        return int(legal[int(np.argmax(q[legal]))])
