#!/bin/sh
# Like apache/kafka's image: every KAFKA_X_Y variable becomes the broker property x.y (a double
# underscore stands for one underscore), CLUSTER_ID formats the log directory on first start.
set -eu
props=/tmp/server.properties
: > "$props"
env | grep '^KAFKA_' | while IFS='=' read -r name value; do
  case "$name" in KAFKA_HEAP_OPTS|KAFKA_OPTS|KAFKA_JVM_PERFORMANCE_OPTS) continue ;; esac
  key=$(echo "${name#KAFKA_}" | tr 'A-Z' 'a-z' | sed 's/__/\x01/g; s/_/./g; s/\x01/_/g')
  echo "$key=$value" >> "$props"
done
java -Xmx128m -cp '/opt/kafka/libs/*' kafka.tools.StorageTool format \
  -t "${CLUSTER_ID:?CLUSTER_ID is needed to format the log directory}" -c "$props" -g >/dev/null
exec java ${KAFKA_HEAP_OPTS:--Xmx512m} -XX:+UseSerialGC -Djava.awt.headless=true \
  -cp '/opt/kafka/libs/*' kafka.Kafka "$props"
