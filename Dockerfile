# edgetag as a container image: one static binary on a distroless base, run
# as a non-root user, its state (client certificate, trust lists, JetStream
# store) on a volume.
#
#   docker build -t edgetag .
#   docker run -d --name edgetag --network host \
#     -v edgetag-state:/var/lib/edgetag -v /etc/edgetag:/etc/edgetag:ro \
#     edgetag run -c /etc/edgetag/site.yaml
#
# --network host keeps the loopback defaults meaningful (NATS, HTTP and the
# MQTT listener on the gateway's own 127.0.0.1). Without a terminal, SIGHUP
# reloads the site file: docker kill -s HUP edgetag.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/edgetag ./cmd/edgetag \
 && mkdir -p /out/state

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/edgetag /usr/local/bin/edgetag
# The state volume belongs to the image's non-root user (uid 65532).
COPY --from=build --chown=65532:65532 /out/state /var/lib/edgetag
WORKDIR /var/lib/edgetag
USER 65532:65532
VOLUME ["/var/lib/edgetag"]
ENTRYPOINT ["/usr/local/bin/edgetag"]
CMD ["run", "--sighup", "reload"]
