"""Where the tests' Kafka and MongoDB come from, in this order:

1. the environment: TEST_KAFKA_BOOTSTRAP_SERVERS and TEST_MONGODB_URL;
2. testcontainers (official apache/kafka and mongo images) when a Docker engine answers;
3. local processes (Kafka from its jars, SecantusDB) on free ports in throw-away folders.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from deploy.local.stack import LocalKafka, LocalMongo, free_port


@dataclass
class Infrastructure:
    kafka_bootstrap: str
    mongodb_url: str
    origin: str
    kafka: LocalKafka | None = None
    mongo: LocalMongo | None = None


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
    except Exception:
        return False
    return True


@contextlib.contextmanager
def _containers() -> Iterator[Infrastructure]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.mongodb import MongoDbContainer

    kafka = KafkaContainer("apache/kafka:4.1.1").with_kraft()
    mongo = MongoDbContainer("mongo:8.0").with_command("--replSet rs0 --bind_ip_all")
    with kafka, mongo:
        mongo.exec(
            "mongosh --quiet --eval "
            "\"rs.initiate({_id:'rs0',members:[{_id:0,host:'localhost:27017'}]})\""
        )
        host, port = mongo.get_container_host_ip(), mongo.get_exposed_port(27017)
        url = f"mongodb://test:test@{host}:{port}/?directConnection=true&authSource=admin"
        time.sleep(2)  # replica set election
        yield Infrastructure(kafka.get_bootstrap_server(), url, "testcontainers")


@contextlib.contextmanager
def _local(base: Path) -> Iterator[Infrastructure]:
    kafka = LocalKafka(base / "kafka", port=free_port(), controller_port=free_port())
    mongo = LocalMongo(base / "mongodb" / "data", port=free_port())
    try:
        mongo.start()
        kafka.start()
        yield Infrastructure(kafka.bootstrap_servers, mongo.url, "local", kafka=kafka, mongo=mongo)
    finally:
        kafka.stop()
        mongo.stop()


@contextlib.contextmanager
def provide_infrastructure(base: Path) -> Iterator[Infrastructure]:
    kafka = os.environ.get("TEST_KAFKA_BOOTSTRAP_SERVERS")
    mongo = os.environ.get("TEST_MONGODB_URL")
    if kafka and mongo:
        yield Infrastructure(kafka, mongo, "environment")
    elif _docker_answers():
        with _containers() as infrastructure:
            yield infrastructure
    else:
        with _local(base) as infrastructure:
            yield infrastructure
