"""examples/kubernetes/ (issue 9): no cluster is reachable here, so the manifests are parsed and
their cross-references checked — selectors match pod labels, Services point at named container
ports, Secret keys exist, the Role allows only pods get/list and pods/exec in the sandbox
namespace, probes hit /readyz and /healthz, node comes from the pod name — and the embedded
harnessd.toml is loaded by the real harnessd (--print-config)."""

import subprocess
from pathlib import Path

import pytest

import harness_env as he

yaml = pytest.importorskip("yaml")

DIR = Path(__file__).resolve().parents[2] / "examples" / "kubernetes"


def docs():
    out = []
    for f in sorted(DIR.glob("*.yaml")):
        out += [d for d in yaml.safe_load_all(f.read_text()) if d]
    return out


def find(kind, name=None):
    got = [d for d in docs() if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert got, f"no {kind} {name or ''}"
    return got


def one(kind, name):
    [d] = find(kind, name)
    return d


def pod_labels(workload):
    return workload["spec"]["template"]["metadata"]["labels"]


def test_every_workload_selects_its_own_pods_and_services_reach_them():
    namespaces = {d["metadata"]["name"] for d in find("Namespace")}
    workloads = find("Deployment") + find("StatefulSet")
    for w in workloads:
        assert w["metadata"]["namespace"] in namespaces
        sel = w["spec"]["selector"]["matchLabels"]
        assert sel.items() <= pod_labels(w).items(), w["metadata"]["name"]
    for svc in find("Service"):
        ns = svc["metadata"]["namespace"]
        targets = [w for w in workloads if w["metadata"]["namespace"] == ns
                   and svc["spec"]["selector"].items() <= pod_labels(w).items()]
        assert len(targets) == 1, svc["metadata"]["name"]
        ports = {p["name"]: p["containerPort"]
                 for c in targets[0]["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])}
        for p in svc["spec"]["ports"]:
            assert p["targetPort"] in ports, (svc["metadata"]["name"], p)
    assert one("StatefulSet", "redis")["spec"]["serviceName"] == "redis"


def test_harnessd_deployment_three_replicas_node_from_pod_name_probes_and_secrets():
    d = one("Deployment", "harnessd")
    assert d["spec"]["replicas"] == 3
    pod = d["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == one("ServiceAccount", "harnessd")["metadata"]["name"]
    [c] = pod["containers"]
    env = {e["name"]: e for e in c["env"]}
    assert env["HARNESS_NODE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    secret = one("Secret", "harnessd-secrets")
    keys = set(secret["stringData"])
    for e in c["env"]:
        ref = e.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            assert ref["name"] == "harnessd-secrets" and ref["key"] in keys, e
    for vol in pod["volumes"]:
        if "secret" in vol:
            assert vol["secret"]["secretName"] == "harnessd-secrets"
            assert {i["key"] for i in vol["secret"]["items"]} <= keys
    port = {p["name"]: p["containerPort"] for p in c["ports"]}["api"]
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "api"}
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "api"}
    assert f'listen = "0.0.0.0:{port}"' in secret["stringData"]["harnessd.toml"]
    assert secret["stringData"]["store-url"].startswith("redis://")
    assert "redis.harness.svc:6379" in secret["stringData"]["store-url"]
    redis = one("StatefulSet", "redis")
    [rc] = redis["spec"]["template"]["spec"]["containers"]
    args = " ".join(rc["args"])
    assert "--appendonly yes" in args and "--appendfsync always" in args
    assert {e["valueFrom"]["secretKeyRef"]["key"] for e in rc["env"]} <= keys


def test_the_role_allows_only_pod_lookup_and_exec_in_the_sandbox_namespace():
    role = one("Role", "harnessd-sandbox")
    ns = role["metadata"]["namespace"]
    rules = {(tuple(r["apiGroups"]), res): set(r["verbs"]) for r in role["rules"] for res in r["resources"]}
    assert rules == {(("",), "pods"): {"get", "list"}, (("",), "pods/exec"): {"create", "get"}}
    binding = one("RoleBinding", "harnessd-sandbox")
    assert binding["metadata"]["namespace"] == ns
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    [subject] = binding["subjects"]
    sa = one("ServiceAccount", subject["name"])
    assert subject["namespace"] == sa["metadata"]["namespace"] == "harness"
    assert not [d for d in docs() if d["kind"] in ("ClusterRole", "ClusterRoleBinding")]
    # The sandbox pods live where the Role applies and carry the configured selector.
    sandbox = one("Deployment", "sandbox")
    assert sandbox["metadata"]["namespace"] == ns
    toml = one("Secret", "harnessd-secrets")["stringData"]["harnessd.toml"]
    assert f'namespace = "{ns}"' in toml
    k, v = next(iter(pod_labels(sandbox).items()))
    assert f'selector = "{k}={v}"' in toml


def test_the_embedded_config_is_accepted_by_harnessd(tmp_path):
    toml = one("Secret", "harnessd-secrets")["stringData"]["harnessd.toml"]
    cfg = tmp_path / "harnessd.toml"
    cfg.write_text(toml)
    p = subprocess.run([he.harnessd_path(), "--config", str(cfg), "--state-dir", str(tmp_path / "s"),
                        "--node", "harnessd-7c9f-abcde", "--print-config"],
                       capture_output=True, text=True, timeout=30, env={"PATH": "/usr/bin:/bin"})
    assert p.returncode == 0, p.stderr
    assert 'node = "harnessd-7c9f-abcde"' in p.stdout
    assert 'driver = "kubectl"' in p.stdout
