/**
 * The one-line form of a log record for a person at a terminal (local runs only; Lambda and pipes
 * get JSON). A request reads `10:20:31 310000 POST /v1/verify 200 42ms trace=4bf9…`; any other
 * line `10:20:31 ERROR unhandled error trace=4bf9… error="TypeError: … (file:line)"`. The level
 * is shown from WARN up. Only the Powertools keys a terminal needs not repeat are left out.
 */
export function terminalLine(record: Record<string, unknown>): string {
  const {
    timestamp,
    level,
    message,
    service: _service,
    sampling_rate: _samplingRate,
    cold_start: _coldStart,
    function_arn: _functionArn,
    function_memory_size: _functionMemorySize,
    function_name: _functionName,
    function_request_id: _functionRequestId,
    xray_trace_id: _xrayTraceId,
    tenant_id: _tenantId,
    ...rest
  } = record;
  const parts = [clockTime(timestamp)];
  if (typeof level === 'string' && level !== 'INFO' && level !== 'DEBUG' && level !== 'TRACE') {
    parts.push(level);
  }
  if (message === 'request') {
    const { province, method, route, status, latencyMs, traceId, callerProvince, errorCode, ...more } = rest;
    parts.push(
      text(province),
      text(method),
      text(route),
      text(status),
      `${text(latencyMs)}ms`,
      `trace=${text(traceId)}`,
    );
    if (callerProvince !== undefined) parts.push(`caller=${text(callerProvince)}`);
    if (errorCode !== undefined) parts.push(`error=${text(errorCode)}`);
    parts.push(...pairs(more));
  } else {
    parts.push(text(message), ...pairs(rest));
  }
  return parts.join(' ');
}

function clockTime(timestamp: unknown): string {
  const at = typeof timestamp === 'string' ? new Date(timestamp) : new Date();
  const when = Number.isNaN(at.getTime()) ? new Date() : at;
  return [when.getHours(), when.getMinutes(), when.getSeconds()]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');
}

function text(value: unknown): string {
  return value === undefined || value === null || value === '' ? '-' : String(value);
}

function pairs(record: Record<string, unknown>): string[] {
  return Object.entries(record)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k === 'traceId' ? 'trace' : k}=${valueText(v)}`);
}

function valueText(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (isFormattedError(value)) {
    const where = typeof value.location === 'string' && value.location !== '' ? ` (${value.location})` : '';
    return JSON.stringify(`${value.name}: ${value.message}${where}`);
  }
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

/** An Error as Powertools prints it: name, location, message, stack. */
function isFormattedError(value: unknown): value is { name: unknown; message: unknown; location?: unknown } {
  return (
    typeof value === 'object' && value !== null && 'name' in value && 'message' in value && 'stack' in value
  );
}
