#!/usr/bin/env bash
# Entrypoint of the postgres stand-in; follows the official image's contract.
set -Eeuo pipefail

# file_env VAR [DEFAULT]: VAR or VAR_FILE (exclusive) -> exported VAR
file_env() {
  local var=$1 fileVar="${1}_FILE" def="${2:-}" val
  if [[ -n ${!var:-} && -n ${!fileVar:-} ]]; then
    printf >&2 'error: both %s and %s are set (but are exclusive)\n' "$var" "$fileVar"
    exit 1
  fi
  val=$def
  if [[ -n ${!var:-} ]]; then
    val=${!var}
  elif [[ -n ${!fileVar:-} ]]; then
    val=$(<"${!fileVar}")
  fi
  export "$var"="$val"
  unset "$fileVar"
}

setup_env() {
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  file_env POSTGRES_INITDB_ARGS
  : "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
  export PGDATA="${PGDATA:-/var/lib/postgresql/data}"
  DATABASE_ALREADY_EXISTS=""
  [[ -s $PGDATA/PG_VERSION ]] && DATABASE_ALREADY_EXISTS=true
  return 0
}

create_db_directories() {
  local user
  user=$(id -u)
  mkdir -p "$PGDATA"
  chmod 00700 "$PGDATA" || :
  mkdir -p /var/run/postgresql || :
  chmod 03775 /var/run/postgresql || :
  if [[ $user == 0 ]]; then
    find "$PGDATA" \! -user postgres -exec chown postgres: '{}' +
    find /var/run/postgresql \! -user postgres -exec chown postgres: '{}' +
  fi
}

verify_minimum_env() {
  if [[ -z ${POSTGRES_PASSWORD:-} && $POSTGRES_HOST_AUTH_METHOD != trust ]]; then
    cat >&2 <<'MSG'
Error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) to a
       non-empty value for the superuser, or set POSTGRES_HOST_AUTH_METHOD=trust.
MSG
    exit 1
  fi
}

init_database_dir() {
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a word list by contract
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    --auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD" \
    --encoding=UTF8 --locale=C.UTF-8 -D "$PGDATA" $POSTGRES_INITDB_ARGS
  printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
  printf 'host all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"
}

temp_server_start() {
  # socket only: a TCP healthcheck (pg_isready -h 127.0.0.1) stays red until
  # the real server runs
  PGUSER="$POSTGRES_USER" pg_ctl -D "$PGDATA" \
    -o "-c listen_addresses='' -p ${PGPORT:-5432}" -w start
}

temp_server_stop() {
  PGUSER="$POSTGRES_USER" pg_ctl -D "$PGDATA" -m fast -w stop
}

psql_cmd() {
  PGHOST=/var/run/postgresql PGPORT="${PGPORT:-5432}" \
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc "$@"
}

setup_db() {
  local exists
  # variables are interpolated only in statements read from stdin, not -c
  exists=$(psql_cmd --dbname postgres -tA -v db="$POSTGRES_DB" \
    <<<"SELECT 1 FROM pg_database WHERE datname = :'db' ;")
  if [[ -z $exists ]]; then
    psql_cmd --dbname postgres -v db="$POSTGRES_DB" <<<'CREATE DATABASE :"db" ;'
  fi
}

process_init_files() {
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    [[ -e $f ]] || continue
    case $f in
      *.sh)
        if [[ -x $f ]]; then "$f"; else
          # shellcheck disable=SC1090
          . "$f"
        fi
        ;;
      *.sql) psql_cmd --dbname "$POSTGRES_DB" -f "$f" ;;
      *.sql.gz) gunzip -c "$f" | psql_cmd --dbname "$POSTGRES_DB" ;;
      *) printf 'ignoring %s\n' "$f" ;;
    esac
  done
}

main() {
  [[ $# -gt 0 ]] || set -- postgres
  if [[ ${1:0:1} == - ]]; then
    set -- postgres "$@"
  fi
  if [[ $1 == postgres ]]; then
    setup_env
    create_db_directories
    if [[ $(id -u) == 0 ]]; then
      # drop to the postgres user (the secret was read as root above)
      exec gosu postgres "${BASH_SOURCE[0]}" "$@"
    fi
    if [[ -z $DATABASE_ALREADY_EXISTS ]]; then
      verify_minimum_env
      init_database_dir
      temp_server_start
      setup_db
      process_init_files
      temp_server_stop
      printf '\nPostgreSQL init process complete; ready for start up.\n\n'
    else
      printf '\nPostgreSQL Database directory appears to contain a database; Skipping initialization\n\n'
    fi
  fi
  exec "$@"
}

main "$@"
