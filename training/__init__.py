"""Dual-encoder training on Example records with hybrid mono/cross-lingual batching."""

from __future__ import annotations
