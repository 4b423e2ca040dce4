"""Where the tests' Kafka and MongoDB come from, in this order:

1. the environment: TEST_KAFKA_BOOTSTRAP_SERVERS and TEST_MONGODB_URL;
2. with TEST_INFRASTRUCTURE=containers, testcontainers: the official apache/kafka and mongo
   images, or those TEST_KAFKA_IMAGE and TEST_STORE_IMAGE name (`make compose-test` runs part
   of the suite on the stand-ins of deploy/docker/stand-ins.sh); it fails where no engine answers;
3. local processes (Kafka from its jars, SecantusDB) on free ports in throw-away folders: the
   default, also where Docker runs (the fault tests own these processes, and it is faster).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from deploy.local.ports import free_port
from deploy.local.stack import LocalKafka
from deploy.local.store import LocalMongo


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


KAFKA_IMAGE, STORE_IMAGE = "apache/kafka:4.1.1", "mongo:8.0"


@contextlib.contextmanager
def _containers() -> Iterator[Infrastructure]:
    """apache/kafka (KRaft, single node) and mongo as a one-node replica set, or stand-ins:
    any image that starts Kafka from the same KAFKA_* settings, and a MongoDB-protocol store
    that is its own one-node replica set (SecantusDB) and listens on 27017."""
    from pymongo import MongoClient
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.wait_strategies import LogMessageWaitStrategy

    if not _docker_answers():
        raise RuntimeError("TEST_INFRASTRUCTURE=containers, but no Docker engine answers")
    kafka_image = os.environ.get("TEST_KAFKA_IMAGE") or KAFKA_IMAGE
    store_image = os.environ.get("TEST_STORE_IMAGE") or STORE_IMAGE
    kafka_port = free_port()
    kafka = DockerContainer(kafka_image).with_bind_ports(9092, kafka_port)
    kafka.waiting_for(LogMessageWaitStrategy("Kafka Server started").with_startup_timeout(120))
    for name, value in {
        "CLUSTER_ID": "5L6g3nShT-eMCtK--X86sw",
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
    official_mongo = store_image.startswith("mongo:")
    mongo = DockerContainer(store_image).with_exposed_ports(27017)
    if official_mongo:
        mongo.with_command("--replSet rs0 --bind_ip_all")
        mongo.waiting_for(
            LogMessageWaitStrategy("Waiting for connections").with_startup_timeout(120)
        )
    with kafka, mongo:
        if official_mongo:
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
        with MongoClient(url, serverSelectionTimeoutMS=60_000) as client:
            deadline = time.monotonic() + 60  # transactions need the node to be primary
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
    elif os.environ.get("TEST_INFRASTRUCTURE") == "containers":
        with _containers() as infrastructure:
            yield infrastructure
    else:
        with _local(base) as infrastructure:
            yield infrastructure
