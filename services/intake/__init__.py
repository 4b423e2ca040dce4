"""intake: email, phone and web become support requests (P1-P5)."""
