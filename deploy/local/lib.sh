# Shared helpers for deploy/local/run.sh, .ci/run and the benchmarks. Source it; it defines functions only.

# Prints the path of a JDK whose major version is >= 21: $JAVA_HOME if it qualifies, else the newest
# one under /usr/lib/jvm or /opt/java. Fails with a clear message when there is none.
switchboard_find_jdk() {
  local candidates=() home ver best="" best_ver=0
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  for home in /usr/lib/jvm/* /opt/java/* /usr/local/openjdk*; do
    [ -x "$home/bin/javac" ] && candidates+=("$home")
  done
  for home in "${candidates[@]}"; do
    [ -x "$home/bin/java" ] || continue
    ver=$("$home/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
    ver=${ver%%.*}
    if [ -n "$ver" ] && [ "$ver" -ge 21 ] 2>/dev/null; then
      if [ "$home" = "${JAVA_HOME:-}" ]; then echo "$home"; return 0; fi
      if [ "$ver" -gt "$best_ver" ]; then best=$home; best_ver=$ver; fi
    fi
  done
  if [ -n "$best" ]; then echo "$best"; return 0; fi
  echo "switchboard: no JDK 21 or newer found (set JAVA_HOME, or install one, e.g. apt-get install openjdk-21-jdk-headless)" >&2
  return 1
}

# Makes sure redis-server is installed (installs Debian's package when running as root).
switchboard_ensure_redis() {
  command -v redis-server >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "switchboard: installing redis-server (apt-get)" >&2
    (apt-get install -y -q redis-server >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q redis-server >/dev/null 2>&1; }) \
      && command -v redis-server >/dev/null 2>&1 && return 0
  fi
  echo "switchboard: redis-server is required (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis)" >&2
  return 1
}

# A free TCP port on 127.0.0.1, preferring $1 when it is free.
switchboard_free_port() {
  local want=${1:-0}
  if [ "$want" != 0 ] && ! (exec 3<>"/dev/tcp/127.0.0.1/$want") 2>/dev/null; then
    echo "$want"; return 0
  fi
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null && return 0
  "${JAVA_HOME}/bin/jshell" -q <<<'System.out.println(new java.net.ServerSocket(0).getLocalPort()); /exit' 2>/dev/null | head -n1
}

# Waits until URL answers 200, up to $2 seconds; $3 is a PID that must stay alive meanwhile.
switchboard_wait_http() {
  local url=$1 timeout=$2 pid=${3:-} i
  for ((i = 0; i < timeout * 10; i++)); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.1
  done
  return 1
}

# The local single-node KRaft broker's server.properties (the launcher's, and the benchmarks'), on stdout.
switchboard_kafka_properties() { # data-dir port controller-port
  cat <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$3
listeners=PLAINTEXT://127.0.0.1:$2,CONTROLLER://127.0.0.1:$3
advertised.listeners=PLAINTEXT://127.0.0.1:$2
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$1
# one network thread per listener and two request handlers (defaults 3 and 8, each per listener of the combined
# broker and controller): a co-located broker on a few cores gains nothing from more, and each idle one wakes
# about three times a second (its network and request threads: 24 before, 8 now)
num.network.threads=1
num.io.threads=2
# one thread for the group coordinator (default 4, each waking about 4 times a second while idle): a local broker
# serves a handful of consumer groups
group.coordinator.threads=1
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# the controller appends a no-op record to the metadata log when idle this long (default 0.5 s): less idle CPU
metadata.max.idle.interval.ms=5000
# a broker killed with -9 registers again only once its old incarnation's session has expired (default 9 s, most of
# a restart): heartbeats every 0.5 s and a 2 s session bring a killed broker back in about 3 s
broker.heartbeat.interval.ms=500
broker.session.timeout.ms=2000
PROPS
}
