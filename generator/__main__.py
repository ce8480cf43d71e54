"""`python -m generator …`: the command line (cli.main), ended without tearing the interpreter down."""

import logging
import os
import sys

from .cli import main

code = main()
# By now everything is written, committed and closed: the site swapped in, the cache saved, the worker
# processes joined. What is left of a county build is freeing its ~700,000 objects one by one as the
# interpreter exits, 1.5 s of a 6 s approval on our 2-core machine; so the buffered output is flushed
# and the process ends without that (the tests that run the command, conftest.run_generator, read its
# output through a pipe and check its exit code).
logging.shutdown()
try:
    sys.stdout.flush()
    sys.stderr.flush()
except OSError:  # a reader that stopped reading (`… | head`): cli.main said what it could
    code = code or 1
os._exit(0 if code is None else code)
