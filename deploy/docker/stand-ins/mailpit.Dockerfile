# Stand-in for axllent/mailpit: Mailpit built from the Go module proxy, on the Debian base.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY mailpit /mailpit
RUN mkdir -p /data && chown 65534:65534 /data
USER 65534
EXPOSE 1025 8025
ENTRYPOINT ["/mailpit"]
CMD []
