from mentor_xl.cli import main

main()
