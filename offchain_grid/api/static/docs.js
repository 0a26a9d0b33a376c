// The API reference, drawn from the scheduler's own /openapi.json with nothing loaded from elsewhere.
"use strict";

const $ = (id) => document.getElementById(id);

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

// A schema as a short type expression: {name: string, jobs: [JobCreate], ...}, $refs followed a few levels.
function typeOf(schema, spec, depth = 0) {
  if (!schema) return "any";
  if (schema.$ref) {
    const name = schema.$ref.split("/").pop();
    const target = spec.components.schemas[name];
    return depth >= 2 || !target ? name : name + " " + typeOf(target, spec, depth + 1);
  }
  const alternatives = schema.anyOf || schema.oneOf;
  if (alternatives) return alternatives.map((s) => typeOf(s, spec, depth)).join(" | ");
  if (schema.type === "array") return "[" + typeOf(schema.items, spec, depth) + "]";
  if (schema.type === "object" && schema.properties) {
    const required = new Set(schema.required || []);
    const fields = Object.entries(schema.properties).map(
      ([name, s]) => "  ".repeat(depth + 1) + name + (required.has(name) ? "" : "?") + ": " + typeOf(s, spec, depth + 1));
    return "{\n" + fields.join(",\n") + "\n" + "  ".repeat(depth) + "}";
  }
  if (schema.type === "object" && schema.additionalProperties) {
    return "{string: " + typeOf(schema.additionalProperties, spec, depth) + "}";
  }
  let type = schema.type || "any";
  if (schema.format) type += " (" + schema.format + ")";
  if (schema.pattern) type += " matching " + schema.pattern;
  return type;
}

function section(parent, title, lines) {
  if (!lines.length) return;
  parent.appendChild(el("h4", title));
  for (const line of lines) parent.appendChild(line);
}

function operation(method, path, op, spec) {
  const box = el("details", undefined, "op");
  box.id = op.operationId || method + path;
  const summary = el("summary");
  summary.append(el("span", method, "method " + method), el("code", path), el("span", op.summary || "", "muted"));
  box.appendChild(summary);
  const body = el("div", undefined, "body");
  if (op.description) body.appendChild(el("p", op.description));
  section(body, "Parameters", (op.parameters || []).map((p) =>
    el("pre", `${p.name} (${p.in}${p.required ? ", required" : ""}): ${typeOf(p.schema, spec)}`)));
  const request = op.requestBody && op.requestBody.content ? Object.entries(op.requestBody.content) : [];
  section(body, "Body", request.map(([type, media]) => el("pre", type + "\n" + typeOf(media.schema, spec))));
  section(body, "Answers", Object.entries(op.responses || {}).map(([code, answer]) => {
    const types = Object.entries(answer.content || {}).map(([type, media]) =>
      "\n  " + type + ": " + typeOf(media.schema, spec, 1));
    return el("pre", code + " " + (answer.description || "") + types.join(""));
  }));
  box.appendChild(body);
  return box;
}

async function main() {
  const response = await fetch("/openapi.json", {cache: "no-store"});
  const spec = await response.json();
  document.title = spec.info.title + " API";
  $("version").textContent = "version " + spec.info.version + " · OpenAPI " + spec.openapi;
  $("description").textContent = spec.info.description || "";
  const groups = new Map();
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags && op.tags[0]) || "other";
      if (!groups.has(tag)) groups.set(tag, []);
      groups.get(tag).push(operation(method, path, op, spec));
    }
  }
  const parts = [];
  for (const [tag, ops] of groups) parts.push(el("h2", tag), ...ops);
  $("operations").replaceChildren(...parts);
}

main().catch((error) => { $("description").textContent = "cannot read /openapi.json: " + error.message; });
