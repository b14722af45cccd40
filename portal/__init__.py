"""Voordeur: the digital front door of a Dutch general practice."""
