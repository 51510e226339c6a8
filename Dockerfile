# syntax=docker/dockerfile:1
#
# The runtime image of function-eks-pod-identity, to embed in the Function
# package (crossplane xpkg build --embed-runtime-image=...).

# Build stage. The tag pins the toolchain; the crate needs Rust 1.88 or later.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# The cache mounts keep the registry and the target directory between builds,
# so only changed crates are recompiled; the binary is copied out of the
# mounted target directory before the mount goes away.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin function-eks-pod-identity \
    && cp target/release/function-eks-pod-identity /function

# Runtime stage: distroless with glibc and libgcc (the binary links glibc
# dynamically), no shell, running as the unprivileged nonroot user.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /function /function
USER 65532:65532
EXPOSE 9443
ENTRYPOINT ["/function"]
