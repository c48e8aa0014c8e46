"""Output formats. Every renderer returns a string; only the CLI writes."""
