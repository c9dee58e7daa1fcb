FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/connect-my-home /usr/local/bin/connect-my-home
WORKDIR /app
ENV CMH_BIND=0.0.0.0:8080 CMH_DATA_DIR=/app/data
EXPOSE 8080
# The process drains requests and workers on SIGTERM (CMH_SHUTDOWN_GRACE_SECS, 20 s by default):
# give it longer than that before the KILL (docker stop -t 30).
STOPSIGNAL SIGTERM
CMD ["connect-my-home", "serve"]
