"""bench.tasks: one package per task plugin (data building, the request coroutine, sample records).

Plugins are found through the `bench.tasks` entry points, never imported here by name."""
