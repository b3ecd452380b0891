"""Probe suite: catalog breakages seen through the API (D12, D17). A BOM or CRLF line endings are harmless; any
other breakage makes every catalog endpoint answer 503 naming the file (never 500, never a path), /healthz
answer 503 saying so, and /livez stay 200. The loader's own file/line/field messages: test_catalog.py."""
import pytest
from probe_helpers import JSON, assert_no_leak, client

from advisor.api.settings import ApiSettings

CATALOG_CALLS = [("GET", "/plans", None), ("GET", "/gpus", None), ("GET", "/plans/colab-free", None),
                 ("GET", "/gpus/t4", None), ("POST", "/recommend", {}), ("POST", "/chat", {})]


def _api(data_dir):
    return client(ApiSettings.from_env(data_dir=str(data_dir), chat_secret=b"c" * 32))


def _call(api, method, path, body):
    return api.request(method, path, json=body, headers=JSON) if body is not None else api.request(method, path)


def _break_duplicate_row(folder):
    plans = folder / "plans.csv"
    lines = plans.read_text(encoding="utf-8").splitlines()
    plans.write_text("\n".join(lines + [lines[1]]) + "\n", encoding="utf-8")


def _break_half_written(folder):
    plans = folder / "plans.csv"
    plans.write_bytes(plans.read_bytes()[:300])


def _break_directory(folder):
    (folder / "plans.csv").unlink()
    (folder / "plans.csv").mkdir()


def _break_missing(folder):
    (folder / "gpus.csv").unlink()


def _break_not_utf8(folder):
    path = folder / "gpus.csv"
    path.write_bytes(path.read_bytes().replace(b"Tesla", b"T\xe9sla", 1))


@pytest.mark.parametrize("breakage, file", [
    (_break_duplicate_row, "plans.csv"),  # the probe's live case
    (_break_half_written, ".csv, line"),  # `head -c 300`: the first file whose rows no longer match is named
    (_break_directory, "plans.csv"),  # D17: gave 500 and a path
    (_break_missing, "gpus.csv"),
    (_break_not_utf8, "gpus.csv"),
])
def test_D17_a_broken_catalog_gives_503_everywhere_and_healthz_says_so(shipped_dir, breakage, file):
    breakage(shipped_dir)
    api = _api(shipped_dir)
    for method, path, body in CATALOG_CALLS:
        r = _call(api, method, path, body)
        assert r.status_code == 503, (method, path, r.status_code, r.text[:300])
        assert file in r.json()["error"] and "catalog" in r.json()["error"]
        assert r.headers.get("retry-after")
        assert_no_leak(r)
    health = api.get("/healthz")
    assert health.status_code == 503
    assert health.json()["catalog"].startswith("broken:") and file in health.json()["catalog"]
    assert health.json()["store"] == "ok" and "catalog" in health.json()["error"]
    assert_no_leak(health)
    assert api.get("/livez").status_code == 200  # liveness: the process answers; restarting it fixes nothing


def test_D17_healthz_recovers_when_the_file_is_restored(shipped_dir):
    good = (shipped_dir / "plans.csv").read_bytes()
    api = _api(shipped_dir)
    assert api.get("/healthz").status_code == 200
    _break_half_written(shipped_dir)
    assert api.get("/healthz").status_code == 503 and api.get("/plans").status_code == 503
    (shipped_dir / "plans.csv").write_bytes(good)
    assert api.get("/healthz").status_code == 200 and api.get("/plans").status_code == 200


@pytest.mark.parametrize("change", [
    lambda text: "\ufeff" + text,  # D12: Excel's "CSV UTF-8" writes a BOM
    lambda text: text.replace("\n", "\r\n"),  # Windows line endings
])
def test_D12_bom_and_crlf_are_accepted_by_every_endpoint(shipped_dir, change):
    for name in ("plans.csv", "gpus.csv", "plan_facts.csv"):
        path = shipped_dir / name
        path.write_bytes(change(path.read_text(encoding="utf-8")).encode("utf-8"))
    api = _api(shipped_dir)
    assert api.get("/healthz").status_code == 200
    for method, path, body in CATALOG_CALLS:
        assert _call(api, method, path, body).status_code == 200, path
