// The preload `run` gives Node agents (NODE_OPTIONS=--require …): Node 20's fetch and its http/https
// modules ignore the proxy variables, so this sets
//   - undici's global dispatcher (which Node's built-in fetch reads) to a ProxyAgent: plain HTTP goes as
//     absolute-form requests (proxyTunnel: false), so the proxy sees method and path and a denial's JSON
//     body reaches the client; HTTPS goes through CONNECT;
//   - http.globalAgent / https.globalAgent to proxy agents (http-proxy-agent, https-proxy-agent).
// Trust comes from NODE_EXTRA_CA_CERTS. The modules are loaded from openshell-term's own node_modules by
// absolute path; where the agent cannot read them (another user), the preload says so once and Node runs
// unproxied — and fails closed under Landlock or --isolate. It never stops the agent from starting.

export interface PreloadModules {
  undici: string;
  httpProxyAgent: string;
  httpsProxyAgent: string;
}

export function nodeProxyPreload(modules: PreloadModules): string {
  return `'use strict';
// Written by openshell-term run: route Node's fetch and http(s) through the proxy (Node < 24 ignores HTTP(S)_PROXY).
(() => {
  const env = process.env;
  const httpsProxy = env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy;
  const httpProxy = env.HTTP_PROXY || env.http_proxy || httpsProxy;
  if (!httpsProxy) return;
  const warn = (what, error) =>
    process.stderr.write('openshell-term: ' + what + ' will not use the proxy: ' + (error && error.message) + '\\n');
  try {
    const undici = require(${JSON.stringify(modules.undici)});
    undici.setGlobalDispatcher(new undici.ProxyAgent({ uri: httpsProxy, proxyTunnel: false }));
  } catch (error) {
    warn("Node's fetch", error);
  }
  try {
    const http = require('node:http');
    const https = require('node:https');
    const { HttpProxyAgent } = require(${JSON.stringify(modules.httpProxyAgent)});
    const { HttpsProxyAgent } = require(${JSON.stringify(modules.httpsProxyAgent)});
    http.globalAgent = new HttpProxyAgent(httpProxy, { keepAlive: true });
    https.globalAgent = new HttpsProxyAgent(httpsProxy, { keepAlive: true });
  } catch (error) {
    warn("Node's http/https modules", error);
  }
})();
`;
}
