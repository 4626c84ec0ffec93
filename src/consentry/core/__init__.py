"""The core: the rules of SPEC.md as values and pure functions; the standard library only."""
