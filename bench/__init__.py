"""`make bench`: the platform measured against the bare infrastructure in the same run (issue 9)."""
