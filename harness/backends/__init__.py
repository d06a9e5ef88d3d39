"""Backends: one module per way of answering requests (hf, vllm, openai, fake); see base.py for the contract."""
