"""Game generation: reproducible by seed and by the recorded tw-make command, cached, splits kept apart,
and every generated game winnable by its walkthrough through our episode runner."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bench.arenas.textworld.episode import WalkthroughPolicy, run_episode
from bench.arenas.textworld.games import (
    LEVEL_ARGS,
    GameSpec,
    cache_folder,
    default_games_dir,
    ensure_games,
    game_set,
    is_cached,
)

LADDER = [GameSpec(level, split, 1) for level in LEVEL_ARGS for split in ("train", "test")]


@pytest.fixture(scope="module")
def ladder_games():
    """One game per level and split, from bench's game cache (generated there on first use)."""
    return ensure_games(LADDER, default_games_dir())


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory):
    """A game generated into an empty cache: (cache root, its GameInfo)."""
    root = tmp_path_factory.mktemp("games")
    [game] = ensure_games([GameSpec(1, "train", 5)], root)
    return root, game


def test_same_seed_gives_the_same_game_and_another_seed_another(fresh, ladder_games, tmp_path: Path):
    _, first = fresh
    [again] = ensure_games([GameSpec(1, "train", 5)], tmp_path)
    assert again.path != first.path and again.z8_sha256 == first.z8_sha256
    assert again.path.read_bytes() == first.path.read_bytes()
    assert again.walkthrough == first.walkthrough and again.entity_names == first.entity_names
    [other_seed] = [g for g in ladder_games if g.spec == GameSpec(1, "train", 1)]
    assert other_seed.z8_sha256 != first.z8_sha256


def test_recorded_tw_make_command_regenerates_the_identical_story_file(fresh, tmp_path: Path):
    _, game = fresh
    env_part, *command = game.command
    assert env_part == "PYTHONHASHSEED=0" and command[:2] == ["tw-make", "tw-cooking"]
    assert command[-2:] == ["--output", "game.z8"] and game.provenance()["command"] == " ".join(game.command)
    tw_make = str(Path(sys.executable).parent / "tw-make")
    subprocess.run([tw_make, *command[1:], "--silent"], cwd=tmp_path, check=True, timeout=300,
                   env={**os.environ, "PYTHONHASHSEED": "0"})
    assert (tmp_path / "game.z8").read_bytes() == game.path.read_bytes()


def test_cached_game_is_not_generated_again(fresh, monkeypatch: pytest.MonkeyPatch):
    root, game = fresh
    assert is_cached(game.spec, root) and game.path.parent == cache_folder(game.spec, root)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("generator started for a cached game"))
    assert ensure_games([game.spec], root) == [game]
    assert [p.name for p in root.iterdir()] == [game.path.parent.name]  # no temporary folder left behind


def test_game_set_interleaves_levels_so_a_limit_keeps_every_level():
    specs = game_set([1, 3], "test", 3, seed=10)
    assert [(s.level, s.seed) for s in specs[:2]] == [(1, 10), (3, 10)]
    assert len({s.game_id for s in specs}) == 6 and {s.split for s in specs} == {"test"}


def test_spec_rejects_unknown_level_and_split():
    with pytest.raises(ValueError, match="level"):
        GameSpec(7, "train", 1)
    with pytest.raises(ValueError, match="split"):
        GameSpec(1, "dev", 1)


def test_training_games_never_contain_test_only_foods(ladder_games):
    from textworld.challenges.tw_cooking.cooking import FOODS_SPLITS

    test_only = set(FOODS_SPLITS["test"]) - set(FOODS_SPLITS["train"])
    for game in ladder_games:
        if game.spec.split == "train":
            assert not test_only & set(game.entity_names), game.game_id


@pytest.mark.parametrize("spec", LADDER, ids=lambda s: s.game_id)
def test_walkthrough_agent_wins_every_generated_game(ladder_games, spec: GameSpec):
    [game] = [g for g in ladder_games if g.spec == spec]
    episode = asyncio.run(run_episode(game.path, WalkthroughPolicy(), max_steps=len(game.walkthrough) + 5))
    assert episode.won and not episode.lost and not episode.truncated
    assert episode.score == episode.max_score == game.max_score
    assert [t.command for t in episode.transitions] == list(game.walkthrough)
    # (not every walkthrough command is admissible: TextWorld's walkthroughs may re-open an open door)
    assert sum(t.reward for t in episode.transitions) == episode.score
