"""`spotwise controller`: the loops that run a real cluster, over the ports."""
