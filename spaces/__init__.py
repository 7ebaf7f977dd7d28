"""Sites (the four city labs), their units, opening hours and closures."""
