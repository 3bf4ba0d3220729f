"""Evaluation against the gold Q&A set."""
