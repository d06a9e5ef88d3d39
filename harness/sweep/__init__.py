"""`bench sweep`: models x tasks x shards as Ray tasks (config.py: the sweep file and its units;
unit.py: one unit in a worker; store.py: the results folder or fsspec URL; runner.py: submit,
watch, merge; progress.py: the view over the sweep; cli.py: the command). Ray is imported only
when a sweep runs."""
