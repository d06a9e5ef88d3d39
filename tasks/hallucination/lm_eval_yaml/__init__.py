"""lm-eval YAML task definitions of the probes lm-eval lacks, and the `!function` helpers they name."""
