"""The ports the decision code talks through; real, test and simulated worlds implement them."""
