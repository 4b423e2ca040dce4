"""Test helpers: infrastructure selection, service apps, polling."""
