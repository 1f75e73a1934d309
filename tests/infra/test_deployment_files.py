"""The deployment files are checked, not only written: docker-compose.yml against the Compose Specification's
schema (and by `docker compose config` where the plugin is installed), every Kubernetes manifest against
Kubernetes' own schemas (kubernetes-validate, offline), their cross-references, and the connection budget:
the most connections the app processes may open fits PgBouncer, and PgBouncer fits the server."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.conftest import ROOT

K8S = ROOT / "infra" / "k8s"
KUBERNETES_VERSION = "1.31.0"


def interpolate(text: str) -> str:
    """Compose's ${VAR:-default} / ${VAR} with an empty environment (what `docker compose config` does)."""
    text = re.sub(r"\$\{([A-Z_][A-Z0-9_]*)(?::?-([^}]*))?\}", lambda m: m.group(2) or "", text)
    return text.replace("$$", "$")


def compose() -> dict[str, Any]:
    return yaml.safe_load(interpolate((ROOT / "docker-compose.yml").read_text()))


def manifests() -> list[tuple[Path, dict[str, Any]]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                docs.append((path, doc))
    return docs


def env_of(container: dict[str, Any], configmap: dict[str, str]) -> dict[str, str]:
    values = dict(configmap)
    for item in container.get("env") or []:
        if "value" in item:
            values[item["name"]] = str(item["value"])
    return values


# --- docker-compose.yml ---------------------------------------------------------------------------------------


def test_docker_compose_follows_the_compose_specification() -> None:
    schema = json.loads((ROOT / "infra" / "schemas" / "compose_spec.json").read_text())
    jsonschema.Draft201909Validator(schema).validate(compose())


def test_docker_compose_references_resolve() -> None:
    spec = compose()
    services = spec["services"]
    volumes = set(spec.get("volumes") or {})
    for name, service in services.items():
        for needed in service.get("depends_on") or {}:
            assert needed in services, f"{name} depends on unknown service {needed}"
        for mount in service.get("volumes") or []:
            source = str(mount).split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in volumes, f"{name} mounts undeclared volume {source}"
            elif source.startswith("."):
                assert (ROOT / source).exists(), f"{name} mounts missing file {source}"
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert "pgbouncer:6432" in env["DATABASE_URL"], f"{name} must go through PgBouncer"
    assert services["web"]["environment"]["TRUSTED_PROXIES"] == services["nginx"]["networks"]["default"]["ipv4_address"]


def test_docker_compose_connection_budget() -> None:
    """Every app process's pool fits PgBouncer's client limit; PgBouncer's server pool fits max_connections."""
    services = compose()["services"]
    bouncer = services["pgbouncer"]["environment"]
    pool_max = int(services["web"]["environment"]["DB_POOL_MAX_SIZE"])
    cpus = max(os.cpu_count() or 1, 16)  # web.sh: one worker per CPU; sized for a 16-core host or this one
    processes = cpus + (cpus + 1) + 1  # web workers, a prefork worker's children and parent, beat
    assert processes * pool_max <= int(bouncer["MAX_CLIENT_CONN"])
    server_max = int(services["postgres"]["command"][services["postgres"]["command"].index("-c") + 1].split("=")[1])
    assert int(bouncer["DEFAULT_POOL_SIZE"]) <= server_max - 10  # superuser_reserved_connections and a margin
    assert bouncer["POOL_MODE"] == "session"  # search_path selects the company: never transaction pooling


@pytest.mark.skipif(
    shutil.which("docker") is None
    or subprocess.run(["docker", "compose", "version"], capture_output=True, check=False).returncode != 0,
    reason="the docker compose plugin is not installed here; the schema test above checks the file",
)
def test_docker_compose_config_accepts_the_file() -> None:
    result = subprocess.run(
        ["docker", "compose", "-f", str(ROOT / "docker-compose.yml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


# --- Kubernetes ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(K8S.glob("*.yaml")), ids=lambda p: p.name)
def test_each_kubernetes_manifest_follows_kubernetes_schemas(path: Path) -> None:
    if path.name == "kustomization.yaml":  # kustomize's own file, not a Kubernetes resource
        kustomization = yaml.safe_load(path.read_text())
        for resource in kustomization["resources"]:
            assert (K8S / resource).is_file(), resource
        return
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    assert docs
    for doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_a_manifest_with_a_mistake_is_caught() -> None:
    """The check above can fail: a misspelt field in a Deployment is refused."""
    web = next(
        doc for path, doc in manifests() if doc["kind"] == "Deployment" and doc["metadata"]["name"] == "wuye-web"
    )
    web["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(web, KUBERNETES_VERSION, strict=True)


def test_kubernetes_references_resolve_and_beat_stays_single() -> None:
    docs = manifests()
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for _path, doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    assert all(doc["metadata"].get("namespace", "wuye") == "wuye" for _p, doc in docs if doc["kind"] != "Namespace")
    for hpa in by_kind["HorizontalPodAutoscaler"].values():
        assert hpa["spec"]["scaleTargetRef"]["name"] in by_kind["Deployment"]
    assert "wuye-beat" not in {h["spec"]["scaleTargetRef"]["name"] for h in by_kind["HorizontalPodAutoscaler"].values()}
    assert by_kind["Deployment"]["wuye-beat"]["spec"]["replicas"] == 1
    for deployment in by_kind["Deployment"].values():
        spec = deployment["spec"]["template"]["spec"]
        claims = {
            v["persistentVolumeClaim"]["claimName"] for v in spec.get("volumes") or [] if "persistentVolumeClaim" in v
        }
        assert claims <= set(by_kind.get("PersistentVolumeClaim", {})), claims
        for container in spec["containers"]:
            for source in container.get("envFrom") or []:
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in by_kind["ConfigMap"]
            mounts = {m["name"] for m in container.get("volumeMounts") or []}
            assert mounts <= {v["name"] for v in spec.get("volumes") or []}
    for service in by_kind["Service"].values():
        selector = service["spec"]["selector"]
        assert any(
            selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
            for d in by_kind["Deployment"].values()
        ), service["metadata"]["name"]


def test_kubernetes_connection_budget_at_full_scale() -> None:
    """At every HPA's maximum, the app's pools fit PgBouncer's client limit, and PgBouncer's server pool is
    capped (MAX_DB_CONNECTIONS, to be set at or below the server's max_connections minus its reserve)."""
    docs = manifests()
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for _path, doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    configmap = {k: str(v) for k, v in by_kind["ConfigMap"]["wuye-config"]["data"].items()}
    max_replicas = {
        h["spec"]["scaleTargetRef"]["name"]: h["spec"]["maxReplicas"]
        for h in by_kind["HorizontalPodAutoscaler"].values()
    }
    total = 0
    for name, deployment in by_kind["Deployment"].items():
        if name == "wuye-pgbouncer":
            continue
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        env = env_of(container, configmap)
        pool = int(env["DB_POOL_MAX_SIZE"])
        command = " ".join(container.get("command") or [])
        if "web.sh" in command:
            processes = int(env["WEB_CONCURRENCY"])
        elif " worker" in command:
            processes = int(re.search(r"--concurrency=(\d+)", command).group(1)) + 1  # type: ignore[union-attr]
        else:
            processes = 1
        total += max_replicas.get(name, deployment["spec"]["replicas"]) * processes * pool
    bouncer = env_of(by_kind["Deployment"]["wuye-pgbouncer"]["spec"]["template"]["spec"]["containers"][0], {})
    assert bouncer["POOL_MODE"] == "session"
    assert total <= int(bouncer["MAX_CLIENT_CONN"]), total
    assert int(bouncer["DEFAULT_POOL_SIZE"]) <= int(bouncer["MAX_DB_CONNECTIONS"])
