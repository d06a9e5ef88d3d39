"""Structured-output constraints as xgrammar grammars: compiled once per (tokenizer, constraint),
one matcher per generated row, the next-token masks of a batch applied in one operation.

Shared by the hf backend (`ConstraintGrammars.for_hf_tokenizer` + `RowConstraints` inside its own
decode loop) and the fake backend (`fake_constrained_text`: a deterministic valid answer without a
model). xgrammar is the grammar engine vLLM uses for structured outputs; the constraints are
compiled with vLLM's own settings, so a greedy constrained answer is the same in both backends:

- choice: the EBNF grammar `root ::= "a" | "b" | ...` (vLLM's `choice_as_grammar`);
- regex: `compile_regex(pattern)`;
- json: `compile_json_schema(schema, any_whitespace=True)` (strict: no properties beyond the schema).

A row's matcher accepts every token the row generates; once the grammar is complete only the stop
(EOS) tokens stay allowed, and accepting one terminates the matcher, which ends the row.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Literal

from bench.harness.backends.minimal_text import minimal_json_text, minimal_regex_text
from bench.harness.errors import BackendError
from bench.harness.requests import Constraint


def choice_grammar(choices: Sequence[str]) -> str:
    """The EBNF grammar whose language is exactly `choices` (as vLLM builds it for `choice`)."""
    escapes = {"\\": r"\\", '"': r"\"", "\n": r"\n", "\r": r"\r", "\t": r"\t"}

    def escape(ch: str) -> str:
        if ch in escapes:
            return escapes[ch]
        return f"\\u{ord(ch):04x}" if ord(ch) < 0x20 or ord(ch) == 0x7F else ch

    return "root ::= " + " | ".join('"' + "".join(escape(c) for c in choice) + '"' for choice in choices)


class ConstraintGrammars:
    """Compiled grammars of one tokenizer, keyed by constraint: an LRU bounded in entries and bytes.

    A constraint that xgrammar cannot compile (a regex feature it lacks, an invalid schema) raises
    BackendError naming the constraint.
    """

    def __init__(self, tokenizer_info: Any, max_entries: int = 1024, max_bytes: int = 256 * 2**20) -> None:
        import xgrammar as xgr

        self.tokenizer_info = tokenizer_info
        self.vocab_size = int(tokenizer_info.vocab_size)
        # Our LRU is the cache (keyed by the Constraint record); xgrammar's own would hold a second copy.
        self._compiler = xgr.GrammarCompiler(tokenizer_info, max_threads=1, cache_enabled=False)
        self._compiled: OrderedDict[Constraint, Any] = OrderedDict()
        self._bytes = 0
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self.compilations = 0

    @classmethod
    def for_hf_tokenizer(cls, tokenizer: Any, vocab_size: int, stop_token_ids: Sequence[int]) -> ConstraintGrammars:
        """Grammars for a transformers tokenizer; `vocab_size` is the model's (its logits' width)."""
        import xgrammar as xgr

        info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab_size, stop_token_ids=sorted(stop_token_ids))
        return cls(info)

    def compiled(self, constraint: Constraint) -> Any:
        """The xgrammar CompiledGrammar of `constraint` (compiled on first use, then cached)."""
        grammar = self._compiled.get(constraint)
        if grammar is not None:
            self._compiled.move_to_end(constraint)
            return grammar
        try:
            if constraint.kind == "choice":
                grammar = self._compiler.compile_grammar(choice_grammar(constraint.choices))
            elif constraint.kind == "regex":
                grammar = self._compiler.compile_regex(constraint.pattern or "")
            else:
                grammar = self._compiler.compile_json_schema(constraint.json_schema or "{}", any_whitespace=True)
        except (RuntimeError, ValueError) as exc:
            lines = str(exc).strip().splitlines() or [type(exc).__name__]
            reason = re.sub(r"^\[[\d:]+\] \S+:\d+: ", "", lines[0])  # drop xgrammar's "[time] file.cc:N: "
            raise BackendError(f"cannot compile the {constraint.kind} constraint {_describe(constraint)}: {reason}") from exc
        self.compilations += 1
        self._compiled[constraint] = grammar
        self._bytes += grammar.memory_size_bytes
        while len(self._compiled) > 1 and (len(self._compiled) > self.max_entries or self._bytes > self.max_bytes):
            _, evicted = self._compiled.popitem(last=False)
            self._bytes -= evicted.memory_size_bytes
        return grammar

    def matcher(self, constraint: Constraint) -> Any:
        """A fresh xgrammar GrammarMatcher for one answer under `constraint`."""
        import xgrammar as xgr

        return xgr.GrammarMatcher(self.compiled(constraint))

    def __len__(self) -> int:
        return len(self._compiled)


def _describe(constraint: Constraint) -> str:
    text = repr(constraint.choices) if constraint.kind == "choice" else (constraint.pattern or constraint.json_schema or "")
    return text if len(text) <= 80 else text[:77] + "..."


class RowConstraints:
    """The matchers of one decode batch: row i has its own matcher (or none), so its allowed tokens
    depend only on its own tokens, never on its batch-mates'.

    Rows are addressed by their index in the original batch: `rows[p]` names the row whose logits
    are line p of the current logits tensor (the batch shrinks as rows finish).
    """

    def __init__(self, grammars: ConstraintGrammars, constraints: Sequence[Constraint | None]) -> None:
        import xgrammar as xgr

        self.matchers = {i: grammars.matcher(c) for i, c in enumerate(constraints) if c is not None}
        self.vocab_size = grammars.vocab_size
        self._bitmask = xgr.allocate_token_bitmask(len(constraints), grammars.vocab_size)
        self._filler = xgr.BatchGrammarMatcher(max_threads=1)
        self._device_bitmask: Any = None

    def __bool__(self) -> bool:
        return bool(self.matchers)

    def mask_logits(self, logits: Any, rows: Sequence[int]) -> None:
        """Set the logits of tokens each constrained row's grammar forbids to -inf, in place, in one
        batched operation; `rows[p]` is the batch row whose logits are `logits[p]`."""
        import xgrammar as xgr

        positions = [p for p, row in enumerate(rows) if row in self.matchers]
        if not positions:
            return
        matchers = [self.matchers[rows[p]] for p in positions]
        self._filler.batch_fill_next_token_bitmask(matchers, self._bitmask, positions)
        bitmask = self._bitmask
        if logits.device.type != "cpu":
            if self._device_bitmask is None:
                self._device_bitmask = bitmask.to(logits.device)
            else:
                self._device_bitmask.copy_(bitmask, non_blocking=True)
            bitmask = self._device_bitmask
        # xgrammar's C++ kernel on CPU; elsewhere its plain torch version (no triton needed)
        backend: Literal["cpu", "torch_native"] = "cpu" if logits.device.type == "cpu" else "torch_native"
        xgr.apply_token_bitmask_inplace(logits, bitmask, vocab_size=self.vocab_size, indices=positions, backend=backend)

    def accept(self, rows: Sequence[int], tokens: Sequence[int]) -> set[int]:
        """Feed each constrained row its new token; the rows whose grammar has now terminated (or,
        never expected, rejected the token) are returned: they are finished."""
        import xgrammar as xgr

        pairs = [(row, token) for row, token in zip(rows, tokens) if row in self.matchers]
        if not pairs:
            return set()
        matchers = [self.matchers[row] for row, _ in pairs]
        accepted = xgr.BatchGrammarMatcher.batch_accept_token(matchers, [token for _, token in pairs])
        return {row for (row, _), ok, m in zip(pairs, accepted, matchers) if not ok or m.is_terminated()}


# ---- the fake backend's answers ------------------------------------------------------------------

_STOP = 256  # the stop token of the byte vocabulary below: tokens 0..255 are the bytes themselves
# Order in which the fake walk tries bytes: closing a structure first (short answers), then digits,
# letters, other printable ASCII, whitespace, and last the rest (non-ASCII UTF-8 bytes, controls).
_PREFERENCE = [
    *b'"}])', *b"0123456789", *b"abcdefghijklmnopqrstuvwxyz", *b"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    *(b for b in range(0x21, 0x7F) if not chr(b).isalnum() and b not in b'"}])'), *b" \n\t",
]  # fmt: skip
_PREFERENCE += [b for b in range(256) if b not in _PREFERENCE]
_byte_grammars: ConstraintGrammars | None = None


def byte_grammars() -> ConstraintGrammars:
    """Grammars over a 257-token vocabulary: every byte, plus a stop token (the fake backend's)."""
    global _byte_grammars
    if _byte_grammars is None:
        import xgrammar as xgr

        vocab = [bytes([b]) for b in range(256)] + [b"</s>"]
        _byte_grammars = ConstraintGrammars(xgr.TokenizerInfo(vocab, xgr.VocabType.RAW, stop_token_ids=[_STOP]))
    return _byte_grammars


def fake_constrained_text(constraint: Constraint, digest: bytes, max_steps: int = 4096) -> str:
    """A deterministic answer satisfying `constraint`, chosen by `digest` (the request's hash).

    choice: the option at index digest mod n. regex / json: the short text built from the pattern
    or schema (minimal_text.py); where that construction does not apply, a walk through the
    grammar byte by byte: stop as soon as the grammar is complete, else take a byte after which it
    is complete, else the first allowed byte in `_PREFERENCE` order (after 8 bytes, an allowed byte
    picked by the hash, so walks like `(a|b)*cd` still end). BackendError past `max_steps`.
    """
    if constraint.kind == "choice":
        return constraint.choices[int.from_bytes(digest[:8], "big") % len(constraint.choices)]
    built = minimal_regex_text(constraint.pattern or "") if constraint.kind == "regex" else minimal_json_text(constraint.schema())
    if built is not None:
        return built
    import torch
    import xgrammar as xgr

    grammars = byte_grammars()
    matcher = grammars.matcher(constraint)
    bitmask = xgr.allocate_token_bitmask(1, grammars.vocab_size)
    shifts = torch.arange(32, dtype=torch.int32)
    out = bytearray()
    for step in range(max_steps):
        allowed = _allowed(matcher, bitmask, shifts, grammars.vocab_size)
        if allowed[_STOP]:
            return out.decode("utf-8", errors="replace")
        candidates = [b for b in _PREFERENCE if allowed[b]]
        if not candidates:
            break
        choice = next((b for b in candidates[:64] if _completes_after(matcher, b, bitmask)), None)
        if choice is None:
            seed = hashlib.sha256(digest + step.to_bytes(4, "big")).digest()
            if step >= 8:  # a hashed walk ends where the preference order cycles; whitespace only if forced
                candidates = [b for b in candidates if b not in b" \t\r\n"] or candidates
            choice = candidates[0] if step < 8 else candidates[int.from_bytes(seed[:4], "big") % len(candidates)]
        matcher.accept_token(choice)
        out.append(choice)
    raise BackendError(f"fake backend: no short answer found for the {constraint.kind} constraint {_describe(constraint)}")


def _allowed(matcher: Any, bitmask: Any, shifts: Any, vocab_size: int) -> list[bool]:
    matcher.fill_next_token_bitmask(bitmask, 0)
    return [bool(b) for b in ((bitmask[0, :, None] >> shifts) & 1).flatten()[:vocab_size].tolist()]


def _completes_after(matcher: Any, token: int, bitmask: Any) -> bool:
    """Whether the grammar is complete (its stop token allowed) once `token` is accepted."""
    probe = matcher.fork()
    probe.accept_token(token)
    probe.fill_next_token_bitmask(bitmask, 0)
    return bool((int(bitmask[0, _STOP // 32]) >> (_STOP % 32)) & 1)
