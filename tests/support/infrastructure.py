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
from concurrent.futures import ThreadPoolExecutor
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

    @property
    def session_timeout_ms(self) -> str:
        """The services' consumer session timeout: short on our own broker (which allows it),
        so a test that kills a service waits 4 s, not 10, for its partitions to move."""
        return OWN_BROKER_SESSION_TIMEOUT_MS if self.kafka is not None else "10000"


OWN_BROKER_SESSION_TIMEOUT_MS = "4000"


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
    except Exception:
        return False
    return True


@contextlib.contextmanager
def _containers() -> Iterator[Infrastructure]:
    """Official images: apache/kafka (KRaft, single node) and mongo as a one-node replica set."""
    from pymongo import MongoClient
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    kafka_port = free_port()
    kafka = DockerContainer("apache/kafka:4.1.1").with_bind_ports(9092, kafka_port)
    for name, value in {
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": "PLAINTEXT://:9092,CONTROLLER://:9093",
        "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://127.0.0.1:{kafka_port}",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
        "KAFKA_NUM_PARTITIONS": "6",
    }.items():
        kafka.with_env(name, value)
    mongo = DockerContainer("mongo:8.0").with_command("--replSet rs0 --bind_ip_all")
    mongo.with_exposed_ports(27017)
    with kafka, mongo:
        wait_for_logs(kafka, "Kafka Server started", timeout=120)
        wait_for_logs(mongo, "Waiting for connections", timeout=120)
        mongo.exec(
            [
                "mongosh",
                "--quiet",
                "--eval",
                "rs.initiate({_id:'rs0',members:[{_id:0,host:'localhost:27017'}]})",
            ]
        )
        host, port = mongo.get_container_host_ip(), mongo.get_exposed_port(27017)
        url = f"mongodb://{host}:{port}/?directConnection=true"
        with MongoClient(url) as client:  # transactions need the node to be primary
            deadline = time.monotonic() + 60
            while not client.admin.command("hello").get("isWritablePrimary"):
                if time.monotonic() > deadline:
                    raise RuntimeError("the mongo container never became primary")
                time.sleep(0.5)
        yield Infrastructure(f"127.0.0.1:{kafka_port}", url, "testcontainers")


@contextlib.contextmanager
def _local(base: Path) -> Iterator[Infrastructure]:
    kafka = LocalKafka(base / "kafka", port=free_port(), controller_port=free_port())
    mongo = LocalMongo(base / "mongodb" / "data", port=free_port())
    try:
        with ThreadPoolExecutor(max_workers=2) as starting:  # side by side
            for started in [starting.submit(mongo.start), starting.submit(kafka.start)]:
                started.result()
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
