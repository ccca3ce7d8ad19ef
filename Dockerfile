# syntax=docker/dockerfile:1
# `iamspect serve` in a container. Two stages: the binary is built with the toolchain the
# workspace pins (rust-version in Cargo.toml), then copied alone onto a distroless base that has
# no shell and no package manager, and runs as an unprivileged user.
#
#   docker build -t iamspect --build-arg IAMSPECT_GIT_REV=$(git rev-parse --short=12 HEAD) .
#   docker run --rm -p 8080:8080 iamspect serve --bind 0.0.0.0:8080
#
# Without `--bind`, the server listens on the container's own loopback, as it does everywhere
# (the API authenticates no one), so nothing outside the container reaches it. `--bind 0.0.0.0:8080`
# is what makes `-p` work: publish the port only where the network is yours.

ARG RUST_VERSION=1.95.0

FROM docker.io/library/rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /src
# The sources and the lock file; .dockerignore keeps target/ and the web page's node_modules out.
COPY . .
# The build reads the revision from git when it can; .git is not copied, so it is passed in.
ARG IAMSPECT_GIT_REV=unknown
ENV IAMSPECT_GIT_REV=${IAMSPECT_GIT_REV}
RUN cargo build --release --locked -p iamspect \
 && install -D -m 0755 target/release/iamspect /out/iamspect

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/iamspect /usr/local/bin/iamspect
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/iamspect"]
CMD ["serve"]
