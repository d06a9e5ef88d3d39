"""Train the DQN player on the UNO Arena engine against random opponents (seeded).

    OMP_NUM_THREADS=1 python -m bench.arenas.uno.train_dqn --seed 0 --steps 300000 \
        --out arenas/uno/dqn_uno.safetensors

Double DQN (van Hasselt et al. 2016) with a target network, uniform replay, Huber loss and
masked maxima over legal actions, epsilon-greedy exploration annealed linearly; the learning
seat plays games of 2, 3 or 5 players (uniformly) against RandomPlayer opponents through
`UnoEnv` (forced moves skipped). Reward: +1 win, -1 loss (2 * payoff - 1), at the end only.
After training, the greedy policy is evaluated against random in 1v1 over `--eval-games` games
(seats alternating) and the win rate with its Wilson 95% CI is written next to the checkpoint.
Deterministic for a given seed and torch build (single thread).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import time
from pathlib import Path

import numpy as np
from bench.arenas.uno.actions import NUM_ACTIONS
from bench.arenas.uno.dqn import HIDDEN, DQNPlayer, QNetwork, build_q_network, save_q_network
from bench.arenas.uno.engine import UnoState
from bench.arenas.uno.env import UnoEnv
from bench.arenas.uno.observation import OBSERVATION_SIZE
from bench.arenas.uno.players import RandomPlayer
from bench.arenas.uno.rules import UnoRules
from bench.metrics.uno_win_rate import win_rate

log = logging.getLogger("bench.arenas.uno.train_dqn")


def evaluate_against_random(
    player: DQNPlayer, games: int, seed: int, num_players: int = 2
) -> tuple[float, float | None, float | None]:
    """Win rate (value, ci_low, ci_high) of `player` against random opponents, seats rotated
    (no interval below 5 games)."""
    rng = random.Random(seed)
    opponent = RandomPlayer()
    payoffs = []
    for game in range(games):
        seat = game % num_players
        state = UnoState.new_game(UnoRules(num_players=num_players), rng.getrandbits(64))
        while not state.is_over:
            actor = player if state.current == seat else opponent
            state.apply(actor.act(state, rng))
        payoffs.append(state.payoff(seat))
    estimate = win_rate(payoffs)
    return estimate.value, estimate.ci_low, estimate.ci_high


def train(args: argparse.Namespace) -> dict[str, object]:
    import torch
    import torch.nn.functional as F

    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    rng = np.random.default_rng(args.seed)
    online, target = build_q_network(HIDDEN), build_q_network(HIDDEN)
    target.load_state_dict(online.state_dict())
    optimiser = torch.optim.Adam(online.parameters(), lr=args.lr)
    envs = {n: UnoEnv(num_players=n) for n in (2, 3, 5)}

    capacity = args.replay
    obs_buf = np.zeros((capacity, OBSERVATION_SIZE), np.float32)
    next_buf = np.zeros((capacity, OBSERVATION_SIZE), np.float32)
    next_mask_buf = np.zeros((capacity, NUM_ACTIONS), bool)
    act_buf = np.zeros(capacity, np.int64)
    rew_buf = np.zeros(capacity, np.float32)
    done_buf = np.zeros(capacity, np.float32)
    size = cursor = 0

    env = envs[int(rng.choice((2, 3, 5)))]
    obs, info = env.reset(seed=int(rng.integers(2**31)))
    games = 0
    started = time.perf_counter()
    for step in range(args.steps):
        epsilon = max(args.eps_end, 1.0 - (1.0 - args.eps_end) * step / (args.eps_fraction * args.steps))
        legal = np.flatnonzero(info["action_mask"])
        if rng.random() < epsilon:
            action = int(rng.choice(legal))
        else:
            with torch.no_grad():
                q = online(torch.from_numpy(obs)).numpy()
            action = int(legal[np.argmax(q[legal])])
        next_obs, reward, terminated, _, info = env.step(action)
        obs_buf[cursor], act_buf[cursor], next_buf[cursor] = obs, action, next_obs
        rew_buf[cursor] = 2.0 * reward - 1.0 if terminated else 0.0
        done_buf[cursor] = float(terminated)
        next_mask_buf[cursor] = info["action_mask"].astype(bool)
        cursor, size = (cursor + 1) % capacity, min(size + 1, capacity)
        obs = next_obs
        if terminated:
            games += 1
            env = envs[int(rng.choice((2, 3, 5)))]
            obs, info = env.reset(seed=int(rng.integers(2**31)))

        if size >= args.batch and step % args.train_every == 0:
            idx = rng.integers(0, size, args.batch)
            o, a, r = torch.from_numpy(obs_buf[idx]), torch.from_numpy(act_buf[idx]), torch.from_numpy(rew_buf[idx])
            o2, m2, d = torch.from_numpy(next_buf[idx]), torch.from_numpy(next_mask_buf[idx]), torch.from_numpy(done_buf[idx])
            with torch.no_grad():
                best = online(o2).masked_fill(~m2, -1e9).argmax(1, keepdim=True)
                future = target(o2).gather(1, best).squeeze(1)
                goal = r + args.gamma * (1.0 - d) * future
            q = online(o).gather(1, a.unsqueeze(1)).squeeze(1)
            loss = F.smooth_l1_loss(q, goal)
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(online.parameters(), 10.0)
            optimiser.step()
        if step % args.target_every == 0:
            target.load_state_dict(online.state_dict())
        if step and step % 50_000 == 0:
            log.info("step %d, games %d, epsilon %.3f, %.0f s", step, games, epsilon, time.perf_counter() - started)

    online.eval()
    value, low, high = evaluate_against_random(
        DQNPlayer(QNetwork.from_state_dict(online.state_dict())), args.eval_games, args.seed + 1
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_q_network(online.state_dict(), HIDDEN, out)
    card = {
        "command": f"python -m bench.arenas.uno.train_dqn --seed {args.seed} --steps {args.steps}",
        "args": {k: v for k, v in vars(args).items() if k != "out"},
        "training_games": games,
        "train_seconds": round(time.perf_counter() - started, 1),
        "eval_1v1_vs_random": {"games": args.eval_games, "win_rate": value, "ci_low": low, "ci_high": high},
        "torch": torch.__version__,
    }
    out.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    return card


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=300_000, help="learning-seat decisions")
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--gamma", type=float, default=0.99)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--replay", type=int, default=100_000)
    parser.add_argument("--train-every", type=int, default=4)
    parser.add_argument("--target-every", type=int, default=2_000)
    parser.add_argument("--eps-end", type=float, default=0.05)
    parser.add_argument("--eps-fraction", type=float, default=0.5)
    parser.add_argument("--eval-games", type=int, default=4_000)
    parser.add_argument("--out", default=str(Path(__file__).with_name("dqn_uno.safetensors")))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    card = train(args)
    log.info("done: %s", json.dumps(card["eval_1v1_vs_random"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
