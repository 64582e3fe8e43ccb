"""The simulated world: an in-process cloud in virtual time, for the simulator and tests."""
