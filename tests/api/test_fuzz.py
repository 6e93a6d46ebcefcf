"""Fuzzing a real server: schemathesis over the served OpenAPI schema (no 5xx, responses as
documented, valid data by the schema accepted) and hypothesis over websocket messages (any JSON,
text or bytes: an error, the socket and the server stay alive), non-finite numbers in every JSON
body, and checkpoints crafted from a real one (a 422 naming the entry, or a session that keeps
answering). Bounded and derandomized, so CI sees the same cases every run."""

from __future__ import annotations

import json
import time

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from websockets.exceptions import ConnectionClosed
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               positive_data_acceptance,
                                               response_schema_conformance,
                                               status_code_conformance)

from .helpers import Client, auth, create, ws_url

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
CONFIG = {"seed": 20251124, "generation": {"max-examples": 8, "deterministic": True, "mode": "all",
                                           "database": "none"},
          "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
          "request-timeout": 90}  # a step of 10,000 iterations on a loaded machine


# Valid data by the schema must be accepted (positive data acceptance), except where the bound
# depends on state JSON Schema cannot see: which bytes are a checkpoint, which config keys and
# datasets fit the session's kind (2D or image), and which body fields exclude each other.
UNEXPRESSIBLE = {
    "POST /api/sessions/load": "the body must be a GAN Dojo checkpoint (crafted ones: below)",
    "POST /api/sessions": "config keys depend on the dataset's kind; pretrained excludes preset",
    "PATCH /api/sessions/{sid}/config": "a partial config of the session's own kind",
    "POST /api/sessions/{sid}/reset": "the dataset must be of the session's kind",
    "POST /api/sessions/{sid}/lesson": "the step must exist in the chosen lesson, of the session's kind",
    "POST /api/classes/{code}/students": "the session named in the body must exist",
}
TINY = {"batch_size": 1, "k_d": 1, "heatmap_resolution": 8,
        "generator": {"hidden_layers": 0}, "discriminator": {"hidden_layers": 0}}


def test_every_operation_answers_as_documented(server):
    """Valid and invalid requests to every route of the served schema: never a 5xx, and status
    code, content type and body as documented. Routes of one session are fuzzed twice: with
    random ids and tokens, and against a live (tiny, cheap to step) session with its own token, so
    bodies reach the handlers. Sessions the fuzzer creates are ended at once. (A loop over the
    operations rather than schemathesis' pytest plugin, which pytest 9 breaks.)"""
    schema = schemathesis.openapi.from_url(f"{server}/openapi.json",
                                           config=schemathesis.Config.from_dict(CONFIG))
    failures, seen = [], set()
    for result in schema.get_all_operations():
        op = result.ok()
        fuzz(op, server, failures, seen, examples=3 if "{sid}" in op.path else 8)
        if "{sid}" in op.path:
            s = create(server, seed=1, config=TINY)
            fuzz(op, server, failures, seen, examples=5, path_parameters={"sid": s["id"]},
                 headers={"Authorization": f"Bearer {s['token']}"})
            httpx.delete(f"{server}/api/sessions/{s['id']}", headers=auth(s), timeout=30)
    ok = {label for label, status in seen if status < 300}
    assert len(seen) > 60 and len(ok) >= 20, sorted(seen)  # most routes reached their handler
    assert not failures, "\n\n".join(failures)


def fuzz(op, server: str, failures: list[str], seen: set, examples: int, **fixed) -> None:
    """Positive and negative cases for one operation; failures are collected, not raised, and
    the (operation, status) pairs seen are added to `seen`."""
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy(mode, **fixed))
        def run(case):
            positive = mode == GenerationMode.POSITIVE and op.label not in UNEXPRESSIBLE
            response = case.call_and_validate(
                checks=CHECKS + [positive_data_acceptance] if positive else CHECKS)
            seen.add((op.label, response.status_code))
            end_created(server, response)
        try:
            run()
        except Unsatisfiable:  # nothing to negate (no parameters, or free-form strings only)
            continue
        except (Exception, BaseExceptionGroup) as exc:  # collect every failure, then report
            inner = "; ".join(f"{type(e).__name__}: {e}" for e in getattr(exc, "exceptions", ()))
            failures.append(f"{op.label} ({mode.value}, {sorted(fixed)}): {type(exc).__name__}: "
                            f"{exc} {inner}"[:3000])


def end_created(server: str, response) -> None:
    if response.status_code != 201:
        return
    body = response.json()
    if isinstance(body, dict) and "id" in body and "token" in body:
        r = httpx.delete(f"{server}/api/sessions/{body['id']}",
                         headers={"Authorization": f"Bearer {body['token']}"}, timeout=30)
        assert r.status_code == 204


# ---------------------------------------------------------------- websocket
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8),
                                                                               inner, max_size=4),
                    max_leaves=12)
NOT_A_COMMAND = JSON.filter(lambda v: not (isinstance(v, dict) and "cmd" in v))
# known command names with arbitrary arguments (no step/play/slowmo: they only spend time)
NAMED = st.builds(lambda name, args: {**args, "cmd": name},
                  st.sampled_from(["config", "speed", "drs", "points", "reset", "knob", "preset",
                                   "pause", "snapshot", "no-such-command"]),
                  st.dictionaries(st.sampled_from(["config", "n", "on", "percentile", "points", "name",
                                                   "seed", "dataset", "iterations_per_frame", "x"]),
                                  JSON, max_size=3))
FUZZ = settings(max_examples=60, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def socket(server):
    s = create(server, dataset="gaussians", seed=1)
    with Client(ws_url(server, s)) as c:
        c.wait_message(lambda m: m.get("type") == "hello")
        yield c
    httpx.delete(f"{server}/api/sessions/{s['id']}", headers={"Authorization": f"Bearer {s['token']}"})


def reply_to(c: Client, payload: str | bytes, timeout: float = 30.0) -> dict:
    """Send one message and return the ack or error it gets (frames and events are skipped)."""
    c.ws.send(payload)
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        msg = c.ws.recv(timeout=left)
        if isinstance(msg, str) and json.loads(msg).get("type") in ("ack", "error"):
            return json.loads(msg)
    raise AssertionError(f"no ack or error within {timeout} s for {payload[:80]!r}")


def alive(c: Client, server: str) -> None:
    assert reply_to(c, json.dumps({"cmd": "snapshot"}))["type"] == "ack"
    assert httpx.get(f"{server}/api/health", timeout=10).status_code == 200


@FUZZ
@given(value=NOT_A_COMMAND)
def test_any_json_that_is_not_a_command_gets_an_error(socket, server, value):
    assert reply_to(socket, json.dumps(value))["type"] == "error"
    alive(socket, server)


@FUZZ
@given(cmd=NAMED)
def test_commands_with_arbitrary_arguments_get_an_ack_or_an_error(socket, server, cmd):
    reply = reply_to(socket, json.dumps(cmd))
    assert reply["type"] in ("ack", "error")
    if reply["type"] == "error":
        assert reply["detail"]
    alive(socket, server)


@FUZZ
@given(data=st.text(max_size=200) | st.binary(max_size=200))
def test_arbitrary_text_and_bytes_get_an_error(socket, server, data):
    if isinstance(data, str):
        try:
            value = json.loads(data)
        except ValueError:
            value = None
        if isinstance(value, dict) and "cmd" in value:
            return
    assert reply_to(socket, data)["type"] == "error"
    alive(socket, server)


@settings(max_examples=6, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(extra=st.integers(1, 64 * 1024 - 100), binary=st.booleans())
def test_oversize_messages_get_an_error_and_the_socket_stays_open(socket, server, extra, binary):
    """Messages over the server's limit (64 KiB) and under the protocol cap (2× the limit)."""
    size = 64 * 1024 + extra
    payload = b"\0" * size if binary else json.dumps({"cmd": "points", "points": "x" * size})
    reply = reply_to(socket, payload)
    assert reply["type"] == "error"
    if not binary:
        assert "limit" in reply["detail"]
    alive(socket, server)


def test_beyond_the_protocol_cap_only_that_socket_closes(server):
    """Past uvicorn's ws_max_size (2× the limit) the protocol layer closes that socket with 1009
    (message too big) before the app sees the message; the session and the server carry on."""
    s = create(server, seed=2)
    with Client(ws_url(server, s)) as c:
        c.wait_message(lambda m: m.get("type") == "hello")
        c.ws.send("x" * (300 * 1024))
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                c.ws.recv(timeout=10)
        assert closed.value.rcvd.code == 1009
    with Client(ws_url(server, s)) as c:
        c.wait_message(lambda m: m.get("type") == "hello")
        alive(c, server)
    httpx.delete(f"{server}/api/sessions/{s['id']}", headers=auth(s))


# ---------------------------------------------------------------- non-finite numbers in JSON
# Python's json (and so FastAPI) reads NaN, Infinity and 1e400 as floats; each must be refused
# with a 422 naming the field (it used to be a 500, and the keep-alive connection was reset)
NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e400"]
BODIES = [  # (method, path tail ('' = POST /api/sessions), body template with {x}, field named)
    ("POST", None, '{{"seed": {x}}}', "seed"),
    ("POST", None, '{{"config": {{"generator": {{"lr": {x}}}}}}}', "lr"),
    ("POST", "/step", '{{"n": {x}}}', "n"),
    ("POST", "/reset", '{{"seed": {x}}}', "seed"),
    ("POST", "/drs", '{{"on": true, "percentile": {x}}}', "percentile"),
    ("POST", "/save", '{{"keep": {x}}}', "keep"),
    ("POST", "/knob", '{{"name": {x}}}', "name"),
    ("POST", "/link", '{{"follower": {x}, "follower_token": "t"}}', "follower"),
    ("PUT", "/points", '{{"points": [[{x}, 0.5]]}}', "points"),
    ("PATCH", "/config", '{{"discriminator": {{"lr": {x}}}}}', "lr"),
]


@pytest.mark.parametrize("method,tail,template,field", BODIES, ids=[f"{b[1] or 'create'}-{b[3]}"
                                                                      for b in BODIES])
def test_non_finite_numbers_in_a_json_body_get_a_422_naming_the_field(server, method, tail,
                                                                      template, field):
    s = create(server, seed=1, config=TINY)
    url = f"{server}/api/sessions" + ("" if tail is None else f"/{s['id']}{tail}")
    with httpx.Client(timeout=30) as client:  # one keep-alive connection for every case
        for x in NON_FINITE:
            r = client.request(method, url, content=template.format(x=x).encode(),
                               headers={**auth(s), "content-type": "application/json"})
            assert r.status_code == 422, (x, r.status_code, r.text)
            detail = r.json()["detail"]
            assert any(field in map(str, e["loc"]) for e in detail), (x, detail)
        assert client.get(f"{server}/api/sessions/{s['id']}").status_code == 200  # still connected
    httpx.delete(f"{server}/api/sessions/{s['id']}", headers=auth(s), timeout=30)


# ---------------------------------------------------------------- crafted checkpoints
def header_of(data: bytes) -> tuple[dict, bytes]:
    n = int.from_bytes(data[:8], "little")
    return json.loads(data[8:8 + n]), data[8 + n:]


def with_header(header: dict, body: bytes) -> bytes:
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return len(raw).to_bytes(8, "little") + raw + body


@pytest.fixture(scope="module")
def real_checkpoint(server) -> bytes:
    """A real checkpoint of a session trained on uploaded points (so it has a view and points),
    with a momentum buffer in D's optimizer."""
    s = create(server, seed=5, config={**TINY, "discriminator": {"hidden_layers": 1, "momentum": 0.5}})
    base = f"{server}/api/sessions/{s['id']}"
    assert httpx.put(f"{base}/points.csv", content=b"0.2,0.3\n0.7,0.6\n", headers=auth(s),
                     timeout=30).status_code == 200
    httpx.post(f"{base}/step", json={"n": 3}, headers=auth(s), timeout=30)
    data = httpx.get(f"{base}/checkpoint", timeout=30).content
    httpx.delete(base, headers=auth(s), timeout=30)
    return data


SAME_SIZE_DTYPES = {"F32": ["I32", "U32"], "U8": ["I8", "BOOL"], "I64": ["F64", "U64"]}
MUTATION = st.tuples(st.integers(0, 10_000), st.sampled_from(["reshape", "dtype", "meta"]),
                     st.sampled_from(["seed", "iteration", "view", "dataset", "optimizers", "config"]),
                     st.one_of(st.integers(-2**70, 2**70).map(str), st.text(max_size=12),
                               st.sampled_from(["NaN", "1e309", "[[0,1],[0,1e309]]", "[[1,0],[0,1]]",
                                                "[[0,1]]", "-1", "{}", "[]", "gaussians", "csv"])))


def mutate(header: dict, mutation: tuple) -> dict:
    """One change to a real header: a tensor re-declared with another shape (same element count)
    or dtype (same size), or a metadata field given another value."""
    pick, kind, key, value = mutation
    names = sorted(k for k in header if k != "__metadata__")
    entry = header[names[pick % len(names)]]
    if kind == "reshape":
        n = 1
        for d in entry["shape"]:
            n *= d
        entry["shape"] = [n] if len(entry["shape"]) != 1 else [1, n]
    elif kind == "dtype" and entry["dtype"] in SAME_SIZE_DTYPES:
        entry["dtype"] = SAME_SIZE_DTYPES[entry["dtype"]][pick % 2]
    else:
        header["__metadata__"][key] = value
    return header


@settings(max_examples=25, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(mutation=MUTATION)
def test_crafted_checkpoints_get_a_422_naming_the_entry_or_a_session_that_answers(
        server, real_checkpoint, mutation):
    header, body = header_of(real_checkpoint)
    crafted = with_header(mutate(header, mutation), body)
    r = httpx.post(f"{server}/api/sessions/load", content=crafted, timeout=60,
                   headers={"content-type": "application/octet-stream"})
    assert r.status_code in (201, 422), (mutation, r.status_code, r.text[:300])
    if r.status_code == 422:
        assert r.json()["detail"][0]["msg"], r.text
        return
    s = r.json()  # loaded (a harmless change): it must train and keep answering
    base = f"{server}/api/sessions/{s['id']}"
    for method, tail, body_ in (("POST", "/step", {"n": 2}), ("POST", "/pause", None),
                                ("GET", "/snapshot", None), ("POST", "/reset", {})):
        answer = httpx.request(method, base + tail, json=body_, headers=auth(s), timeout=30)
        assert answer.status_code in (200, 409), (mutation, tail, answer.text[:300])
    httpx.delete(base, headers=auth(s), timeout=30)
