from mentor_xl.cli import run

run()
