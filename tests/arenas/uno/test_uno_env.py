"""The gymnasium environment: registered id, env checker, masks, rewards."""

from __future__ import annotations

import gymnasium
import numpy as np
from bench.arenas.uno import ENV_ID
from bench.arenas.uno.actions import NUM_ACTIONS
from bench.arenas.uno.env import UnoEnv
from bench.arenas.uno.observation import OBSERVATION_SIZE
from gymnasium.utils.env_checker import check_env


def test_registered_env_passes_the_gymnasium_checker():
    for players in (2, 5):
        env = gymnasium.make(ENV_ID, num_players=players)
        check_env(env.unwrapped, skip_render_check=True)
        assert env.action_space.n == NUM_ACTIONS and env.observation_space.shape == (OBSERVATION_SIZE,)


def test_masked_random_agent_ends_every_game_with_a_payoff_in_0_1():
    env = UnoEnv(num_players=3)
    rng = np.random.default_rng(0)
    rewards = []
    for episode in range(30):
        obs, info = env.reset(seed=episode)
        done = False
        while not done:
            assert env.observation_space.contains(obs)
            mask = info["action_mask"]
            assert mask.sum() >= 2  # forced single moves are skipped
            assert np.array_equal(mask, env.action_masks())
            obs, reward, done, truncated, info = env.step(int(rng.choice(np.flatnonzero(mask))))
            assert not info["illegal_action"] and not truncated
        rewards.append(reward)
        assert reward == env.state.payoff(env.seat)
    assert set(rewards) <= {0.0, 1.0, 0.5, 1 / 3} and 0 < np.mean(rewards) < 1


def test_illegal_action_is_replaced_and_reported():
    env = UnoEnv(num_players=2)
    obs, info = env.reset(seed=1)
    illegal = int(np.flatnonzero(info["action_mask"] == 0)[0])
    _, _, _, _, info = env.step(illegal)
    assert info["illegal_action"]


def test_same_seed_same_episode():
    def episode() -> list[float]:
        env = UnoEnv(num_players=2)
        obs, info = env.reset(seed=7)
        trace = [float(obs.sum())]
        done = False
        while not done:
            obs, reward, done, _, info = env.step(int(np.flatnonzero(info["action_mask"])[0]))
            trace.append(float(obs.sum()) + reward)
        return trace

    assert episode() == episode()
