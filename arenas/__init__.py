"""bench.arenas: game engines, gymnasium environments and players used by game-playing tasks."""
