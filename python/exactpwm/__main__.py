import sys

from exactpwm.app.cli import run

sys.exit(run())
