"""Start-up: transformers' generation code is imported without scikit-learn, which stays importable."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
from bench.harness.transformers_import import hidden_modules


def test_hidden_module_looks_uninstalled_inside_the_block_and_comes_back_after():
    assert importlib.util.find_spec("wave") is not None and "wave" not in sys.modules
    with hidden_modules("wave", "json"):  # json is already imported: left alone
        assert importlib.util.find_spec("wave") is None
        with pytest.raises(ImportError):
            import wave  # noqa: F401
        assert sys.modules["json"] is not None
    assert "wave" not in sys.modules and importlib.util.find_spec("wave") is not None


@pytest.mark.slow
def test_generation_import_skips_scikit_learn_which_stays_importable():
    probe = (
        "import sys\n"
        "from bench.harness.transformers_import import import_transformers_generation\n"
        "import_transformers_generation()\n"
        "print('sklearn' in sys.modules)\n"
        "import sklearn.metrics\n"
        "print('sklearn' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True"]
