// Validates the fleet's Kubernetes manifests (deploy/kubernetes, or the directory given):
//   1. every document against the Kubernetes API's OpenAPI schema of its kind (kubernetes-models) or KEDA's CRD
//      schema (@kubernetes-models/keda); a kind with no schema here is an error, not a pass; and no field that its
//      kind does not define (strict.mjs), as kubectl's strict field validation;
//   2. kustomization.yaml lists every manifest in the directory, and only files that exist;
//   3. the fleet's own rules: probes on the health endpoints, non-root pods, $(VAR) references that resolve, GPU
//      workloads on GPU nodes, ScaledObjects that target a workload of these manifests, stable Inference ids.
// Prints one line per document and a closing "N document(s), N error(s)", then a JSON summary line (SUMMARY {...})
// that KubernetesManifestTests compares with the code (queue names, health paths, worker images). Exit 1 on any error.
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments, parse } from "yaml";
import * as k8s from "kubernetes-models";
import * as keda from "@kubernetes-models/keda";
import { unknownFields } from "./strict.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const directory = resolve(process.argv[2] ?? join(here, "..", "..", "deploy", "kubernetes"));
const errors = [];
const documents = [];
const fail = (where, message) => errors.push(`${where}: error ${message}`);

// The package path of a kind's declaration (its .d.ts), for the unknown-field walk.
function declarationOf(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  return group === "keda.sh" ? `@kubernetes-models/keda/${group}/${version}/${kind}`
    : group === "" ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
}

// apiVersion → the module of kubernetes-models (or KEDA's) that holds its kinds.
function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const camel = (g) => g.replace(/[.-](\w)/g, (_, c) => c.toUpperCase());
  const module = group === "" ? k8s[version]
    : group === "keda.sh" ? keda.kedaSh?.[version]
    : k8s[camel(group)]?.[version];
  return module?.[kind];
}

// kustomization.yaml: the resources it lists, each present, and every manifest listed.
const kustomizationPath = join(directory, "kustomization.yaml");
let listed = [];
if (!existsSync(kustomizationPath)) {
  fail("kustomization.yaml", "is missing");
} else {
  const kustomization = parse(readFileSync(kustomizationPath, "utf8"));
  listed = kustomization?.resources ?? [];
  for (const resource of listed)
    if (!existsSync(join(directory, resource))) fail("kustomization.yaml", `lists ${resource}, which does not exist`);
  for (const file of readdirSync(directory).filter((f) => /\.ya?ml$/.test(f) && f !== "kustomization.yaml"))
    if (!listed.includes(file)) fail("kustomization.yaml", `does not list ${file}`);
}

for (const file of listed.filter((f) => existsSync(join(directory, f)))) {
  const text = readFileSync(join(directory, file), "utf8");
  parseAllDocuments(text).forEach((document, index) => {
    const where = `${file}#${index + 1}`;
    if (document.errors.length > 0) {
      for (const e of document.errors) fail(where, `YAML: ${e.message}`);
      return;
    }
    const object = document.toJS();
    if (object === null || object === undefined) return;
    const name = `${object.kind}/${object.metadata?.name}`;
    const Model = typeof object.apiVersion === "string" && typeof object.kind === "string" ? modelFor(object.apiVersion, object.kind) : undefined;
    if (Model === undefined) {
      fail(`${where} ${name}`, `no schema for apiVersion ${object.apiVersion}, kind ${object.kind}`);
      return;
    }
    try {
      new Model(object).validate();
    } catch (e) {
      const details = (e.errors ?? []).map((x) => `${x.instancePath || "/"} ${x.message}${x.params?.additionalProperty ? ` (${x.params.additionalProperty})` : ""}`);
      fail(`${where} ${name}`, `breaks the ${object.apiVersion} ${object.kind} schema: ${details.length ? details.join("; ") : e.message}`);
      return;
    }
    const unknown = unknownFields(object, declarationOf(object.apiVersion, object.kind));
    if (unknown.length > 0) {
      for (const u of unknown) fail(`${where} ${name}`, u);
      return;
    }
    documents.push({ file, where, name, object });
    console.log(`${where} ${name}: valid`);
  });
}

// The fleet's rules.
const configMaps = new Map(documents.filter((d) => d.object.kind === "ConfigMap").map((d) => [d.object.metadata.name, d.object]));
const workloads = documents.filter((d) => ["Deployment", "StatefulSet"].includes(d.object.kind));
const summary = { workloads: {}, scaledObjects: {} };
for (const { where, name, object } of workloads) {
  const pod = object.spec.template.spec;
  const at = `${where} ${name}`;
  if (pod.securityContext?.runAsNonRoot !== true) fail(at, "its pod does not set securityContext.runAsNonRoot: true");
  const selector = object.spec.selector?.matchLabels ?? {};
  for (const [key, value] of Object.entries(selector))
    if (object.spec.template.metadata?.labels?.[key] !== value) fail(at, `its selector ${key}=${value} does not match its pod's labels`);
  for (const container of pod.containers) {
    const c = `${at} container ${container.name}`;
    const ports = new Map((container.ports ?? []).map((p) => [p.name, p.containerPort]));
    const probe = (kind, path) => {
      const get = container[kind]?.httpGet;
      if (get?.path !== path) fail(c, `${kind} is not an HTTP GET of ${path}`);
      else if (typeof get.port === "string" && !ports.has(get.port)) fail(c, `${kind} names port ${get.port}, which the container does not declare`);
    };
    probe("readinessProbe", "/health/ready");
    probe("livenessProbe", "/health/live");
    // The restricted Pod Security Standard (namespace.yaml enforces it): refused at admission otherwise.
    if (container.securityContext?.allowPrivilegeEscalation !== false) fail(c, "does not set allowPrivilegeEscalation: false");
    if (!(container.securityContext?.capabilities?.drop ?? []).includes("ALL")) fail(c, "does not drop ALL capabilities");
    const seccomp = container.securityContext?.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type;
    if (!["RuntimeDefault", "Localhost"].includes(seccomp)) fail(c, "has no RuntimeDefault or Localhost seccomp profile");
    // $(VAR) is expanded from envFrom and the env entries before it; an unresolved one stays literally in the value.
    const defined = new Set();
    for (const source of container.envFrom ?? []) {
      const map = configMaps.get(source.configMapRef?.name);
      if (source.configMapRef && !map) fail(c, `envFrom names the ConfigMap ${source.configMapRef.name}, which these manifests do not define`);
      for (const key of Object.keys(map?.data ?? {})) defined.add(key);
    }
    for (const variable of container.env ?? []) {
      for (const [, reference] of (variable.value ?? "").matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g))
        if (!defined.has(reference)) fail(c, `${variable.name} refers to $(${reference}), which is not defined before it`);
      defined.add(variable.name);
    }
    const gpu = container.resources?.limits?.["nvidia.com/gpu"];
    if (gpu !== undefined && !pod.nodeSelector) fail(c, "asks for nvidia.com/gpu without a nodeSelector for GPU nodes");
    summary.workloads[object.metadata.name] = {
      kind: object.kind, image: container.image, env: [...defined].sort(), gpu: gpu !== undefined,
      nodeSelector: pod.nodeSelector ?? null,
      instanceIdFrom: (container.env ?? []).find((e) => e.name === "NEURALTRADE_INSTANCE_ID")?.valueFrom?.fieldRef?.fieldPath ?? null,
    };
  }
}
// KEDA's triggers take their settings as a string map, which no schema checks: each scaler's documented parameters
// only, its required ones present, and only the scalers the fleet uses.
const parameters = {
  rabbitmq: new Set(["host", "hostFromEnv", "usernameFromEnv", "passwordFromEnv", "protocol", "mode", "value", "activationValue",
    "queueName", "vhostName", "useRegex", "excludeUnacknowledged", "pageSize", "operation", "timeout", "unsafeSsl"]),
  redis: new Set(["address", "addressFromEnv", "host", "hostFromEnv", "port", "portFromEnv", "usernameFromEnv", "passwordFromEnv", "listName",
    "listLength", "activationListLength", "databaseIndex", "enableTLS", "unsafeSsl"]),
};
const required = { rabbitmq: ["queueName", "mode", "value"], redis: ["listName", "listLength"] };
const triggerAuthentications = new Set(documents.filter((d) => d.object.kind === "TriggerAuthentication").map((d) => d.object.metadata.name));
for (const { where, name, object } of documents.filter((d) => d.object.kind === "ScaledObject")) {
  for (const [i, trigger] of object.spec.triggers.entries()) {
    const at = `/spec/triggers/${i}`;
    if (!parameters[trigger.type]) { fail(`${where} ${name}`, `${at}: the scaler ${trigger.type} is not one these manifests use`); continue; }
    for (const key of Object.keys(trigger.metadata ?? {}))
      if (!parameters[trigger.type].has(key)) fail(`${where} ${name}`, `${at}/metadata: "${key}" is not a parameter of KEDA's ${trigger.type} scaler`);
    for (const key of required[trigger.type])
      if (!trigger.metadata?.[key]) fail(`${where} ${name}`, `${at}/metadata: no ${key}`);
    if (trigger.type === "rabbitmq" && !["QueueLength", "MessageRate"].includes(trigger.metadata?.mode))
      fail(`${where} ${name}`, `${at}/metadata: mode is QueueLength or MessageRate`);
    if (trigger.authenticationRef && !triggerAuthentications.has(trigger.authenticationRef.name))
      fail(`${where} ${name}`, `${at}: authenticationRef names ${trigger.authenticationRef.name}, which these manifests do not define`);
  }
  const target = object.spec.scaleTargetRef;
  const match = workloads.find((w) => w.object.metadata.name === target.name && w.object.kind === (target.kind ?? "Deployment"));
  if (!match) fail(`${where} ${name}`, `scales ${target.kind ?? "Deployment"}/${target.name}, which these manifests do not define`);
  summary.scaledObjects[object.metadata.name] = {
    target: `${target.kind ?? "Deployment"}/${target.name}`, min: object.spec.minReplicaCount ?? null, max: object.spec.maxReplicaCount ?? null,
    queues: object.spec.triggers.filter((t) => t.type === "rabbitmq").map((t) => t.metadata.queueName),
    lists: object.spec.triggers.filter((t) => t.type === "redis").map((t) => t.metadata.listName),
  };
}

for (const e of errors) console.log(e);
console.log(`${documents.length} document(s), ${errors.length} error(s)`);
console.log(`SUMMARY ${JSON.stringify(summary)}`);
process.exit(errors.length === 0 ? 0 : 1);
