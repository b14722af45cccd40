"""The editors' workbench: what is live, what was refused and why, previews, diagrams, a simulator."""
