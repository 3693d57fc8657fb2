#!/usr/bin/env bash
# Stops the mail servers start.sh started in DIR.
dir=$1
[ -f "$dir/dovecot.conf" ] && dovecot -c "$dir/dovecot.conf" stop 2>/dev/null
[ -f "$dir/smtp.pid" ] && kill "$(cat "$dir/smtp.pid")" 2>/dev/null
exit 0
