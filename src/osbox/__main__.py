"""``python -m osbox``: the ``osbox`` command line."""

from osbox.cli.main import main

__all__ = ["main"]

if __name__ == "__main__":
    main()
