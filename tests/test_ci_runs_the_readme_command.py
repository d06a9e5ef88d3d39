"""CI must run exactly the README's test command (the second command on the README's first screen)."""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SETUP = "bash scripts/bootstrap.sh && "


def readme_first_screen_commands() -> list[str]:
    """The commands of the README's first code block, in order (comments and blank lines dropped)."""
    block = re.search(r"```bash\n(.*?)```", (REPO_ROOT / "README.md").read_text(), re.DOTALL)
    assert block is not None, "README.md has no ```bash block"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_ci_runs_the_readme_test_command_after_bootstrap() -> None:
    commands = readme_first_screen_commands()
    assert len(commands) == 2 and all(command.startswith(SETUP) for command in commands), commands
    test_command = commands[1][len(SETUP):]
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    pytest_lines = [line.strip() for line in ci.splitlines() if "-m pytest" in line and not line.lstrip().startswith("#")]
    assert len(pytest_lines) == 1, pytest_lines
    assert pytest_lines[0].split(" || ")[0] == test_command
    assert ci.index("bash scripts/bootstrap.sh") < ci.index(pytest_lines[0])
