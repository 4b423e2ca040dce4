"""surveys: satisfaction surveys after resolution, sampled, throttled, opt-out honoured (P9)."""
