"""Task options: validation messages and the rule variants they select."""

from __future__ import annotations

import pytest
from bench.tasks.uno.config import UnoConfig


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"settings": ("4v4",)}, "settings must be among"),
        ({"opponents": ("human",)}, "opponents must be among"),
        ({"ks": (0,)}, "ks must be positive"),
        ({"rollouts": 0}, ">= 1"),
        ({"rules": "house"}, "rules must be"),
        ({"rules": "standard", "rollout_engine": "compiled"}, "does not implement"),
        ({"depletion_tie": "coin"}, "depletion_tie"),
        ({"rollout_engine": "gpu"}, "rollout_engine"),
        ({"scored_decisions": "some"}, "scored_decisions must be one of clean, corrected, all"),
    ],
)
def test_bad_options_are_rejected_with_a_message(options, message):
    with pytest.raises(ValueError, match=message):
        UnoConfig(**options)


def test_defaults_follow_the_spec():
    config = UnoConfig()
    assert config.settings == ("1v1", "3p", "5p") and config.opponents == ("random", "dqn")
    assert config.rollouts >= 100 and config.ks == (1, 3) and config.rules == "uno_arena"
    assert config.temperature == 0.0 and config.history_window == 20
    assert config.scored_decisions == "clean"  # the official evaluator drops decisions with errors
