"""``python -m consentry`` runs the CLI."""

from consentry.cli import main

main()
