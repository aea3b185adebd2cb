#!/bin/sh
# Entrypoint of the redis stand-in; follows the official redis image's.
set -e

# first arg is `-f` or `--some-option`, or first arg is `something.conf`
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
  set -- redis-server "$@"
fi

# started as root (no `user:`): own /data, then run as redis
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  find . \! -user redis -exec chown redis '{}' +
  exec gosu redis "$0" "$@"
fi

# The official image compiles redis with protected-mode off by default;
# Debian's keeps upstream's "on", which refuses other containers when no
# password is set. Without a config file (argument 2 is an option or absent)
# restore the official default on the command line. A config file or stdin
# config ("-") gets Debian's default: set protected-mode or requirepass there.
if [ "$1" = redis-server ] && { [ $# -eq 1 ] || [ "${2#--}" != "$2" ]; }; then
  case " $* " in
    *" --protected-mode "*) ;;
    *) set -- "$@" --protected-mode no ;;
  esac
fi

# the official image's umask for the server (issue docker-library/redis#305)
if [ "$(umask)" = 0022 ]; then
  umask 0077
fi

exec "$@"
