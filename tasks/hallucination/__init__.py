"""Hallucination probes by architecture (Huang et al., "Do Robot Snakes Dream like Electric Sheep?",
Findings of ACL 2025): one task per probe of the Hallucinations Leaderboard suite, all in the group
"hallucination" (`bench eval --tasks hallucination`); `bench report hallucination` compares result
documents by architecture family. See tasks/hallucination/README.md."""

from __future__ import annotations

from bench.tasks.hallucination.task import ProbeTask


class HalluNqOpen8Task(ProbeTask, probe_name="hallu_nq_open_8"):
    pass


class HalluNqOpen64Task(ProbeTask, probe_name="hallu_nq_open_64"):
    pass


class HalluTriviaqa8Task(ProbeTask, probe_name="hallu_triviaqa_8"):
    pass


class HalluTriviaqa64Task(ProbeTask, probe_name="hallu_triviaqa_64"):
    pass


class HalluPopqaTask(ProbeTask, probe_name="hallu_popqa"):
    pass


class HalluTruthfulqaMc1Task(ProbeTask, probe_name="hallu_truthfulqa_mc1"):
    pass


class HalluTruthfulqaMc2Task(ProbeTask, probe_name="hallu_truthfulqa_mc2"):
    pass


class HalluTruthfulqaGenTask(ProbeTask, probe_name="hallu_truthfulqa_gen"):
    pass


class HalluIfevalTask(ProbeTask, probe_name="hallu_ifeval"):
    pass


class HalluXsumTask(ProbeTask, probe_name="hallu_xsum"):
    pass


class HalluCnnDailymailTask(ProbeTask, probe_name="hallu_cnn_dailymail"):
    pass


class HalluRaceTask(ProbeTask, probe_name="hallu_race"):
    pass


class HalluSquadv2Task(ProbeTask, probe_name="hallu_squadv2"):
    pass


class HalluMemoTrapTask(ProbeTask, probe_name="hallu_memo_trap"):
    pass


class HalluFaithdialTask(ProbeTask, probe_name="hallu_faithdial"):
    pass


class HalluHaluevalQaTask(ProbeTask, probe_name="hallu_halueval_qa"):
    pass


class HalluHaluevalDialogueTask(ProbeTask, probe_name="hallu_halueval_dialogue"):
    pass


class HalluHaluevalSummarizationTask(ProbeTask, probe_name="hallu_halueval_summarization"):
    pass


class HalluFeverTask(ProbeTask, probe_name="hallu_fever"):
    pass


class HalluTrueFalseTask(ProbeTask, probe_name="hallu_true_false"):
    pass


__all__ = ["HalluNqOpen8Task", "HalluNqOpen64Task", "HalluTriviaqa8Task", "HalluTriviaqa64Task", "HalluPopqaTask", "HalluTruthfulqaMc1Task", "HalluTruthfulqaMc2Task", "HalluTruthfulqaGenTask", "HalluIfevalTask", "HalluXsumTask", "HalluCnnDailymailTask", "HalluRaceTask", "HalluSquadv2Task", "HalluMemoTrapTask", "HalluFaithdialTask", "HalluHaluevalQaTask", "HalluHaluevalDialogueTask", "HalluHaluevalSummarizationTask", "HalluFeverTask", "HalluTrueFalseTask", "ProbeTask"]
