from datetime import UTC, datetime
from pathlib import Path

MESSAGES = Path(__file__).parent / "messages"


def body(name: str) -> str:
    return (MESSAGES / name).read_text()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)
