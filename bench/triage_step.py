#!/usr/bin/env python3
"""The old name of ``bench/patient_steps.py``, kept so existing notes and scripts still work.

.venv/bin/python bench/triage_step.py [same options as bench/patient_steps.py]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from patient_steps import main

if __name__ == "__main__":
    main()
