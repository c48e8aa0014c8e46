"""Edge modules, one per subcommand: each exposes ``register(subparsers)``."""
