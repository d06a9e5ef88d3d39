"""RewardBench length-bias plugin: reward-model scoring, length-bias statistics and post-hoc
calibration (Huang et al., "Post-hoc Reward Calibration: A Case Study on Length Bias", ICLR 2025).

- task `rewardbench_length` (task.py): scores pairs with the model under test, reports RewardBench
  scores and the length-reward correlation before and after each calibration method;
- `bench calibrate` (calibrate_cli.py): the same analysis over published per-sample score files
  of many reward models (the paper's Figure 1 as a table and a plot).
"""

from bench.tasks.rewardbench_length.config import RewardBenchLengthConfig
from bench.tasks.rewardbench_length.task import RewardBenchLengthTask

__all__ = ["RewardBenchLengthConfig", "RewardBenchLengthTask"]
