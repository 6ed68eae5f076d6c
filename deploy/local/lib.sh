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
