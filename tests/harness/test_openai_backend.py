"""The openai backend against a real OpenAI-compatible server process on 127.0.0.1 (vLLM's server
serving the embedded model, slow), and its failure modes against a scripted in-process HTTP
server (fast): Retry-After caps, the per-request deadline, malformed 200 answers, credentials."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from bench.harness.errors import BackendError
from bench.harness.requests import (
    ChatRequest,
    CompletionRequest,
    GenerationParams,
    LoglikelihoodRequest,
    Message,
    ScoreRequest,
)
from bench.harness.results import load_result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """vLLM's OpenAI-compatible server on the embedded model (tests/harness/real_openai_server.py):
    started at collection by tests/conftest.py when a selected test needs it, so here it is
    usually up already; stopped when the module's tests are done."""
    import real_openai_server

    try:
        base_url = real_openai_server.wait_until_ready()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield base_url
    real_openai_server.stop()


@pytest.mark.slow
@pytest.mark.vllm
def test_chat_completion_and_loglikelihood_through_a_real_server(server, embedded_hf):
    from bench.harness.backends.openai import OpenAIBackend
    from bench.harness.client import ModelClient

    backend = OpenAIBackend("smollm2", {"base_url": server, "loglikelihood": True, "max_concurrency": 4})
    client = ModelClient(backend)

    async def scenario():
        chats = await asyncio.gather(*(client.chat([Message("user", f"What is {i} + {i}?")], GenerationParams(max_tokens=12)) for i in range(6)))
        capital = await client.chat([Message("user", "What is the capital of France?")], GenerationParams(max_tokens=20))
        ll = await client.loglikelihood("The capital of France is", " Paris")
        await backend.aclose()
        return chats, capital, ll

    chats, capital, ll = asyncio.run(scenario())
    assert all(c.text.strip() and c.completion_tokens > 0 for c in chats)
    assert "Paris" in capital.text
    [hf_ll] = embedded_hf.loglikelihood([LoglikelihoodRequest("The capital of France is", " Paris")])
    assert ll.logprob == pytest.approx(hf_ll.logprob, abs=1e-3)
    assert backend.info.fingerprint.startswith("openai:")


@pytest.mark.slow
@pytest.mark.vllm
def test_bench_eval_through_the_openai_backend(server, bench_main, tmp_path: Path):
    result = bench_main("eval", "--backend", "openai", "--model", "smollm2", "--model-args", f"base_url={server}",
                        "--tasks", "arithmetic_dialogue", "--task-args", "arithmetic_dialogue.episodes=2,arithmetic_dialogue.turns=2",
                        "--output-path", str(tmp_path), "--no-progress")
    assert result.returncode == 0, result.stderr[-2000:]
    document = load_result(next(tmp_path.rglob("result.json")))
    assert document["model"]["backend"] == "openai" and document["tasks"]["arithmetic_dialogue"]["n_samples"] == 4
    assert "api_key" not in str(document["model"]["backend_args"]).lower()


@pytest.mark.slow
@pytest.mark.vllm
def test_unknown_model_on_the_server_lists_what_it_serves(server):
    from bench.harness.backends.openai import OpenAIBackend

    with pytest.raises(BackendError, match="does not serve model 'gpt-9'; it serves: smollm2"):
        OpenAIBackend("gpt-9", {"base_url": server})


def test_unreachable_server_is_one_clear_error():
    from bench.harness.backends.openai import OpenAIBackend

    with pytest.raises(BackendError, match=r"OpenAI-compatible server at http://127.0.0.1:\d+/v1 is unreachable"):
        OpenAIBackend("smollm2", {"base_url": f"http://127.0.0.1:{_free_port()}/v1"})


@pytest.mark.slow
@pytest.mark.vllm
def test_reward_scores_are_refused_with_a_reason(server):
    from bench.harness.backends.openai import OpenAIBackend
    from bench.harness.client import ModelClient
    from bench.harness.errors import CapabilityError

    client = ModelClient(OpenAIBackend("smollm2", {"base_url": server}))
    with pytest.raises(CapabilityError, match="cannot serve score requests"):
        asyncio.run(client.submit(ScoreRequest([Message("user", "x"), Message("assistant", "y")])))


@pytest.mark.slow
@pytest.mark.vllm
def test_a_real_vllm_server_honours_every_constraint_kind_and_top_k(server):
    """structured_outputs=vllm: choice / regex / json through vLLM serve's `structured_outputs`
    field (chat and completion), json through `response_format` with the default setting, and
    top_k=1 sampling equal to greedy. The backend's own check would raise on a violated answer;
    the assertions check the answers independently."""
    import re

    import jsonschema
    from bench.harness.backends.openai import OpenAIBackend
    from bench.harness.requests import Constraint

    schema = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 12}, "age": {"type": "integer"}},
              "required": ["name", "age"], "additionalProperties": False}
    asks = [
        ("Is the sky blue on a clear day? Answer yes or no.", Constraint.choice(["yes", "no"])),
        ("What is 12 plus 7? Answer with the number only.", Constraint.regex(r"[0-9]{1,3}")),
        ("Describe a person as JSON with a name and an age.", Constraint.json_schema_of(schema)),
    ]
    vllm_extras = OpenAIBackend("smollm2", {"base_url": server, "structured_outputs": "vllm", "max_concurrency": 4})
    default = OpenAIBackend("smollm2", {"base_url": server})
    colour = (Message("user", "Name a colour."),)

    async def scenario():
        chats = [vllm_extras.asubmit(ChatRequest((Message("user", q),), GenerationParams(max_tokens=48, constraint=c)))
                 for q, c in asks]
        completion = vllm_extras.asubmit(CompletionRequest("The year the first moon landing happened was ",
                                                           GenerationParams(max_tokens=8, constraint=Constraint.regex(r"19[0-9]{2}"))))
        by_response_format = default.asubmit(ChatRequest((Message("user", asks[2][0]),),
                                                         GenerationParams(max_tokens=48, constraint=asks[2][1])))
        greedy = vllm_extras.asubmit(ChatRequest(colour, GenerationParams(max_tokens=12)))
        top_k_one = [vllm_extras.asubmit(ChatRequest(colour, GenerationParams(max_tokens=12, temperature=1.5, seed=s, top_k=1)))
                     for s in range(3)]
        hot = vllm_extras.asubmit(ChatRequest(colour, GenerationParams(max_tokens=12, temperature=1.5, seed=0)))
        answers = await asyncio.gather(*chats, completion, by_response_format, greedy, *top_k_one, hot)
        await vllm_extras.aclose()
        await default.aclose()
        return answers

    *constrained, completion, by_response_format, greedy, sampled_1, sampled_2, sampled_3, hot = asyncio.run(scenario())
    choice, number, person = constrained
    assert choice.text in ("yes", "no") and choice.finish_reason == "stop"
    assert re.fullmatch(r"[0-9]{1,3}", number.text) and number.finish_reason == "stop"
    jsonschema.validate(json.loads(person.text), schema)
    assert re.fullmatch(r"19[0-9]{2}", completion.text), completion.text
    jsonschema.validate(json.loads(by_response_format.text), schema)
    assert sampled_1.text == sampled_2.text == sampled_3.text == greedy.text  # top_k=1 reached the sampler...
    assert hot.text != greedy.text  # ...which, without it, wanders off at this temperature


# ---- failure modes against a scripted server (fast) ---------------------------------------------
GOOD_CHAT = {"choices": [{"message": {"role": "assistant", "content": "4"}, "finish_reason": "stop"}],
             "usage": {"prompt_tokens": 5, "completion_tokens": 1}}


class ScriptedServer:
    """An OpenAI-compatible server in a thread: GET /models lists `model`; each POST gets the next
    scripted (status, headers, body) reply, the last one repeating. Records what it received."""

    def __init__(self, replies: list[tuple[int, dict[str, str], object]], model: str = "m") -> None:
        self.replies, self.model, self.posts, self.auth = list(replies), model, 0, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep the test output clean
                pass

            def _send(self, status: int, headers: dict[str, str], body: object) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                outer.auth.append(self.headers.get("Authorization"))
                self._send(200, {}, {"object": "list", "data": [{"id": outer.model, "object": "model"}]})

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                index = min(outer.posts, len(outer.replies) - 1)
                outer.posts += 1
                self._send(*outer.replies[index])

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def scripted() -> Iterator[Callable[..., ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def start(*replies: tuple[int, dict[str, str], object], model: str = "m") -> ScriptedServer:
        servers.append(ScriptedServer(list(replies), model))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def _chat(backend: object) -> object:
    async def ask() -> object:
        try:
            return await backend.asubmit(ChatRequest((Message("user", "2+2?"),), GenerationParams(max_tokens=4)))  # type: ignore[attr-defined]
        finally:
            await backend.aclose()  # type: ignore[attr-defined]

    return asyncio.run(ask())


def test_retry_after_of_a_day_is_capped_at_max_retry_after(scripted):
    from bench.harness.backends.openai import OpenAIBackend

    server = scripted((429, {"Retry-After": "86400"}, {"error": "slow down"}),
                      (503, {"Retry-After": "86400"}, {"error": "busy"}), (200, {}, GOOD_CHAT))
    backend = OpenAIBackend("m", {"base_url": server.url, "max_retry_after": 0.05})
    started = time.monotonic()
    answer = _chat(backend)
    assert answer.text == "4" and server.posts == 3
    assert time.monotonic() - started < 5


def test_retries_stop_at_the_request_deadline_with_one_line(scripted):
    from bench.harness.backends.openai import OpenAIBackend

    server = scripted((429, {"Retry-After": "86400"}, {"error": "slow down"}))
    backend = OpenAIBackend("m", {"base_url": server.url, "max_retry_after": 0.2, "request_deadline": 0.5,
                                  "max_retries": 1000})
    started = time.monotonic()
    with pytest.raises(BackendError, match=r"HTTP 429.*request_deadline=0.5 s") as caught:
        _chat(backend)
    assert time.monotonic() - started < 5
    assert 2 <= server.posts <= 4
    assert "\n" not in str(caught.value)


def test_a_server_that_never_answers_fails_at_the_request_deadline(scripted, monkeypatch):
    from bench.harness.backends import openai as openai_backend

    server = scripted((200, {}, GOOD_CHAT))
    backend = openai_backend.OpenAIBackend("m", {"base_url": server.url, "request_deadline": 0.3, "timeout": 60})

    async def hang(*args: object, **kwargs: object) -> object:
        await asyncio.sleep(3600)

    backend._client = type("Hanging", (), {"post": staticmethod(hang), "aclose": staticmethod(lambda: asyncio.sleep(0))})()
    backend._semaphore = asyncio.Semaphore(1)
    started = time.monotonic()
    with pytest.raises(BackendError, match="no answer within request_deadline=0.3 s"):
        _chat(backend)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"{not json", "not JSON"),
        ([GOOD_CHAT], "JSON list, not an object"),
        ({"choices": []}, "without choices"),
        ({"object": "chat.completion"}, "without choices"),
        ({"choices": [{"finish_reason": "stop"}]}, "without a message text"),
        ({"choices": [{"message": {"content": 7}}]}, "without a message text"),
        ({"choices": [{"message": {"content": "x"}}], "usage": {"prompt_tokens": "many"}}, "malformed 'usage'"),
    ],
)
def test_malformed_200_answers_are_backend_errors(scripted, body, problem):
    from bench.harness.backends.openai import OpenAIBackend

    server = scripted((200, {}, body))
    with pytest.raises(BackendError, match=problem):
        _chat(OpenAIBackend("m", {"base_url": server.url, "max_retries": 0}))


def test_malformed_completion_answer_is_a_backend_error(scripted):
    from bench.harness.backends.openai import OpenAIBackend

    server = scripted((200, {}, {"choices": [{"message": {"content": "chat-shaped"}}]}))
    backend = OpenAIBackend("m", {"base_url": server.url})

    async def ask() -> object:
        try:
            return await backend.asubmit(CompletionRequest("2+2=", GenerationParams(max_tokens=4)))
        finally:
            await backend.aclose()

    with pytest.raises(BackendError, match="without a text in choices"):
        asyncio.run(ask())


def test_malformed_answer_fails_the_run_with_exit_3_not_a_task_traceback(scripted, bench_main, tmp_path: Path):
    server = scripted((200, {}, [1, 2, 3]))
    result = bench_main("eval", "--backend", "openai", "--model", "m", "--model-args", f"base_url={server.url}",
                        "--tasks", "arithmetic_dialogue", "--task-args", "arithmetic_dialogue.episodes=1,arithmetic_dialogue.turns=1",
                        "--output-path", str(tmp_path / "out"), "--no-progress")
    assert result.returncode == 3, result.stderr
    assert "JSON list, not an object" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("text", ["max_concurrency=0", "max_concurrency=abc", "timeout=-1", "max_retry_after=nan",
                                  "request_deadline=0", "base_url=ftp://x", "colour=blue"])
def test_bad_openai_model_args_are_usage_errors_before_connecting(bench_main, tmp_path: Path, text):
    result = bench_main("eval", "--backend", "openai", "--model", "m", "--model-args", text,
                        "--tasks", "arithmetic_dialogue", "--output-path", str(tmp_path / "out"), "--no-progress")
    assert result.returncode == 2, result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.strip()]
    assert line.startswith("bench: error:") and text.split("=")[0] in line


def test_credentials_in_base_url_are_used_but_never_recorded(scripted, bench_main, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("BENCH_TEST_KEY", "sk-secret-key")
    server = scripted((200, {}, GOOD_CHAT))
    url = server.url.replace("http://", "http://alice:hunter2pass@") + "?api_key=querypass"
    logging.getLogger("httpx").setLevel(logging.INFO)
    result = bench_main("eval", "--backend", "openai", "--model", "m",
                        "--model-args", f"base_url={url},api_key_env=BENCH_TEST_KEY",
                        "--tasks", "arithmetic_dialogue", "--task-args", "arithmetic_dialogue.episodes=1,arithmetic_dialogue.turns=1",
                        "--output-path", str(tmp_path / "out"), "--no-progress")
    assert result.returncode == 0, result.stderr
    assert server.auth and server.auth[0].startswith("Basic ")  # the URL's credentials were sent...
    run_dir = next((tmp_path / "out").rglob("result.json")).parent
    written = "".join(p.read_text() for p in run_dir.rglob("*") if p.is_file() and p.suffix in (".json", ".jsonl", ".log"))
    for secret in ("hunter2pass", "querypass", "sk-secret-key"):  # ...and nothing secret was written
        assert secret not in written
        assert secret not in result.stdout + result.stderr
    document = load_result(run_dir / "result.json")
    assert document["model"]["backend_args"]["base_url"].startswith("http://alice:***@127.0.0.1:")
    assert "api_key=***" in document["model"]["source"]


def test_credentials_never_appear_in_connection_errors():
    from bench.harness.backends.openai import OpenAIBackend

    with pytest.raises(BackendError) as caught:
        OpenAIBackend("m", {"base_url": f"http://bob:pa55word@127.0.0.1:{_free_port()}/v1", "timeout": 2})
    assert "pa55word" not in str(caught.value) and "bob:***@127.0.0.1" in str(caught.value)
