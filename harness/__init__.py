"""bench.harness: the core (CLI, registry, scheduler, model client, backends, cache, results)."""
