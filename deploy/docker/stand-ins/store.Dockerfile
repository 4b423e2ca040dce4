# Stand-in for the MongoDB-protocol store (mongo cannot be pulled here): SecantusDB's Rust
# server, the same build `make run` and the tests use, on the Debian base.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY secantusd-rs /usr/local/bin/secantusd-rs
RUN groupadd --system --gid 999 store \
 && useradd --system --uid 999 --gid store --no-create-home store \
 && mkdir -p /data/db /data/configdb && chown -R store:store /data
USER store
EXPOSE 27017
CMD ["secantusd-rs", "--host", "0.0.0.0", "--port", "27017", "--storage-path", "/data/db", \
     "--log-level", "WARNING", "--cache-size", "256M"]
