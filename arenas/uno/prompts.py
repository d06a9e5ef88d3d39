"""Prompt texts of the LLM and TuTri players (paraphrased from the official prompts, Host/agentPlayer/prompt/).

Vanilla prompt, per decision: a fixed system message (the rules incl. deck depletion: shared by
every decision, so computed once by prefix-caching backends) and one user message: seats, state
(pile sizes, top card, other players' hand sizes), the last `history_window` history lines, own
hand, the candidate list with indices and the strict JSON output contract. TuTri adds two
reflection turns in the same chat: game-history statistics, then fixed strategy tips.
"""

from __future__ import annotations

from collections import Counter

from bench.arenas.uno.actions import Phase
from bench.arenas.uno.cards import CARD_COLOUR, CARD_TRAIT, COLOURS, card_name
from bench.arenas.uno.engine import UnoState
from bench.arenas.uno.text import event_sentence, player_name, top_description

RULES_REMINDER = (
    "Rules: a card can be played if it has the colour or the number/type of the top card; Wild and "
    "Wild Draw Four can always be played. If you can play a card you must play one; otherwise you "
    "draw one card and your turn ends. Skip makes the next player lose a turn, Reverse changes the "
    "direction (no effect with two players), Draw Two makes the next player draw 2 cards and lose a "
    "turn. After a Wild Draw Four the next player may challenge it: if the player who played it still "
    "held a card of the previous colour, that player draws 4; otherwise the challenger draws 6 and "
    "loses a turn; without a challenge the next player draws 4 and loses a turn. The player who "
    "first has no cards wins. If the cards in the deck are depleted, the player who has the minimum "
    "number of cards wins directly, so try to minimise the number of cards in your hand."
)


def history_lines(state: UnoState, window: int) -> list[str]:
    events = state.history or []
    return [event_sentence(e) for e in events[-window:]] if window > 0 else []


SYSTEM_PROMPT = (
    "You are an expert UNO player. " + RULES_REMINDER + " Every answer you give is a single JSON object "
    "and nothing else."
)


def vanilla_prompt(state: UnoState, candidates: list[str], kind: str, history_window: int) -> str:
    """The decision message for the player to move (sent after SYSTEM_PROMPT, which holds the
    rules, so every decision of every game shares that prompt prefix and the backend's prefix
    cache computes it once). `candidates` are the option labels in order."""
    seat, n = state.current, state.num_players
    order = [player_name((seat + state.direction * k) % n) for k in range(1, n)]
    others = ", ".join(f"{player_name(p)} has {len(h)} cards" for p, h in enumerate(state.hands) if p != seat)
    history = history_lines(state, history_window)
    history_text = "\n".join(f"  {line}" for line in history) if history else "  (no turns yet)"
    hand = ", ".join(card_name(k) for k in sorted(state.hands[seat]))
    lines = [
        f"You are playing an UNO game with {n} players. You are {player_name(seat)}; "
        f"the other players, in turn order after you, are {', '.join(order)}.",
        "Current state:",
        f"- Draw pile: {len(state.draw_pile)} cards. Discard pile: {len(state.discard)} cards. "
        f"Top card: {top_description(state)}.",
        f"- {others}.",
        f"- Game history of the last {len(history)} events:",
        history_text,
        f"- Your hand ({len(state.hands[seat])} cards): {hand}.",
    ]
    lines += ["", *decision_question(state, candidates, kind)]
    return "\n".join(lines)


def decision_question(state: UnoState, candidates: list[str], kind: str) -> list[str]:
    if kind == "card":
        options = "\n".join(f"  {i}: {label}" for i, label in enumerate(candidates))
        return [
            "Your playable cards:",
            options,
            "Choose the card to play. Answer with JSON only, exactly in this form: "
            '{"thoughts": "<short reasoning>", "action": <index of the card>}',
        ]
    if kind == "colour":
        return [
            f"You just played a {card_name(state.discard[-1])}. Choose the colour the next player must match.",
            'Answer with JSON only, exactly in this form: {"thoughts": "<short reasoning>", '
            '"action": "<one of Red, Yellow, Blue, Green>"}',
        ]
    offender = player_name(state.wd4_player)
    previous = COLOURS[state.wd4_prev_colour]
    return [
        f"{offender} just played a Wild Draw Four on you (the colour before it was {previous}) and now "
        f"holds {len(state.hands[state.wd4_player])} cards. Do you challenge it? If you challenge and "
        f"{offender} held a {previous} card, {offender} draws 4 cards and you play next; if it held "
        "none, you draw 6 cards and lose your turn. If you do not challenge, you draw 4 cards and lose "
        "your turn.",
        'Answer with JSON only, exactly in this form: {"thoughts": "<short reasoning>", "action": "<Yes or No>"}',
    ]


def decision_kind(state: UnoState) -> str:
    return {Phase.PLAY: "card", Phase.COLOUR: "colour", Phase.CHALLENGE: "challenge"}[Phase(state.phase)]


# ---- TuTri -------------------------------------------------------------------------------------

def history_summary(state: UnoState, window: int = 20) -> str:
    """[ours] Statistics of the last <= `window` history events (the official `getSummary` is
    unpublished): per side (the other players vs you), cards played per colour and per type, cards
    drawn, colours declared. Fewer than 5 events -> "Details Currently Unknown" (official)."""
    events = (state.history or [])[-window:]
    if len(events) < 5:
        return "Details Currently Unknown"
    seat = state.current
    parts = []
    for label, mine in (("The other players", False), ("You", True)):
        side = [e for e in events if (e.player == seat) == mine]
        plays = [e.card for e in side if e.what == "play"]
        colours = Counter(COLOURS[CARD_COLOUR[k]] for k in plays if CARD_COLOUR[k] < 4)
        types = Counter(
            "number" if CARD_TRAIT[k] <= 9 else "action" if CARD_TRAIT[k] <= 12 else "wild" for k in plays
        )
        drawn = sum(e.count for e in side if e.what == "draw")
        declared = Counter(COLOURS[e.colour] for e in side if e.what == "colour")
        parts.append(
            f"{label}: played {len(plays)} cards (by colour: {_counts(colours)}; by type: {_counts(types)}), "
            f"drew {drawn} cards, declared colours: {_counts(declared)}."
        )
    return " ".join(parts)


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "none"


def _reflection_form(kind: str) -> str:
    action = {"card": "<index of the card>", "colour": '"<one of Red, Yellow, Blue, Green>"', "challenge": '"<Yes or No>"'}[kind]
    return f'{{"reflection": "<short reflection>", "action": {action}}}'


def history_reflection_prompt(state: UnoState, kind: str, window: int = 20) -> str:
    return (
        f"Here is the statistical data of the game history: {history_summary(state, window)}\n"
        "Reflect on the action you just selected in the light of these statistics, and keep it or "
        "change it. Answer with JSON only, exactly in this form: " + _reflection_form(kind)
    )


STRATEGY_TIPS = {
    "card": "Play low-value cards first (0, then 1-9, then Reverse, Skip, Draw Two), keep Wild and Wild Draw "
    "Four for when you need them, and prefer cards that keep many of your cards playable.",
    "colour": "Choose the colour you hold most cards of, avoid the colour you hold fewest of, and avoid a "
    "colour the other players seem to hold.",
    "challenge": "A failed challenge costs you 6 cards, a successful one costs the other player 4; a Wild "
    "Draw Four is only illegal if the player still holds a card of the previous colour, which is likelier "
    "when it holds many cards.",
}


def strategy_reflection_prompt(kind: str) -> str:
    return (
        f"Here are expert tips for this decision: {STRATEGY_TIPS[kind]}\n"
        "Reflect on the action you just selected based on the tip(s), and keep it or change it. "
        "Answer with JSON only, exactly in this form: " + _reflection_form(kind)
    )
