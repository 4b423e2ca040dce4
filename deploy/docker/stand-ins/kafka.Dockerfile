# Stand-in for apache/kafka (Docker Hub cannot be reached here): the same Kafka jars `make run`
# takes from Maven Central, on Debian's Java 17, started from the same KAFKA_* environment.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends openjdk-17-jre-headless \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 1000 appuser \
 && useradd --system --uid 1000 --gid appuser --home-dir /opt/kafka --no-create-home appuser \
 && mkdir -p /var/lib/kafka/data && chown appuser:appuser /var/lib/kafka/data
COPY jars/ /opt/kafka/libs/
COPY kafka-run.sh /opt/kafka/bin/kafka-run.sh
COPY kafka-broker-api-versions.sh /opt/kafka/bin/kafka-broker-api-versions.sh
USER appuser
EXPOSE 9092
CMD ["/opt/kafka/bin/kafka-run.sh"]
