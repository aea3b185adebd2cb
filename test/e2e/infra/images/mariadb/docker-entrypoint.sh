#!/usr/bin/env bash
# Entrypoint of the mariadb stand-in; follows the official mariadb image's contract.
set -Eeuo pipefail

# file_env VAR [DEFAULT]: VAR or VAR_FILE (exclusive) -> exported VAR; the MYSQL_* name is an alias
file_env() {
  local var=$1 fileVar="${1}_FILE" def="${2:-}" mysqlVar="${1/#MARIADB/MYSQL}" val
  local mysqlFileVar="${mysqlVar}_FILE"
  if [[ -n ${!var:-} && -n ${!fileVar:-} ]]; then
    printf >&2 'error: both %s and %s are set (but are exclusive)\n' "$var" "$fileVar"
    exit 1
  fi
  val=$def
  if [[ -n ${!var:-} ]]; then
    val=${!var}
  elif [[ -n ${!fileVar:-} ]]; then
    val=$(<"${!fileVar}")
  elif [[ -n ${!mysqlVar:-} ]]; then
    val=${!mysqlVar}
  elif [[ -n ${!mysqlFileVar:-} ]]; then
    val=$(<"${!mysqlFileVar}")
  fi
  export "$var"="$val"
  unset "$fileVar" "$mysqlVar" "$mysqlFileVar"
}

setup_env() {
  file_env MARIADB_ROOT_HOST '%'
  file_env MARIADB_DATABASE
  file_env MARIADB_USER
  file_env MARIADB_PASSWORD
  file_env MARIADB_ROOT_PASSWORD
  file_env MARIADB_ALLOW_EMPTY_ROOT_PASSWORD
  file_env MARIADB_RANDOM_ROOT_PASSWORD
  DATADIR=/var/lib/mysql
  SOCKET=/run/mysqld/mysqld.sock
  DATABASE_ALREADY_EXISTS=""
  [[ -d $DATADIR/mysql ]] && DATABASE_ALREADY_EXISTS=true
  return 0
}

create_db_directories() {
  mkdir -p "$DATADIR" /run/mysqld || :
  if [[ $(id -u) == 0 ]]; then
    find "$DATADIR" /run/mysqld \! -user mysql -exec chown mysql: '{}' +
  fi
}

verify_minimum_env() {
  if [[ -z $MARIADB_ROOT_PASSWORD && -z $MARIADB_ALLOW_EMPTY_ROOT_PASSWORD && -z $MARIADB_RANDOM_ROOT_PASSWORD ]]; then
    cat >&2 <<'MSG'
error: Database is uninitialized and password option is not specified
       You need to specify one of MARIADB_ROOT_PASSWORD, MARIADB_ROOT_PASSWORD_HASH,
       MARIADB_ALLOW_EMPTY_ROOT_PASSWORD and MARIADB_RANDOM_ROOT_PASSWORD
MSG
    exit 1
  fi
  if [[ -n $MARIADB_USER && $MARIADB_USER == root ]]; then
    printf >&2 'error: MARIADB_USER="root", MARIADB_USER and MARIADB_PASSWORD are for configuring a regular user and cannot be used for the root user\n'
    exit 1
  fi
  if [[ -n $MARIADB_USER && -z $MARIADB_PASSWORD ]]; then
    printf >&2 'warning: MARIADB_USER is set without MARIADB_PASSWORD: the user gets no password\n'
  fi
}

# 'quote' for a SQL string literal: backslash and quote escaped
sql_string() {
  local s=${1//\\/\\\\}
  printf "'%s'" "${s//\'/\\\'}"
}

# `quote` for an identifier: backticks doubled
sql_ident() {
  # shellcheck disable=SC2016 # the backticks are SQL, not a command substitution
  printf '`%s`' "${1//\`/\`\`}"
}

temp_server_start() {
  # socket only: a TCP healthcheck (mariadb-admin ping -h 127.0.0.1) stays red until the real server runs
  "$@" --skip-networking --default-time-zone=SYSTEM --socket="$SOCKET" --loose-wsrep_on=OFF \
    --loose-innodb_buffer_pool_load_at_startup=0 &
  TEMP_PID=$!
  local i
  for ((i = 0; i < 30; i++)); do
    if mariadb --protocol=socket --socket="$SOCKET" -uroot --database=mysql -e 'SELECT 1' >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "$TEMP_PID" 2>/dev/null || break
    sleep 1
  done
  printf >&2 'error: unable to start the temporary server\n'
  exit 1
}

temp_server_stop() {
  kill "$TEMP_PID"
  wait "$TEMP_PID" || :
}

sql_root() { # SQL on stdin, as root over the socket, before the root password exists
  mariadb --protocol=socket --socket="$SOCKET" -uroot --database=mysql --binary-mode
}

setup_db() {
  ROOT_PW=$MARIADB_ROOT_PASSWORD
  if [[ -n $MARIADB_RANDOM_ROOT_PASSWORD ]]; then
    ROOT_PW=$(head -c 24 /dev/urandom | base64 | tr -d '\n/+=')
    printf 'GENERATED ROOT PASSWORD: %s\n' "$ROOT_PW"
  fi
  {
    # no binary log of the setup; the anonymous users and the test database go, as upstream does
    printf 'SET @@SESSION.SQL_LOG_BIN=0;\n'
    printf "DELETE FROM mysql.global_priv WHERE user='' OR (user='root' AND host NOT IN ('localhost'));\n"
    printf 'DROP DATABASE IF EXISTS test;\n'
    printf 'SET PASSWORD FOR root@localhost = PASSWORD(%s);\n' "$(sql_string "$ROOT_PW")"
    if [[ $MARIADB_ROOT_HOST != localhost ]]; then
      printf 'CREATE USER root@%s IDENTIFIED BY %s;\n' "$(sql_string "$MARIADB_ROOT_HOST")" "$(sql_string "$ROOT_PW")"
      printf 'GRANT ALL ON *.* TO root@%s WITH GRANT OPTION;\n' "$(sql_string "$MARIADB_ROOT_HOST")"
    fi
    if [[ -n $MARIADB_DATABASE ]]; then
      printf 'CREATE DATABASE IF NOT EXISTS %s;\n' "$(sql_ident "$MARIADB_DATABASE")"
    fi
    if [[ -n $MARIADB_USER ]]; then
      printf "CREATE USER %s@'%%' IDENTIFIED BY %s;\n" "$(sql_string "$MARIADB_USER")" "$(sql_string "$MARIADB_PASSWORD")"
      if [[ -n $MARIADB_DATABASE ]]; then
        printf "GRANT ALL ON %s.* TO %s@'%%';\n" "$(sql_ident "${MARIADB_DATABASE//_/\\_}")" "$(sql_string "$MARIADB_USER")"
      fi
    fi
    printf 'FLUSH PRIVILEGES;\n'
  } | sql_root
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
      *.sql) MYSQL_PWD=$ROOT_PW mariadb --protocol=socket --socket="$SOCKET" -uroot ${MARIADB_DATABASE:+"--database=$MARIADB_DATABASE"} <"$f" ;;
      *.sql.gz) gunzip -c "$f" | MYSQL_PWD=$ROOT_PW mariadb --protocol=socket --socket="$SOCKET" -uroot ${MARIADB_DATABASE:+"--database=$MARIADB_DATABASE"} ;;
      *) printf 'ignoring %s\n' "$f" ;;
    esac
  done
}

main() {
  [[ $# -gt 0 ]] || set -- mariadbd
  if [[ ${1:0:1} == - ]]; then
    set -- mariadbd "$@"
  fi
  if [[ $1 == mariadbd || $1 == mysqld ]]; then
    setup_env
    create_db_directories
    if [[ $(id -u) == 0 ]]; then
      # drop to the mysql user (the secrets were read as root above)
      exec gosu mysql "${BASH_SOURCE[0]}" "$@"
    fi
    if [[ -z $DATABASE_ALREADY_EXISTS ]]; then
      verify_minimum_env
      printf 'Initializing database files\n'
      mariadb-install-db --datadir="$DATADIR" --rpm --auth-root-authentication-method=normal \
        --skip-test-db --skip-name-resolve --default-time-zone=SYSTEM >/dev/null
      temp_server_start "$@"
      setup_db
      process_init_files
      temp_server_stop
      printf '\nMariaDB init process done. Ready for start up.\n\n'
    else
      printf '\nMariaDB database directory appears to contain a database; skipping initialization\n\n'
    fi
    # the secrets stay out of the server's environment
    unset MARIADB_PASSWORD MARIADB_ROOT_PASSWORD
  fi
  exec "$@"
}

main "$@"
