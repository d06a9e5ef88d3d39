"""UNO engine benchmark: our engines vs RLCard's UNO game, side by side in one run.

1. Random playouts per second (deal + play a full 1v1 game with uniformly random legal moves):
   RLCard's raw game API (`UnoGame.init_game / get_legal_actions / step / is_over`), our Python
   reference engine (`engine.UnoState` + `random_playout`) and our compiled engine
   (`fast_engine.random_games`). Target: compiled >= 20x RLCard.
2. State clones per second of a mid-game state: `UnoState.clone` (list copies) vs RLCard
   `copy.deepcopy(game)`. Target >= 100k/s.
3. Monte Carlo scoring of one decision, 5 legal actions x 200 rollouts (hidden cards re-dealt):
   compiled and Python engines vs the same 1000 rollouts done the RLCard way (deepcopy + random
   playout). Target <= 0.05 s.

Needs the `bench-uno` extra (rlcard) for the RLCard columns:

    pip install -e '.[bench-uno]'
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/uno_engine.py [--games 3000] [--seconds 3]

Rules differ (RLCard: no challenge, reshuffles the discard pile, different draw rule; spec §5),
so games are not identical; the comparison is the cost of a random game / clone / rollout.
"""

from __future__ import annotations

import argparse
import copy
import random
import time

from bench.arenas.uno.engine import UnoState, random_playout
from bench.arenas.uno.fast_engine import random_games
from bench.arenas.uno.rollouts import monte_carlo_action_values
from bench.arenas.uno.rules import UnoRules


def rate(fn, seconds: float) -> float:
    """Calls per second of fn() over about `seconds` (after one warm-up call)."""
    fn()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        count += 1
    return count / (time.perf_counter() - start)


def rlcard_game():  # type: ignore[no-untyped-def]
    from rlcard.games.uno.game import UnoGame

    game = UnoGame(num_players=2)
    game.np_random.seed(0)
    return game


def rlcard_random_games(games: int) -> float:
    game, rng = rlcard_game(), random.Random(0)
    start = time.perf_counter()
    for _ in range(games):
        game.init_game()
        while not game.is_over():
            game.step(rng.choice(game.get_legal_actions()))
    return games / (time.perf_counter() - start)


def python_random_games(games: int) -> float:
    rng, rules = random.Random(0), UnoRules()
    start = time.perf_counter()
    for seed in range(games):
        random_playout(UnoState.new_game(rules, seed), rng)
    return games / (time.perf_counter() - start)


def compiled_random_games(games: int) -> float:
    random_games(10, UnoRules())  # compile / load the cache
    start = time.perf_counter()
    random_games(games, UnoRules(), seed=1)
    return games / (time.perf_counter() - start)


def mid_game_state(actions_wanted: int = 5) -> UnoState:
    """A 1v1 state with `actions_wanted` legal actions after a few random turns."""
    rng = random.Random(0)
    for seed in range(10_000):
        state = UnoState.new_game(UnoRules(), seed)
        while not state.is_over and state.turn < 30:
            legal = state.legal_actions()
            if state.turn >= 6 and len(legal) == actions_wanted:
                return state
            state.apply(rng.choice(legal))
    raise RuntimeError("no such state")


def rlcard_mid_game():  # type: ignore[no-untyped-def]
    game, rng = rlcard_game(), random.Random(0)
    game.init_game()
    for _ in range(10):
        game.step(rng.choice(game.get_legal_actions()))
    return game


def rlcard_rollouts(actions: int, rollouts: int) -> float:
    game, rng = rlcard_mid_game(), random.Random(0)
    legal = game.get_legal_actions()
    start = time.perf_counter()
    for a in range(actions):
        for _ in range(rollouts):
            sim = copy.deepcopy(game)
            sim.step(legal[a % len(legal)])
            steps = 0
            while not sim.is_over() and steps < 2000:  # RLCard games have no step limit
                sim.step(rng.choice(sim.get_legal_actions()))
                steps += 1
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=3000, help="games per engine for playouts/s")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per clone measurement")
    parser.add_argument("--repeats", type=int, default=5, help="repeats of the MC scoring timing (best kept)")
    args = parser.parse_args()
    try:
        import rlcard  # noqa: F401

        have_rlcard = True
    except ImportError:
        have_rlcard = False
        print("rlcard not installed (pip install -e '.[bench-uno]'): RLCard columns skipped")

    print("== random playouts (1v1, full games incl. deal) ==")
    rl = rlcard_random_games(args.games) if have_rlcard else float("nan")
    py = python_random_games(args.games)
    fast = compiled_random_games(args.games * 30)
    print(f"RLCard raw game API   {rl:>10,.0f} games/s")
    print(f"ours, Python engine   {py:>10,.0f} games/s   {py / rl:6.1f}x RLCard")
    print(f"ours, compiled engine {fast:>10,.0f} games/s   {fast / rl:6.1f}x RLCard   (target >= 20x)")

    print("== state clones (mid-game) ==")
    state = mid_game_state()
    ours = rate(state.clone, args.seconds)
    theirs = float("nan")
    if have_rlcard:
        rl_state = rlcard_mid_game()
        theirs = rate(lambda: copy.deepcopy(rl_state), args.seconds)
    print(f"UnoState.clone        {ours:>10,.0f} /s   (target >= 100k/s)")
    print(f"RLCard deepcopy       {theirs:>10,.0f} /s   ours {ours / theirs:6.1f}x")

    print("== Monte Carlo scoring of one decision: 5 actions x 200 rollouts ==")
    actions = state.legal_actions()
    assert len(actions) == 5
    monte_carlo_action_values(state, actions, 10, engine="compiled")  # compile / load the cache
    timings = {}
    for engine in ("compiled", "python"):
        best = float("inf")
        for repeat in range(args.repeats if engine == "compiled" else 2):
            start = time.perf_counter()
            monte_carlo_action_values(state, actions, 200, seed=repeat, engine=engine)  # type: ignore[arg-type]
            best = min(best, time.perf_counter() - start)
        timings[engine] = best
    rl_mc = rlcard_rollouts(5, 200) if have_rlcard else float("nan")
    print(f"compiled engine       {timings['compiled']:8.4f} s   (target <= 0.05 s)")
    print(f"Python engine         {timings['python']:8.4f} s")
    print(f"RLCard deepcopy       {rl_mc:8.4f} s   compiled is {rl_mc / timings['compiled']:6.0f}x faster")


if __name__ == "__main__":
    main()
