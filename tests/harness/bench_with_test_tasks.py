"""`bench` with the test suite's own tasks registered: used by tests that run the CLI in a subprocess."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench.harness import registry  # noqa: E402
from bench.harness.cli import main  # noqa: E402
from dialogue_task import ArithmeticDialogueTask  # noqa: E402

registry.register_task(ArithmeticDialogueTask.name, ArithmeticDialogueTask)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
