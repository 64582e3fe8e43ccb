"""The simulated world: a cloud, a cluster and a spot market in virtual time.

They implement the same ports as the real worlds (AWS, Kubernetes), for the simulator and
for tests.
"""
