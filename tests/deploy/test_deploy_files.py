"""The deployment files agree with the product: commands, settings, probes and metric names.

Docker cannot run here, so these tests check what a container runtime would otherwise find out
late: a command or option the CLI does not have, a ``BRANDLOOM_*`` variable no setting reads, a
probe on the wrong path, a dashboard query on a metric that is never exported.
"""

from __future__ import annotations

import fnmatch
import importlib
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from brandloom.cli.app import app
from brandloom.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
COMPOSE = ROOT / "docker-compose.yml"
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
DASHBOARD = DEPLOY / "grafana" / "brandloom-dashboard.json"
PROMETHEUS = DEPLOY / "prometheus" / "prometheus.yml"
DOCS = ROOT / "docs" / "deployment.md"

YAML_FILES = sorted([COMPOSE, *DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")])
K8S_FILES = sorted(K8S.glob("*.yaml"))
# Every file that names BRANDLOOM_* variables or runs brandloom commands.
DEPLOYMENT_FILES = [DOCKERFILE, *YAML_FILES, DOCS]

# The metrics contract: name -> (type, label names). Dashboards and alerts depend on these names.
METRICS: dict[str, tuple[str, frozenset[str]]] = {
    "brandloom_http_request_duration_seconds": (
        "histogram",
        frozenset({"method", "route", "status"}),
    ),
    "brandloom_documents_rendered_total": ("counter", frozenset({"format"})),
    "brandloom_qa_documents_total": ("counter", frozenset({"status"})),
    "brandloom_qa_issues_total": ("counter", frozenset({"code"})),
    "brandloom_chunks_processed_total": ("counter", frozenset({"outcome"})),
    "brandloom_chunk_duration_seconds": ("histogram", frozenset()),
    "brandloom_jobs": ("gauge", frozenset({"state"})),
    "brandloom_queue_depth": ("gauge", frozenset({"queue"})),
    "brandloom_worker_last_heartbeat_timestamp_seconds": ("gauge", frozenset({"worker"})),
    "brandloom_workers_alive": ("gauge", frozenset()),
    "brandloom_cache_requests_total": ("counter", frozenset({"cache", "result"})),
}
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _load_all(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as fh:
        return [doc for doc in yaml.safe_load_all(fh) if doc is not None]


def _load(path: Path) -> Any:
    docs = _load_all(path)
    assert len(docs) == 1, f"{_rel(path)}: expected one YAML document, found {len(docs)}"
    return docs[0]


# --------------------------------------------------------------------------------------------
# Dockerfile
# --------------------------------------------------------------------------------------------


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, args = full.partition(" ")
        instructions.append((keyword.upper(), args.strip()))
    assert not pending, "Dockerfile ends in a line continuation"
    return instructions


def _final_stage() -> list[tuple[str, str]]:
    instructions = _dockerfile_instructions()
    last_from = max(i for i, (kw, _) in enumerate(instructions) if kw == "FROM")
    return instructions[last_from:]


def _exec_form(args: str) -> list[str]:
    parsed = json.loads(args)
    assert isinstance(parsed, list), f"not an exec-form (JSON array) instruction: {args}"
    assert all(isinstance(a, str) for a in parsed)
    return parsed


def test_dockerfile_is_multi_stage_on_python_slim_and_installs_a_built_wheel() -> None:
    instructions = _dockerfile_instructions()
    froms = [args for kw, args in instructions if kw == "FROM"]
    assert len(froms) >= 2, "the Dockerfile must build in one stage and run in another"
    assert all(args.split()[0] == "python:3.12-slim" for args in froms), froms
    builder_stage = froms[0].split()[-1]
    runs = [args for kw, args in instructions if kw == "RUN"]
    assert any("pip wheel" in r for r in runs), "the builder stage must build wheels"
    final_runs = [args for kw, args in _final_stage() if kw == "RUN"]
    installs = [r for r in final_runs if "pip install" in r]
    assert installs, "the runtime stage must install the built wheel"
    assert any(f"from={builder_stage}" in r for r in installs) or any(
        kw == "COPY" and f"--from={builder_stage}" in args for kw, args in _final_stage()
    ), "the runtime stage must take the wheels from the builder stage"
    assert any("--no-index" in r for r in installs), "runtime installs only the built wheels"


def test_dockerfile_runs_as_a_fixed_non_root_user() -> None:
    users = [args for kw, args in _final_stage() if kw == "USER"]
    assert users, "the runtime stage has no USER: it would run as root"
    user = users[-1].split(":")[0]
    assert user.isdigit(), f"USER {users[-1]}: use a numeric UID so runAsNonRoot can verify it"
    assert int(user) != 0
    # Kubernetes pods must run as the same UID the image's files belong to.
    for path in (K8S / "api-deployment.yaml", K8S / "worker-deployment.yaml"):
        pod = _load(path)["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsUser"] == int(user), _rel(path)


def test_dockerfile_exposes_ports_declares_the_data_volume_and_healthchecks() -> None:
    final = _final_stage()
    exposed = {p.split("/")[0] for kw, args in final if kw == "EXPOSE" for p in args.split()}
    assert {"8000", "9102"} <= exposed, exposed
    env = " ".join(args for kw, args in final if kw == "ENV")
    match = re.search(r"BRANDLOOM_DATA_DIR=(\S+)", env)
    assert match, "the image must set BRANDLOOM_DATA_DIR"
    volumes = " ".join(args for kw, args in final if kw == "VOLUME")
    assert match.group(1) in volumes, f"BRANDLOOM_DATA_DIR {match.group(1)} is not a VOLUME"
    healthchecks = [args for kw, args in final if kw == "HEALTHCHECK"]
    assert len(healthchecks) == 1
    assert "/healthz" in healthchecks[0]
    assert "curl" not in healthchecks[0] and "wget" not in healthchecks[0], "slim has neither"
    assert "python" in healthchecks[0]


def test_dockerfile_default_command_is_the_api() -> None:
    cmds = [args for kw, args in _final_stage() if kw == "CMD"]
    assert _exec_form(cmds[-1]) == ["brandloom", "serve", "--host", "0.0.0.0", "--port", "8000"]


def test_dockerignore_keeps_the_build_inputs_and_drops_local_state() -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for needed in (".venv", ".pytest_cache", ".mypy_cache", ".ruff_cache", "demo-output"):
        assert needed in patterns, f".dockerignore should exclude {needed}"
    copied = [
        src
        for kw, args in _dockerfile_instructions()
        if kw == "COPY" and "--from" not in args
        for src in args.split()[:-1]
    ]
    assert copied
    for src in copied:
        for pattern in patterns:
            assert not fnmatch.fnmatch(src.rstrip("/"), pattern), (
                f"COPY {src} is excluded by .dockerignore pattern {pattern}"
            )


# --------------------------------------------------------------------------------------------
# YAML: Compose, Kubernetes, Prometheus
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", YAML_FILES, ids=_rel)
def test_yaml_parses(path: Path) -> None:
    docs = _load_all(path)
    assert docs, f"{_rel(path)} is empty"
    assert all(isinstance(doc, dict) for doc in docs)


def _compose() -> dict[str, Any]:
    compose = _load(COMPOSE)
    assert isinstance(compose, dict)
    return compose


def test_compose_has_the_four_services_with_healthchecks_and_ordered_start() -> None:
    services = _compose()["services"]
    assert {"api", "worker", "postgres", "redis"} <= set(services)
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    assert services["api"]["command"][:2] == ["brandloom", "serve"]
    assert services["worker"]["command"][:2] == ["brandloom", "worker"]
    for name in ("api", "worker", "postgres", "redis"):
        assert "test" in services[name].get("healthcheck", {}), f"{name} has no healthcheck"
    # The worker serves no API: the image's /healthz check on port 8000 must be replaced.
    assert "9102" in " ".join(services["worker"]["healthcheck"]["test"])
    for name in ("api", "worker"):
        depends = services[name]["depends_on"]
        for dependency in ("postgres", "redis"):
            assert depends[dependency]["condition"] == "service_healthy", (name, dependency)


def test_compose_volumes_are_named_and_declared() -> None:
    compose = _compose()
    declared = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            assert not source.startswith((".", "/")), f"{name}: use a named volume, not {source}"
            assert source in declared, f"{name}: volume {source} is not declared"
    api_mounts = set(compose["services"]["api"]["volumes"])
    worker_mounts = set(compose["services"]["worker"]["volumes"])
    assert api_mounts & worker_mounts, "API and worker must share the data volume"


def test_compose_secrets_come_from_placeholders() -> None:
    services = _compose()["services"]
    password = services["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert password.startswith("${POSTGRES_PASSWORD:-"), password
    url = services["api"]["environment"]["BRANDLOOM_DATABASE_URL"]
    assert re.match(r"postgresql://brandloom:\$\{POSTGRES_PASSWORD:-[^}]*\}@postgres:5432/", url)


def _k8s_documents() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in K8S_FILES:
        for doc in _load_all(path):
            yield path, doc


def _k8s(kind: str, name: str) -> dict[str, Any]:
    found = [
        doc
        for _, doc in _k8s_documents()
        if doc["kind"] == kind and doc["metadata"]["name"] == name
    ]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def test_k8s_documents_have_api_version_kind_and_name() -> None:
    for path, doc in _k8s_documents():
        assert doc.get("apiVersion"), _rel(path)
        assert doc.get("kind"), _rel(path)
        assert doc.get("metadata", {}).get("name"), _rel(path)


def test_kustomization_lists_every_manifest() -> None:
    kustomization = _load(K8S / "kustomization.yaml")
    listed = set(kustomization["resources"])
    present = {p.name for p in K8S_FILES} - {"kustomization.yaml"}
    assert listed == present
    expected = {
        "namespace.yaml",
        "configmap.yaml",
        "secret.example.yaml",
        "api-deployment.yaml",
        "api-service.yaml",
        "worker-deployment.yaml",
        "worker-hpa.yaml",
    }
    assert expected <= listed
    image_names = {image["name"] for image in kustomization["images"]}
    for _, doc in _k8s_documents():
        if doc["kind"] == "Deployment":
            for container in doc["spec"]["template"]["spec"]["containers"]:
                assert container["image"].split(":")[0] in image_names, container["image"]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kustomize_builds_the_manifests_into_the_namespace() -> None:
    result = subprocess.run(
        ["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    kinds = {d["kind"] for d in docs}
    assert {"Namespace", "ConfigMap", "Secret", "Deployment", "Service"} <= kinds
    assert "HorizontalPodAutoscaler" in kinds
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "brandloom", doc["metadata"]["name"]


def test_worker_hpa_scales_the_worker_deployment_on_cpu() -> None:
    hpa = _k8s("HorizontalPodAutoscaler", "brandloom-worker")
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    worker = _k8s("Deployment", target["name"])
    assert target["kind"] == "Deployment"
    assert target["apiVersion"] == worker["apiVersion"] == "apps/v1"
    assert hpa["spec"]["minReplicas"] == 1
    assert hpa["spec"]["maxReplicas"] == 10
    resources = [m["resource"]["name"] for m in hpa["spec"]["metrics"] if m["type"] == "Resource"]
    assert resources == ["cpu"]
    # Utilization is measured against the request, and the HPA owns the replica count.
    for container in worker["spec"]["template"]["spec"]["containers"]:
        assert container["resources"]["requests"]["cpu"]
    assert "replicas" not in worker["spec"], "a fixed replica count fights the autoscaler"


def _container(deployment: str) -> dict[str, Any]:
    containers = _k8s("Deployment", deployment)["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    container: dict[str, Any] = containers[0]
    return container


def _probe_port(container: dict[str, Any], probe: str) -> int:
    port = container[probe]["httpGet"]["port"]
    if isinstance(port, int):
        return port
    named = {p["name"]: p["containerPort"] for p in container["ports"]}
    return int(named[port])


def test_api_probes_ready_on_readyz_and_live_on_healthz() -> None:
    api = _container("brandloom-api")
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert _probe_port(api, "readinessProbe") == 8000
    assert _probe_port(api, "livenessProbe") == 8000
    if "startupProbe" in api:
        assert api["startupProbe"]["httpGet"]["path"] == "/healthz"


def test_worker_liveness_probe_reads_its_metrics_port() -> None:
    worker = _container("brandloom-worker")
    assert worker["livenessProbe"]["httpGet"]["path"] == "/metrics"
    assert _probe_port(worker, "livenessProbe") == 9102


@pytest.mark.parametrize("deployment", ["brandloom-api", "brandloom-worker"])
def test_pods_are_locked_down_and_sized(deployment: str) -> None:
    pod = _k8s("Deployment", deployment)["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    volumes = {v["name"]: v for v in pod["volumes"]}
    for container in pod["containers"]:
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        assert "emptyDir" in volumes[mounts["/tmp"]], "/tmp must be writable"
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][kind]), (deployment, kind)
        assert {"configMapRef": {"name": "brandloom-config"}} in container["envFrom"]
        assert {"secretRef": {"name": "brandloom-secrets"}} in container["envFrom"]


@pytest.mark.parametrize(
    ("deployment", "port"), [("brandloom-api", 8000), ("brandloom-worker", 9102)]
)
def test_pods_carry_prometheus_scrape_annotations(deployment: str, port: int) -> None:
    template = _k8s("Deployment", deployment)["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(port)
    assert annotations["prometheus.io/path"] == "/metrics"
    ports = [p["containerPort"] for p in template["spec"]["containers"][0]["ports"]]
    assert port in ports


def test_api_service_selects_the_api_pods() -> None:
    service = _k8s("Service", "brandloom-api")
    deployment = _k8s("Deployment", "brandloom-api")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    api = _container("brandloom-api")
    named = {p["name"]: p["containerPort"] for p in api["ports"]}
    for port in service["spec"]["ports"]:
        target = port["targetPort"]
        assert (named[target] if isinstance(target, str) else target) == 8000


def test_prometheus_example_scrapes_api_and_workers() -> None:
    config = _load(PROMETHEUS)
    targets: list[str] = []
    for job in config["scrape_configs"]:
        assert job.get("metrics_path", "/metrics") == "/metrics"
        for static in job.get("static_configs", []):
            targets.extend(static["targets"])
        for sd in job.get("dns_sd_configs", []):
            targets.extend(f"{name}:{sd['port']}" for name in sd["names"])
    assert "api:8000" in targets
    assert "worker:9102" in targets


# --------------------------------------------------------------------------------------------
# Commands and settings the files rely on
# --------------------------------------------------------------------------------------------


def _commands() -> list[tuple[str, list[str]]]:
    """Every ``brandloom ...`` command line the deployment files run, with where it comes from."""
    found: list[tuple[str, list[str]]] = []
    for kw, args in _dockerfile_instructions():
        if kw == "CMD":
            found.append(("Dockerfile CMD", _exec_form(args)))
    for name, service in _compose()["services"].items():
        command = service.get("command")
        if command and (command[0] if isinstance(command, list) else command).startswith(
            "brandloom"
        ):
            argv = command if isinstance(command, list) else shlex.split(command)
            found.append((f"compose {name}", argv))
    for path, doc in _k8s_documents():
        if doc["kind"] == "Deployment":
            for container in doc["spec"]["template"]["spec"]["containers"]:
                # An empty command would fall back to the image's CMD: the API, even for a worker.
                argv = [*container.get("command", []), *container.get("args", [])]
                found.append((f"{path.name} {container['name']}", argv or ["(image CMD)"]))
    # Lines of the guide's code blocks that start with `brandloom`, with their continuations.
    in_block = False
    pending: str | None = None
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            in_block = not in_block
            continue
        text = line.strip()
        if pending is None and not (in_block and text.startswith("brandloom ")):
            continue
        text = (pending or "") + text
        if text.endswith("\\"):
            pending = text[:-1] + " "
            continue
        pending = None
        found.append((f"docs: {text[:50]}", shlex.split(text, comments=True)))
    return found


COMMANDS = _commands()


def test_deployment_files_run_both_processes() -> None:
    subcommands = {argv[1] for _, argv in COMMANDS if len(argv) > 1}
    assert {"serve", "worker"} <= subcommands


@pytest.mark.parametrize(("where", "argv"), COMMANDS, ids=[where for where, _ in COMMANDS])
def test_command_is_a_real_cli_command_with_real_options(where: str, argv: list[str]) -> None:
    assert argv[0] == "brandloom", f"{where}: runs {argv[0]}, not the brandloom console script"
    subcommand, args = argv[1], argv[2:]
    result = CliRunner().invoke(app, [subcommand, "--help"])
    assert result.exit_code == 0, f"{where}: `brandloom {subcommand}` does not exist"
    for arg in args:
        if arg.startswith("-"):
            option = arg.split("=", 1)[0]
            assert option in result.output, f"{where}: `brandloom {subcommand}` has no {option}"
    # Parse the arguments as the CLI would (types, ranges, values), without running the command.
    group = typer.main.get_command(app)
    command = group.commands[subcommand]  # type: ignore[attr-defined]
    command.make_context(f"brandloom {subcommand}", list(args))


def _settings_variables() -> list[tuple[str, str]]:
    found: dict[str, str] = {}
    for path in DEPLOYMENT_FILES:
        text = path.read_text(encoding="utf-8")
        # A trailing * names a family of variables (BRANDLOOM_S3_*), not one variable.
        for name, star in re.findall(r"\b(BRANDLOOM_[A-Z0-9_]+)(\*?)", text):
            if not star:
                found.setdefault(name, _rel(path))
    return sorted(found.items())


SETTINGS_VARIABLES = _settings_variables()


def test_deployment_files_configure_the_core_settings() -> None:
    names = {name for name, _ in SETTINGS_VARIABLES}
    for needed in ("DATABASE_URL", "BROKER_URL", "REDIS_URL", "DATA_DIR", "STORAGE_URL"):
        assert f"BRANDLOOM_{needed}" in names


@pytest.mark.parametrize(
    ("variable", "where"), SETTINGS_VARIABLES, ids=[name for name, _ in SETTINGS_VARIABLES]
)
def test_environment_variable_is_a_setting(variable: str, where: str) -> None:
    field = variable.removeprefix("BRANDLOOM_").lower()
    assert field in Settings.model_fields, (
        f"{variable} (in {where}) is not read by brandloom.settings.Settings: no field {field!r}"
    )


def _interpolate(value: str) -> str:
    """Compose's ``${NAME:-default}`` as Compose resolves it with NAME unset."""
    return re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", value)


def _environments() -> list[tuple[str, dict[str, str]]]:
    compose = _compose()["services"]
    k8s = {
        **_k8s("ConfigMap", "brandloom-config")["data"],
        **_k8s("Secret", "brandloom-secrets")["stringData"],
    }
    return [
        *(
            (
                f"compose {name}",
                {k: _interpolate(str(v)) for k, v in compose[name]["environment"].items() if v},
            )
            for name in ("api", "worker")
        ),
        ("k8s", {k: str(v) for k, v in k8s.items()}),
    ]


ENVIRONMENTS = _environments()


@pytest.mark.parametrize(("where", "environ"), ENVIRONMENTS, ids=[w for w, _ in ENVIRONMENTS])
def test_configured_values_are_valid_settings(
    where: str, environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("BRANDLOOM_"):
            monkeypatch.delenv(name)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.database_url and settings.database_url.startswith("postgresql://"), where
    assert settings.broker_url, where


def test_docs_cover_every_deployment_file() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for path in (DOCKERFILE, COMPOSE, DASHBOARD, PROMETHEUS, *K8S_FILES):
        assert path.name in text, f"docs/deployment.md never mentions {path.name}"
    assert "kubectl apply -k deploy/k8s" in text


# --------------------------------------------------------------------------------------------
# Grafana dashboard
# --------------------------------------------------------------------------------------------


def _dashboard() -> dict[str, Any]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert isinstance(dashboard, dict)
    return dashboard


def _panels() -> list[dict[str, Any]]:
    panels: list[dict[str, Any]] = []
    for panel in _dashboard()["panels"]:
        panels.append(panel)
        panels.extend(panel.get("panels", []))
    return panels


def _expressions() -> list[tuple[str, str]]:
    return [
        (panel["title"], target["expr"])
        for panel in _panels()
        for target in panel.get("targets", [])
    ]


def _base_metric(name: str) -> str | None:
    """The contract metric a series name belongs to (histograms expose _bucket/_count/_sum)."""
    if name in METRICS:
        return name
    for suffix in HISTOGRAM_SUFFIXES:
        base = name.removesuffix(suffix)
        if base != name and METRICS.get(base, ("", frozenset()))[0] == "histogram":
            return base
    return None


def test_dashboard_is_an_importable_grafana_dashboard() -> None:
    dashboard = _dashboard()
    assert dashboard["schemaVersion"] >= 36
    assert dashboard["uid"] and dashboard["title"]
    inputs = {i["name"]: i for i in dashboard["__inputs"]}
    assert inputs["DS_PROMETHEUS"]["type"] == "datasource"
    assert inputs["DS_PROMETHEUS"]["pluginId"] == "prometheus"
    ids = [panel["id"] for panel in _panels()]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in _panels():
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
        assert panel["targets"], f"panel {panel['title']!r} has no query"
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]


def test_dashboard_queries_only_contract_metrics_and_labels() -> None:
    expressions = _expressions()
    assert expressions
    for title, expr in expressions:
        names = re.findall(r"\bbrandloom_[a-z0-9_]+", expr)
        assert names, f"{title}: {expr} queries no brandloom metric"
        allowed = {"le"}
        for name in names:
            base = _base_metric(name)
            assert base is not None, f"{title}: {name} is not a brandloom metric"
            allowed |= METRICS[base][1]
        used: set[str] = set()
        for group in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr):
            used |= {label.strip() for label in group.split(",") if label.strip()}
        for matchers in re.findall(r"\{([^}]*)\}", expr):
            used |= set(re.findall(r"([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)", matchers))
        assert used <= allowed, f"{title}: labels {sorted(used - allowed)} are not exported"


def test_dashboard_shows_every_metric_and_the_required_views() -> None:
    exprs = [expr for _, expr in _expressions()]
    text = "\n".join(exprs)
    for name in METRICS:
        assert name in text, f"the dashboard never shows {name}"
    http = "brandloom_http_request_duration_seconds"
    chunk = "brandloom_chunk_duration_seconds"

    def has(pattern: str) -> bool:
        return any(re.search(pattern, expr) for expr in exprs)

    for quantile in ("0.5", "0.99"):
        assert has(rf"histogram_quantile\({quantile}, .*\(le, route\).*rate\({http}_bucket")
    for quantile in ("0.5", "0.95"):
        assert has(rf"histogram_quantile\({quantile}, .*rate\({chunk}_bucket")
    assert has(rf'{http}_count\{{status=~"5\.\."\}}'), "no 5xx rate"
    assert has(r"by \(format\) \(rate\(brandloom_documents_rendered_total")
    assert has(r"by \(status\) \(rate\(brandloom_qa_documents_total")
    assert has(r"topk\(\d+, sum by \(code\) \(increase\(brandloom_qa_issues_total")
    assert has(r"time\(\) - .*brandloom_worker_last_heartbeat_timestamp_seconds")
    assert has(r'brandloom_cache_requests_total\{result="hit"\}.*/.*brandloom_cache_requests_total')


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _families(registry: Any) -> dict[str, tuple[str, set[frozenset[str]]]]:
    """Exported name -> (type, label sets seen in its samples) for every family collected."""
    found: dict[str, tuple[str, set[frozenset[str]]]] = {}
    for family in registry.collect():
        # prometheus-client names a counter family without its _total suffix.
        name = family.name + "_total" if family.type == "counter" else family.name
        labels = {frozenset(sample.labels) - {"le"} for sample in family.samples}
        found[name] = (family.type, labels)
    return found


def test_contract_metrics_are_exported_with_their_types_and_labels() -> None:
    metrics_module = "brandloom.observability.metrics"
    collector_module = "brandloom.observability.collector"
    if not _module_exists(metrics_module):
        pytest.skip(f"{metrics_module} does not exist yet")
    importlib.import_module(metrics_module)
    from prometheus_client import REGISTRY, CollectorRegistry

    # Counters and histograms live on the default registry from import on.
    exported = _families(REGISTRY)
    # Gauges computed at scrape time come from the collector the API installs with its sources;
    # a private registry keeps the process's shared collector untouched.
    if _module_exists(collector_module):
        collector = importlib.import_module(collector_module)
        private = CollectorRegistry()
        scrape_time = collector.BrandloomCollector(clock=lambda: 1_000.0)
        scrape_time.install(
            collector.CollectorSources(
                jobs_by_state=lambda: {"queued": 1, "running": 0},
                queue_depth=lambda: {"brandloom": 3},
                workers=lambda: [("worker-1@host", 990.0)],
            )
        )
        private.register(scrape_time)
        exported.update(_families(private))
    for name, (kind, labels) in METRICS.items():
        assert name in exported, f"{name} is not exported"
        exported_kind, label_sets = exported[name]
        assert exported_kind == kind, f"{name} is a {exported_kind}, not a {kind}"
        for seen in label_sets:
            assert seen == labels, f"{name} has labels {sorted(seen)}, not {sorted(labels)}"
