# kbridge's container image: built from Debian packages (the build dependencies are the ones
# scripts/setup installs), run as a non-root user. Used by compose/docker-compose.yml:
#
#   docker build -t kbridge:local .
#   docker run --rm -v "$PWD/my.json:/etc/kbridge/kbridge.json:ro" -p 4567:4567 -p 9400:9400 kbridge:local
#
# tests/integration/test_deploy_files.py checks (without a container engine) that every package
# named here is one scripts/setup installs (build stage) or one that provides a shared library the
# kbridge executable needs (runtime stage).
ARG DEBIAN_IMAGE=debian:bookworm-slim

# --- build: the release preset (no tests), kbridge only -----------------------------------------
FROM ${DEBIAN_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      librdkafka-dev libboost1.81-dev nlohmann-json3-dev libspdlog-dev libssl-dev zlib1g-dev \
      libsqlite3-dev libcurl4-openssl-dev prometheus-cpp-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake --preset release \
 && cmake --build --preset release --target kbridge \
 && install -D -m 0755 -s build-release/bin/kbridge /out/kbridge

# --- runtime: the shared libraries kbridge links, curl for the health check ---------------------
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      librdkafka1 libprometheus-cpp-core1.0 libspdlog1.10 libfmt9 libssl3 libcurl4 libsqlite3-0 zlib1g \
      libstdc++6 libgcc-s1 libc6 \
      ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
# A fixed uid/gid so that files kbridge writes into volumes (the archive) have a known owner.
RUN groupadd --system --gid 10001 kbridge \
 && useradd --system --uid 10001 --gid kbridge --home-dir /var/lib/kbridge --no-create-home \
      --shell /usr/sbin/nologin kbridge \
 && install -d -o kbridge -g kbridge -m 0750 /var/lib/kbridge /var/lib/kbridge/archive \
 && install -d -m 0755 /etc/kbridge
COPY --from=build /out/kbridge /usr/local/bin/kbridge
COPY compose/kbridge/kbridge.json /etc/kbridge/kbridge.json
USER kbridge:kbridge
WORKDIR /var/lib/kbridge
# 4567: the Kinesis API; 9400: the admin listener (/healthz, /metrics, /v1/lag).
EXPOSE 4567 9400
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:9400/healthz"]
# SIGTERM (docker stop) makes kbridge flush its mappings and commit before it exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/kbridge"]
CMD ["serve", "--config", "/etc/kbridge/kbridge.json"]
