"""Person check: the live face against the card photo."""
