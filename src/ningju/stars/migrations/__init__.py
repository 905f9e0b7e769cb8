SEED_YEAR = 2026  # the year of the standard sets the seed migration creates
