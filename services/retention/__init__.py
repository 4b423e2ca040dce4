"""retention: clocks, legal holds, erasure and export (P7, P8, P10, P11)."""
