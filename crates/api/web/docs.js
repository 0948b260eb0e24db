// The API reference: renders /openapi.json (no build step, no other origin).

const METHODS = ["get", "post", "put", "patch", "delete"];
const el = (tag, cls, text) => {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
};

let doc;
const resolve = (schema) => {
  let seen = 0;
  while (schema && schema.$ref && seen++ < 20) {
    schema = doc.components?.schemas?.[schema.$ref.split("/").pop()];
  }
  return schema || {};
};
const refName = (schema) => (schema && schema.$ref ? schema.$ref.split("/").pop() : "");

function typeOf(schema) {
  const name = refName(schema);
  const s = resolve(schema);
  if (s.oneOf || s.anyOf) return (s.oneOf || s.anyOf).map(typeOf).join(" | ");
  let type = Array.isArray(s.type) ? s.type.join(" | ") : s.type || (s.properties ? "object" : "any");
  if (type.startsWith("array") || s.items) type = `array of ${typeOf(s.items || {})}`;
  if (s.enum) type += ` (${s.enum.map((v) => JSON.stringify(v)).join(", ")})`;
  return name ? `${name}: ${type}` : type;
}

// A schema as a nested list of its fields, to a bounded depth.
function schemaTree(schema, depth = 0) {
  const s = resolve(schema);
  const target = s.items ? resolve(s.items) : s;
  const box = el("div", "schema");
  box.append(el("code", "type", typeOf(schema)));
  if (s.description && depth === 0) box.append(el("p", "desc", s.description));
  const props = target.properties || {};
  const names = Object.keys(props);
  if (!names.length || depth > 3) return box;
  const list = el("ul", "fields");
  const required = new Set(target.required || []);
  for (const name of names) {
    const item = el("li");
    const head = el("div", "field");
    head.append(el("code", "name", name));
    if (required.has(name)) head.append(el("span", "req", "required"));
    item.append(head);
    const sub = schemaTree(props[name], depth + 1);
    const d = resolve(props[name]).description;
    if (d) sub.append(el("p", "desc", d));
    item.append(sub);
    list.append(item);
  }
  box.append(list);
  return box;
}

function contentBlock(title, content) {
  const block = el("div", "block");
  block.append(el("h4", "", title));
  for (const [type, media] of Object.entries(content || {})) {
    block.append(el("span", "ctype", type));
    if (media.schema) block.append(schemaTree(media.schema));
  }
  return block;
}

function operation(path, method, op) {
  const box = el("details", "op");
  box.dataset.search = `${method} ${path} ${op.summary || ""} ${op.description || ""}`.toLowerCase();
  const summary = el("summary");
  summary.append(el("span", `method m-${method}`, method.toUpperCase()), el("code", "path", path));
  summary.append(el("span", "summary", op.summary || ""));
  if (op.security && op.security.length === 1 && !Object.keys(op.security[0]).length) {
    summary.append(el("span", "public", "no key"));
  }
  box.append(summary);
  if (op.description) box.append(el("p", "desc", op.description));
  if (op.parameters?.length) {
    const block = el("div", "block");
    block.append(el("h4", "", "Parameters"));
    const table = el("table");
    for (const p of op.parameters) {
      const row = el("tr");
      row.append(el("td", "", ""), el("td", "in", p.in), el("td", "", typeOf(p.schema || {})), el("td", "", p.description || ""));
      row.firstChild.append(el("code", "name", p.name));
      if (p.required) row.firstChild.append(el("span", "req", "required"));
      table.append(row);
    }
    block.append(table);
    box.append(block);
  }
  if (op.requestBody) box.append(contentBlock("Request body", op.requestBody.content));
  const responses = el("div", "block");
  responses.append(el("h4", "", "Responses"));
  for (const [status, response] of Object.entries(op.responses || {})) {
    const r = el("details", "response");
    const head = el("summary");
    head.append(el("span", `status s${status[0]}`, status), el("span", "", response.description || ""));
    r.append(head);
    if (response.content) r.append(contentBlock("Body", response.content));
    responses.append(r);
  }
  box.append(responses);
  return box;
}

function render() {
  document.getElementById("title").textContent = `${doc.info.title} ${doc.info.version} — API reference`;
  const groups = new Map();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const tag = (op.tags && op.tags[0]) || "other";
      if (!groups.has(tag)) groups.set(tag, []);
      groups.get(tag).push(operation(path, method, op));
    }
  }
  const ops = document.getElementById("ops");
  const tags = document.getElementById("tags");
  ops.replaceChildren();
  for (const [tag, items] of groups) {
    const section = el("section", "group");
    section.id = `tag-${tag}`;
    section.append(el("h2", "", tag), ...items);
    ops.append(section);
    const li = el("li");
    const link = el("a", "", `${tag} (${items.length})`);
    link.href = `#tag-${tag}`;
    li.append(link);
    tags.append(li);
  }
}

document.getElementById("filter").addEventListener("input", (event) => {
  const words = event.target.value.toLowerCase().split(/\s+/).filter(Boolean);
  for (const op of document.querySelectorAll(".op")) {
    op.hidden = !words.every((w) => op.dataset.search.includes(w));
  }
  for (const group of document.querySelectorAll(".group")) {
    group.hidden = !group.querySelector(".op:not([hidden])");
  }
});

fetch("/openapi.json")
  .then((r) => r.json())
  .then((d) => { doc = d; render(); })
  .catch((e) => { document.getElementById("loading").textContent = `Could not load /openapi.json: ${e}`; });
