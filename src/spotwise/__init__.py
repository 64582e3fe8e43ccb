"""spotwise: run Kubernetes on EC2 Spot capacity safely and cheaply."""

__version__ = "0.1.0"
