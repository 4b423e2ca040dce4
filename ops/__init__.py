"""support-ops: the operator CLI (publish contract events, data-subject rights, retention,
dead letters, the plaintext scanner, health)."""
