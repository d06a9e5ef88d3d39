"""UNO Arena (Qin et al. 2024, arXiv 2406.16382): engine, gymnasium env and players.

- cards.py / actions.py / rules.py: card ints, the 61 discrete actions, the rules dataclass;
- engine.py: `UnoState` (step, clone, random playout);
- rollouts.py: Monte Carlo action values of a decision (hidden cards re-dealt by default);
- env.py: `UnoEnv`, registered as gymnasium id "bench/UnoArena-v0";
- players.py (random, rule), dqn.py (+ train_dqn.py and the shipped checkpoint),
  llm_player.py (vanilla LLM and TuTri), match.py (async game runner with any mix of players).
"""

import gymnasium
from bench.arenas.uno.rules import UnoRules

ENV_ID = "bench/UnoArena-v0"

if ENV_ID not in gymnasium.registry:
    gymnasium.register(id=ENV_ID, entry_point="bench.arenas.uno.env:UnoEnv")

__all__ = ["ENV_ID", "UnoRules"]
