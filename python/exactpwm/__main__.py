import sys

from exactpwm.app.cli import main

sys.exit(main())
