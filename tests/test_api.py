"""Tests for the HTTP API through the real app (FastAPI's test client), plus fuzzing from the OpenAPI schema."""
import json
import threading

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from advisor.api import create_app
from advisor.store import RunStore
from sample_runs import valid_run


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "runs.sqlite")


@pytest.fixture
def client(store):
    return TestClient(create_app(store=store, api_token=""), raise_server_exceptions=False)


def test_healthz(client):
    assert client.get("/healthz").json()["status"] == "ok"


def test_plans_with_sources_and_as_of(client):
    plans = client.get("/plans", params={"as_of": "2022-06-01"}).json()
    colab = next(p for p in plans if p["plan_id"] == "colab-free")
    assert colab["score"]["mean"] == 10773 and colab["as_of"] == "2022-06-01" and colab["sources"]


def test_one_plan_and_unknown_plan_with_close_matches(client):
    assert client.get("/plans/kaggle-free").json()["plan_id"] == "kaggle-free"
    r = client.get("/plans/kagle-free")
    assert r.status_code == 404 and "did you mean kaggle-free" in r.json()["error"]


def test_gpus_and_unknown_gpu(client):
    gpus = client.get("/gpus").json()
    l4 = next(g for g in gpus if g["gpu_id"] == "l4")
    assert l4["scores"]["ai"]["estimated"] is True and l4["source"]["source"]
    assert client.get("/gpus/T4").json()["gpu_id"] == "t4"
    r = client.get("/gpus/t5")
    assert r.status_code == 404 and "did you mean" in r.json()["error"]


def test_recommend_matches_the_cli_fields(client):
    r = client.post("/recommend", json={"workload": "training", "gpu_mem_gb": 16, "needs": ["private"], "budget_usd": 30})
    body = r.json()
    assert r.status_code == 200 and set(body) == {"as_of", "workload", "recommendations"}
    rec = body["recommendations"][0]
    for key in ("plan_id", "platform", "plan", "feasible", "reasons", "monthly_cost_usd", "score", "usd_per_1k_score"):
        assert key in rec


def test_recommend_article_world(client):
    body = client.post("/recommend", json={"free_only": True, "as_of": "2022-06-01"}).json()
    ids = [r["plan_id"] for r in body["recommendations"]]
    assert ids.index("colab-free") < ids.index("gradient-free")


@pytest.mark.parametrize("body, field", [
    ({"gpu_mem_gb": -1}, "gpu_mem_gb"),  # below range
    ({"workload": "gaming"}, "workload"),  # not a choice
    ({"needs": ["gpu"]}, "needs"),  # unknown need
    ({"colour": "red"}, "colour"),  # unknown field
    ({"reference_hours": 2}, "reference_hours"),  # no reference device
    ({"as_of": "2999-01-01"}, "as_of"),  # future date
    ({"as_of": "yesterday"}, "as_of"),  # not a date
])
def test_invalid_input_gets_422_naming_the_field(client, body, field):
    r = client.post("/recommend", json=body)
    assert r.status_code == 422
    assert field in r.json()["error"]


def test_unknown_reference_gpu_is_404_with_close_matches(client):
    r = client.post("/recommend", json={"reference_hours": 2, "reference_gpu": "k81"})
    assert r.status_code == 404 and "did you mean" in r.json()["error"]


def test_chat_conversation_to_a_recommendation(client):
    r = client.post("/chat", json={}).json()
    for message in ["training", "16 GB", "6 hours", "40", "one", "free only", "doesn't matter", "none"]:
        r = client.post("/chat", json={"state": r["state"], "message": message}).json()
    assert r["done"] and r["recommendations"]
    assert "Your answers" in r["reply"]


def test_tampered_chat_state_is_rejected(client):
    state = client.post("/chat", json={"message": "training"}).json()["state"]
    payload, mac = state.rsplit(".", 1)
    import base64

    forged = json.loads(base64.urlsafe_b64decode(payload))
    forged["answers"]["budget"] = [1000, False]
    forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()
    r = client.post("/chat", json={"state": f"{forged_payload}.{mac}", "message": "16 GB"})
    assert r.status_code == 400 and "modified" in r.json()["error"]
    assert client.post("/chat", json={"state": "garbage", "message": "hi"}).status_code == 400


def test_chat_state_from_another_server_is_rejected(store):
    a = TestClient(create_app(store=store, chat_secret=b"a" * 32))
    b = TestClient(create_app(store=store, chat_secret=b"b" * 32))
    state = a.post("/chat", json={}).json()["state"]
    assert b.post("/chat", json={"state": state, "message": "training"}).status_code == 400


def test_runs_round_trip(client):
    r = client.post("/runs", content=json.dumps(valid_run()))
    assert r.status_code == 201
    runs = client.get("/runs").json()
    assert len(runs) == 1 and runs[0]["id"] == r.json()["id"] and runs[0]["scores"]["ai"] == 12000
    assert client.get("/runs", params={"platform": "kaggle-free"}).json() == []


@pytest.mark.parametrize("body, field", [
    ("{not json", "not JSON"),
    (json.dumps(valid_run(mode="turbo")), "mode"),
    (json.dumps(valid_run(scores={"ai": -5})), "scores.ai"),
    (json.dumps(valid_run(scores={"ai": 1e12})), "scores.ai"),
    ('{"mode": NaN}', "NaN"),
])
def test_bad_runs_get_422_naming_the_field(client, body, field):
    r = client.post("/runs", content=body)
    assert r.status_code == 422 and field in r.json()["error"]


def test_token_rules(store):
    with_token = TestClient(create_app(store=store, api_token="s3cret"))
    assert with_token.post("/runs", content=json.dumps(valid_run())).status_code == 401
    assert with_token.post("/runs", content=json.dumps(valid_run()),
                           headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert with_token.post("/runs", content=json.dumps(valid_run()),
                           headers={"Authorization": "Bearer s3cret"}).status_code == 201
    # Listening beyond loopback without a token: writing is refused, reading still works.
    public = TestClient(create_app(store=store, bind_host="0.0.0.0", api_token=""))
    r = public.post("/runs", content=json.dumps(valid_run()))
    assert r.status_code == 403 and "ADVISOR_API_TOKEN" in r.json()["error"]
    assert public.get("/runs").status_code == 200
    # Loopback without a token may write.
    local = TestClient(create_app(store=store, bind_host="127.0.0.1", api_token=""))
    assert local.post("/runs", content=json.dumps(valid_run())).status_code == 201


def test_body_cap(client):
    big = json.dumps(valid_run(note="x" * 1_100_000))
    r = client.post("/runs", content=big)
    assert r.status_code == 413
    r = client.post("/recommend", content=b"{" + b" " * 1_000_001 + b"}", headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_cors_is_off_unless_configured(store):
    plain = TestClient(create_app(store=store, cors_origins=[]))
    r = plain.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    allowed = TestClient(create_app(store=store, cors_origins=["https://course.example"]))
    r = allowed.get("/healthz", headers={"Origin": "https://course.example"})
    assert r.headers["access-control-allow-origin"] == "https://course.example"


def test_errors_reveal_no_paths_or_traces(client):
    for r in (client.post("/recommend", json={"gpu_mem_gb": "x"}), client.get("/plans/nope"),
              client.post("/runs", content="[]"), client.post("/chat", json={"state": "x.y"})):
        text = r.text
        assert "Traceback" not in text and "/work/" not in text and ".py" not in text


def test_concurrent_posts_lose_nothing(store):
    client = TestClient(create_app(store=store, api_token=""))
    errors = []

    def post(i):
        r = client.post("/runs", content=json.dumps(valid_run(note=f"run {i}")))
        if r.status_code != 201:
            errors.append(r.text)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    notes = sorted(r["note"] for r in client.get("/runs", params={"limit": 1000}).json())
    assert notes == sorted(f"run {i}" for i in range(40))


# Fuzzing every endpoint from the OpenAPI schema: no input of any shape may produce a 500.

def _fuzz_app(tmp_path_factory):
    return create_app(store=RunStore(tmp_path_factory.mktemp("fuzz") / "runs.sqlite"), api_token="")


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    return schemathesis.openapi.from_asgi("/openapi.json", _fuzz_app(tmp_path_factory))


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_fuzz_no_endpoint_answers_500(case):
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, response.text[:300])


def test_serve_runs_a_real_uvicorn_on_loopback(tmp_path):
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from conftest import ROOT

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, ADVISOR_RUNS_DB=str(tmp_path / "runs.sqlite"))
    server = subprocess.Popen([sys.executable, "-m", "advisor", "serve", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    assert json.loads(r.read())["status"] == "ok"
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("server did not start")
        request = urllib.request.Request(f"http://127.0.0.1:{port}/recommend", data=b'{"free_only": true}',
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as r:
            assert json.loads(r.read())["recommendations"][0]["feasible"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=5) as r:
            assert "/recommend" in json.loads(r.read())["paths"]
    finally:
        server.terminate()
        server.wait(10)
