"""Tasks `uno` (vanilla LLM player) and `uno_tutri` (TuTri player): UNO Arena (Qin et al. 2024).

The model under test plays UNO Arena games against random / DQN (/ rule) opponents in 1v1,
3- and 5-player settings, its seat rotated over the seats and the first player over the games.
`--limit N` caps the games of the run (cells interleaved: the first N games cycle through
every setting x opponent cell); a sharded run (`--shard i/n`) then plays its part of those games,
balanced over the cells. `answer_mode` (config.py) says how answers are got: free or
constrained generation, or a log-likelihood choice among the legal answers.

`run` plays every game as a coroutine (gathered at once, so the decisions of all games share
model batches), scores each finished game's decisions by Monte Carlo rollouts
(arenas/uno/rollouts.py) in a worker thread and returns the game and decision records
(records.py). `summarize` turns those records alone into the metrics (report.py): WR per cell,
ODHR@K / ADR@K (reconstructed) overall, per decision kind and per setting, invalid-answer and
fallback rates.

    bench eval --model smollm2 --tasks uno --limit 2 --task-args uno.settings=1v1,uno.max_turns=20
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import random
from typing import Any, ClassVar

from bench.arenas.uno.dqn import DQNPlayer
from bench.arenas.uno.llm_player import LLMPlayer, TuTriPlayer
from bench.arenas.uno.match import GameResult, play_game
from bench.arenas.uno.players import Player, RandomPlayer, RulePlayer
from bench.arenas.uno.rules import UnoRules
from bench.harness.choosing import choose
from bench.harness.requests import RequestKind
from bench.harness.task import Summary, SummaryContext, Task, TaskContext
from bench.tasks.uno.config import SETTING_PLAYERS, UnoConfig
from bench.tasks.uno.records import decision_record, game_record
from bench.tasks.uno.report import build_metrics, build_plots
from bench.tasks.uno.scoring import ScoredDecision, is_scored, score_decisions


@dataclasses.dataclass(frozen=True)
class PlannedGame:
    """One game of the run: its index in the unsharded plan (the record id), cell, seats and deal."""

    index: int
    setting: str
    opponent: str
    num_players: int
    seat: int
    first_player: int
    seed: int


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
    # 3: answer modes (free / constrained / choose; constrained by default), recorded per decision.
    version = "3"
    metrics_version = "1"
    config_class = UnoConfig
    request_kinds = frozenset({RequestKind.CHAT, RequestKind.LOGLIKELIHOOD})
    headline_metric = "win_rate"
    comparability_keys = ("answer_mode",)
    description = (
        "UNO Arena (Qin et al. 2024): the model plays UNO against random and DQN opponents in 1v1, 3- and "
        "5-player games; WR, Monte Carlo ODHR@K / ADR@K (reconstructed), invalid-answer rate"
    )
    player_class: ClassVar[type[LLMPlayer]] = LLMPlayer

    def request_kinds_for(self, config: UnoConfig, capabilities: frozenset[RequestKind]) -> frozenset[RequestKind]:
        """Chat for the generating modes, log-likelihoods for `choose`."""
        return frozenset({RequestKind.LOGLIKELIHOOD if config.answer_mode == "choose" else RequestKind.CHAT})

    def constraint_kinds_for(self, config: UnoConfig) -> frozenset[str]:
        """`constrained` generates under a JSON schema; the other modes use no constraint."""
        return frozenset({"json"}) if config.answer_mode == "constrained" else frozenset()

    def plan(self, config: UnoConfig, rng: random.Random) -> list[PlannedGame]:
        """Every game of the unsharded, unlimited run, game-major (so a limit keeps the first games of
        every cell); seeds drawn from `rng` in this order, so a game's deal never depends on the limit."""
        cells = [(setting, opponent) for setting in config.settings for opponent in config.opponents]
        plan: list[PlannedGame] = []
        for g in range(config.games_per_setting):
            for setting, opponent in cells:
                n = SETTING_PLAYERS[setting]
                plan.append(PlannedGame(len(plan), setting, opponent, n, g % n, (g // n) % n, rng.getrandbits(63)))
        return plan

    async def run(self, ctx: TaskContext) -> list[dict[str, Any]]:
        config: UnoConfig = ctx.config
        chooser = functools.partial(choose, ctx.model) if config.answer_mode == "choose" else None
        player = self.player_class(
            ctx.model, max_tokens=config.max_tokens, temperature=config.temperature, max_retries=config.max_retries,
            history_window=config.history_window, answer_mode=config.answer_mode, chooser=chooser,
            thoughts_max_chars=config.thoughts_max_chars, keep_conversations=ctx.log_samples,
        )
        plan = self.plan(config, ctx.rng)
        if ctx.limit is not None:
            plan = plan[: ctx.limit]
        plan = ctx.take_shard(plan, key=lambda game: f"game-{game.index}", stratum=lambda game: f"{game.setting}/{game.opponent}")
        ctx.progress.start(self.name, len(plan))
        results = await asyncio.gather(*(self._game(ctx, config, player, game) for game in plan))
        return [record for records in results for record in records]

    def summarize(self, samples: list[dict[str, Any]], config: UnoConfig, ctx: SummaryContext) -> Summary:
        metrics, extra = build_metrics(config, samples, ctx.seed)
        plots = build_plots(config, samples, ctx.artifacts_dir, self.name)
        extra["dqn_checkpoint"] = "arenas/uno/dqn_uno.safetensors" if "dqn" in config.opponents else None
        return Summary(metrics=metrics, plots=plots, extra=extra)

    async def _game(self, ctx: TaskContext, config: UnoConfig, player: LLMPlayer, game: PlannedGame) -> list[dict[str, Any]]:
        rules = dataclasses.replace(
            UnoRules.standard(game.num_players) if config.rules == "standard" else UnoRules(num_players=game.num_players),
            hand_size=config.hand_size, max_turns=config.max_turns, depletion_tie=config.depletion_tie,
        )
        seats: list[Any] = [_opponent(game.opponent) for _ in range(game.num_players)]
        seats[game.seat] = player
        result = await play_game(rules, game.seed, seats, first_player=game.first_player, rng=random.Random(game.seed + 1))
        scored = await asyncio.to_thread(self._score, config, result, game.seed)
        records = [game_record(game.index, game.setting, game.opponent, game.seat, result, config.answer_mode)]
        records += [
            decision_record(game.index, j, game.setting, game.opponent, point, scored[j], config.ks, ctx.log_samples)
            for j, point in enumerate(result.decisions)
        ]
        ctx.progress.advance(self.name)
        return records

    @staticmethod
    def _score(config: UnoConfig, game: GameResult, seed: int) -> list[ScoredDecision | None]:
        chosen = [j for j, point in enumerate(game.decisions) if is_scored(point.decision, config.scored_decisions)]
        points = [(game.decisions[j], seed + 7919 * (j + 1)) for j in chosen]
        scored = dict(zip(chosen, score_decisions(points, config.rollouts, config.perfect_information, config.rollout_engine), strict=True))
        return [scored.get(j) for j in range(len(game.decisions))]


class UnoTutriTask(UnoTask):
    name = "uno_tutri"
    description = (
        "UNO Arena with the TuTri player (Qin et al. 2024): three turns per decision (answer, reflection on "
        "game-history statistics, reflection on strategy tips); same games and metrics as `uno`"
    )
    player_class: ClassVar[type[LLMPlayer]] = TuTriPlayer
