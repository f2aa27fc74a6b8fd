#!/usr/bin/env python3
"""Out-of-process half of bench/sandbox.sh.

Reads the one-line `smart sandbox --json --auto-approve` summary on stdin
(the first line), gets a token with the public client (authorization code +
PKCE S256; auto-approve answers the consent), pages
GET /fhir/Patient?_count=1000 by following `next` links, and prints
resources/s plus the server process's RSS and peak RSS (VmRSS/VmHWM).
Standard library only. The client does not parse JSON (it finds entries and
the next link by text), so the figure is the server's throughput.
"""

import base64
import hashlib
import json
import os
import sys
import time
import urllib.parse
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def status_mb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return 0.0


def token(info):
    base = info["fhir_base"]
    verifier = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        .rstrip(b"=")
        .decode()
    )
    redirect = "http://127.0.0.1:9/callback"
    q = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": "smart-cli",
            "redirect_uri": redirect,
            "scope": "launch/patient user/*.rs",
            "state": "bench",
            "aud": base,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(f"{info['authorization_endpoint']}?{q}")
        raise SystemExit("authorize did not redirect (is --auto-approve on?)")
    except urllib.error.HTTPError as e:
        location = e.headers.get("location", "")
    code = urllib.parse.parse_qs(urllib.parse.urlparse(location).query).get("code")
    if not code:
        raise SystemExit(f"no code in redirect: {location}")
    body = urllib.parse.urlencode(
        {
            "grant_type": "authorization_code",
            "code": code[0],
            "redirect_uri": redirect,
            "client_id": "smart-cli",
            "code_verifier": verifier,
        }
    ).encode()
    with urllib.request.urlopen(info["token_endpoint"], body) as r:
        return json.load(r)["access_token"]


def main():
    pid = int(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    info = json.loads(sys.stdin.readline())
    tok = token(info)
    base = info["fhir_base"]
    best = 0.0
    for rnd in range(1, rounds + 1):
        t = time.perf_counter()
        url, n, pages = f"{base}/Patient?_count=1000", 0, 0
        while url:
            req = urllib.request.Request(url, headers={"Authorization": f"Bearer {tok}"})
            with urllib.request.urlopen(req) as r:
                text = r.read().decode()
            n += text.count('"fullUrl":')
            pages += 1
            marker = '"relation":"next","url":"'
            i = text.find(marker)
            url = text[i + len(marker) : text.index('"', i + len(marker))] if i >= 0 else None
        secs = time.perf_counter() - t
        rate = n / secs
        best = max(best, rate)
        print(f"  round {rnd}: {n} resources in {pages} pages, {secs:.3f} s = {rate:.0f} resources/s")
    rss, peak = status_mb(pid, "VmRSS:"), status_mb(pid, "VmHWM:")
    print(f"  throughput: {best:.0f} resources/s (target >= 50000: {best / 50000:.2f}x)")
    print(f"  server memory: RSS {rss:.1f} MB, peak {peak:.1f} MB (target <= 300 MB: {300 / max(peak, 1):.2f}x headroom)")


if __name__ == "__main__":
    main()
