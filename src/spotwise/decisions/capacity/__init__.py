"""The spot market as decisions see it: pool depth, reclaim rates, EC2's allocation order.

One model, shared by the planner (which expects) and the simulated cloud (which draws).
"""
