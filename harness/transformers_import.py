"""Import transformers' generation code without the optional packages it pulls in but bench never uses.

`transformers.generation.candidate_generator` imports scikit-learn's metrics at import time whenever
scikit-learn is installed (lm-eval installs it), only for assisted decoding, which bench does not use.
That import costs 1.5-3 s of every cold start on a 2-core CPU (measured with `python -X importtime`:
`sklearn.metrics` under `transformers.generation.candidate_generator`). transformers decides with
`importlib.util.find_spec("sklearn")`, which reports a module whose `sys.modules` entry is None as
absent, so the entry is set to None for the duration of the import and removed afterwards: lm-eval's
metrics and anything else can still import scikit-learn later in the same process.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

UNUSED_BY_BENCH = ("sklearn",)


@contextmanager
def hidden_modules(*names: str) -> Iterator[None]:
    """Make `names` look uninstalled to imports inside the block (a no-op for any already imported)."""
    hidden = [name for name in names if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for name in hidden:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]


def import_transformers_generation() -> None:
    """Import transformers' generation package (what model classes need) without scikit-learn."""
    if "transformers.generation.candidate_generator" in sys.modules:
        return
    with hidden_modules(*UNUSED_BY_BENCH):
        import transformers.generation.candidate_generator  # noqa: F401
