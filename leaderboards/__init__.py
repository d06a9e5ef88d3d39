"""bench.leaderboards: turns a folder of result documents into a static HTML site with plots."""
