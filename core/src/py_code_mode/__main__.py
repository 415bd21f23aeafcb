"""`python -m py_code_mode`: the `py-code-mode` command, where console scripts are not on PATH."""

import sys

from py_code_mode._cli import main

sys.exit(main())
