"""The `bench` command line: eval, list, show, plus sub-commands contributed by plugins (gate,
leaderboard, calibrate...).

Flag names follow lm-eval's where the meaning is the same (--model, --model-args, --tasks,
--limit, --batch-size, --output-path, --log-samples, --seed). Every user-facing failure is a
`BenchError`, printed here as one line `bench: error: ...` with its exit code (see errors.py).
A task that fails mid-run is one such line too; its traceback is in the run folder's bench.log
(and on the terminal with -v). Ctrl-C is one line and exit 130, without waiting for a batch in
flight. Plugin sub-commands are imported only when they run (see `build_parser`), so `bench
--help` and `bench eval` never pay for scipy or statsmodels of a command they do not use.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shlex
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from bench.harness import registry
from bench.harness.backends.base import parse_model_args
from bench.harness.config import EvalConfig, parse_task_args, read_config_file
from bench.harness.errors import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PIPE_CLOSED,
    EXIT_USAGE,
    BenchError,
    ConfigError,
)
from bench.harness.provenance import bench_version

BUILTIN_COMMANDS = ("eval", "list", "show")


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad usage as one line with exit code 2 (its default code, kept)."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"bench: error: {message} (see: {self.prog} --help)\n")


class _LazyVersion(argparse.Action):
    """`--version` that looks the version up only when asked (it reads package metadata)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        print(f"bench {bench_version()}")
        parser.exit()


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The `bench` parser. Plugin sub-commands are imported only when needed (start-up time):

    `command` None (help, an unknown command): every plugin command is listed, its help line read
    from its module's docstring without importing it (registry.command_summary); a plugin command
    name: only that plugin is imported and registers its full parser; a built-in command: no plugin
    is touched.
    """
    parser = _Parser(prog="bench", description="Evaluate LLM checkpoints on specialised tasks.")
    parser.add_argument("--version", action=_LazyVersion, help="show the version and exit")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0,
        help="more logging; failed tasks' tracebacks on the terminal (-vv for debug)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    ev = sub.add_parser("eval", help="run tasks on a model and write a result document")
    ev.add_argument("--model", help="model: 'smollm2' (embedded default), a local folder or .gguf, or a hub id")
    ev.add_argument("--backend", help=f"one of: {', '.join(registry.backend_names())} (default hf)")
    ev.add_argument("--model-args", help="backend arguments k=v,k2=v2 (e.g. dtype=bfloat16,device=cuda)")
    ev.add_argument("--tasks", help="comma-separated task names, or 'all'")
    ev.add_argument("--task-args", help="task options task.key=value,... (e.g. uno.games_per_setting=4)")
    ev.add_argument("--limit", type=int, help="evaluate at most N samples (games, prompts, pairs) per task")
    ev.add_argument("--batch-size", help="requests per backend batch, or 'auto' (default)")
    ev.add_argument("--seed", type=int, help="run seed (default 1234); each task derives its own")
    ev.add_argument("--output-path", help="folder for result documents (default ./results)")
    ev.add_argument("--log-samples", action="store_true", default=None, help="store full prompts/responses per sample")
    ev.add_argument("--no-cache", action="store_true", default=None, help="do not read or write the request cache")
    ev.add_argument("--cache-path", help="request cache file (default ~/.cache/bench/requests.sqlite)")
    ev.add_argument(
        "--rebuild-cache", action="store_true", default=None,
        help="if the request cache file is corrupt, move it aside (<file>.broken-<time>) and keep its readable answers",
    )
    ev.add_argument(
        "--shard", help="evaluate part i of n (0 <= i < n) of every task's samples, e.g. 0/3; `bench merge` joins the parts",
    )
    ev.add_argument("--config", help="TOML/YAML/JSON file with the same keys; flags override it")
    ev.add_argument("--gate-against", help="baseline result.json: gate this run against it (exit 1 on regression)")
    ev.add_argument("--gate-policy", help="gate policy TOML for --gate-against")
    ev.add_argument("--no-progress", action="store_true", default=None, help="no progress lines on stderr")
    ev.add_argument(
        "-v", "--verbose", action="count", default=argparse.SUPPRESS,
        help="as `bench -v`: failed tasks' tracebacks on the terminal too (they are always in the run's bench.log)",
    )
    ev.set_defaults(func=cmd_eval)

    ls = sub.add_parser("list", help="list tasks, backends or models")
    ls.add_argument("what", choices=["tasks", "backends", "models"])
    ls.set_defaults(func=cmd_list)

    show = sub.add_parser("show", help="print a result document as a table")
    show.add_argument("result", help="a result.json (or its run folder)")
    show.set_defaults(func=cmd_show)

    if command in BUILTIN_COMMANDS:
        return parser
    entry_points = registry.command_entry_points()
    for name, entry_point in sorted(entry_points.items()):
        if command is not None and command in entry_points and name != command:
            continue
        summary = registry.command_summary(name) if command != name else None
        if summary is not None:
            sub.add_parser(name, help=summary, add_help=False)  # listed only; the real parser loads on use
            continue
        try:
            entry_point.load()(sub)
        except Exception as exc:  # a broken plugin must not take the whole CLI down
            print(f"bench: warning: sub-command {name!r} failed to load: {type(exc).__name__}: {exc}", file=sys.stderr)
    return parser


def _requested_command(argv: Sequence[str]) -> str | None:
    """The sub-command named in argv (the first word that is not an option), or None."""
    for item in argv:
        if item == "--":
            return None
        if not item.startswith("-"):
            return item
    return None


def config_from_args(args: argparse.Namespace) -> EvalConfig:
    values: dict[str, Any] = read_config_file(args.config) if args.config else {}
    overrides = {
        "model": args.model,
        "backend": args.backend,
        "limit": args.limit,
        "seed": args.seed,
        "output_path": args.output_path,
        "log_samples": args.log_samples,
        "cache_path": args.cache_path,
        "gate_against": args.gate_against,
        "gate_policy": args.gate_policy,
        "shard": args.shard,
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    if args.tasks:
        values["tasks"] = [t for t in args.tasks.split(",") if t.strip()]
    if args.model_args:
        values["model_args"] = {**values.get("model_args", {}), **parse_model_args(args.model_args)}
    if args.task_args:
        merged = dict(values.get("task_args", {}))
        for task, options in parse_task_args(args.task_args).items():
            merged[task] = {**merged.get(task, {}), **options}
        values["task_args"] = merged
    if args.batch_size is not None:
        values["batch_size"] = _parse_batch_size(args.batch_size)
    if args.no_cache:
        values["use_cache"] = False
    if args.rebuild_cache:
        values["rebuild_cache"] = True
    if args.no_progress:
        values["show_progress"] = False
    if not values.get("tasks"):
        raise ConfigError(f"no tasks given: use --tasks a,b or a config file; choices: {', '.join(registry.task_names())}")
    values["tasks"] = tuple(registry.expand_task_names(values["tasks"]))
    try:
        return EvalConfig(**values)
    except TypeError as exc:
        raise ConfigError(f"invalid configuration: {exc}") from exc


def _parse_batch_size(text: str | int) -> int | str:
    if text == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"--batch-size must be a positive integer or 'auto', got {text!r}") from None


def cmd_eval(args: argparse.Namespace) -> int:
    from bench.harness.scheduler import evaluate
    from bench.harness.summary import format_result_table

    config = config_from_args(args)
    _check_gate_inputs(config)
    command = "bench " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    outcome = evaluate(config, command=command)
    print(format_result_table(outcome.document))
    print(f"\nresult: {outcome.result_path}")
    code = EXIT_OK
    if outcome.failed_tasks:
        for name in outcome.failed_tasks:
            print(f"bench: error: task {name!r} failed: {outcome.document.tasks[name].error}", file=sys.stderr)
        code = outcome.exit_code
    if config.gate_against:
        from bench.harness.gate import gate_documents, load_policy
        from bench.harness.gate.report import render_markdown

        policy = load_policy(config.gate_policy) if config.gate_policy else None
        report = gate_documents(Path(config.gate_against), outcome.result_path, policy)
        print()
        print(render_markdown(report))
        code = max(code, report.exit_code) if code != EXIT_OK else report.exit_code
    return code


def _check_gate_inputs(config: EvalConfig) -> None:
    """--gate-against / --gate-policy are read before the run: a typo must not cost a whole evaluation."""
    if config.gate_against:
        from bench.harness.results import read_result

        baseline = Path(config.gate_against)
        if not baseline.exists():
            raise ConfigError(f"--gate-against {config.gate_against!r} does not exist (expected a baseline result.json)")
        read_result(baseline)  # ResultFileError (exit 2) naming the file if it is not a valid result document
    if config.gate_policy:
        if not config.gate_against:
            raise ConfigError("--gate-policy needs --gate-against BASELINE.json")
        from bench.harness.gate import load_policy

        load_policy(config.gate_policy)


def cmd_list(args: argparse.Namespace) -> int:
    if args.what == "tasks":
        names = registry.task_names()
        width = max((len(n) for n in names), default=0) + 1
        groups: dict[str, list[str]] = {}
        for name in names:
            try:
                task = registry.load_task_class(name)
            except BenchError as exc:
                print(f"{name:{width}s} (failed to load: {exc})")
                continue
            marker = " " if task.in_all else "-"  # "-": not part of --tasks all
            print(f"{name:{width}s}{marker}v{task.version:6s} {task.description}")
            for group in task.groups:
                groups.setdefault(group, []).append(name)
        print("\n(-: not in --tasks all, run by name or group)")
        for group, members in sorted(groups.items()):
            print(f"group {group}: {', '.join(members)}")
    elif args.what == "backends":
        for name in registry.backend_names():
            print(name)
    else:
        from bench.harness.model_source import known_model_aliases

        for alias, description in known_model_aliases().items():
            print(f"{alias:12s} {description}")
        print("(also: any local transformers folder, .gguf file, or hub id org/name cached locally)")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    from bench.harness.results import read_result
    from bench.harness.summary import format_result_table

    document = read_result(args.result)
    print(format_result_table(document, full=True))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_requested_command(argv))
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        with _console_logging(args.verbose):
            return int(args.func(args))
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("bench: interrupted; answered requests are cached, run the same command again to resume", file=sys.stderr)
        if _backend_threads_alive():
            # A batch was still computing in an abandoned worker thread: joining it could take
            # minutes, and interpreter shutdown under a running torch thread aborts the process.
            # Every answered request is already in the (closed) cache, so leave at once.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output closed it (`bench list tasks | head`). Not a success that could
        # hide a gate's regression (141 is non-zero) and no traceback: stdout goes to /dev/null so
        # the interpreter's final flush cannot raise again. Files the command wrote are complete.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_PIPE_CLOSED


def _backend_threads_alive() -> bool:
    """Worker threads of an interrupted run (see scheduler._BackendThreads) still running."""
    import threading

    return any(t.name == "bench-backend" and t.is_alive() for t in threading.enumerate())


class _ConsoleHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (tests swap it; a progress display wraps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        # Not setStream: it flushes the previous stream first, which may be closed by now.
        self.stream = sys.stderr
        super().emit(record)


@contextlib.contextmanager
def _console_logging(verbose: int) -> Iterator[None]:
    """Log records on the terminal while a command runs: warnings, -v info, -vv debug.

    Removed again afterwards, so `main(argv)` called in-process leaves the caller's logging as it
    was. (The run's bench.log gets INFO and above on its own handler; see scheduler.evaluate.)
    """
    root = logging.getLogger()
    level = logging.WARNING - 10 * min(verbose, 2)
    handler = _ConsoleHandler()
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    saved_level = root.level
    root.addHandler(handler)
    if root.getEffectiveLevel() > level:
        root.setLevel(level)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_level)


if __name__ == "__main__":  # the vLLM engine spawns processes: keep the entry point import-safe
    sys.exit(main())
