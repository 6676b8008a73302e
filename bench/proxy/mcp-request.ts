// The MCP request the benchmark sends to an endpoint decided on the body: an allowed tools/call, as the
// official SDK sends it after initialize (JSON body, MCP-Protocol-Version header, Accept for SSE or JSON).
export const MCP_BODY = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_status","arguments":{"scope":"workspace"}}}';
export const MCP_HEADERS: Record<string, string> = {
  'Content-Type': 'application/json',
  Accept: 'application/json, text/event-stream',
  'MCP-Protocol-Version': '2025-11-25',
};

/** The raw request (origin-form, inside a tunnel). */
export function mcpRequest(host: string): string {
  let head = `POST /mcp HTTP/1.1\r\nHost: ${host}\r\n`;
  for (const [name, value] of Object.entries(MCP_HEADERS)) head += `${name}: ${value}\r\n`;
  return `${head}Content-Length: ${Buffer.byteLength(MCP_BODY)}\r\n\r\n${MCP_BODY}`;
}

/** wrk's Lua for the same request in absolute form through a forward proxy. */
export function mcpWrkScript(url: string): string {
  const headers = Object.entries(MCP_HEADERS)
    .map(([name, value]) => `wrk.headers["${name}"] = "${value}"`)
    .join('\n');
  return `wrk.method = "POST"\nwrk.path = "${url}"\nwrk.headers["Host"] = "${new URL(url).host}"\n${headers}\nwrk.body = '${MCP_BODY}'\n`;
}
