"""LLM and TuTri players on the real embedded model (tiny budgets: every decision is a CPU
generation): retries, the recorded random fallback, three staged calls per TuTri decision, and
concurrent games sharing batches."""

from __future__ import annotations

import asyncio
import random

import pytest
from bench.arenas.uno.actions import COLOUR_BASE, Phase
from bench.arenas.uno.cards import WILD
from bench.arenas.uno.engine import UnoState
from bench.arenas.uno.llm_player import LLMPlayer, TuTriPlayer
from bench.arenas.uno.match import play_game
from bench.arenas.uno.players import RandomPlayer
from bench.arenas.uno.prompts import SYSTEM_PROMPT, history_summary, vanilla_prompt
from bench.arenas.uno.rules import UnoRules
from bench.harness.client import ModelClient

R, B = 0, 2


def card(colour: int, trait: int) -> int:
    return colour * 13 + trait


def card_decision() -> UnoState:
    return UnoState.from_position(
        UnoRules(), [[card(R, 1), card(R, 2), card(B, 5)], [card(B, 1)] * 4], list(range(20)), [card(R, 5)],
        record_history=True,
    )


def test_prompt_lists_hand_playable_cards_and_the_depletion_rule():
    state = card_decision()
    text = vanilla_prompt(state, ["Red 1", "Red 2", "Blue 5"], "card", 20)
    assert "You are player0" in text and "player1 has 4 cards" in text
    assert "  0: Red 1\n  1: Red 2\n  2: Blue 5" in text
    assert '"action": <index of the card>' in text
    assert "minimum number of cards wins" in SYSTEM_PROMPT


def test_history_summary_needs_five_events():
    state = UnoState.new_game(UnoRules(), 1, record_history=True)
    assert history_summary(state) == "Details Currently Unknown"
    rng = random.Random(0)
    for _ in range(12):
        state.step(rng.choice(state.legal_actions()))
    summary = history_summary(state)
    assert summary.startswith("The other players: played") and "You: played" in summary


@pytest.mark.slow
def test_unusable_answers_are_retried_then_fall_back_to_a_recorded_random_candidate(embedded_hf):
    async def run():
        client = ModelClient(embedded_hf)
        player = LLMPlayer(client, max_tokens=1, max_retries=2)
        state = card_decision()
        return await player.decide(state, state.legal_actions(), random.Random(0)), client

    decision, client = asyncio.run(run())
    # One token can never hold a JSON object: three unusable answers, then the fallback.
    assert decision.fallback and decision.model_calls == 3 and decision.invalid_answers == 3
    assert all(a.error_kind == "json" for a in decision.attempts)
    assert decision.action in decision.candidates == (card(R, 1), card(R, 2), card(B, 5))
    assert client.stats.requests == 3  # retries are new conversations, not cache hits


@pytest.mark.slow
def test_tutri_asks_three_staged_turns_per_decision(embedded_hf):
    async def run():
        client = ModelClient(embedded_hf)
        player = TuTriPlayer(client, max_tokens=1, max_retries=0)
        state = UnoState.from_position(UnoRules(), [[WILD, card(R, 1)], [card(B, 1)] * 4], list(range(20)), [card(R, 5)],
                                       record_history=True)
        state.step(WILD)
        assert state.phase == Phase.COLOUR
        return await player.decide(state, state.legal_actions(), random.Random(0))

    decision = asyncio.run(run())
    assert [a.stage for a in decision.attempts] == ["initial", "history", "strategy"]
    assert decision.kind == "colour" and decision.candidates == tuple(COLOUR_BASE + c for c in range(4))
    assert len(decision.stage_actions) == 3 and decision.action == decision.stage_actions[-1]
    # The final conversation holds the three user turns and three assistant turns.
    assert [m.role for m in decision.conversation] == ["system"] + ["user", "assistant"] * 3


@pytest.mark.slow
def test_concurrent_games_share_model_batches(embedded_hf):
    async def run():
        client = ModelClient(embedded_hf)
        player = LLMPlayer(client, max_tokens=2, max_retries=0, history_window=2)
        rules = UnoRules(hand_size=3, max_turns=16)
        games = await asyncio.gather(*(play_game(rules, seed, [player, RandomPlayer()]) for seed in range(4)))
        return games, client.stats

    games, stats = asyncio.run(run())
    decisions = sum(len(g.decisions) for g in games)
    assert all(g.winners for g in games) and decisions == stats.requests
    assert stats.batches < stats.backend_requests  # several games' decisions in one batch
