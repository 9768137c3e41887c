"""`techpath bench`: the same posts built by techpath and by its peers, measured in one run."""
