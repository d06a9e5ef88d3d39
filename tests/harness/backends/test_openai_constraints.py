"""Constraints and top_k in the openai backend against a recording in-process server (fast): what
each `structured_outputs` setting sends, which constraint kinds it declares, a server that ignores a
constraint, and the scheduler refusing a task whose constraints the server cannot serve."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from bench.harness.errors import BackendError, ConfigError
from bench.harness.requests import (
    ChatRequest,
    CompletionRequest,
    Constraint,
    GenerationParams,
    Message,
    RequestKind,
)
from bench.harness.schema import MetricValue
from bench.harness.task import Summary, SummaryContext, Task, TaskContext

SCHEMA = {"type": "object", "properties": {"move": {"type": "integer"}}, "required": ["move"]}


class RecordingServer:
    """GET /models lists model "m"; every POST is recorded and answered with `text` / `finish`."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.text, self.finish = "yes", "stop"
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._send({"object": "list", "data": [{"id": "m", "object": "model"}]})

            def do_POST(self) -> None:
                outer.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                choice = {"index": 0, "finish_reason": outer.finish}
                if self.path.endswith("/chat/completions"):
                    choice["message"] = {"role": "assistant", "content": outer.text}
                else:
                    choice["text"] = outer.text
                self._send({"choices": [choice], "usage": {"prompt_tokens": 3, "completion_tokens": 1}})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    s = RecordingServer()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def _ask(server: RecordingServer, params: GenerationParams, completion: bool = False, **model_args: object):
    from bench.harness.backends.openai import OpenAIBackend

    backend = OpenAIBackend("m", {"base_url": server.url, "max_retries": 0, **model_args})
    request = CompletionRequest("Q:", params) if completion else ChatRequest((Message("user", "Q?"),), params)

    async def ask():
        try:
            return await backend.asubmit(request)
        finally:
            await backend.aclose()

    return asyncio.run(ask())


def test_each_setting_declares_the_constraint_kinds_it_sends(server):
    from bench.harness.backends.openai import OpenAIBackend

    kinds = {setting: OpenAIBackend("m", {"base_url": server.url, "structured_outputs": setting}).constraint_kinds
             for setting in ("openai", "vllm", "none")}
    assert kinds == {"openai": frozenset({"json"}), "vllm": frozenset({"choice", "regex", "json"}), "none": frozenset()}
    assert OpenAIBackend("m", {"base_url": server.url}).constraint_kinds == frozenset({"json"})  # default: openai
    with pytest.raises(ConfigError, match="structured_outputs='guided': expected one of openai, vllm, none"):
        OpenAIBackend.parse_args({"structured_outputs": "guided"})


@pytest.mark.parametrize(
    ("constraint", "text", "field"),
    [
        (Constraint.choice(["yes", "no"]), "no", {"choice": ["yes", "no"]}),
        (Constraint.regex(r"[0-9]+"), "42", {"regex": "[0-9]+"}),
        (Constraint.json_schema_of(SCHEMA), '{"move": 3}', {"json": SCHEMA}),
    ],
)
def test_vllm_setting_sends_each_kind_as_structured_outputs(server, constraint, text, field):
    server.text = text
    for completion in (False, True):
        answer = _ask(server, GenerationParams(max_tokens=8, constraint=constraint), completion, structured_outputs="vllm")
        assert answer.text == text
        assert server.bodies[-1]["structured_outputs"] == field
        assert "response_format" not in server.bodies[-1]


def test_openai_setting_sends_a_json_schema_as_response_format(server):
    server.text = '{"move": 1}'
    _ask(server, GenerationParams(constraint=Constraint.json_schema_of(SCHEMA)))
    body = server.bodies[-1]
    assert body["response_format"] == {"type": "json_schema", "json_schema": {"name": "answer", "schema": SCHEMA, "strict": True}}
    assert "structured_outputs" not in body


@pytest.mark.parametrize(("setting", "constraint"), [("openai", Constraint.regex("[a-z]")), ("none", Constraint.json_schema_of(SCHEMA))])
def test_a_kind_the_setting_cannot_send_is_refused_before_any_post(server, setting, constraint):
    with pytest.raises(BackendError, match=f"structured_outputs={setting} cannot serve a '{constraint.kind}' constraint"):
        _ask(server, GenerationParams(constraint=constraint), structured_outputs=setting)
    assert server.bodies == []


def test_unconstrained_requests_send_no_constraint_fields(server):
    _ask(server, GenerationParams(max_tokens=4), structured_outputs="vllm")
    assert not {"structured_outputs", "response_format", "top_k"} & set(server.bodies[-1])


@pytest.mark.parametrize(
    ("constraint", "text", "problem"),
    [
        (Constraint.choice(["yes", "no"]), "maybe", "is not one of the choices"),
        (Constraint.regex(r"[0-9]+"), "forty", "does not match the pattern"),
        (Constraint.json_schema_of(SCHEMA), "move 3", "is not JSON"),
        (Constraint.json_schema_of(SCHEMA), '{"move": "three"}', "does not match the schema"),
    ],
)
def test_a_server_that_ignores_the_constraint_is_a_backend_error(server, constraint, text, problem):
    server.text = text
    with pytest.raises(BackendError, match=f"ignored the '{constraint.kind}' constraint .*{problem}.*structured_outputs=openai\\|vllm\\|none"):
        _ask(server, GenerationParams(constraint=constraint), structured_outputs="vllm")


def test_an_answer_cut_by_max_tokens_or_a_stop_string_is_not_judged(server):
    server.text, server.finish = '{"mo', "length"
    assert _ask(server, GenerationParams(constraint=Constraint.json_schema_of(SCHEMA))).text == '{"mo'
    server.finish = "stop"
    params = GenerationParams(stop=("}",), constraint=Constraint.json_schema_of(SCHEMA))
    assert _ask(server, params).text == '{"mo'


def test_top_k_is_sent_as_a_vllm_extra_only(server):
    _ask(server, GenerationParams(temperature=0.8, top_k=5), structured_outputs="vllm")
    assert server.bodies[-1]["top_k"] == 5
    _ask(server, GenerationParams(top_k=5))  # greedy: top_k changes nothing, so nothing is sent
    assert "top_k" not in server.bodies[-1]
    with pytest.raises(BackendError, match="top_k is a vLLM server extra: --model-args structured_outputs=vllm"):
        _ask(server, GenerationParams(temperature=0.8, top_k=5))
    assert len(server.bodies) == 2


# ---- the scheduler's capability check, end to end through the CLI ----------------------------------
@dataclass(frozen=True)
class _ProbeConfig:
    pass


class _RegexProbeTask(Task):
    """Asks one regex-constrained question; records the answer."""

    name = "regex_probe"
    version = "1"
    config_class = _ProbeConfig
    request_kinds = frozenset({RequestKind.CHAT})
    headline_metric = "matched"
    metrics_version = "1"

    def constraint_kinds_for(self, config: Any) -> frozenset[str]:
        return frozenset({"regex"})

    async def run(self, ctx: TaskContext) -> list[dict[str, Any]]:
        answer = await ctx.model.chat([Message("user", "A number?")],
                                       GenerationParams(max_tokens=4, constraint=Constraint.regex("[0-9]+")))
        return [{"id": "q0", "answer": answer.text, "matched": answer.text.isdigit()}]

    def summarize(self, samples: list[dict[str, Any]], config: Any, ctx: SummaryContext) -> Summary:
        return Summary(metrics=[MetricValue("matched", float(all(s["matched"] for s in samples)), "higher", len(samples))])


def test_scheduler_refuses_a_constraint_the_server_setting_cannot_serve_before_any_request(server, bench_main, tmp_path):
    from bench.harness import registry

    registry.register_task("regex_probe", _RegexProbeTask)
    server.text = "42"
    common = ("eval", "--backend", "openai", "--model", "m", "--tasks", "regex_probe", "--no-progress")
    refused = bench_main(*common, "--model-args", f"base_url={server.url}", "--output-path", str(tmp_path / "a"))
    assert refused.returncode == 2, refused.stderr
    [line] = [line for line in refused.stderr.splitlines() if line.strip()]
    assert line == ("bench: error: task 'regex_probe' needs regex constrained generation, which backend 'openai' "
                    "cannot serve for model 'm' (it serves: json)")
    assert server.bodies == []  # refused before any request
    served = bench_main(*common, "--model-args", f"base_url={server.url},structured_outputs=vllm", "--output-path", str(tmp_path / "b"))
    assert served.returncode == 0, served.stderr
    assert [b["structured_outputs"] for b in server.bodies] == [{"regex": "[0-9]+"}]
