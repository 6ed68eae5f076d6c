// Checks Switchboard's OpenAI-compatible API with the official OpenAI Node SDK, used unchanged.
//
// Environment (all optional):
//   SWITCHBOARD_URL        base URL including /v1         (http://127.0.0.1:8080/v1)
//   SWITCHBOARD_API_KEY    a valid API key                 (sk-switchboard-local)
//   SWITCHBOARD_MODEL_ID   the model to ask for            (default: the first model /v1/models lists)
//   SWITCHBOARD_TIMEOUT_MS per-request timeout of the SDK  (60000)
//   SWITCHBOARD_ADMIN_KEY  the admin API's key             (sk-switchboard-admin-local); used to make a tenant
//                          limited to 1 request per minute for the RateLimitError check
//
// Prints one line per check and ends with "N passed, M failed"; exits 1 when any check failed.
import OpenAI from 'openai';

const baseURL = process.env.SWITCHBOARD_URL || 'http://127.0.0.1:8080/v1';
const apiKey = process.env.SWITCHBOARD_API_KEY || 'sk-switchboard-local';
const timeout = Number(process.env.SWITCHBOARD_TIMEOUT_MS || 60000);
let model = process.env.SWITCHBOARD_MODEL_ID || '';

// maxRetries 0: every check sees the server's first answer, not a retried one
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout });

let passed = 0;
let failed = 0;

function describe(value) {
  if (value instanceof OpenAI.APIError) {
    return `${value.constructor.name} status=${value.status} message=${JSON.stringify(value.message)} ` +
      `error=${JSON.stringify(value.error)} request_id=${value.requestID ?? value.request_id ?? '-'}`;
  }
  if (value instanceof Error) return `${value.constructor.name}: ${value.message}`;
  return JSON.stringify(value);
}

class CheckFailure extends Error {
  constructor(message, received) {
    super(received === undefined ? message : `${message}; received: ${describe(received)}`);
  }
}

function expect(condition, message, received) {
  if (!condition) throw new CheckFailure(message, received);
}

async function check(name, fn) {
  try {
    const detail = await fn();
    passed++;
    console.log(`PASS ${name}${detail ? `: ${detail}` : ''}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e instanceof CheckFailure ? e.message : `unexpected ${describe(e)}`}`);
  }
}

// Runs fn, which must reject with an instance of errorClass carrying the given HTTP status.
async function expectApiError(errorClass, status, fn) {
  let result;
  try {
    result = await fn();
  } catch (e) {
    expect(e instanceof errorClass, `expected ${errorClass.name}`, e);
    expect(e.status === status, `expected status ${status}`, e);
    return `${e.constructor.name} ${e.status}: ${e.message}`;
  }
  throw new CheckFailure(`expected ${errorClass.name} (${status}), but the request succeeded`, result);
}

const messages = [{ role: 'user', content: 'Say hello in five words.' }];

await check('models.list', async () => {
  const ids = [];
  for await (const m of client.models.list()) {
    expect(typeof m.id === 'string' && m.object === 'model', 'each entry needs id and object "model"', m);
    ids.push(m.id);
  }
  expect(ids.length > 0, 'no models listed', ids);
  if (!model) model = ids[0];
  expect(ids.includes(model), `model ${JSON.stringify(model)} not listed`, ids);
  return `${ids.length} model(s): ${ids.join(', ')}`;
});
if (!model) model = 'simulated';

await check('chat.completions.create (non-streaming)', async () => {
  const r = await client.chat.completions.create({ model, messages, max_tokens: 16 });
  expect(r.object === 'chat.completion', 'object is not "chat.completion"', r);
  expect(Array.isArray(r.choices) && r.choices.length > 0, 'no choices', r);
  const content = r.choices[0].message?.content;
  expect(typeof content === 'string', 'choices[0].message.content is not a string', r);
  expect(typeof r.choices[0].finish_reason === 'string', 'choices[0].finish_reason missing', r);
  expect(r.usage && r.usage.total_tokens > 0, 'usage.total_tokens is not > 0', r);
  return `finish_reason=${r.choices[0].finish_reason} usage=${JSON.stringify(r.usage)} ` +
    `content=${JSON.stringify(content)}`;
});

await check('chat.completions.create (streaming, include_usage)', async () => {
  const stream = await client.chat.completions.create({
    model, messages, max_tokens: 16, stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let chunks = 0;
  let finishReason = null;
  let usage = null;
  let usageChunk = null;
  let afterUsage = 0;
  for await (const chunk of stream) {
    chunks++;
    expect(chunk.object === 'chat.completion.chunk', 'object is not "chat.completion.chunk"', chunk);
    if (usageChunk) afterUsage++;
    for (const c of chunk.choices ?? []) {
      if (typeof c.delta?.content === 'string') text += c.delta.content;
      if (c.finish_reason) finishReason = c.finish_reason;
    }
    if (chunk.usage) {
      usage = chunk.usage;
      usageChunk = chunk;
    }
  }
  expect(finishReason !== null, `no finish_reason in ${chunks} chunks`, { text });
  expect(usageChunk !== null, `no usage chunk in ${chunks} chunks`, { text, finishReason });
  expect(Array.isArray(usageChunk.choices) && usageChunk.choices.length === 0,
    'the usage chunk should have empty choices', usageChunk);
  expect(afterUsage === 0, 'the usage chunk is not the last chunk', usageChunk);
  expect(usage.total_tokens > 0, 'usage.total_tokens is not > 0', usage);
  return `${chunks} chunks, finish_reason=${finishReason} usage=${JSON.stringify(usage)} text=${JSON.stringify(text)}`;
});

// The rest of the OpenAI surface: run against a model whose engine has it (llama-server, openai, simulated;
// the in-process binding has all but logprobs). SWITCHBOARD_SDK_SURFACE=0 skips these checks.
if (process.env.SWITCHBOARD_SDK_SURFACE !== '0') {
  await check('n: 2 -> two choices, usage summed', async () => {
    const r = await client.chat.completions.create({ model, messages, max_tokens: 8, n: 2 });
    expect(r.choices.length === 2 && r.choices[0].index === 0 && r.choices[1].index === 1, 'expected choices 0 and 1', r);
    expect(r.choices.every((c) => typeof c.message.content === 'string'), 'each choice needs content', r);
    expect(r.usage.completion_tokens >= 2, 'usage should count both choices', r.usage);
    return `choices=${r.choices.map((c) => JSON.stringify(c.message.content)).join(' | ')} usage=${JSON.stringify(r.usage)}`;
  });

  await check('response_format json_schema (strict) -> content parses and matches', async () => {
    const r = await client.chat.completions.create({
      model, messages, max_tokens: 96,
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'forecast', strict: true,
          schema: {
            type: 'object', additionalProperties: false, required: ['sky', 'windy'],
            properties: { sky: { type: 'string', enum: ['sunny', 'cloudy', 'rainy'] }, windy: { type: 'boolean' } },
          },
        },
      },
    });
    const parsed = JSON.parse(r.choices[0].message.content);
    expect(['sunny', 'cloudy', 'rainy'].includes(parsed.sky) && typeof parsed.windy === 'boolean',
      'content does not match the schema', r.choices[0].message);
    return `content=${r.choices[0].message.content}`;
  });

  await check('tools with tool_choice "required" -> a tool call', async () => {
    const r = await client.chat.completions.create({
      // greedy, with room: a tiny test model needs a few hundred tokens to close the call's JSON
      model, messages: [{ role: 'user', content: 'What is the weather in Paris?' }], max_tokens: 400, temperature: 0,
      // one call: a tiny model allowed several goes on calling until max_tokens (llama-server's default is one)
      tool_choice: 'required', parallel_tool_calls: false,
      tools: [{
        type: 'function',
        function: {
          name: 'get_weather', description: 'The weather of a city',
          parameters: { type: 'object', required: ['city'], properties: { city: { type: 'string', enum: ['Paris', 'Rome'] } } },
        },
      }],
    });
    const choice = r.choices[0];
    const call = choice.message.tool_calls?.[0];
    expect(choice.finish_reason === 'tool_calls', 'finish_reason should be tool_calls', choice);
    expect(call && call.id && call.type === 'function' && call.function.name === 'get_weather', 'expected a get_weather call', choice);
    const args = JSON.parse(call.function.arguments);
    expect(['Paris', 'Rome'].includes(args.city), 'arguments do not match the parameters', call);
    return `tool_call ${call.id} ${call.function.name}(${call.function.arguments})`;
  });

  await check('logprobs with top_logprobs 2', async () => {
    const r = await client.chat.completions.create({ model, messages, max_tokens: 4, logprobs: true, top_logprobs: 2 });
    const content = r.choices[0].logprobs?.content;
    expect(Array.isArray(content) && content.length > 0, 'choices[0].logprobs.content missing', r.choices[0]);
    expect(content.every((t) => typeof t.logprob === 'number' && t.top_logprobs.length === 2), 'each token needs 2 alternatives',
      content);
    return `${content.length} tokens, first ${JSON.stringify(content[0].token)} ${content[0].logprob}`;
  });
}

await check('bad request (temperature 5) -> BadRequestError 400', () =>
  expectApiError(OpenAI.BadRequestError, 400, () =>
    client.chat.completions.create({ model, messages, max_tokens: 16, temperature: 5 })));

await check('unknown model -> NotFoundError 404', () =>
  expectApiError(OpenAI.NotFoundError, 404, () =>
    client.chat.completions.create({ model: 'no-such-model-switchboard-check', messages, max_tokens: 16 })));

await check('bad API key -> AuthenticationError 401', () => {
  const badClient = new OpenAI({ baseURL, apiKey: 'sk-not-a-valid-key', maxRetries: 0, timeout });
  return expectApiError(OpenAI.AuthenticationError, 401, () =>
    badClient.chat.completions.create({ model, messages, max_tokens: 16 }));
});

await check('tenant over its limit -> RateLimitError 429 with retry-after', async () => {
  const adminKey = process.env.SWITCHBOARD_ADMIN_KEY || 'sk-switchboard-admin-local';
  const root = baseURL.replace(/\/v1\/?$/, '');
  const admin = (path, body) => fetch(`${root}/admin/v1${path}`, {
    method: 'POST', headers: { Authorization: `Bearer ${adminKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const tenant = `sdk-check-${Date.now()}`;
  const made = await admin('/tenants', { id: tenant, limits: { requests_per_minute: 1 } });
  expect(made.status === 201, `creating tenant ${tenant} answered ${made.status}`, await made.text());
  const key = (await (await admin(`/tenants/${tenant}/keys`, {})).json()).key;
  const limited = new OpenAI({ baseURL, apiKey: key, maxRetries: 0, timeout });
  // a new key reaches every gateway replica within 250 ms
  await new Promise((resolve) => setTimeout(resolve, 300));
  await limited.chat.completions.create({ model, messages, max_tokens: 4 });
  let error;
  try {
    await limited.chat.completions.create({ model, messages, max_tokens: 4 });
  } catch (e) {
    error = e;
  }
  expect(error instanceof OpenAI.RateLimitError, 'expected RateLimitError', error);
  expect(error.status === 429 && error.code === 'rate_limit_exceeded', 'expected 429 rate_limit_exceeded', error);
  const retryAfter = Number(error.headers?.get?.('retry-after') ?? error.headers?.['retry-after']);
  expect(retryAfter >= 1 && retryAfter <= 60, 'expected a retry-after of 1 to 60 s', error);
  return `RateLimitError ${error.status}, retry-after ${retryAfter} s: ${error.message}`;
});

console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
