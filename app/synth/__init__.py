"""Synthetic customer data with ground truth."""

from app.synth.generator import SynthConfig, SynthSummary, generate

__all__ = ["SynthConfig", "SynthSummary", "generate"]
