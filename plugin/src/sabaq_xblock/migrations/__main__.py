"""``python -m sabaq_xblock.migrations``: upgrade the store to the newest schema."""

import sys

from . import main

sys.exit(main())
