"""`bench` with the test suite's own tasks registered: used by tests that run the CLI in a subprocess."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench.harness import registry  # noqa: E402
from bench.harness.cli import main  # noqa: E402
from dialogue_task import ArithmeticDialogueTask  # noqa: E402
from example_task import ExampleCapitalsTask  # noqa: E402


def register_test_tasks() -> None:
    """Make the test suite's own tasks known to the registry of this process."""
    for task_class in (ArithmeticDialogueTask, ExampleCapitalsTask):
        registry.register_task(task_class.name, task_class)


register_test_tasks()

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
