#!/usr/bin/env python3
"""Writes the seed corpora tests/fuzz/corpus/<harness>/ (realistic inputs, valid and nearly valid).
The files are kept in git; run this again after changing it (it rewrites the seed_* files only).
The fuzzers' own finds go to a temporary directory, never here (scripts/fuzz --keep aside)."""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CAT = json.load(open(os.path.join(HERE, "..", "unit", "fixtures", "catalog.json")))
STAGES = CAT["stages"]
DIMS = CAT["dimensions"]


def write(harness, name, data):
    d = os.path.join(HERE, "corpus", harness)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, "seed_" + name), "wb") as f:
        f.write(data)


def clear(harness):
    d = os.path.join(HERE, "corpus", harness)
    if os.path.isdir(d):
        for n in os.listdir(d):
            if n.startswith("seed_"):
                os.remove(os.path.join(d, n))


def split(total, n):
    base = [total // n] * n
    base[0] += total - sum(base)
    return base


def full_funnel():
    stages = {}
    total = 400
    for s in STAGES:
        bd = {}
        for dim in CAT["stageDimensions"][s]:
            bd[dim] = dict(zip(DIMS[dim], split(total, len(DIMS[dim]))))
        stages[s] = {"total": total, "breakdowns": bd}
        total = total * 3 // 4
    return {"stages": stages}


# ---- funnel documents -----------------------------------------------------------------------
H = "fuzz_funnel_doc"
clear(H)
write(H, "empty_stages", '{"stages": {}}')
write(H, "one_total", '{"stages": {"reported": {"total": 30}}}')
write(H, "gender", '{"stages": {"signalled": {"total": 41, "breakdowns": {"gender": '
      '{"girl": 20, "boy": 19, "unknown": 2}}}}}')
write(H, "full", json.dumps(full_funnel()))
write(H, "full_compact", json.dumps(full_funnel(), separators=(",", ":")))
write(H, "helped_care", '{"stages":{"helped":{"total":7,"breakdowns":{"care":{"ambulatory":5,'
      '"secure":2},"ageBand":{"12-15":7}}}}}')
write(H, "sum_mismatch", '{"stages":{"reported":{"total":10,"breakdowns":{"gender":{"girl":3}}}}}')
write(H, "care_not_allowed", '{"stages":{"signalled":{"total":1,"breakdowns":{"care":{"secure":1}}}}}')
write(H, "duplicate_key", '{"stages":{"reported":{"total":1,"total":2}}}')
write(H, "duplicate_deep", '{"stages":{"reported":{"total":2,"breakdowns":{"gender":{"girl":1,'
      '"girl":1}}}}}')
write(H, "unknowns", '{"stages":{"rumoured":{"total":1},"reported":{"total":1,"colour":2,'
      '"breakdowns":{"hair":{"red":1},"gender":{"robot":1}}}},"extra":true}')
write(H, "numbers", '{"stages":{"occurred":{"total":2.0},"disclosed":{"total":-1},'
      '"signalled":{"total":1000001},"reported":{"total":1e3},"investigated":{"total":"5"},'
      '"helped":{"total":null}}}')
write(H, "order_warning", '{"stages":{"occurred":{"total":5},"reported":{"total":9}}}')
write(H, "escapes", '{"stages":{"re\\u0070orted":{"total":1},"a~b/c":{"total":1},'
      '"\\u00e9\\ud83d\\ude00":{"total":1}}}')
write(H, "not_object", '[{"stages":{}}]')
write(H, "truncated", '{"stages":{"reported":{"total":3')
write(H, "bom", '\ufeff{"stages":{}}')
write(H, "many_errors", '{"stages":{' + ",".join(
    '"s%d":{"total":-1}' % i for i in range(40)) + '}}')

# ---- network documents (first byte: the period; 44 is 2026-Q1, 45 2026-Q2) -------------------
H = "fuzz_network_doc"
clear(H)
P = bytes([44])
full_net = {
    "partners": {"veiligThuis": "committed", "policeVice": "engaged", "stiClinic": "absent"},
    "approach": {"socialMapUpdatedOn": "2026-03-01", "partnerMeetingHeld": True,
                 "coordinatorAppointed": False, "trainingsThisYear": 2,
                 "networkMeetingsThisYear": 3, "newsletterIssuesThisYear": 1,
                 "aldermanInvolvedOn": "2024-04-01", "annualReportPublished": True,
                 "annualPlanPublished": True, "expertsByExperienceInvolved": False},
    "prevention": {"problemInsight": "done", "youthResilience": "inProgress"},
}
write(H, "full", P + json.dumps(full_net).encode())
write(H, "empty", P + b'{"partners": {}, "approach": {}, "prevention": {}}')
write(H, "nothing", P + b"{}")
write(H, "all_partners", P + json.dumps({"partners": {k: CAT["partnerStatuses"][i % 4] for i, k in
                                                      enumerate(CAT["partnerTypes"])}}).encode())
write(H, "all_prevention", P + json.dumps({"prevention": {k: "notStarted" for k in
                                                          CAT["preventionPoints"]}}).encode())
write(H, "date_after_period", P + b'{"approach":{"socialMapUpdatedOn":"2026-04-01"}}')
write(H, "bad_date", bytes([45]) + b'{"approach":{"aldermanInvolvedOn":"2025-02-29",'
      b'"socialMapUpdatedOn":"2024-02-29"}}')
write(H, "bad_values", P + b'{"partners":{"dentist":"mapped","veiligThuis":"friendly",'
      b'"policeVice":3},"approach":{"trainingsThisYear":1001,"networkMeetingsThisYear":-1,'
      b'"newsletterIssuesThisYear":1.5,"partnerMeetingHeld":"yes","colour":1,'
      b'"coordinatorAppointed":null},"prevention":{"problemInsight":"finished"}}')
write(H, "duplicate", P + b'{"approach": {}, "approach": {}}')
write(H, "types", P + b'{"partners": [], "approach": true, "prevention": 1}')
write(H, "leap_2024", bytes([37]) + b'{"approach":{"socialMapUpdatedOn":"2024-02-29"}}')

# ---- imports, JSON ----------------------------------------------------------------------------
H = "fuzz_import_json"
clear(H)
write(H, "two", '[{"municipality":"GM0599","period":"2026Q1","stages":{"reported":{"total":30}}},'
      '{"period":"2025-Q4","municipality":"GM0014","stages":{}}]')
write(H, "full", json.dumps([dict(municipality="GM0599", period="2025-Q%d" % q, **full_funnel())
                             for q in range(1, 5)]))
write(H, "empty", "[]")
write(H, "problems", '[{"municipality":"GM599","period":"2026-Q2","stages":{}},'
      '{"municipality":"GM0599","period":"2014-Q4","stages":{}},'
      '{"municipality":"GM0599","period":"2026-Q5","stages":{}},'
      '{"municipality":"GM0599","period":"2026-Q1"},'
      '{"municipality":"GM0599","period":"2026-Q1","stages":{},"extra":1},'
      '{"municipality":"GM0599","period":"2026-Q1","stages":{}},'
      '{"municipality":"GM0599","period":"2026q1","stages":{}}, 7, null]')
write(H, "not_array", '{"municipality":"GM0599","period":"2026-Q1","stages":{}}')
write(H, "duplicate_key", '[{"municipality":"GM0599","municipality":"GM0600","period":"2026-Q1",'
      '"stages":{}}]')
write(H, "nested_errors", '[{"municipality":"GM0599","period":"2026-Q1","stages":{"reported":'
      '{"total":5,"breakdowns":{"gender":{"girl":9}}},"helped":{"total":-3}}}]')

# ---- imports, CSV -----------------------------------------------------------------------------
H = "fuzz_import_csv"
clear(H)
HEADER = ["municipality", "period", "stage", "dimension", "category", "count"]


def csv_rows(code, period, funnel):
    rows = []
    for s, st in funnel["stages"].items():
        rows.append([code, period, s, "total", "", str(st["total"])])
        for dim, cats in st.get("breakdowns", {}).items():
            for c, n in cats.items():
                rows.append([code, period, s, dim, c, str(n)])
    return rows


def csv_text(rows, sep=",", nl="\n", bom=False, quote_all=False):
    def q(f):
        if quote_all or sep in f or '"' in f or "\n" in f:
            return '"' + f.replace('"', '""') + '"'
        return f
    t = nl.join(sep.join(q(f) for f in r) for r in [HEADER] + rows) + nl
    return ("\ufeff" if bom else "") + t


small = csv_rows("GM0599", "2026-Q1", {"stages": {"reported": {"total": 12, "breakdowns": {
    "gender": {"girl": 7, "boy": 5}}}}})
write(H, "small", csv_text(small))
write(H, "excel_nl", csv_text(small, sep=";", nl="\r\n", bom=True))
write(H, "quoted", csv_text(small, quote_all=True))
write(H, "full", csv_text(csv_rows("GM0014", "2025-Q4", full_funnel())))
write(H, "two_items", csv_text(small + csv_rows("GM0014", "2025Q3", {"stages": {
    "helped": {"total": 3, "breakdowns": {"care": {"secure": 3}}}}})))
write(H, "empty_counts", csv_text([["GM0599", "2026-Q1", "reported", "total", "", ""],
                                   ["GM0599", "2026-Q1", "reported", "gender", "girl", ""]]))
write(H, "reordered", "count,category,dimension,stage,period,municipality\n"
      "5,,total,reported,2026-Q1,GM0599\n")
write(H, "header_only", ",".join(HEADER) + "\n")
write(H, "bad_header", "gemeente;periode;fase;dimensie;categorie;aantal\r\nGM0599;2026-Q1;"
      "reported;total;;5\r\n")
write(H, "problems", csv_text([
    ["GM0599", "2026-Q1", "reported", "total", "", "5"],
    ["GM0599", "2026-Q1", "reported", "total", "", "6"],
    ["GM0599", "2026-Q1", "reported", "gender", "girl", "9"],
    ["GM0599", "2026-Q1", "helped", "gender", "boy", "1"],
    ["GM0599", "2026-Q2", "reported", "total", "", "1"],
    ["GM599", "2026-Q1", "reported", "total", "", "1"],
    ["GM0599", "2026-Q1", "reported", "total", "x", "1"],
    ["GM0599", "2026-Q1", "reported", "total", "", "1.0"],
    ["GM0599", "2026-Q1", "reported", "total", "", "-1"],
    ["GM0599", "2026-Q1", "occurred", "total", "", "99999999999999999999"],
    ["GM0599", "2026-Q1", "occurred", "total"],
    ["GM0599", "2026-Q1", "signalled", "care", "secure", "1", "extra"],
]))
write(H, "broken_quote", ",".join(HEADER) + '\nGM0599,"2026-Q1,reported,total,,5\n')
write(H, "multiline_quoted", ",".join(HEADER) + '\n"GM\n0599",2026-Q1,reported,total,,5\n')
write(H, "cr_only", csv_text(small, nl="\r"))
write(H, "blank_lines", ",".join(HEADER) + "\n\n\nGM0599,2026-Q1,reported,total,,5\n\n")
write(H, "nul_in_row", ",".join(HEADER) + "\nGM0599\0Jan Jansen,2021-Q3,reported,total,,5\n")

# ---- the CSV reader (first three bytes: limits; see fuzz_csv_reader.c) -------------------------
H = "fuzz_csv_reader"
clear(H)
DEF = b"\x00\x00\x00"          # default limits, no early stop from the callback
TIGHT = b"\x84\x85\x88"         # small limits: 17-byte fields, 6 fields, 65-byte header
STOP = b"\x00\x40\x00"          # callback stops at row 2
write(H, "small", DEF + csv_text(small).encode())
write(H, "excel_nl", DEF + csv_text(small, sep=";", nl="\r\n", bom=True).encode())
write(H, "quoted", DEF + csv_text(small, quote_all=True, sep=";").encode())
write(H, "tight", TIGHT + csv_text(small).encode())
write(H, "stop", STOP + csv_text(small).encode())
write(H, "embedded", DEF + b'a,b,c\n"x\r\ny","q""uote",\n,,\n"",1,"\n"\n')
write(H, "no_final_newline", DEF + b"a;b\n1;2")
write(H, "ragged", DEF + b"a,b,c\n1\n1,2,3,4\n")
write(H, "bad_quote", DEF + b'a,b\nx"y,2\n')
write(H, "after_quote", DEF + b'a,b\n"x"y,2\n')
write(H, "unterminated", DEF + b'a,b\n"xy,2\n')
write(H, "bom_only", DEF + b"\xef\xbb\xbf")
write(H, "bom_split_header", DEF + b"\xef\xbb\xbfa;b;c\r\n1;2;3\r\n")
write(H, "nul", DEF + b"a,b\n1\x00,2\n")
write(H, "semicolon_in_quotes", DEF + b'"a;b;c",d\n1,2\n')
write(H, "long_field", TIGHT + b"a,b\n" + b"x" * 200 + b",1\n")

# ---- periods and dates ------------------------------------------------------------------------
H = "fuzz_period"
clear(H)
for i, t in enumerate(["2026-Q2", "2026Q1", "2026q4", "2015-Q1", "2014-Q4", "9999-Q4", "1000-Q1",
                       "0999-Q1", "2026-Q5", "2026-Q0", "2026-q3", " 2026-Q1", "2026-Q1 ",
                       "+026-Q1", "2026--Q1", "2026-03-31", "2024-02-29", "2023-02-29",
                       "2100-02-29", "2000-02-29", "2026-13-01", "2026-00-10", "2026-04-31",
                       "1000-01-01", "9999-12-31", "2026-1-01", "2026-01-1 "]):
    write(H, "%02d" % i, t)

# ---- router paths (first byte: the method; 0 GET, 1 HEAD, 2 POST, 3 PUT, 4 DELETE, 5 PATCH,
# 6 OPTIONS, 7 other) ----------------------------------------------------------------------------
H = "fuzz_router_path"
clear(H)
paths = [
    (0, "/healthz"), (0, "/readyz"), (0, "/v1/openapi.json"), (0, "/v1/me"),
    (0, "/v1/municipalities"), (0, "/v1/municipalities/GM0599"), (1, "/v1/municipalities/GM0599"),
    (0, "/v1/region-sets"), (0, "/v1/region-sets/ggd/regions"), (0, "/v1/stages"),
    (0, "/v1/partner-types"), (3, "/v1/municipalities/GM0599/funnels/2026-Q1"),
    (0, "/v1/municipalities/GM0599/funnels/2026-Q1"),
    (4, "/v1/municipalities/GM0599/funnels/2026-Q1"),
    (0, "/v1/municipalities/GM0599/funnels/2026-Q1/revisions"),
    (3, "/v1/municipalities/GM0599/networks/2026-Q1"),
    (0, "/v1/municipalities/GM0599/networks/2026-Q1/revisions"),
    (2, "/v1/imports"), (0, "/v1/funnels"), (0, "/v1/comparisons"), (0, "/v1/completeness"),
    (0, "/v1/networks"), (0, "/"), (0, "/dashboard/app.js"), (0, "/dashboard/../etc/passwd"),
    (5, "/v1/municipalities/GM0599/funnels/2026-Q1"), (2, "/v1/stages"), (7, "/v1/imports"),
    (6, "/v1/imports"), (0, "/v1/municipalities/GM%300599"), (0, "/v1/municipalities/"),
    (0, "/v1/municipalities//funnels/2026-Q1"), (0, "/v1/municipalities/GM0599/"),
    (0, "//v1/stages"), (0, "/v1/municipalities/" + "A" * 64), (0, "/v1/municipalities/" + "A" * 65),
    (0, "v1/stages"), (0, ""), (3, "/v1/municipalities/GM0599/funnels/2026-Q1/extra"),
]
for i, (m, p) in enumerate(paths):
    write(H, "%02d" % i, bytes([m]) + p.encode())

# ---- HTTP framing (first four bytes: limits; see fuzz_http_guard.c) -----------------------------
H = "fuzz_http_guard"
clear(H)
SMALL = bytes([60, 100, 10, 0])     # head 256, body 300, import body 460
DEFAULTS = bytes([0, 0, 0, 0x80])   # the daemon's defaults
GET = b"GET /v1/stages HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer abc\r\n\r\n"
PUT = (b"PUT /v1/municipalities/GM0599/funnels/2026-Q1 HTTP/1.1\r\nHost: x\r\n"
       b"Content-Type: application/json\r\nContent-Length: 40\r\n\r\n"
       b'{"stages":{"reported":{"total":30}}}    ')
CHUNKED = (b"POST /v1/imports HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
           b"Content-Type: text/csv\r\n\r\n"
           b"1a\r\nmunicipality,period,stage\r\n5;ext=1\r\n,dim\n\r\n0\r\nX-Trailer: 1\r\n\r\n")
write(H, "get", DEFAULTS + GET)
write(H, "pipelined", DEFAULTS + GET + PUT + CHUNKED + GET)
write(H, "pipelined_small", SMALL + GET + PUT + CHUNKED + GET)
write(H, "chunked", SMALL + CHUNKED)
write(H, "lf_only", DEFAULTS + GET.replace(b"\r\n", b"\n") + CHUNKED.replace(b"\r\n", b"\n"))
write(H, "leading_blank", DEFAULTS + b"\r\n\r\n" + GET)
write(H, "two_lengths", DEFAULTS + b"POST /v1/imports HTTP/1.1\r\nContent-Length: 5\r\n"
      b"Content-Length: 5\r\n\r\nhello")
write(H, "length_and_chunked", DEFAULTS + b"POST /v1/imports HTTP/1.1\r\nContent-Length: 5\r\n"
      b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
write(H, "gzip", DEFAULTS + b"POST /v1/imports HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")
write(H, "too_large", SMALL + b"PUT /v1/x HTTP/1.1\r\nContent-Length: 99999\r\n\r\n")
write(H, "import_cap", SMALL + b"POST /v1/imports?dry-run=1 HTTP/1.1\r\nContent-Length: 400\r\n\r\n"
      + b"x" * 400)
write(H, "chunk_over_cap", SMALL + b"PUT /v1/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      b"100\r\n" + b"y" * 256 + b"\r\n100\r\n" + b"y" * 256 + b"\r\n0\r\n\r\n")
write(H, "chunk_bad_hex", SMALL + b"PUT /v1/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      b"zz\r\n0\r\n\r\n")
write(H, "chunk_huge", SMALL + b"PUT /v1/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      b"ffffffffffffffff\r\n")
write(H, "length_signs", DEFAULTS + b"PUT /v1/x HTTP/1.1\r\nContent-Length: +5\r\n\r\nhello")
write(H, "head_too_long", SMALL + b"GET /" + b"a" * 400 + b" HTTP/1.1\r\n\r\n")
write(H, "header_case", DEFAULTS + b"PUT /v1/x HTTP/1.1\r\ncontent-length:\t3 \r\n\r\nabc")
# RFC 9112 head syntax (issue 20, items 7-8): each is refused, at once, by the guard.
write(H, "te_space_colon", DEFAULTS + b"POST /v1/imports HTTP/1.1\r\nHost: x\r\n"
      b"Transfer-Encoding : chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
write(H, "te_tab_value", DEFAULTS + b"POST /v1/imports HTTP/1.1\r\nHost: x\r\n"
      b"Transfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n")
write(H, "no_host", DEFAULTS + b"GET /v1/me HTTP/1.1\r\nAuthorization: Bearer a\r\n\r\n")
write(H, "two_hosts", DEFAULTS + b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
write(H, "http10_no_host", DEFAULTS + b"GET /healthz HTTP/1.0\r\n\r\n" + GET)
write(H, "two_authorizations", DEFAULTS + b"GET /v1/me HTTP/1.1\r\nHost: x\r\n"
      b"Authorization: Bearer a\r\nauthorization: Bearer b\r\n\r\n")
write(H, "http2_version", DEFAULTS + b"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n")
write(H, "http2_preface", DEFAULTS + b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
      b"\x00\x00\x12\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x64")
write(H, "nul_method", DEFAULTS + b"G\x00T / HTTP/1.1\r\nHost: x\r\n\r\n")
write(H, "no_colon", DEFAULTS + b"GET / HTTP/1.1\r\nHost: x\r\nX-No-Colon\r\n\r\n")
write(H, "bare_cr", DEFAULTS + b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n")
write(H, "obs_fold", DEFAULTS + b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n")
write(H, "no_version", DEFAULTS + b"GET /healthz\r\n")
write(H, "http09", DEFAULTS + b"GET /\r\n\r\n")
write(H, "two_spaces", DEFAULTS + b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n")
write(H, "bad_targets", DEFAULTS + b"GET //x HTTP/1.1\r\nHost: x\r\n\r\n"
      b"GET http://h:99999/ HTTP/1.1\r\nHost: x\r\n\r\nOPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
write(H, "connect", DEFAULTS + b"CONNECT localhost:443 HTTP/1.1\r\nHost: localhost:443\r\n\r\n"
      b"CONNECT /v1/municipalities HTTP/1.1\r\nHost: x\r\n\r\n")
write(H, "head_with_body", DEFAULTS + b"HEAD / HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n"
      b"GET /v1/me HTTP/1.1\r\nHost: x\r\n\r\n")
write(H, "expect", DEFAULTS + b"PUT /v1/x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
      b"Content-Length: 2\r\n\r\n{}PUT /v1/x HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n")
write(H, "chunk_ext", SMALL + b"PUT /v1/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      b"3\r\nabc\r\n5;name=v\r\nhello\r\n0\r\n\r\n")
write(H, "bad_trailer", SMALL + b"PUT /v1/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      b"3\r\nabc\r\n0\r\nX-Good: 1\r\nno colon\r\n\r\n")
write(H, "chunk_data_no_crlf", SMALL + b"PUT /v1/x HTTP/1.1\r\nHost: x\r\n"
      b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\rX")

# ---- config files -----------------------------------------------------------------------------
H = "fuzz_config"
clear(H)
write(H, "full", """# /etc/trechter/trechterd.conf
listen = 127.0.0.1:8443
tls-cert = /etc/trechter/tls/server.pem
tls-key = /etc/trechter/tls/server.key
tls-client-ca = /etc/trechter/tls/clients.pem
db = host=/run/postgresql dbname=trechter user=trechter
db-read = host=standby dbname=trechter
sdc-secret-file = /etc/trechter/sdc.key
metrics-listen = 127.0.0.1:9464
workers = 4
db-pool-size = 8
db-query-timeout = 10s
import-timeout = 5min
max-body = 1MiB
max-import-body = 32MiB
max-header = 16KiB
header-timeout = 30s
request-timeout = 60000ms
idle-timeout = 1m
shutdown-timeout = 0
max-connections = 4096
rate-limit = 50
rate-burst = 100
address-rate-limit = 12.5
address-burst = 200
outlier-min = 10
outlier-ratio = 50%
sdc-js = 4
sdc-d = 2
rate-min = 10
audit-retention-days = 180
log-level = info
""")
write(H, "minimal", "tls-cert=a\ntls-key=b\ndb=c\nsdc-secret-file=d\n")
write(H, "crlf_comments", "  # comment\r\n\r\nworkers = 2   # trailing\r\nlog-level = debug\r\n")
write(H, "unknown_key", "max-bdy = 1MiB\n")
write(H, "bad_values", "workers = -1\n")
write(H, "sizes", "max-body = 2GiB\nmax-body = 1024\nmax-body = 1K\nmax-body = 18446744073709551615\n")
write(H, "durations", "db-query-timeout = 0.5s\nidle-timeout = 1h\nheader-timeout = 1e3ms\n")
write(H, "rates", "rate-limit = 1e6\nrate-limit = nan\n")
write(H, "no_equals", "listen 127.0.0.1:8443\n")
write(H, "empty_value", "listen =\n")
write(H, "long_line", "db = " + "x" * 5000 + "\n")
write(H, "percent", "outlier-ratio = 100000%\noutlier-ratio = 9999999999999999999\n")

# ---- Authorization header values (first byte: output buffer size - 1) -------------------------
H = "fuzz_bearer"
clear(H)
for i, v in enumerate(["Bearer trk_3q2Vx9bYJc0L_pN8mWZ4tA", "bearer abc.def-ghi~jkl+mno/pqr=",
                       "BEARER    spaced   ", "Bearer ", "Bearer", "Basic dXNlcjpwYXNz",
                       "Bearer a b", "Bearer tok\ten", "Bearer \xc3\xa9t\xc3\xa9",
                       "Bearer " + "A" * 300]):
    write(H, "%02d" % i, bytes([64 if i != 9 else 255]) + v.encode("latin-1"))
write(H, "tiny_buffer", bytes([0]) + b"Bearer x")
write(H, "exact_buffer", bytes([4]) + b"Bearer abcd")


# ---- dictionaries (tests/fuzz/dict/<harness>.dict, libFuzzer's -dict format) --------------------
def dict_entry(tok):
    if isinstance(tok, str):
        tok = tok.encode("utf-8")
    out = ""
    for b in tok:
        c = chr(b)
        out += c if 32 <= b < 127 and c not in '"\\' else "\\x%02X" % b
    return '"' + out + '"'


def write_dict(harness, tokens):
    d = os.path.join(HERE, "dict")
    os.makedirs(d, exist_ok=True)
    seen = []
    for t in tokens:
        if t not in seen:
            seen.append(t)
    with open(os.path.join(d, harness + ".dict"), "w") as f:
        f.write("# %s: written by tests/fuzz/make_seeds.py\n" % harness)
        for t in seen:
            f.write(dict_entry(t) + "\n")


JSON_TOKENS = ["{", "}", "[", "]", ":", ",", '""', "true", "false", "null", "0", "-1", "1000000",
               "1000001", "1.5", "1e3", "\\u0000", "\\ud83d\\ude00", "\\\"", "\\/", "~0", "~1"]
CATALOG_KEYS = (["stages", "total", "breakdowns"] + STAGES + list(DIMS) +
                [c for cats in DIMS.values() for c in cats])
write_dict("fuzz_funnel_doc", JSON_TOKENS + ['"%s"' % k for k in CATALOG_KEYS])
write_dict("fuzz_import_json", JSON_TOKENS + ['"%s"' % k for k in CATALOG_KEYS] +
           ['"municipality"', '"period"', '"GM0599"', '"2026-Q1"', '"2026Q1"', '"2014-Q4"'])
NETWORK_KEYS = (["partners", "approach", "prevention", "socialMapUpdatedOn", "partnerMeetingHeld",
                 "coordinatorAppointed", "trainingsThisYear", "networkMeetingsThisYear",
                 "newsletterIssuesThisYear", "aldermanInvolvedOn", "annualReportPublished",
                 "annualPlanPublished", "expertsByExperienceInvolved"] + CAT["partnerTypes"] +
                CAT["partnerStatuses"] + CAT["preventionPoints"] + CAT["preventionStates"])
write_dict("fuzz_network_doc", JSON_TOKENS + ['"%s"' % k for k in NETWORK_KEYS] +
           ['"2026-03-01"', '"2024-02-29"', '"2025-13-01"', "1000", "1001"])
CSV_TOKENS = [",", ";", '"', '""', "\r\n", "\n", "\r", "\xef\xbb\xbf".encode("latin-1")]
write_dict("fuzz_import_csv", CSV_TOKENS + HEADER + CATALOG_KEYS +
           ["GM0599", "GM599", "2026-Q1", "2026Q2", "2014-Q4", "1000000", "1000001", "-1", "1.0"])
write_dict("fuzz_csv_reader", CSV_TOKENS + ['","', '";"', '"\n"', "\x00"])
write_dict("fuzz_http_guard", ["\r\n", "\n", "\r\n\r\n", "GET ", "POST ", "PUT ", "/v1/imports",
                               "/v1/imports?", " HTTP/1.1", "Host: ", "Content-Length: ",
                               "Content-Length:", "content-length", "Transfer-Encoding: chunked",
                               "Transfer-Encoding:", "chunked", "gzip", "0\r\n\r\n", ";ext=1",
                               "ffffffff", "fffffffffffffff", "18446744073709551616",
                               "999999999999999999", " ", "\t", ":", "\r", "\x00", " HTTP/1.0",
                               " HTTP/2.0", "HTTP/", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "HEAD ",
                               "TRACE ", "CONNECT ", "OPTIONS ", "DELETE ", "get ", " * ", "//",
                               "http://", "https://", "localhost:443", "[::1]", "?", "#",
                               "Authorization: Bearer ", "Content-Type: ", "Idempotency-Key: ",
                               "Expect: 100-continue", "Expect: ", " :", ";name=value", "X-A: a\r\n b"])
write_dict("fuzz_config", ["=", " = ", "#", "\n", "\r\n"] +
           ["listen", "tls-cert", "tls-key", "tls-client-ca", "db", "db-read", "sdc-secret-file",
            "metrics-listen", "workers", "db-pool-size", "db-query-timeout", "import-timeout",
            "max-body", "max-import-body", "max-header", "header-timeout", "request-timeout",
            "idle-timeout", "shutdown-timeout", "max-connections", "rate-limit", "rate-burst",
            "address-rate-limit", "address-burst", "outlier-min", "outlier-ratio", "sdc-js",
            "sdc-d", "rate-min", "audit-retention-days", "log-level"] +
           ["KiB", "MiB", "GiB", "KB", "MB", "GB", "K", "M", "G", "B", "ms", "s", "m", "min", "h",
            "%", "e308", "e-400", "0x1p10", "inf", "nan", "18446744073709551615", "2147483648"])
write_dict("fuzz_router_path", ["/", "/v1", "/v1/municipalities", "/funnels", "/networks",
                                "/revisions", "/region-sets", "/regions", "/dashboard",
                                "/v1/imports", "GM0599", "2026-Q1", "%2F", "..", "~"])
