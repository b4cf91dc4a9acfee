"""Random codes people read aloud or type from paper (references, invitation codes)."""

import secrets

# No characters that are easy to confuse when read aloud or typed from paper:
# 0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V.
UNAMBIGUOUS_ALPHABET = "34679ACDEFGHJKMNPQRTWXY"


def random_code(length: int) -> str:
    return "".join(secrets.choice(UNAMBIGUOUS_ALPHABET) for _ in range(length))
