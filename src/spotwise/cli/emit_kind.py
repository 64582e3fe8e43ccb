"""The config formats `spotwise select --emit` writes."""

import enum


class Emit(enum.StrEnum):
    """Config formats `--emit` writes."""

    KOPS = "kops"
    ASG = "asg"
    POOL = "pool"
