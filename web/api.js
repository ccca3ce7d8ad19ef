// Calls to the iamspect server this page came from.

async function call(method, path, body) {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body,
    });
  } catch (e) {
    return { ok: false, status: 0, error: { code: 'NetworkError', message: `the server did not answer (${e.message}); is iamspect serve still running?` } };
  }
  let data = null;
  const text = await res.text();
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    return { ok: false, status: res.status, error: { code: 'BadAnswer', message: `the server answered ${res.status} with something that is not JSON` } };
  }
  if (!res.ok) {
    return { ok: false, status: res.status, error: data && data.code ? data : { code: String(res.status), message: text } };
  }
  return { ok: true, status: res.status, data };
}

/** POST /v1/explain with a case given as text (policies inline, written verbatim). */
export const explain = (bodyText) => call('POST', '/v1/explain', bodyText);

/** POST /v1/lint for one policy's text. */
export const lint = (text, type, resourceType) =>
  call('POST', '/v1/lint', JSON.stringify({ policy: text, type, ...(resourceType ? { resourceType } : {}) }));

export const examples = () => call('GET', '/ui/examples');
export const example = (name) => call('GET', `/ui/examples/${encodeURIComponent(name)}`);
export const builtin = () => call('GET', '/ui/builtin');

/** GET /healthz: whether the server holds account data. */
export const health = () => call('GET', '/healthz');

/** POST /v1/paths: one principal's shortest paths (`{from, to?, maxHops?}`). */
export const paths = (body) => call('POST', '/v1/paths', JSON.stringify(body));

/** POST /v1/explain for a request whose policies come from the server's account data. */
export const explainRequest = (request) => call('POST', '/v1/explain', JSON.stringify(request));
