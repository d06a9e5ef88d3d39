"""User-facing failures of bench, one exception type each, with the CLI exit code it maps to.

The CLI catches `BenchError` once, prints `bench: error: <message>` on one line and exits with
`exit_code`. Library code raises these instead of printing. Exit codes (documented in README):

    0  success (for `bench gate`: no regression)
    1  `bench gate`: a regression was found
    2  usage or input error: unknown task/model/backend, malformed config, broken result file
    3  a backend failed (model could not be loaded, server unreachable, engine crashed)
    4  a task failed while running with an error that is not a BenchError (a bug, an unexpected
       exception); its finished work is kept in the cache (see scheduler._run_task)
    130 interrupted (Ctrl-C); finished work is kept in the cache and the run resumes
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_REGRESSION = 1
EXIT_USAGE = 2
EXIT_BACKEND = 3
EXIT_TASK = 4
EXIT_INTERRUPTED = 130
EXIT_PIPE_CLOSED = 141  # stdout's reader went away (`bench list tasks | head`): 128 + SIGPIPE, as shells report it


class BenchError(Exception):
    """Base of every failure bench reports to a user as one line."""

    exit_code: int = EXIT_USAGE


class UsageError(BenchError):
    """Bad command line or config: unknown names, malformed values."""


class UnknownNameError(UsageError):
    """A name (task, backend, model, metric) that is not registered; the message lists the choices."""

    def __init__(self, kind: str, name: str, choices: list[str] | tuple[str, ...]) -> None:
        self.kind, self.name, self.choices = kind, name, sorted(choices)
        super().__init__(f"unknown {kind} {name!r}; choices: {', '.join(self.choices) or '(none)'}")


class ConfigError(UsageError):
    """A config file or --model-args/--task-args string that cannot be parsed or validated."""


class CacheError(UsageError):
    """The request cache file is unusable: corrupt, not a database, or locked past the busy timeout."""


class ResultFileError(UsageError):
    """A result document that is missing, not JSON, or invalid against the schema."""


class DataError(UsageError):
    """Input data for a task (dataset, score file) that is missing, unreachable or malformed."""


class CapabilityError(UsageError):
    """A task needs a request kind that the chosen backend cannot serve."""


class BackendError(BenchError):
    """The model backend failed: load error, unreachable server, engine crash."""

    exit_code = EXIT_BACKEND
