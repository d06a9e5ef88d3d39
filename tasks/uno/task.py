"""Tasks `uno` (vanilla LLM player) and `uno_tutri` (TuTri player): UNO Arena (Qin et al. 2024).

The model under test plays UNO Arena games against random / DQN (/ rule) opponents in 1v1,
3- and 5-player settings, its seat rotated over the seats and the first player over the games.
`--limit N` caps the games of the run (cells interleaved: the first N games cycle through
every setting x opponent cell).
All games of the run are coroutines gathered at once, so the model's decisions from every game
share batches in the model client. After a game ends its decisions are scored by Monte Carlo
rollouts (arenas/uno/rollouts.py) in a worker thread. Metrics: WR per cell, ODHR@K / ADR@K
(reconstructed) overall, per decision kind and per setting, invalid-answer and fallback rates.

    bench eval --model smollm2 --tasks uno --limit 2 --task-args uno.settings=1v1,uno.max_tokens=64
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from typing import Any, ClassVar

from bench.arenas.uno.dqn import DQNPlayer
from bench.arenas.uno.llm_player import LLMPlayer, TuTriPlayer
from bench.arenas.uno.match import GameResult, play_game
from bench.arenas.uno.players import Player, RandomPlayer, RulePlayer
from bench.arenas.uno.rules import UnoRules
from bench.harness.requests import RequestKind
from bench.harness.task import Task, TaskContext, TaskOutput
from bench.tasks.uno.config import SETTING_PLAYERS, UnoConfig
from bench.tasks.uno.records import decision_record, game_record
from bench.tasks.uno.report import build_metrics, build_plots
from bench.tasks.uno.scoring import ScoredDecision, is_scored, score_decision


def _opponent(name: str) -> Player:
    if name == "random":
        return RandomPlayer()
    if name == "dqn":
        return DQNPlayer()
    return RulePlayer()


class UnoTask(Task):
    name = "uno"
    # 2: decisions with a corrected answer are no longer scored by default; invalid_answer_rate is
    # the share of decisions with an unusable answer; ADR@1 dropped; intervals from metrics/intervals.py.
    version = "2"
    config_class = UnoConfig
    request_kinds = frozenset({RequestKind.CHAT})
    headline_metric = "win_rate"
    description = (
        "UNO Arena (Qin et al. 2024): the model plays UNO against random and DQN opponents in 1v1, 3- and "
        "5-player games; WR, Monte Carlo ODHR@K / ADR@K (reconstructed), invalid-answer rate"
    )
    player_class: ClassVar[type[LLMPlayer]] = LLMPlayer

    async def run(self, ctx: TaskContext) -> TaskOutput:
        config: UnoConfig = ctx.config
        player = self.player_class(ctx.model, max_tokens=config.max_tokens, temperature=config.temperature,
                                   max_retries=config.max_retries, history_window=config.history_window)
        cells = [(setting, opponent) for setting in config.settings for opponent in config.opponents]
        plan = []
        # Game-major order, so --limit N keeps the first games of every cell (cells interleaved).
        for g in range(config.games_per_setting):
            for setting, opponent in cells:
                n = SETTING_PLAYERS[setting]
                plan.append((setting, opponent, n, g % n, (g // n) % n, ctx.rng.getrandbits(63)))
        if ctx.limit is not None:
            plan = plan[: ctx.limit]
        ctx.progress.start(self.name, len(plan))
        results = await asyncio.gather(*(self._game(ctx, config, player, i, *spec) for i, spec in enumerate(plan)))
        samples = [record for records in results for record in records]
        metrics, extra = build_metrics(config, samples)
        plots = build_plots(config, samples, ctx.artifacts_dir, self.name)
        extra["dqn_checkpoint"] = "arenas/uno/dqn_uno.safetensors" if "dqn" in config.opponents else None
        return TaskOutput(metrics=metrics, samples=samples, plots=plots, extra=extra)

    async def _game(
        self, ctx: TaskContext, config: UnoConfig, player: LLMPlayer, index: int, setting: str, opponent: str,
        n: int, seat: int, first: int, seed: int,
    ) -> list[dict[str, Any]]:
        rules = dataclasses.replace(
            UnoRules.standard(n) if config.rules == "standard" else UnoRules(num_players=n),
            hand_size=config.hand_size, max_turns=config.max_turns, depletion_tie=config.depletion_tie,
        )
        seats: list[Any] = [_opponent(opponent) for _ in range(n)]
        seats[seat] = player
        game = await play_game(rules, seed, seats, first_player=first, rng=random.Random(seed + 1))
        scored = await asyncio.to_thread(self._score, config, game, seed)
        records = [game_record(index, setting, opponent, seat, game)]
        records += [
            decision_record(index, j, setting, opponent, point, scored[j], config.ks, ctx.log_samples)
            for j, point in enumerate(game.decisions)
        ]
        ctx.progress.advance(self.name)
        return records

    @staticmethod
    def _score(config: UnoConfig, game: GameResult, seed: int) -> list[ScoredDecision | None]:
        return [
            score_decision(point, config.rollouts, seed + 7919 * (j + 1), config.perfect_information, config.rollout_engine)
            if is_scored(point.decision, config.scored_decisions) else None
            for j, point in enumerate(game.decisions)
        ]


class UnoTutriTask(UnoTask):
    name = "uno_tutri"
    description = (
        "UNO Arena with the TuTri player (Qin et al. 2024): three turns per decision (answer, reflection on "
        "game-history statistics, reflection on strategy tips); same games and metrics as `uno`"
    )
    player_class: ClassVar[type[LLMPlayer]] = TuTriPlayer
