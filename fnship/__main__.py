from fnship.cli.app import main

main()
