#!/usr/bin/env bash
# A Docker engine for `make compose-test`: nothing to do where one answers (Docker Desktop, a
# system service, DOCKER_HOST). On a machine without one, as root, this installs Debian's
# docker.io where dockerd is missing and starts dockerd in the background with its defaults
# (data in /var/lib/docker, socket /var/run/docker.sock), logging to /var/log/sdp-dockerd.log.
# It keeps running after the tests (images and volumes stay cached); stop it with
#   kill "$(cat /var/run/docker.pid)"
set -euo pipefail

if docker info >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "no Docker engine answers, and starting one needs root (or start Docker yourself)" >&2
  exit 1
fi
if ! command -v dockerd >/dev/null; then
  echo "installing Debian's docker.io (Docker Engine) ..."
  apt-get install -y -q docker.io >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null && apt-get install -y -q docker.io >/dev/null; }
fi
echo "starting dockerd (log: /var/log/sdp-dockerd.log) ..."
nohup dockerd >/var/log/sdp-dockerd.log 2>&1 &
for _ in $(seq 60); do
  if docker info >/dev/null 2>&1; then exit 0; fi
  sleep 1
done
echo "dockerd did not answer within 60 s; see /var/log/sdp-dockerd.log" >&2
exit 1
