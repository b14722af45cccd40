"""Clinical validation of the triage: vignettes played blind, scored and replayed.

Pure core (no Flask, no database): ``destinations`` maps a run's route and
urgency to the five destinations the vignettes are labelled with, ``vignettes``
reads the story and results files, ``scoring`` counts what a round achieved,
``report`` writes it as Markdown and ``replay`` walks recorded answers again
through the current trees. The storage side lives in ``portal.storage.validation``,
the commands in ``portal.validation_commands``; the method in docs/safety/validation.md.
"""
