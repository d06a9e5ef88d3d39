"""The DQN player: a small MLP Q-network over `encode_observation`, masked to legal actions.

Trained by train_dqn.py on this engine against random opponents (2, 3 and 5 players mixed); the
shipped checkpoint is `dqn_uno.pt` (state dict + the training command's arguments and
evaluation in `dqn_uno.json`). torch is imported lazily so the engine stays light.
"""

from __future__ import annotations

import json
import random
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from bench.arenas.uno.actions import NUM_ACTIONS
from bench.arenas.uno.engine import UnoState
from bench.arenas.uno.observation import OBSERVATION_SIZE, encode_observation

CHECKPOINT = Path(__file__).with_name("dqn_uno.pt")
HIDDEN = (128, 128)


def build_q_network(hidden: tuple[int, ...] = HIDDEN) -> Any:
    import torch.nn as nn

    layers: list[nn.Module] = []
    width = OBSERVATION_SIZE
    for size in hidden:
        layers += [nn.Linear(width, size), nn.ReLU()]
        width = size
    layers.append(nn.Linear(width, NUM_ACTIONS))
    return nn.Sequential(*layers)


@lru_cache(maxsize=4)
def load_q_network(path: str = str(CHECKPOINT)) -> Any:
    import torch

    payload = torch.load(path, map_location="cpu", weights_only=True)
    network = build_q_network(tuple(payload["hidden"]))
    network.load_state_dict(payload["state_dict"])
    network.eval()
    return network


def checkpoint_card(path: Path = CHECKPOINT) -> dict[str, Any]:
    """The training arguments and evaluation stored next to the checkpoint."""
    return json.loads(path.with_suffix(".json").read_text())


class DQNPlayer:
    """Greedy (argmax masked Q) policy of a trained network; deterministic given the state."""

    name = "dqn"

    def __init__(self, network: Any | None = None) -> None:
        self.network = network if network is not None else load_q_network()

    def act(self, state: UnoState, rng: random.Random) -> int:
        legal = state.legal_actions()
        if len(legal) == 1:
            return legal[0]
        import torch

        with torch.no_grad():
            q = self.network(torch.from_numpy(encode_observation(state, state.current))).numpy()
        return int(legal[int(np.argmax(q[legal]))])
