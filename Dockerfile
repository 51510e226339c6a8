# syntax=docker/dockerfile:1
#
# The runtime image of function-eks-pod-identity for those who build with
# Docker. scripts/build-packages builds the same image without Docker, and
# reproducibly, and the packages around it (docs/install.md);
# tests/it/image.rs holds the two to the same base, user, entrypoint, port and
# labels.

# Build stage. The tag pins the toolchain; the crate needs Rust 1.88 or later.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# Static against glibc, so that the runtime stage needs no base at all. The
# explicit --target keeps crt-static off build scripts and proc macros. The
# cache mounts keep the registry and the target directory between builds; the
# binary is copied out of the mounted target directory before it goes away.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    host=$(rustc -vV | sed -n 's/^host: //p') \
    && RUSTFLAGS="-C target-feature=+crt-static" \
       cargo build --release --locked --target "$host" --bin function-eks-pod-identity \
    && cp "target/$host/release/function-eks-pod-identity" /function

# Runtime stage: the static binary alone, no shell, running as an
# unprivileged user.
FROM scratch
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title=function-eks-pod-identity
LABEL org.opencontainers.image.source=https://example.com/function-eks-pod-identity
LABEL org.opencontainers.image.version=${VERSION}
LABEL org.opencontainers.image.licenses=Apache-2.0
COPY --from=build /function /function
USER 65532:65532
EXPOSE 9443
ENTRYPOINT ["/function"]
