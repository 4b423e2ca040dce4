#!/usr/bin/env bash
# Stand-in images for what a machine that cannot reach Docker Hub cannot pull, each built once
# (an existing tag is kept; STANDINS_REBUILD=1 builds again) and tagged sdp-standin/*:
#   debian-python:bookworm  the Python 3.11 base, a Debian root file system from debootstrap
#   kafka:<version>         the Kafka jars `make run` uses (Maven Central) on Debian's Java 17
#   secantus:<version>      SecantusDB's Rust server (`make secantus`)
#   mailpit:<version>       Mailpit built from the Go module proxy (its API; no web UI assets)
#   prometheus:debian       Prometheus from Debian's package
# deploy/docker/compose.stand-ins.yml selects them; docker-compose.yml keeps the official ones.
# Arguments: the Kafka jars folder, the secantusd-rs binary, the mailpit binary (MAILPIT_VERSION).
set -euo pipefail
JARS=$1 SECANTUS=$2 MAILPIT=$3
PREFIX=sdp-standin
BASE=$PREFIX/debian-python:bookworm
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /var/tmp/sdp-standins.XXXXXX)  # never a folder holding the daemon's data
trap 'rm -rf "$WORK"' EXIT

wanted() { [ "${STANDINS_REBUILD:-}" = 1 ] || ! docker image inspect "$1" >/dev/null 2>&1; }
step() { echo "stand-in image $1 ..."; }

if wanted "$BASE"; then
  step "$BASE (debootstrap, about 2 minutes)"
  command -v debootstrap >/dev/null || apt-get install -y -q debootstrap >/dev/null
  mirror=${DEBIAN_MIRROR:-$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    bookworm "$WORK/rootfs" "${mirror:-http://deb.debian.org/debian}" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log"; exit 1; }
  ln -sf python3 "$WORK/rootfs/usr/bin/python"
  # This machine's certificate authorities (a proxy's among them), for pip and apt in builds.
  cp /etc/ssl/certs/ca-certificates.crt "$WORK/rootfs/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$WORK"/rootfs/var/cache/apt/archives/*.deb "$WORK"/rootfs/var/lib/apt/lists/*
  tar -C "$WORK/rootfs" -c . | docker import \
    --change 'ENV LANG=C.UTF-8 PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["python3"]' - "$BASE" >/dev/null
  rm -rf "$WORK/rootfs"
fi

KAFKA_VERSION=$(basename "$JARS"/kafka_2.13-*.jar .jar | sed 's/kafka_2.13-//')
if wanted "$PREFIX/kafka:$KAFKA_VERSION"; then
  step "$PREFIX/kafka:$KAFKA_VERSION (Debian's Java 17 and the Maven Central jars)"
  mkdir -p "$WORK/kafka" && cp -r "$JARS" "$WORK/kafka/jars"
  cp "$HERE"/stand-ins/kafka-run.sh "$HERE"/stand-ins/kafka-broker-api-versions.sh "$WORK/kafka/"
  DOCKER_BUILDKIT=0 docker build -q --build-arg BASE_IMAGE="$BASE" -f "$HERE/stand-ins/kafka.Dockerfile" \
    -t "$PREFIX/kafka:$KAFKA_VERSION" "$WORK/kafka" >/dev/null
fi

SECANTUS_VERSION=$("$SECANTUS" --version | awk 'NR == 1 {print $2}')
if wanted "$PREFIX/secantus:$SECANTUS_VERSION"; then
  step "$PREFIX/secantus:$SECANTUS_VERSION"
  mkdir -p "$WORK/store" && cp "$SECANTUS" "$WORK/store/secantusd-rs"
  DOCKER_BUILDKIT=0 docker build -q --build-arg BASE_IMAGE="$BASE" -f "$HERE/stand-ins/store.Dockerfile" \
    -t "$PREFIX/secantus:$SECANTUS_VERSION" "$WORK/store" >/dev/null
fi

MAILPIT_VERSION=${MAILPIT_VERSION:?the version of the mailpit binary}
if wanted "$PREFIX/mailpit:$MAILPIT_VERSION"; then
  step "$PREFIX/mailpit:$MAILPIT_VERSION"
  mkdir -p "$WORK/mailpit" && cp "$MAILPIT" "$WORK/mailpit/mailpit"
  DOCKER_BUILDKIT=0 docker build -q --build-arg BASE_IMAGE="$BASE" -f "$HERE/stand-ins/mailpit.Dockerfile" \
    -t "$PREFIX/mailpit:$MAILPIT_VERSION" "$WORK/mailpit" >/dev/null
fi

if wanted "$PREFIX/prometheus:debian"; then
  step "$PREFIX/prometheus:debian (Debian's package)"
  mkdir -p "$WORK/prometheus" && cd "$WORK/prometheus"
  apt-get download prometheus >/dev/null 2>&1 || { apt-get update -qq && apt-get download prometheus >/dev/null; }
  dpkg-deb -x prometheus_*.deb root && cp root/usr/bin/prometheus prometheus && rm -rf root ./*.deb
  DOCKER_BUILDKIT=0 docker build -q --build-arg BASE_IMAGE="$BASE" -f "$HERE/stand-ins/prometheus.Dockerfile" \
    -t "$PREFIX/prometheus:debian" "$WORK/prometheus" >/dev/null
  cd "$HERE"
fi
docker image ls "$PREFIX/*" --format '{{.Repository}}:{{.Tag}}  {{.Size}}'
