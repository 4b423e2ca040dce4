"""The library the four services share: event schemas, topics, settings, Kafka, MongoDB, metrics."""
