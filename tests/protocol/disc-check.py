#!/usr/bin/env python3
"""disc-check.py -- HTTP side of the discovery scenarios (disc-*.sh).

Talks to acapd's http_listen / https_listen on 127.0.0.1 and parses every
answer with a real parser (xml.etree, json).  Usage:

  disc-check.py fetch HTTP_PORT PATH OUTFILE [HOST]   body to OUTFILE
  disc-check.py imap-host HTTP_PORT ADDRESS           print the IMAP host
  disc-check.py endpoints HTTP_PORT HTTPS_PORT CAFILE
  disc-check.py auth HTTP_PORT HTTPS_PORT CAFILE USER PASSWORD ADDRESS OTHER
  disc-check.py fetch-ad HTTP_PORT ADDRESS OUTFILE     Autodiscover body
  disc-check.py limits HTTP_PORT
  disc-check.py timeout HTTP_PORT SECONDS
  disc-check.py cap HTTP_PORT N

Exits 1 with a message on the first failed check.
"""
import base64
import http.client
import json
import socket
import ssl
import sys
import time
import xml.etree.ElementTree as ET

AC = "{http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a}"
ADS = "{http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006}"
SCHEMA = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"


def fail(msg):
    print("disc-check: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def conn(port, tls=False, cafile=None):
    if tls:
        ctx = ssl.create_default_context(cafile=cafile)
        return http.client.HTTPSConnection("127.0.0.1", port, context=ctx,
                                           timeout=10)
    return http.client.HTTPConnection("127.0.0.1", port, timeout=10)


def req(c, method, path, body=None, headers=None):
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data


def ad_body(addr, schema=SCHEMA):
    s = ("<AcceptableResponseSchema>%s</AcceptableResponseSchema>" % schema
         if schema else "")
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/'
            'autodiscover/outlook/requestschema/2006"><Request>'
            '<EMailAddress>%s</EMailAddress>%s</Request></Autodiscover>'
            % (addr, s)).encode()


def autoconfig_servers(data):
    root = ET.fromstring(data)
    check(root.tag == "clientConfig", "root is %s" % root.tag)
    prov = root.find("emailProvider")
    inc = prov.find("incomingServer")
    out = prov.find("outgoingServer")
    check(inc is not None and inc.get("type") == "imap", "no IMAP server")
    check(out is not None and out.get("type") == "smtp", "no SMTP server")
    return prov, inc, out


def autodiscover_protocols(data):
    root = ET.fromstring(data)
    check(root.tag == ADS + "Autodiscover", "root is %s" % root.tag)
    acct = root.find(AC + "Response/" + AC + "Account")
    check(acct is not None, "no Response/Account")
    check(acct.findtext(AC + "Action") == "settings", "Action")
    protos = {}
    for p in acct.findall(AC + "Protocol"):
        protos[p.findtext(AC + "Type")] = p
    check(set(protos) == {"IMAP", "SMTP"}, "protocols %s" % list(protos))
    return root, protos


def endpoints(hp, sp, cafile):
    c = conn(hp)
    st, h, d = req(c, "GET", "/mail/config-v1.1.xml?emailaddress=ann%40Acme.Example")
    check(st == 200, "autoconfig status %d" % st)
    check(h["content-type"].startswith("application/xml"), "content type")
    prov, inc, out = autoconfig_servers(d)
    check(prov.get("id") == "acme.example", "provider id")
    check(prov.findtext("domain") == "acme.example", "domain")
    check(prov.findtext("displayName") == "Acme & Co <test>",
          "displayName (escaped) %r" % prov.findtext("displayName"))
    check(inc.findtext("hostname") == "imap.acme.example", "imap host")
    check(inc.findtext("port") == "993", "imap port")
    check(inc.findtext("socketType") == "SSL", "imap socket")
    check(inc.findtext("username") == "%EMAILADDRESS%", "placeholder user")
    check(out.findtext("hostname") == "smtp.acme.example", "smtp host")
    check(out.findtext("port") == "587", "smtp port")
    check(out.findtext("socketType") == "STARTTLS", "smtp socket")
    check(inc.findtext("authentication") == "password-cleartext", "auth")
    # the same answer from the well-known path, domain from Host
    st, h, d2 = req(c, "GET", "/.well-known/autoconfig/mail/config-v1.1.xml",
                    headers={"Host": "autoconfig.acme.example"})
    check(st == 200 and d2 == d, "well-known path by Host differs (%d)" % st)
    st, h, d3 = req(c, "GET", "/mail/config-v1.1.xml",
                    headers={"Host": "ACME.example:8080"})
    check(st == 200 and d3 == d, "Host with port/case (%d)" % st)
    # HEAD: headers only
    c.request("HEAD", "/mail/config-v1.1.xml?emailaddress=x@acme.example")
    r = c.getresponse()
    check(r.status == 200 and r.read() == b"", "HEAD")
    # unknown domain, bad address, unknown path, wrong method
    st, h, d = req(c, "GET", "/mail/config-v1.1.xml?emailaddress=a@nowhere.example")
    check(st == 404 and b"404" in d, "unknown domain %d" % st)
    st, h, d = req(c, "GET", "/mail/config-v1.1.xml?emailaddress=no-at-sign")
    check(st == 400, "bad address %d" % st)
    st, h, d = req(c, "GET", "/mail/config-v1.1.xml",
                   headers={"Host": "127.0.0.1"})
    check(st == 400, "IP Host without address %d" % st)
    st, h, d = req(c, "GET", "/nothing/here")
    check(st == 404 and d.startswith(b"404 Not Found"), "404 body")
    st, h, d = req(c, "POST", "/mail/config-v1.1.xml", body=b"x")
    check(st == 405 and "GET" in h.get("allow", ""), "405 %d" % st)
    st, h, d = req(c, "GET", "/autodiscover/autodiscover.xml")
    check(st == 405 and h.get("allow") == "POST", "autodiscover GET %d" % st)

    # Autodiscover POX over HTTPS, path in any case
    s = conn(sp, True, cafile)
    for path in ("/autodiscover/autodiscover.xml",
                 "/AutoDiscover/AutoDiscover.xml",
                 "/Autodiscover/Autodiscover.XML"):
        st, h, d = req(s, "POST", path, body=ad_body("ann@acme.example"),
                       headers={"Content-Type": "text/xml"})
        check(st == 200, "autodiscover %s: %d %r" % (path, st, d[:200]))
        root, pr = autodiscover_protocols(d)
        imap, smtp = pr["IMAP"], pr["SMTP"]
        check(imap.findtext(AC + "Server") == "imap.acme.example", "ad imap")
        check(imap.findtext(AC + "Port") == "993", "ad imap port")
        check(imap.findtext(AC + "Encryption") == "SSL", "ad imap SSL")
        check(smtp.findtext(AC + "Encryption") == "TLS", "ad smtp TLS")
        check(smtp.findtext(AC + "Port") == "587", "ad smtp port")
        check(imap.find(AC + "LoginName") is None, "org-level LoginName")
    # no AcceptableResponseSchema: 2006a
    st, h, d = req(s, "POST", "/autodiscover/autodiscover.xml",
                   body=ad_body("ann@acme.example", None))
    check(st == 200, "no schema %d" % st)
    autodiscover_protocols(d)
    # another schema: a clear error
    st, h, d = req(s, "POST", "/autodiscover/autodiscover.xml",
                   body=ad_body("ann@acme.example",
                                "http://schemas.microsoft.com/exchange/"
                                "autodiscover/mobilesync/responseschema/2006"))
    root = ET.fromstring(d)
    check(root.findtext(".//" + ADS + "ErrorCode") == "601",
          "other schema: %r" % d)
    check(b"responseschema/2006a" in d, "error names the schema served")
    # malformed
    st, h, d = req(s, "POST", "/autodiscover/autodiscover.xml",
                   body=b"<Autodiscover><Request>")
    check(st == 400 and ET.fromstring(d).findtext(".//" + ADS + "ErrorCode")
          == "600", "malformed %d %r" % (st, d))
    # billion laughs: refused at the DOCTYPE, at once
    lol = ['<!ENTITY lol0 "lol">']
    for i in range(1, 10):
        lol.append('<!ENTITY lol%d "%s">' % (i, ("&lol%d;" % (i - 1)) * 10))
    bomb = ('<?xml version="1.0"?><!DOCTYPE Autodiscover [%s]>'
            '<Autodiscover><Request><EMailAddress>&lol9;@acme.example'
            '</EMailAddress></Request></Autodiscover>' % "".join(lol))
    t0 = time.time()
    st, h, d = req(s, "POST", "/autodiscover/autodiscover.xml",
                   body=bomb.encode())
    check(st == 400 and b"DOCTYPE" in d and time.time() - t0 < 2,
          "billion laughs: %d %r" % (st, d))
    # XXE: no file content, refused
    xxe = ('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM '
           '"file:///etc/passwd">]><Autodiscover><Request><EMailAddress>'
           '&x;</EMailAddress></Request></Autodiscover>')
    st, h, d = req(s, "POST", "/autodiscover/autodiscover.xml",
                   body=xxe.encode())
    check(st == 400 and b"root:" not in d and b"DOCTYPE" in d,
          "XXE: %d %r" % (st, d))

    # JSON v2 pointer, path and query in any case
    st, h, d = req(c, "GET", "/AutoDiscover/AutoDiscover.json/v1.0/"
                   "ann@acme.example?protocol=autodiscoverv1",
                   headers={"Host": "autodiscover.acme.example"})
    check(st == 200, "json %d" % st)
    j = json.loads(d)
    check(j == {"Protocol": "AutodiscoverV1", "Url": "https://autodiscover."
                "acme.example/Autodiscover/Autodiscover.xml"}, "json %r" % j)
    st, h, d = req(c, "GET", "/autodiscover/autodiscover.json/v1.0/"
                   "ann@acme.example?Protocol=Rest")
    check(st == 400 and "ErrorCode" in json.loads(d), "json other protocol")
    st, h, d = req(c, "GET", "/autodiscover/autodiscover.json?Protocol="
                   "AutodiscoverV1", headers={"Host": "a\"b"})
    check(st == 400, "json bad Host %d" % st)


def auth(hp, sp, cafile, user, pw, addr, other):
    cred = "Basic " + base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()
    bad = "Basic " + base64.b64encode(("%s:wrong" % user).encode()).decode()
    path = "/mail/config-v1.1.xml?emailaddress=" + addr
    # plain HTTP: refused, the password is not checked (a wrong one too)
    c = conn(hp)
    for h0 in (cred, bad):
        st, h, d = req(c, "GET", path, headers={"Authorization": h0})
        check(st == 403 and b"HTTPS" in d, "Basic over HTTP: %d" % st)
    s = conn(sp, True, cafile)
    st, h, d = req(s, "GET", path, headers={"Authorization": bad})
    check(st == 401 and h.get("www-authenticate", "").startswith("Basic"),
          "wrong password: %d" % st)
    st, h, d = req(s, "GET", path, headers={"Authorization": "Basic !!!"})
    check(st == 400, "malformed Basic: %d" % st)
    st, h, d = req(s, "GET", path, headers={"Authorization": cred})
    check(st == 200, "Basic over TLS: %d %r" % (st, d))
    check("no-store" in h.get("cache-control", ""), "per-user cacheable")
    prov, inc, out = autoconfig_servers(d)
    check(inc.findtext("hostname") == "ann-store.acme.example",
          "per-user IMAP host %r" % inc.findtext("hostname"))
    check(inc.findtext("username") == user, "per-user login")
    st, h, d = req(s, "POST", "/autodiscover/autodiscover.xml",
                   body=ad_body(addr), headers={"Authorization": cred})
    check(st == 200, "ad auth %d" % st)
    root, pr = autodiscover_protocols(d)
    check(pr["IMAP"].findtext(AC + "LoginName") == user, "ad LoginName")
    check(pr["IMAP"].findtext(AC + "Server") == "ann-store.acme.example",
          "ad per-user server")
    check(root.findtext(".//" + AC + "DisplayName") == "Ann Example",
          "ad DisplayName")
    # someone else's address: 403
    st, h, d = req(s, "GET", "/mail/config-v1.1.xml?emailaddress=" + other,
                   headers={"Authorization": cred})
    check(st == 403, "other's address: %d" % st)


def imap_host(hp, addr, host=None):
    c = conn(hp)
    hdr = {"Host": host} if host else {}
    st, h, d = req(c, "GET", "/mail/config-v1.1.xml?emailaddress=" + addr,
                   headers=hdr)
    check(st == 200, "status %d" % st)
    return autoconfig_servers(d)[1].findtext("hostname")


def limits(hp):
    c = conn(hp)
    st, h, d = req(c, "GET", "/mail/config-v1.1.xml?emailaddress=" +
                   "a" * 3000 + "@acme.example")
    check(st == 414, "long URI: %d" % st)
    c = conn(hp)
    hdrs = dict(("X-H%d" % i, "v") for i in range(70))
    st, h, d = req(c, "GET", "/mail/config-v1.1.xml", headers=hdrs)
    check(st == 431, "many headers: %d" % st)
    c = conn(hp)
    try:
        st, h, d = req(c, "GET", "/mail/config-v1.1.xml",
                       headers={"X-Big": "b" * 12000})
    except (ConnectionError, http.client.HTTPException) as e:
        fail("huge header: no answer (%s)" % e)
    check(st == 431 and d.startswith(b"431 "), "large header: %d" % st)
    c = conn(hp)
    try:
        st, h, d = req(c, "GET", "/mail/config-v1.1.xml",
                       headers={"X-Big": "b" * 100000})
        check(400 <= st < 500, "huge header: %d" % st)
    except (ConnectionError, http.client.HTTPException):
        pass    # libevent's backstop may close before we read the 400
    c = conn(hp)
    try:
        st, h, d = req(c, "POST", "/autodiscover/autodiscover.xml",
                       body=b"<" + b"x" * 100000)
    except (ConnectionError, http.client.HTTPException) as e:
        fail("huge body: no answer (%s)" % e)
    check(st == 413, "huge body: %d" % st)


def timeout(hp, secs):
    s = socket.create_connection(("127.0.0.1", hp), timeout=secs + 10)
    s.sendall(b"GET /mail/config-v1.1.xml HTTP/1.1\r\nHost: acme")
    t0 = time.time()
    data = s.recv(4096)
    while data:
        data = s.recv(4096)
    el = time.time() - t0
    check(secs - 1 <= el <= secs + 8, "idle connection closed after %.1f s"
          % el)


def cap(hp, n):
    held = []
    for i in range(n):
        c = conn(hp)
        st, h, d = req(c, "GET", "/mail/config-v1.1.xml",
                       headers={"Host": "site.example"})
        check(st == 200, "connection %d: %d" % (i, st))
        held.append(c)
    c = conn(hp)
    st, h, d = req(c, "GET", "/mail/config-v1.1.xml",
                   headers={"Host": "site.example"})
    check(st == 429 and b"429" in d, "over the cap: %d" % st)
    for c in held:
        c.close()
    time.sleep(0.3)
    c = conn(hp)
    st, h, d = req(c, "GET", "/mail/config-v1.1.xml",
                   headers={"Host": "site.example"})
    check(st == 200, "after closing: %d" % st)


def main():
    a = sys.argv[1:]
    if not a:
        fail("usage")
    if a[0] == "fetch":
        c = conn(int(a[1]))
        st, h, d = req(c, "GET", a[2],
                       headers={"Host": a[4]} if len(a) > 4 else {})
        check(st == 200, "fetch %s: %d" % (a[2], st))
        with open(a[3], "wb") as f:
            f.write(d)
    elif a[0] == "fetch-ad":
        c = conn(int(a[1]))
        st, h, d = req(c, "POST", "/autodiscover/autodiscover.xml",
                       body=ad_body(a[2]))
        check(st == 200, "fetch-ad: %d" % st)
        with open(a[3], "wb") as f:
            f.write(d)
    elif a[0] == "imap-host":
        print(imap_host(int(a[1]), a[2]))
    elif a[0] == "endpoints":
        endpoints(int(a[1]), int(a[2]), a[3])
    elif a[0] == "auth":
        auth(int(a[1]), int(a[2]), a[3], a[4], a[5], a[6], a[7])
    elif a[0] == "limits":
        limits(int(a[1]))
    elif a[0] == "timeout":
        timeout(int(a[1]), int(a[2]))
    elif a[0] == "cap":
        cap(int(a[1]), int(a[2]))
    else:
        fail("unknown mode " + a[0])


main()
