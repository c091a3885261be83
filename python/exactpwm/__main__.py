from exactpwm.app.cli import run

run()
