"""``python -m lacquersim``: same as the ``lacquersim`` console script."""

import sys

from lacquersim.cli import main

if __name__ == "__main__":
    sys.exit(main())
