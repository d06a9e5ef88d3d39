"""TextWorld cooking games for LLM agents (Introspective Tips, Chen et al. 2023, arXiv 2305.11598).

- games.py: the difficulty ladder, train/valid/test food splits, offline generation with recorded
  tw-make command lines, cached by parameters (generate.py is the generator's child process);
- commands.py: one sanitised command per step, clean observations;
- env.py: `TextWorldEnv`, a gymnasium-style episode with per-step rewards from the cumulative score;
- episode.py: the async episode loop, its records, the walkthrough (expert) policy;
- prompts.py / agents.py: the LLM policy (log-likelihood ranking, constrained or free commands) and
  the memories of the plain, Reflexion and Introspective Tips agents.
"""
