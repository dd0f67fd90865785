"""`python -m netdsl.lsp`: the language server over stdio."""

import sys

from netdsl.lsp.server import main

sys.exit(main())
