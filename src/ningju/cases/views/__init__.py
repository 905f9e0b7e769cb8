"""Pages of the case engine: ``filer`` (workers, anonymous filers, grid members) and ``staff``."""
