#!/usr/bin/env bash
# Starts the mail servers of msgbuddy's email tests in DIR: Debian's Dovecot (IMAP, plain
# text on 127.0.0.1:IMAP_PORT) and aiosmtpd (SMTP with AUTH on 127.0.0.1:SMTP_PORT), both
# knowing support@example.test and customer@example.test (password secret-pass). Waits
# until both answer. Usage: start.sh DIR IMAP_PORT SMTP_PORT; stop.sh DIR stops them.
set -euo pipefail
dir=$1 imap_port=$2 smtp_port=$3
here=$(cd "$(dirname "$0")" && pwd)
command -v dovecot >/dev/null || { echo "dovecot is missing: apt-get install dovecot-imapd (scripts/test.sh does)" >&2; exit 1; }
python3 -c 'import aiosmtpd' 2>/dev/null || { echo "aiosmtpd is missing: python3 -m pip install aiosmtpd (scripts/test.sh does)" >&2; exit 1; }

mkdir -p "$dir/run" "$dir/state" "$dir/mail"
for user in support@example.test customer@example.test; do
  mkdir -p "$dir/mail/$user/Maildir/new" "$dir/mail/$user/Maildir/cur" "$dir/mail/$user/Maildir/tmp"
done
printf '%s\n' 'support@example.test:{PLAIN}secret-pass' 'customer@example.test:{PLAIN}secret-pass' > "$dir/users"
uid=$(id -u) gid=$(id -g)
if [ "$uid" -eq 0 ]; then
  # Dovecot refuses mail access as root: the mailboxes belong to Debian's `mail` user.
  uid=$(id -u mail) gid=$(id -g mail)
  chown -R mail:mail "$dir/mail"
fi
cat > "$dir/dovecot.conf" <<CONF
protocols = imap
listen = 127.0.0.1
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
ssl = no
first_valid_uid = 1
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/users
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$dir/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $imap_port
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
}
CONF
if [ "$(id -u)" -ne 0 ]; then
  # Without root, every process runs as this user.
  cat >> "$dir/dovecot.conf" <<CONF
default_internal_user = $(id -un)
default_internal_group = $(id -gn)
default_login_user = $(id -un)
CONF
fi
# Started with its own output files: nothing may hold the caller's pipes open.
dovecot -c "$dir/dovecot.conf" </dev/null >"$dir/dovecot.out" 2>&1 || { cat "$dir/dovecot.out" >&2; exit 1; }
nohup python3 "$here/smtp_server.py" "$dir" "$smtp_port" "$dir/users" </dev/null >"$dir/smtp.log" 2>&1 &

for port in "$imap_port" "$smtp_port"; do
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue 2; fi
    sleep 0.1
  done
  echo "nothing answers on 127.0.0.1:$port" >&2
  cat "$dir/dovecot.log" "$dir/smtp.log" >&2 2>/dev/null || true
  exit 1
done
echo "IMAP on 127.0.0.1:$imap_port, SMTP on 127.0.0.1:$smtp_port"
