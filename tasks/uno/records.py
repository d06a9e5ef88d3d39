"""Per-game and per-decision sample records (JSON-serialisable dicts with unique ids).

Every record carries the `answer_mode` its answers were got in.
Game "game-{i}": setting, opponent, seats, `won` (the model seat's payoff: 1, 1/k for a shared
depletion win, 0) and `won_{setting}_{opponent}` (the same value, so each cell's win rate has its
own per-sample field), end, counts. Decision "game-{i}/d-{j}": kind, candidates, chosen action,
fallback, invalid answers (and `had_invalid_answer`, 0/1), model calls (a choice among the
candidates counts as one call; `choice_logprobs` holds each stage's candidate log-likelihoods in the
choose mode); when scored, the Monte Carlo values, the rank and
`hit_at_{k}` / `rank_at_{k}` (+ `_{kind}` and `_{setting}` copies for the breakdown metrics).
"""

from __future__ import annotations

from typing import Any

from bench.arenas.uno.actions import action_name
from bench.arenas.uno.match import DecisionPoint, GameResult
from bench.metrics.uno_decisions import capped_rank, hit_at_k
from bench.tasks.uno.scoring import ScoredDecision


def game_record(
    index: int, setting: str, opponent: str, seat: int, game: GameResult, answer_mode: str
) -> dict[str, Any]:
    decisions = [p.decision for p in game.decisions]
    won = game.payoffs[seat]
    return {
        "id": f"game-{index}",
        "record": "game",
        "setting": setting,
        "opponent": opponent,
        "answer_mode": answer_mode,
        "num_players": len(game.players),
        "model_seat": seat,
        "first_player": game.first_player,
        "seed": game.seed,
        "won": won,
        f"won_{setting}_{opponent}": won,
        "winners": list(game.winners),
        "end_reason": game.end_reason,
        "turns": game.turns,
        "decisions": len(decisions),
        "auto_moves": game.auto_moves,
        "model_calls": sum(d.model_calls for d in decisions),
        "invalid_answers": sum(d.invalid_answers for d in decisions),
        "fallbacks": sum(d.fallback for d in decisions),
    }


def decision_record(
    game_index: int, number: int, setting: str, opponent: str, point: DecisionPoint, scored: ScoredDecision | None,
    ks: tuple[int, ...], log_samples: bool,
) -> dict[str, Any]:
    decision = point.decision
    record: dict[str, Any] = {
        "id": f"game-{game_index}/d-{number}",
        "record": "decision",
        "game": f"game-{game_index}",
        "setting": setting,
        "opponent": opponent,
        "answer_mode": decision.answer_mode,
        "kind": decision.kind,
        "turn": point.turn,
        "candidates": [action_name(a) for a in decision.candidates],
        "chosen": action_name(decision.action),
        "stage_actions": [action_name(a) for a in decision.stage_actions],
        "fallback": int(decision.fallback),
        "model_calls": decision.model_calls,
        "invalid_answers": decision.invalid_answers,
        "invalid_fraction": decision.invalid_answers / decision.model_calls,
        "had_invalid_answer": int(decision.invalid_answers > 0),
        "errors": [a.error for a in decision.attempts if a.error],
        "scored": scored is not None,
    }
    if decision.answer_mode == "choose":
        record["choice_logprobs"] = [list(a.logprobs) for a in decision.attempts]
    if scored is not None:
        record["values"] = list(scored.values)
        record["rank"] = scored.rank.average_rank
        for k in ks:
            hit, capped = int(hit_at_k(scored.rank, k)), capped_rank(scored.rank, k)
            for suffix in ("", f"_{decision.kind}", f"_{setting}"):
                record[f"hit_at_{k}{suffix}"] = hit
                if k >= 2:  # ADR@1 is 1 by definition: not reported
                    record[f"rank_at_{k}{suffix}"] = capped
    if log_samples:
        record["attempts"] = [
            {"stage": a.stage, "response": a.response, "error": a.error} for a in decision.attempts
        ]
        record["conversation"] = [{"role": m.role, "content": m.content} for m in decision.conversation]
    return record
