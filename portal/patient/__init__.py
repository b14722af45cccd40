"""The patient's journey: practice start page, complaint picker, triage, outcome."""
