"""Evaluation: how patient flow shifts, measured without personal data."""
