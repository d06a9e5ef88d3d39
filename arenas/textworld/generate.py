"""Child process that generates TextWorld cooking games into the cache (see games.py).

    PYTHONHASHSEED=0 python -m bench.arenas.textworld.generate ROOT '{"level": 1, "split": "train", "seed": 1}' ...

Each game is generated into a temporary folder beside its cache folder and renamed into place
(atomic: a reader sees the whole game or none; a concurrent generator's copy wins a race).
Errors go to stderr as one line naming the tw-make command; the exit code is 1.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from bench.arenas.textworld.games import (
    GAME_FILE,
    GameGenerationError,
    GameSpec,
    cache_folder,
    textworld_version,
)


def generate_game(spec: GameSpec, folder: Path) -> dict[str, object]:
    """Run the tw-cooking generator on `spec`'s tw-make arguments, writing `folder/game.z8`
    (+ .json, .ni). Returns the metadata stored in spec.json."""
    import textworld
    import textworld.challenges
    from textworld.generator import compile_game

    _, make_game, add_arguments = textworld.challenges.CHALLENGES["tw-cooking"]
    parser = argparse.ArgumentParser(prog="tw-make tw-cooking")
    add_arguments(parser)
    settings = vars(parser.parse_args(spec.challenge_args()))
    options = textworld.GameOptions()
    options.seeds = spec.seed
    options.path = str(folder / GAME_FILE)
    options.file_ext = ".z8"
    options.force_recompile = True
    try:
        game = make_game(settings=settings, options=options)
        path = Path(compile_game(game, options))
    except Exception as exc:  # TextWorld raises many types (quest generation, the Inform 7 compiler)
        raise GameGenerationError(f"{' '.join(spec.command())}: {type(exc).__name__}: {exc}") from exc
    return {
        "command": spec.command(),
        "z8_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "textworld_version": textworld_version(),
        "walkthrough": list(game.metadata["walkthrough"]),
        "max_score": int(game.max_score),
        "objective": str(game.objective),
        "entity_names": sorted({info.name for info in game.infos.values() if info.name}),
    }


def generate_into_cache(spec: GameSpec, root: Path) -> None:
    folder = cache_folder(spec, root)
    if (folder / "spec.json").is_file():
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        meta = generate_game(spec, tmp)
        (tmp / "spec.json").write_text(json.dumps(meta, indent=1, sort_keys=True), encoding="utf-8")
        try:
            os.replace(tmp, folder)
        except OSError:
            if not (folder / "spec.json").is_file():  # not a lost race with another generator
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str]) -> int:
    root = Path(argv[0])
    try:
        for payload in argv[1:]:
            generate_into_cache(GameSpec(**json.loads(payload)), root)
    except (GameGenerationError, OSError, ValueError) as exc:
        print(f"textworld game generation failed: {exc}".replace("\n", " "), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
