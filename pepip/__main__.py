"""`python -m pepip`."""

from pepip.cli import main

if __name__ == "__main__":
    main()
