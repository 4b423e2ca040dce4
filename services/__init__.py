"""The four services: intake, access, retention, surveys."""
