/**
 * The browsable API reference at `/api/docs`: one self-contained HTML page that fetches
 * `/api/openapi.json` and lists every operation with its parameters, request body and responses.
 * No script or style is loaded from anywhere else.
 */
export const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sluice API</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1d232a; background: #f7f8fa; }
  header { background: #1d3557; color: #fff; padding: 16px 32px; }
  header h1 { margin: 0; font-size: 22px; }
  header p { margin: 4px 0 0; opacity: .85; }
  main { max-width: 1040px; margin: 0 auto; padding: 16px 32px 64px; }
  h2 { margin-top: 32px; text-transform: capitalize; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
  details { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; margin: 8px 0; }
  summary { cursor: pointer; padding: 8px 12px; display: flex; gap: 12px; align-items: baseline; }
  .method { font: bold 12px monospace; padding: 2px 8px; border-radius: 4px; color: #fff; min-width: 52px; text-align: center; }
  .get { background: #2a7ab0; } .post { background: #2b8a3e; } .delete { background: #c92a2a; } .put, .patch { background: #b7791f; }
  .path { font-family: monospace; font-weight: 600; }
  .summary { color: #57606a; }
  .body { padding: 0 16px 12px; }
  table { border-collapse: collapse; width: 100%; margin: 8px 0; }
  th, td { text-align: left; border-bottom: 1px solid #eaeef2; padding: 4px 8px; vertical-align: top; font-size: 14px; }
  pre { background: #f6f8fa; border: 1px solid #eaeef2; padding: 8px; overflow: auto; font-size: 12px; max-height: 360px; }
  .public { font-size: 12px; color: #2b8a3e; }
</style>
</head>
<body>
<header><h1 id="title">sluice API</h1><p id="about">Loading /api/openapi.json ...</p></header>
<main id="content"></main>
<script>
(async () => {
  const content = document.getElementById('content');
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    for (const child of children) node.append(child);
    return node;
  };
  let doc;
  try {
    const response = await fetch('/api/openapi.json');
    doc = await response.json();
  } catch (error) {
    document.getElementById('about').textContent = 'Could not load /api/openapi.json: ' + error;
    return;
  }
  document.getElementById('title').textContent = doc.info.title + ' ' + doc.info.version;
  document.getElementById('about').textContent = doc.info.description || '';
  const schemas = (doc.components && doc.components.schemas) || {};
  const resolve = (schema, depth) => {
    if (!schema || depth > 6) return schema;
    if (schema.$ref) {
      const name = schema.$ref.split('/').pop();
      return resolve(schemas[name], depth + 1);
    }
    const out = Array.isArray(schema) ? [] : {};
    for (const [key, value] of Object.entries(schema)) {
      out[key] = value && typeof value === 'object' ? resolve(value, depth + 1) : value;
    }
    return out;
  };
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags && op.tags[0]) || 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push({ path, method, op });
    }
  }
  for (const [tag, ops] of byTag) {
    content.append(el('h2', {}, tag));
    for (const { path, method, op } of ops) {
      const body = el('div', { class: 'body' });
      if (op.description) body.append(el('p', {}, op.description));
      if (Array.isArray(op.security) && op.security.length === 0) body.append(el('p', { class: 'public' }, 'No token needed.'));
      if (op.parameters && op.parameters.length) {
        const table = el('table', {}, el('tr', {}, el('th', {}, 'parameter'), el('th', {}, 'in'), el('th', {}, 'type'), el('th', {}, 'description')));
        for (const p of op.parameters) {
          const s = resolve(p.schema, 0) || {};
          table.append(el('tr', {}, el('td', {}, p.name + (p.required ? ' *' : '')), el('td', {}, p.in), el('td', {}, String(s.type || '')), el('td', {}, p.description || s.description || '')));
        }
        body.append(table);
      }
      const request = op.requestBody && op.requestBody.content && op.requestBody.content['application/json'];
      if (request) body.append(el('h4', {}, 'Request body'), el('pre', {}, JSON.stringify(resolve(request.schema, 0), null, 2)));
      for (const [status, response] of Object.entries(op.responses || {})) {
        body.append(el('h4', {}, status + ' ' + (response.description || '')));
        const media = response.content && Object.keys(response.content)[0];
        if (media) body.append(el('pre', {}, media + '\\n' + JSON.stringify(resolve(response.content[media].schema, 0), null, 2)));
      }
      content.append(el('details', {}, el('summary', {}, el('span', { class: 'method ' + method }, method.toUpperCase()), el('span', { class: 'path' }, path), el('span', { class: 'summary' }, op.summary || '')), body));
    }
  }
})();
</script>
</body>
</html>
`;
