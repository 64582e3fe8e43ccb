"""Pure, immutable value types shared by every part of spotwise."""
