"""The triage core: model, loader, engine, checks and cases.

Plain Python on purpose — no Flask, no database — so it can be tested on its
own and reused by the CLI, the portal and the editors' workbench alike.
"""
