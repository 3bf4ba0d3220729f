"""Turning report files into clean, heading-aware chunks."""
