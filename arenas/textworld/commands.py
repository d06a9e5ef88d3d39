"""The text that goes into and comes out of a TextWorld game: one sanitised command per step, clean observations.

TextWorld's gym step accepts one command; input holding several ("open door then go north",
"take apple; eat apple") breaks it (microsoft/TextWorld#366), and interpreter meta-commands
(quit, restart, save...) would end or reset the story outside the episode's control. Every
command an agent produces goes through `sanitise_command`, which keeps exactly one plain
command. Observations lose the ASCII-art banner, the prompt and the status line, so prompts
carry only the story text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Z-machine / Inform meta-commands: they act on the interpreter, not in the story.
META_VERBS = frozenset({
    "quit", "q", "restart", "restore", "save", "undo", "oops", "script", "unscript", "transcript",
    "verbose", "brief", "superbrief", "notify", "pronouns", "version", "score", "full", "fullscore",
})
DEFAULT_COMMAND = "look"
MAX_COMMAND_CHARS = 80
# Where a second command starts: a sentence or clause boundary, or an explicit sequencing word.
_SPLIT = re.compile(r"[.;,!?\n]| then | and then ", re.IGNORECASE)
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9' -]+")


@dataclass(frozen=True)
class SanitisedCommand:
    """`command` is what is sent to the game; `changed` says it differs from the raw text."""

    command: str
    raw: str
    changed: bool
    reason: str = ""  # "" | "empty" | "meta" | "multiple" | "cleaned"


def sanitise_command(text: str) -> SanitisedCommand:
    """Exactly one game command from free text: the first non-empty line, a leading '>' and
    quotes removed, cut at the first clause boundary (".", ";", ",", " then ", any case),
    characters outside [A-Za-z0-9' -] removed, spaces collapsed, at most MAX_COMMAND_CHARS.
    Case is kept: the game's parser ignores it, and admissible commands keep theirs ("cook
    potato with BBQ"). Empty text or a meta-command (quit, restart, save, ...) becomes
    DEFAULT_COMMAND ("look")."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = lines[0] if lines else ""
    first = first.lstrip(">").strip().strip("\"'`")
    parts = [p for p in _SPLIT.split(f" {first} ") if p.strip()]
    command = parts[0] if parts else ""
    command = re.sub(r"\s+", " ", _NOT_ALLOWED.sub(" ", command)).strip()[:MAX_COMMAND_CHARS].strip()
    if not command:
        return SanitisedCommand(DEFAULT_COMMAND, text, True, "empty")
    if command.split()[0].lower() in META_VERBS:
        return SanitisedCommand(DEFAULT_COMMAND, text, True, "meta")
    if command == text:
        return SanitisedCommand(command, text, False)
    return SanitisedCommand(command, text, True, "multiple" if len(parts) > 1 or len(lines) > 1 else "cleaned")


def clean_observation(text: str) -> str:
    """Story text of a TextWorld observation: without the ASCII-art title (lines with almost no
    letters), the "Would you like to RESTART..." epilogue, and the trailing prompt + status line
    ("> -= Kitchen =-0/1"); runs of blank lines collapsed."""
    prompt = text.rfind("\n>")
    if prompt != -1:
        text = text[:prompt]
    kept = []
    for line in text.splitlines():
        stripped = line.strip()
        letters = sum(ch.isalpha() for ch in stripped)
        if stripped and letters < 0.5 * len(stripped.replace(" ", "")):
            continue  # banner art: '$$', '\\', '|' and '_' with a few stray letters
        if stripped.startswith("Would you like to RESTART"):
            continue
        kept.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
