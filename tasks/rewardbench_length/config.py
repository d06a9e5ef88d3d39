"""Knobs of the `rewardbench_length` task (all defaulted; `--task-args rewardbench_length.key=value`)."""

from __future__ import annotations

from dataclasses import dataclass

from bench.harness.requests import RequestKind
from bench.tasks.rewardbench_length.analysis import ALL_METHODS, CalibrationSettings
from bench.tasks.rewardbench_length.data import SAMPLE
from bench.tasks.rewardbench_length.rewards import REF_FREE_TYPES, REWARD_KINDS


@dataclass(frozen=True)
class RewardBenchLengthConfig:
    """Options; defaults = the paper's RewardBench run.

    source: "sample" (shipped, offline), "allenai/reward-bench" (hub, split filtered) or a file.
    reward: auto | classifier | ref_free | dpo. ref_free_type: how a reference-free implicit reward
    aggregates the response's token log-probabilities, "avg" (per-token mean, RewardBench's default
    `--ref_free_type avg`) or "sum". dpo needs reference_model (+ reference_backend,
    reference_model_args as k=v;k2=v2). features: length features applied in sequence
    (chars | tokens | markdown, joined with '|' on the command line), alphas one per feature or one
    for all. tokenizer: for the tokens feature (default: the model's own, from the model client).
    """

    source: str = SAMPLE
    reward: str = "auto"
    ref_free_type: str = "avg"
    reference_model: str = ""
    reference_backend: str = ""
    reference_model_args: str = ""
    methods: tuple[str, ...] = ("rc_mean", "rc_lwr", "length_penalty", "rc_lwr_penalty")
    features: tuple[str, ...] = ("chars",)
    alphas: tuple[float, ...] = (1.0,)
    lowess_frac: float = 1.0
    lowess_it: int = 3
    lowess_delta_frac: float = 0.0
    rc_mean_ratio: float = 4.0
    rc_mean_min_count: int = 20
    rc_mean_window: str = "inclusive"
    penalty_coef: float = 0.001
    xstest_weights: str = "paper"
    bootstrap: int = 1000
    tokenizer: str = ""

    def __post_init__(self) -> None:
        if self.reward not in REWARD_KINDS:
            raise ValueError(f"reward must be one of {', '.join(REWARD_KINDS)}, got {self.reward!r}")
        if self.ref_free_type not in REF_FREE_TYPES:
            raise ValueError(f"ref_free_type must be one of {', '.join(REF_FREE_TYPES)}, got {self.ref_free_type!r}")
        if self.reward == "dpo" and not self.reference_model:
            raise ValueError("reward=dpo needs reference_model")
        unknown = [m for m in self.methods if m not in ALL_METHODS]
        if unknown:
            raise ValueError(f"unknown methods {unknown}; choices: {', '.join(ALL_METHODS)}")
        if self.bootstrap < 0:
            raise ValueError(f"bootstrap must be >= 0, got {self.bootstrap}")
        self.settings(seed=0)  # validates the calibration knobs

    def request_kind(self, capabilities: frozenset[RequestKind]) -> RequestKind:
        """The one request kind this configuration asks the model for: SCORE for a classifier,
        LOGLIKELIHOOD for implicit rewards; `auto` takes SCORE when the model serves it."""
        if self.reward == "classifier" or (self.reward == "auto" and RequestKind.SCORE in capabilities):
            return RequestKind.SCORE
        return RequestKind.LOGLIKELIHOOD

    def settings(self, seed: int) -> CalibrationSettings:
        return CalibrationSettings(
            features=tuple(self.features),
            alphas=tuple(float(a) for a in self.alphas),
            lowess_frac=self.lowess_frac,
            lowess_it=self.lowess_it,
            lowess_delta_frac=self.lowess_delta_frac,
            rc_mean_ratio=self.rc_mean_ratio,
            rc_mean_min_count=self.rc_mean_min_count,
            rc_mean_window=self.rc_mean_window,
            penalty_coef=self.penalty_coef,
            xstest_weights=self.xstest_weights,  # type: ignore[arg-type]
            n_boot=self.bootstrap,
            seed=seed,
        )
