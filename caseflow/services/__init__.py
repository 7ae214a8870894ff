"""Use cases: load, decide, append. Framework-free; talks to storage through ``ports``."""
