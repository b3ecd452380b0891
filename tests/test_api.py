"""Tests for the HTTP API through the real app (FastAPI's test client): every endpoint's answers, error shapes, the
offline docs page, and fuzzing from the OpenAPI schema. Security rules: test_security.py; hostile input and
the ways of starting a server: test_probe_*.py."""
import base64
import json
import re
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from probe_helpers import JSON, assert_no_leak, client
from sample_runs import valid_run

from advisor.api.settings import ApiSettings


@pytest.fixture
def api():
    return client()


def test_healthz_and_livez(api):
    health = api.get("/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "ok" and health.json()["catalog"] == "ok" and health.json()["store"] == "ok"
    assert api.get("/livez").json()["status"] == "ok"


def test_plans_with_sources_and_as_of(api):
    plans = api.get("/plans", params={"as_of": "2022-06-01"}).json()
    colab = next(p for p in plans if p["plan_id"] == "colab-free")
    assert colab["as_of"] == "2022-06-01" and colab["sources"]


def test_one_plan_and_unknown_plan_with_close_matches(api):
    assert api.get("/plans/kaggle-free").json()["plan_id"] == "kaggle-free"
    r = api.get("/plans/kagle-free")
    assert r.status_code == 404 and "kaggle-free" in r.json()["error"]
    assert_no_leak(r)


def test_gpus_and_unknown_gpu(api):
    gpus = api.get("/gpus").json()
    assert any(g["gpu_id"] == "t4" for g in gpus)
    assert api.get("/gpus/T4").json()["gpu_id"] == "t4"
    r = api.get("/gpus/t5")
    assert r.status_code == 404 and "did you mean" in r.json()["error"]


def test_recommend_answers_with_ranked_plans(api):
    r = api.post("/recommend", json={"workload": "training", "gpu_mem_gb": 16, "budget_usd": 30})
    body = r.json()
    assert r.status_code == 200 and {"as_of", "workload", "recommendations"} <= set(body)
    assert body["recommendations"] and "plan_id" in body["recommendations"][0]


@pytest.mark.parametrize("body, field", [
    ({"gpu_mem_gb": -1}, "gpu_mem_gb"),  # below range
    ({"workload": "gaming"}, "workload"),  # not a choice
    ({"needs": ["gpu"]}, "needs"),  # unknown need
    ({"colour": "red"}, "colour"),  # unknown field
    ({"as_of": "2999-01-01"}, "as_of"),  # future date
    ({"as_of": "yesterday"}, "as_of"),  # not a date
    ({"gpu_mem_gb": "16"}, "gpu_mem_gb"),  # strict: a string is not a number
])
def test_invalid_input_gets_422_naming_the_field(api, body, field):
    r = api.post("/recommend", json=body)
    assert r.status_code == 422 and field in r.json()["error"]
    assert_no_leak(r)


def test_chat_conversation_and_tampered_state(api):
    r = api.post("/chat", json={}).json()
    assert r["state"] and r["reply"]
    state = api.post("/chat", json={"state": r["state"], "message": "training"}).json()["state"]
    payload, mac = state.rsplit(".", 1)
    forged = json.loads(base64.urlsafe_b64decode(payload))
    forged["step"] = 999
    forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()
    r = api.post("/chat", json={"state": f"{forged_payload}.{mac}", "message": "16 GB"})
    assert r.status_code == 400 and "modified" in r.json()["error"]
    assert api.post("/chat", json={"state": "garbage", "message": "hi"}).status_code == 400


def test_chat_state_from_another_server_is_refused():
    a = client(chat_secret=b"a" * 32)
    b = client(chat_secret=b"b" * 32)
    state = a.post("/chat", json={}).json()["state"]
    assert b.post("/chat", json={"state": state, "message": "training"}).status_code == 400
    assert a.post("/chat", json={"state": state, "message": "training"}).status_code == 200


def test_runs_round_trip(api):
    r = api.post("/runs", content=json.dumps(valid_run()), headers=JSON)
    assert r.status_code == 201
    runs = api.get("/runs").json()["runs"]
    assert any(run["id"] == r.json()["id"] for run in runs)


def test_errors_use_one_shape(api):
    """D22: 404, 405, a JSON syntax error and an undecodable body all answer {"error": ..., "detail": ...}."""
    cases = [api.get("/nope"), api.put("/plans", headers=JSON), api.delete("/runs", headers=JSON),
             api.post("/recommend", content=b'{"a": 1,}', headers=JSON),
             api.post("/recommend", content=b'{"reference_gpu": "\xff"}', headers=JSON)]
    for r in cases:
        assert r.status_code in (404, 405, 422), (r.status_code, r.text)
        assert set(r.json()) == {"error", "detail"}
        assert_no_leak(r)


def test_json_syntax_error_names_the_body_not_an_offset(api):
    """D22: the probe got 'invalid request: 15: JSON decode error'."""
    r = api.post("/recommend", content=b'{"gpu_mem_gb": 16,}', headers=JSON)
    assert r.status_code == 422
    assert r.json()["error"].startswith("invalid request: body: not valid JSON")
    assert not re.search(r"\b\d+: JSON", r.json()["error"])


def test_head_works_on_every_get_route(api):
    """D22: HEAD got 405 everywhere. Every GET route of the schema, /docs and /openapi.json answer HEAD."""
    paths = [p for p, ops in api.get("/openapi.json").json()["paths"].items() if "get" in ops]
    paths = [p.replace("{plan_id}", "colab-free").replace("{gpu_id}", "t4") for p in paths] + ["/docs", "/openapi.json"]
    assert "/healthz" in paths and "/plans" in paths
    for path in paths:
        get, head = api.get(path), api.head(path)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b"" and head.headers.get("content-length") == get.headers.get("content-length")


def test_docs_page_is_offline():
    """D22: /docs loaded Swagger UI from cdn.jsdelivr.net and a favicon from fastapi.tiangolo.com. Now every
    URL it references is on this server, and each of those loads."""
    api = client()
    page = api.get("/docs")
    assert page.status_code == 200 and "swagger" in page.text.lower()
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\s*:\s*["']([^"']+)["']""", page.text)
    urls = [a or b for a, b in urls]
    assert urls and not [u for u in urls if re.match(r"(?i)(https?:)?//", u)], urls
    for url in urls:
        r = api.get(url)
        assert r.status_code == 200 and len(r.content) > 100, url
    # validator.swagger.io would receive the schema: Swagger UI's validator is switched off.
    assert '"validatorUrl": null' in page.text


def test_docs_assets_package_ships_swagger_ui_5():
    """Swagger UI 5 is the first major version that renders OpenAPI 3.1, which FastAPI writes (Swagger UI 4,
    bundled by swagger-ui-bundle 1.1.0, says 'Unable to render this definition')."""
    from advisor.api.docs import swagger_assets

    folder = swagger_assets()
    assert folder is not None, "pip install fastapi-offline"
    bundle = (folder / "swagger-ui-bundle.js").read_text(encoding="utf-8", errors="replace")
    assert client().get("/openapi.json").json()["openapi"].startswith("3.1")
    assert re.search(r'"5\.\d+\.\d+"', bundle)


def test_cors_is_off_unless_configured():
    plain = client()
    r = plain.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    allowed = client(cors_origins=("https://course.example",))
    r = allowed.get("/healthz", headers={"Origin": "https://course.example"})
    assert r.headers["access-control-allow-origin"] == "https://course.example"


# Fuzzing every endpoint from the OpenAPI schema: no input of any shape may produce a 500 or leak.

# The schema is loaded when the module is (schemathesis' lazy from_fixture reads a pytest attribute that pytest 9.2
# no longer has), so the app gets its own store and chat secret rather than the per-test ones.
_FUZZ_DIR = tempfile.TemporaryDirectory(prefix="advisor-fuzz-")
# Schemathesis calls the app as http://testserver: a name this server is told to answer to.
schema = schemathesis.openapi.from_asgi("/openapi.json", client(ApiSettings(
    database_url=str(Path(_FUZZ_DIR.name) / "runs.sqlite"), chat_secret=b"f" * 32,
    allowed_hosts=("testserver",))).app)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_fuzz_no_endpoint_answers_500(case):
    response = case.call(headers=JSON)
    assert response.status_code < 500, (case.method, case.path, response.text[:300])
    assert_no_leak(response.text)


@pytest.mark.parametrize("ask", [{"params": {"fields": "compact"}, "json": {}}, {"json": {"compact": True}}])
def test_recommend_compact_answers_plan_rank_cost_score_and_reason_codes(ask):
    api = client()
    full = api.post("/recommend", json={}).json()
    compact = api.post("/recommend", **ask)
    assert compact.status_code == 200
    body = compact.json()
    assert [r["plan_id"] for r in body["recommendations"]] == [r["plan_id"] for r in full["recommendations"]]
    first = body["recommendations"][0]
    assert set(first) == {"plan_id", "rank", "monthly_cost_usd", "score", "reasons"}
    assert first["reasons"] == [r["code"] for r in full["recommendations"][0]["reasons"]][:3]
    assert len(compact.content) * 5 < len(api.post("/recommend", json={}).content)


def test_recommend_answers_are_cached_per_workload_and_evidence():
    api = client()
    first = api.post("/recommend", json={"session_hours": 3}).content
    assert api.post("/recommend", json={"session_hours": 3}).content == first
    assert api.post("/recommend", json={"session_hours": 5}).content != first
    assert api.post("/recommend", params={"fields": "bogus"}, json={}).status_code == 422


def test_an_unknown_model_in_a_request_is_a_422_naming_the_field():
    # Found by the fuzzer (scale helper, 2026-12-05): {"model": "detail", "samples": 1} gave 500 on /recommend.
    for path in ("/recommend", "/job"):
        response = client().post(path, json={"model": "detail", "samples": 1.0})
        assert response.status_code == 422, (path, response.text)
        assert response.json()["detail"][0]["field"] == "model" and "unknown model 'detail'" in response.text


def test_every_advisor_error_class_answers_a_4xx_or_503_never_500():
    # The class, not the case: any error the advisor reports to a user, raised in any handler, gets a clean answer.
    import inspect

    from fastapi.testclient import TestClient

    import advisor.errors as errors
    from advisor.api import create_app

    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass)
               if issubclass(c, errors.AdvisorError) and not c.__name__.startswith("_")]
    assert len(classes) >= 8
    app = create_app(ApiSettings(allowed_hosts=("testserver",)))
    def raising(cls):
        def boom():
            raise cls("field", "a message") if cls is errors.InvalidWorkloadError else cls("a message")
        return boom

    for cls in classes:
        app.add_api_route(f"/boom-{cls.__name__}", raising(cls))
    api = TestClient(app, raise_server_exceptions=False)
    for cls in classes:
        response = api.get(f"/boom-{cls.__name__}")
        assert 400 <= response.status_code < 500 or response.status_code == 503, (cls.__name__, response.text)
