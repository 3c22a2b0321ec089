#!/usr/bin/env python3
"""A plain static server for a built site, on loopback, like a static host.

    serve.py ROOT PORTFILE [LOGFILE]

Binds 127.0.0.1 on a free port and writes the port to PORTFILE. GET and HEAD
only. `/a/b` that is a folder redirects (301) to `/a/b/`; a folder is served
by its index.html; anything else unknown (a missing file, a folder without
index.html, `..`) gets ROOT/404.html with status 404, as Netlify, Cloudflare
Pages and GitHub Pages do. Text is gzip-compressed when asked for, and
hashed assets (`name.0123abcd.css`) are cached for a year: what those hosts
do, so Lighthouse measures the theme rather than this server. Every request
is logged to LOGFILE as `STATUS PATH`.
"""
import gzip
import http.server
import mimetypes
import os
import posixpath
import re
import socketserver
import sys
import urllib.parse

ROOT = os.path.realpath(sys.argv[1])
PORTFILE = sys.argv[2]
LOG = open(sys.argv[3], "a", buffering=1) if len(sys.argv) > 3 else None

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".gif": "image/gif",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".webmanifest": "application/manifest+json",
}
COMPRESSIBLE = re.compile(r"^(text/|application/(json|xml|manifest\+json)|image/svg\+xml)")
HASHED = re.compile(r"\.[0-9a-f]{8,}\.[a-z0-9]+$")


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "quality-static"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def resolve(self, path):
        """The file for a URL path, a redirect target, or None."""
        if "\\" in path or "\0" in path:
            return None, None
        parts = [p for p in path.split("/") if p]
        if any(p in (".", "..") for p in parts):
            return None, None
        full = os.path.realpath(os.path.join(ROOT, *parts))
        if full != ROOT and not full.startswith(ROOT + os.sep):
            return None, None
        if os.path.isdir(full):
            if not path.endswith("/"):
                return None, path + "/"
            index = os.path.join(full, "index.html")
            return (index, None) if os.path.isfile(index) else (None, None)
        if os.path.isfile(full) and not path.endswith("/"):
            return full, None
        return None, None

    def send(self, status, file, head):
        ctype = TYPES.get(os.path.splitext(file)[1].lower()) or (
            mimetypes.guess_type(file)[0] or "application/octet-stream")
        with open(file, "rb") as f:
            body = f.read()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if HASHED.search(file):
            self.send_header("Cache-Control", "public, max-age=31536000, immutable")
        else:
            self.send_header("Cache-Control", "public, max-age=0, must-revalidate")
        if COMPRESSIBLE.match(ctype) and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body, 6)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)
        return status

    def handle_get(self, head):
        raw = urllib.parse.urlsplit(self.path).path
        path = urllib.parse.unquote(raw, errors="strict") if raw.startswith("/") else "/"
        path = posixpath.normpath(path) + ("/" if path.endswith("/") and path != "/" else "")
        file, redirect = self.resolve(path)
        if redirect:
            status = 301
            self.send_response(301)
            self.send_header("Location", urllib.parse.quote(redirect))
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif file:
            status = self.send(200, file, head)
        else:
            missing = os.path.join(ROOT, "404.html")
            if os.path.isfile(missing):
                status = self.send(404, missing, head)
            else:
                status = 404
                self.send_error(404)
        if LOG:
            LOG.write(f"{status} {self.command} {self.path}\n")

    def do_GET(self):
        self.handle_get(False)

    def do_HEAD(self):
        self.handle_get(True)

    def do_POST(self):
        self.send_response(405)
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Length", "0")
        self.end_headers()
        if LOG:
            LOG.write(f"405 POST {self.path}\n")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    server = Server(("127.0.0.1", 0), Handler)
    tmp = PORTFILE + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, PORTFILE)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
