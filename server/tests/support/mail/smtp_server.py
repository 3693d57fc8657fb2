"""A real SMTP server for msgbuddy's email tests (aiosmtpd): requires AUTH (PLAIN or
LOGIN, without TLS on loopback), keeps a copy of every message it receives in
DIR/smtp-received/, and delivers messages for the Dovecot users into their Maildir, as an
MTA would. Usage: smtp_server.py DIR PORT USERS_FILE"""

import os
import sys
import time
import uuid

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

directory, port, users_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
users = {}
with open(users_file) as f:
    for line in f:
        name, _, password = line.strip().partition(":{PLAIN}")
        if name:
            users[name] = password.split(":")[0]


def authenticator(server, session, envelope, mechanism, auth_data):
    if isinstance(auth_data, LoginPassword):
        name = auth_data.login.decode()
        if users.get(name) == auth_data.password.decode():
            return AuthResult(success=True)
    return AuthResult(success=False, handled=False)


def write_atomically(folder, raw):
    name = f"{time.time_ns()}.{uuid.uuid4().hex}.msgbuddy-test"
    os.makedirs(os.path.join(folder, "tmp"), exist_ok=True)
    os.makedirs(os.path.join(folder, "new"), exist_ok=True)
    os.makedirs(os.path.join(folder, "cur"), exist_ok=True)
    tmp = os.path.join(folder, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(raw)
    os.rename(tmp, os.path.join(folder, "new", name))


class Deliver:
    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        kept = os.path.join(directory, "smtp-received")
        os.makedirs(kept, exist_ok=True)
        with open(os.path.join(kept, f"{time.time_ns()}.eml"), "wb") as f:
            f.write(raw)
        for rcpt in envelope.rcpt_tos:
            if rcpt.lower() in users:
                write_atomically(os.path.join(directory, "mail", rcpt.lower(), "Maildir"), raw)
        return "250 OK"


controller = Controller(
    Deliver(),
    hostname="127.0.0.1",
    port=port,
    authenticator=authenticator,
    auth_required=True,
    auth_require_tls=False,
)
controller.start()
with open(os.path.join(directory, "smtp.pid"), "w") as f:
    f.write(str(os.getpid()))
try:
    while True:
        time.sleep(3600)
except KeyboardInterrupt:
    controller.stop()
