"""`python -m gandojo` is the `gandojo` command."""

import sys

from .cli import main

sys.exit(main())
