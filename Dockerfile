# The project's one image, for users with docker:
#   docker build --build-arg VERSION=v0.1.0 -t ghcr.io/natsauth/nats-auth-operator:v0.1.0 .
# Both binaries, static, CA certificates, no shell, user 65532. `make image` builds the same image
# without docker (hack/build-image.sh); test/release keeps the two in step.
ARG GO_VERSION=1.26.8

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
# Modules first: a layer that only changes with go.sum.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=v0.1.0-dev
# Set by BuildKit for the platform being built (docker build --platform); linux/amd64 otherwise.
ARG TARGETOS
ARG TARGETARCH
# The same build as hack/build-image.sh's: static, no VCS stamp, no symbols.
RUN CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH:-amd64} go build -trimpath -buildvcs=false \
    -ldflags "-s -w -X main.version=${VERSION}" -o /out/ ./cmd/controller ./cmd/resolver

FROM scratch
ARG VERSION=v0.1.0-dev
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/controller /out/resolver /
LABEL org.opencontainers.image.source=https://github.com/natsauth/nats-auth-operator \
      org.opencontainers.image.version=${VERSION}
USER 65532:65532
WORKDIR /
# The Deployments pick the binary with `command: ["/controller"]` or `["/resolver"]`.
ENTRYPOINT ["/controller"]
