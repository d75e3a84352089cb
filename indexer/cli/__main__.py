import sys

from indexer.cli.commands import main

sys.exit(main())
