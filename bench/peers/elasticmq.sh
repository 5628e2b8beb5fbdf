#!/usr/bin/env bash
# Fetch (from Maven Central, via mvn) and run ElasticMQ as a benchmark peer.
#   bench/peers/elasticmq.sh start [port]   -> prints the PID on stdout once the server answers
#   bench/peers/elasticmq.sh stop  [port]
#   bench/peers/elasticmq.sh fetch          -> only download the jars
#   bench/peers/elasticmq.sh pid   [port]
# Nothing is written inside the repository: jars, config and logs live in $SLUICE_PEERS_DIR
# (default /tmp/sluice-peers). ElasticMQ's own default port is 9324 (Sluice's), so the peer
# defaults to 9325.
#
# Maven Central has no standalone fat jar for ElasticMQ (that one is only on GitHub releases),
# so we resolve org.elasticmq:elasticmq-server_2.13 with its transitive runtime dependencies
# into lib/ and run org.elasticmq.server.Main with lib/* on the classpath.
set -euo pipefail

VERSION="${ELASTICMQ_VERSION:-1.7.1}"
PEERS="${SLUICE_PEERS_DIR:-/tmp/sluice-peers}"
DIR="$PEERS/elasticmq-$VERSION"
CMD="${1:-start}"
PORT="${2:-9325}"
RUN="$PEERS/run/elasticmq-$PORT"

fetch() {
  if [ -f "$DIR/lib/elasticmq-server_2.13-$VERSION.jar" ]; then return 0; fi
  command -v mvn >/dev/null || { echo "mvn not found (apt-get install maven)" >&2; exit 1; }
  mkdir -p "$DIR"
  cat > "$DIR/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>sluice.bench</groupId><artifactId>elasticmq-peer</artifactId><version>0</version>
  <dependencies>
    <dependency><groupId>org.elasticmq</groupId><artifactId>elasticmq-server_2.13</artifactId><version>$VERSION</version></dependency>
  </dependencies>
</project>
POM
  echo "fetching org.elasticmq:elasticmq-server_2.13:$VERSION from Maven Central ..." >&2
  (cd "$DIR" && mvn -B -q dependency:copy-dependencies -DoutputDirectory=lib -DincludeScope=runtime >&2)
  cp "$HOME/.m2/repository/org/elasticmq/elasticmq-server_2.13/$VERSION/elasticmq-server_2.13-$VERSION.jar" "$DIR/lib/" 2>/dev/null || true
  [ -f "$DIR/lib/elasticmq-server_2.13-$VERSION.jar" ] || { echo "fetch failed" >&2; exit 1; }
}

answers() {
  curl -s -m 2 -o /dev/null -w '%{http_code}' -XPOST "http://127.0.0.1:$PORT/" \
    -H 'X-Amz-Target: AmazonSQS.ListQueues' -H 'Content-Type: application/x-amz-json-1.0' -d '{}' 2>/dev/null | grep -q '^200$'
}

alive() { [ -f "$RUN/pid" ] && kill -0 "$(cat "$RUN/pid")" 2>/dev/null; }

start() {
  fetch
  if alive; then echo "already running on port $PORT" >&2; cat "$RUN/pid"; return 0; fi
  mkdir -p "$RUN"
  cat > "$RUN/elasticmq.conf" <<CONF
include classpath("application.conf")
node-address { protocol = http, host = "127.0.0.1", port = $PORT, context-path = "" }
rest-sqs { enabled = true, bind-port = $PORT, bind-hostname = "127.0.0.1", sqs-limits = strict }
rest-stats { enabled = false }
generate-node-address = false
# pekko-http accepts only 1024 connections by default; the longpoll-idle workload parks 10,000
pekko.http.server.max-connections = 20000
pekko.http.server.backlog = 4096
CONF
  cat > "$RUN/logback.xml" <<LOG
<configuration>
  <appender name="F" class="ch.qos.logback.core.FileAppender">
    <file>$RUN/elasticmq.log</file>
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{36} - %msg%n</pattern></encoder>
  </appender>
  <root level="WARN"><appender-ref ref="F"/></root>
</configuration>
LOG
  # shellcheck disable=SC2086
  nohup java ${ELASTICMQ_JAVA_OPTS:-} -Dconfig.file="$RUN/elasticmq.conf" -Dlogback.configurationFile="$RUN/logback.xml" \
    -cp "$DIR/lib/*" org.elasticmq.server.Main > "$RUN/stdout.log" 2>&1 < /dev/null &
  echo $! > "$RUN/pid"
  for _ in $(seq 1 120); do
    if answers; then cat "$RUN/pid"; return 0; fi
    alive || { echo "elasticmq exited; see $RUN/stdout.log" >&2; tail -20 "$RUN/stdout.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "elasticmq did not answer on port $PORT within 60 s" >&2; exit 1
}

stop() {
  if alive; then
    local pid; pid="$(cat "$RUN/pid")"
    kill "$pid"; for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    echo "stopped $pid" >&2
  else echo "not running on port $PORT" >&2; fi
  rm -f "$RUN/pid"
}

case "$CMD" in
  start) start ;;
  stop) stop ;;
  fetch) fetch; echo "$DIR/lib" ;;
  pid) alive && cat "$RUN/pid" ;;
  *) echo "usage: $0 start|stop|fetch|pid [port]" >&2; exit 2 ;;
esac
