import { randomUUID } from 'node:crypto';
import { ADMIN_TOKEN } from '../support/test-environment';
import { INVALID_REQUESTS, label } from '../support/validation-cases';
import { startBrain, TestBrain } from './brain-client';

/**
 * The exact answer to each request of INVALID_REQUESTS, word for word: status, message, and which problem comes
 * first when several exist. Recorded from class-validator's pipe before the hot routes got their fast path, so
 * that a change to how requests are validated cannot change what a client is told; since corrected where an answer
 * named the wrong problem (a doubled `routing.` prefix, a bound instead of the type, a null routing taken for an
 * absent one, a non-object body told about a field).
 */
const ANSWERS: [string, number, string | null][] = [
  ['nova: POST /v1/messages {}', 400, 'context must be a JSON object'],
  ['nova: POST /v1/messages []', 400, 'body must be a JSON object'],
  ['nova: POST /v1/messages "x"', 400, 'body must be a JSON object'],
  ['nova: POST /v1/messages 42', 400, 'body must be a JSON object'],
  ['nova: POST /v1/messages null', 400, 'body must be a JSON object'],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter"',
    400,
    "Body is not valid JSON but content-type is set to 'application/json'",
  ],
  ['nova: POST /v1/messages {"targetAgent":"dexter"}', 400, 'context must be a JSON object'],
  ['nova: POST /v1/messages {"targetAgent":"dexter","context":[]}', 400, 'context must be a JSON object'],
  ['nova: POST /v1/messages {"targetAgent":"dexter","context":"x"}', 400, 'context must be a JSON object'],
  ['nova: POST /v1/messages {"targetAgent":"dexter","context":null}', 400, 'context must be a JSON object'],
  ['nova: POST /v1/messages {"targetAgent":"dexter","context":1}', 400, 'context must be a JSON object'],
  [
    'nova: POST /v1/messages {"targetAgent":1,"context":{}}',
    400,
    "targetAgent must match ^[a-z0-9][a-z0-9_-]{0,63}$ and not be 'broadcast'",
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"","context":{}}',
    400,
    "targetAgent must match ^[a-z0-9][a-z0-9_-]{0,63}$ and not be 'broadcast'",
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"UPPER","context":{}}',
    400,
    "targetAgent must match ^[a-z0-9][a-z0-9_-]{0,63}$ and not be 'broadcast'",
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"broadcast","context":{}}',
    400,
    "targetAgent must match ^[a-z0-9][a-z0-9_-]{0,63}$ and not be 'broadcast'",
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","context":{}}',
    400,
    "targetAgent must match ^[a-z0-9][a-z0-9_-]{0,63}$ and not be 'broadcast'",
  ],
  [
    'nova: POST /v1/messages {"targetAgent":null,"context":{}}',
    400,
    "targetAgent must match ^[a-z0-9][a-z0-9_-]{0,63}$ and not be 'broadcast'",
  ],
  ['nova: POST /v1/messages {"context":{}}', 400, 'exactly one of targetAgent and routing is required'],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","routing":{"capability":"x"},"context":{}}',
    400,
    'exactly one of targetAgent and routing is required',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"type":1}',
    400,
    'type must be a string of at most 64 characters',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"type":"xxxxxxxxxxxxxxx… (112 chars)',
    400,
    'type must be a string of at most 64 characters',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"type":"a\\u0000b"}',
    400,
    'type must not contain NUL or unpaired surrogate characters',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"type":"x\\ud800y"}',
    400,
    'type must not contain NUL or unpaired surrogate characters',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"type":["x"]}',
    400,
    'type must be a string of at most 64 characters',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"priority":"urgent"}',
    400,
    'priority must be one of critical, high, medium, low',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"priority":"HIGH"}',
    400,
    'priority must be one of critical, high, medium, low',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"priority":1}',
    400,
    'priority must be one of critical, high, medium, low',
  ],
  ['nova: POST /v1/messages {"targetAgent":"dexter","context":{},"priority":null}', 201, null],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"id":"not-a-uuid"}',
    400,
    'id must be a UUID',
  ],
  ['nova: POST /v1/messages {"targetAgent":"dexter","context":{},"id":1}', 400, 'id must be a UUID'],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"id":"6f1c3a9e-2b7d-4c1e-9f0a-5d2e8b7c4a100"}',
    400,
    'id must be a UUID',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"inReplyTo":"x"}',
    400,
    'inReplyTo must be a UUID',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"ttlSeconds":0}',
    400,
    'ttlSeconds must be an integer of at least 1',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"ttlSeconds":1.5}',
    400,
    'ttlSeconds must be an integer of at least 1',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"ttlSeconds":"10"}',
    400,
    'ttlSeconds must be an integer of at least 1',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"delayMs":-1}',
    400,
    'delayMs must be an integer between 0 and 86400000',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"delayMs":86400001}',
    400,
    'delayMs must be an integer between 0 and 86400000',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"delayMs":"x"}',
    400,
    'delayMs must be an integer between 0 and 86400000',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"delayMs":1.5}',
    400,
    'delayMs must be an integer between 0 and 86400000',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"ttlSeconds":"x"}',
    400,
    'ttlSeconds must be an integer of at least 1',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"sourceAgent":"x y"}',
    400,
    "sourceAgent must match ^[a-z0-9][a-z0-9_-]{0,63}$ and not be 'broadcast'",
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"sourceAgent":"dexter"}',
    403,
    "agent 'nova' may not act as agent 'dexter'",
  ],
  ['nova: POST /v1/messages {"context":{},"routing":"x"}', 400, 'routing must be an object'],
  ['nova: POST /v1/messages {"context":{},"routing":[]}', 400, 'routing must be an object'],
  ['nova: POST /v1/messages {"context":{},"routing":null}', 400, 'routing must be an object'],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"routing":null}',
    400,
    'routing must be an object',
  ],
  [
    'nova: POST /v1/messages {"context":{},"routing":{}}',
    400,
    'routing.capability must be a string of 1..64 characters',
  ],
  [
    'nova: POST /v1/messages {"context":{},"routing":{"capability":""}}',
    400,
    'routing.capability must be a string of 1..64 characters',
  ],
  [
    'nova: POST /v1/messages {"context":{},"routing":{"capability":1}}',
    400,
    'routing.capability must be a string of 1..64 characters',
  ],
  [
    'nova: POST /v1/messages {"context":{},"routing":{"capability":"ccccccccccccccccccccc… (107 chars)',
    400,
    'routing.capability must be a string of 1..64 characters',
  ],
  [
    'nova: POST /v1/messages {"context":{},"routing":{"capability":"a\\u0000"}}',
    400,
    'routing.capability must not contain NUL or unpaired surrogate characters',
  ],
  [
    'nova: POST /v1/messages {"context":{},"routing":{"capability":"x","extra":1}}',
    400,
    'routing.property extra should not exist',
  ],
  [
    'nova: POST /v1/messages {"context":{},"routing":{"capability":"x","extra":1,"more":2}}',
    400,
    'routing.property extra should not exist; routing.property more should not exist',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"foo":1}',
    400,
    'property foo should not exist',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"foo":1,"bar":2}',
    400,
    'property foo should not exist; property bar should not exist',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"constructor":1}',
    400,
    'property constructor should not exist',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"toString":"x"}',
    400,
    'property toString should not exist',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"prototype":{}}',
    400,
    'property prototype should not exist',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"__proto__":{}}',
    400,
    "body must not contain the key '__proto__'",
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{"__proto__":{}}}',
    400,
    "body must not contain the key '__proto__'",
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"routing":{"constructor":1}}',
    400,
    'routing.property constructor should not exist',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{"a":{"a":{"a":{"a":{"a":{… (415 chars)',
    400,
    'body must not be nested deeper than 64 levels',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":1,"context":"x","priority":"bad","foo":1}',
    400,
    "property foo should not exist; targetAgent must match ^[a-z0-9][a-z0-9_-]{0,63}$ and not be 'broadcast'; context must be a JSON object; priority must be one of critical, high, medium, low",
  ],
  [
    'nova: POST /v1/messages {"foo":1,"targetAgent":1,"context":"x"}',
    400,
    "property foo should not exist; targetAgent must match ^[a-z0-9][a-z0-9_-]{0,63}$ and not be 'broadcast'; context must be a JSON object",
  ],
  [
    'nova: POST /v1/messages {"priority":"bad","type":1,"context":"x","targetAgent":"X","id":"y"}',
    400,
    "targetAgent must match ^[a-z0-9][a-z0-9_-]{0,63}$ and not be 'broadcast'; context must be a JSON object; priority must be one of critical, high, medium, low; type must be a string of at most 64 characters; id must be a UUID",
  ],
  [
    'nova: POST /v1/messages {"ttlSeconds":0,"inReplyTo":"x","delayMs":-1,"context":{},"targetAgent":"dexter"}',
    400,
    'ttlSeconds must be an integer of at least 1; inReplyTo must be a UUID; delayMs must be an integer between 0 and 86400000',
  ],
  [
    'nova: POST /v1/messages {"targetAgent":"dexter","context":{},"type":1,"priority":"bad","routing":"x"}',
    400,
    'routing must be an object; priority must be one of critical, high, medium, low; type must be a string of at most 64 characters',
  ],
  ['admin: POST /v1/messages {}', 400, 'context must be a JSON object'],
  ['admin: POST /v1/messages []', 400, 'body must be a JSON object'],
  ['admin: POST /v1/messages "x"', 400, 'body must be a JSON object'],
  ['admin: POST /v1/messages 42', 400, 'body must be a JSON object'],
  ['admin: POST /v1/messages null', 400, 'body must be a JSON object'],
  [
    'admin: POST /v1/messages {"targetAgent":"dexter"',
    400,
    "Body is not valid JSON but content-type is set to 'application/json'",
  ],
  ['admin: POST /v1/messages {"targetAgent":"dexter"}', 400, 'context must be a JSON object'],
  ['admin: POST /v1/messages {"targetAgent":"dexter","context":[]}', 400, 'context must be a JSON object'],
  ['admin: POST /v1/messages {"targetAgent":"dexter","context":"x"}', 400, 'context must be a JSON object'],
  ['admin: POST /v1/messages {"targetAgent":"dexter","context":null}', 400, 'context must be a JSON object'],
  ['admin: POST /v1/messages {"targetAgent":"dexter","context":1}', 400, 'context must be a JSON object'],
  [
    'admin: POST /v1/messages {"targetAgent":1,"context":{}}',
    400,
    "targetAgent must match ^[a-z0-9][a-z0-9_-]{0,63}$ and not be 'broadcast'",
  ],
  ['nova: POST /v1/broadcasts {}', 400, 'context must be a JSON object'],
  ['nova: POST /v1/broadcasts []', 400, 'body must be a JSON object'],
  ['nova: POST /v1/broadcasts {"context":[]}', 400, 'context must be a JSON object'],
  [
    'nova: POST /v1/broadcasts {"context":{},"targetAgent":"dexter"}',
    400,
    'property targetAgent should not exist',
  ],
  [
    'nova: POST /v1/broadcasts {"context":{},"routing":{"capability":"x"}}',
    400,
    'property routing should not exist',
  ],
  [
    'nova: POST /v1/broadcasts {"context":{},"priority":"urgent"}',
    400,
    'priority must be one of critical, high, medium, low',
  ],
  [
    'nova: POST /v1/broadcasts {"context":{},"type":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}',
    400,
    'type must be a string of at most 64 characters',
  ],
  ['nova: POST /v1/broadcasts {"context":{},"id":"x"}', 400, 'id must be a UUID'],
  [
    'nova: POST /v1/broadcasts {"context":{},"sourceAgent":"dexter"}',
    403,
    "agent 'nova' may not act as agent 'dexter'",
  ],
  [
    'nova: POST /v1/broadcasts {"context":"x","priority":"bad","foo":1}',
    400,
    'property foo should not exist; context must be a JSON object; priority must be one of critical, high, medium, low',
  ],
  ['nova: POST /v1/broadcasts {"context":{},"valueOf":1}', 400, 'property valueOf should not exist'],
  [
    'nova: POST /v1/broadcasts {"context":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a"… (398 chars)',
    400,
    'body must not be nested deeper than 64 levels',
  ],
  ['nova: GET /v1/agents/nova/messages?count=0', 400, 'count must be an integer between 1 and 1000'],
  ['nova: GET /v1/agents/nova/messages?count=1001', 400, 'count must be an integer between 1 and 1000'],
  ['nova: GET /v1/agents/nova/messages?count=abc', 400, 'count must be an integer between 1 and 1000'],
  ['nova: GET /v1/agents/nova/messages?count=1.5', 400, 'count must be an integer between 1 and 1000'],
  ['nova: GET /v1/agents/nova/messages?count=', 400, 'count must be an integer between 1 and 1000'],
  ['nova: GET /v1/agents/nova/messages?count=0x10', 400, 'count must be an integer between 1 and 1000'],
  ['nova: GET /v1/agents/nova/messages?count=1e3', 400, 'count must be an integer between 1 and 1000'],
  ['nova: GET /v1/agents/nova/messages?count=%207', 400, 'count must be an integer between 1 and 1000'],
  ['nova: GET /v1/agents/nova/messages?count=-1', 400, 'count must be an integer between 1 and 1000'],
  ['nova: GET /v1/agents/nova/messages?count=1&count=2', 400, 'count must be an integer between 1 and 1000'],
  ['nova: GET /v1/agents/nova/messages?wait=-1', 400, 'wait must be an integer between 0 and 30000'],
  ['nova: GET /v1/agents/nova/messages?wait=30001', 400, 'wait must be an integer between 0 and 30000'],
  ['nova: GET /v1/agents/nova/messages?wait=x', 400, 'wait must be an integer between 0 and 30000'],
  [
    'nova: GET /v1/agents/nova/messages?consumer=bad%20space',
    400,
    'consumer must match ^[A-Za-z0-9_.:-]{1,64}$',
  ],
  [
    'nova: GET /v1/agents/nova/messages?consumer=ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc',
    400,
    'consumer must match ^[A-Za-z0-9_.:-]{1,64}$',
  ],
  ['nova: GET /v1/agents/nova/messages?consumer=', 400, 'consumer must match ^[A-Za-z0-9_.:-]{1,64}$'],
  [
    'nova: GET /v1/agents/nova/messages?consumer=a&consumer=b',
    400,
    'consumer must match ^[A-Za-z0-9_.:-]{1,64}$',
  ],
  [
    'nova: GET /v1/agents/nova/messages?priority=urgent',
    400,
    'priority must be one of critical, high, medium, low',
  ],
  [
    'nova: GET /v1/agents/nova/messages?priority=',
    400,
    'priority must be one of critical, high, medium, low',
  ],
  ['nova: GET /v1/agents/nova/messages?foo=1', 400, 'property foo should not exist'],
  ['nova: GET /v1/agents/nova/messages?constructor=1', 400, 'property constructor should not exist'],
  ['nova: GET /v1/agents/nova/messages?hasOwnProperty=x', 400, 'property hasOwnProperty should not exist'],
  [
    'nova: GET /v1/agents/nova/messages?count=0&wait=-1&priority=x&foo=1',
    400,
    'property foo should not exist; count must be an integer between 1 and 1000; wait must be an integer between 0 and 30000; priority must be one of critical, high, medium, low',
  ],
  [
    'nova: GET /v1/agents/nova/messages?priority=x&count=0',
    400,
    'count must be an integer between 1 and 1000; priority must be one of critical, high, medium, low',
  ],
  [
    'nova: GET /v1/agents/nova/messages?wait=1&consumer=%00',
    400,
    'consumer must match ^[A-Za-z0-9_.:-]{1,64}$',
  ],
  [
    'nova: GET /v1/agents/NOVA/messages',
    400,
    "id must match ^[a-z0-9][a-z0-9_-]{0,63}$ and not be 'broadcast'",
  ],
  ['admin: GET /v1/agents/nova/messages?count=0', 400, 'count must be an integer between 1 and 1000'],
  ['nova: GET /v1/agents/nova/history?limit=0', 400, 'limit must be an integer between 1 and 1000'],
  ['nova: GET /v1/agents/nova/history?limit=1001', 400, 'limit must be an integer between 1 and 1000'],
  ['nova: GET /v1/agents/nova/history?limit=x', 400, 'limit must be an integer between 1 and 1000'],
  [
    'nova: GET /v1/agents/nova/history?cursor=bad!',
    400,
    'cursor is not valid (use the nextCursor of the previous page)',
  ],
  [
    'nova: GET /v1/agents/nova/history?cursor=ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc',
    400,
    'cursor is not valid (use the nextCursor of the previous page)',
  ],
  [
    'nova: GET /v1/agents/nova/history?cursor=',
    400,
    'cursor is not valid (use the nextCursor of the previous page)',
  ],
  ['nova: GET /v1/agents/nova/history?foo=1', 400, 'property foo should not exist'],
  ['nova: GET /v1/agents/nova/history?toString=1', 400, 'property toString should not exist'],
  [
    'nova: GET /v1/agents/nova/history?limit=0&cursor=!&foo=1',
    400,
    'property foo should not exist; limit must be an integer between 1 and 1000; cursor is not valid (use the nextCursor of the previous page)',
  ],
  ['nova: POST /v1/messages/{id}/ack []', 400, 'body must be a JSON object'],
  ['nova: POST /v1/messages/{id}/ack "x"', 400, 'body must be a JSON object'],
  ['nova: POST /v1/messages/{id}/ack null', 400, 'body must be a JSON object'],
  ['nova: POST /v1/messages/{id}/ack 42', 400, 'body must be a JSON object'],
  [
    'nova: POST /v1/messages/{id}/ack {"agentId":1}',
    400,
    "agentId must match ^[a-z0-9][a-z0-9_-]{0,63}$ and not be 'broadcast'",
  ],
  [
    'nova: POST /v1/messages/{id}/ack {"agentId":"BAD"}',
    400,
    "agentId must match ^[a-z0-9][a-z0-9_-]{0,63}$ and not be 'broadcast'",
  ],
  [
    'nova: POST /v1/messages/{id}/ack {"agentId":"broadcast"}',
    400,
    "agentId must match ^[a-z0-9][a-z0-9_-]{0,63}$ and not be 'broadcast'",
  ],
  ['nova: POST /v1/messages/{id}/ack {"foo":1}', 400, 'property foo should not exist'],
  ['nova: POST /v1/messages/{id}/ack {"constructor":1}', 400, 'property constructor should not exist'],
  [
    'nova: POST /v1/messages/{id}/ack {"agentId":"x y","foo":1}',
    400,
    "property foo should not exist; agentId must match ^[a-z0-9][a-z0-9_-]{0,63}$ and not be 'broadcast'",
  ],
  ['nova: POST /v1/messages/not-a-uuid/ack {}', 400, 'messageId must be a UUID'],
  ['nova: POST /v1/messages/not-a-uuid/ack {"agentId":1}', 400, 'messageId must be a UUID'],
  ['nova: POST /v1/agents/nova/acks {}', 400, 'ids must be an array of 1..1000 UUIDs'],
  ['nova: POST /v1/agents/nova/acks []', 400, 'body must be a JSON object'],
  ['nova: POST /v1/agents/nova/acks {"ids":[]}', 400, 'ids must be an array of 1..1000 UUIDs'],
  ['nova: POST /v1/agents/nova/acks {"ids":"x"}', 400, 'ids must be an array of 1..1000 UUIDs'],
  ['nova: POST /v1/agents/nova/acks {"ids":["x"]}', 400, 'each of ids must be a UUID'],
  ['nova: POST /v1/agents/nova/acks {"ids":[1]}', 400, 'each of ids must be a UUID'],
  [
    'nova: POST /v1/agents/nova/acks {"ids":["6f1c3a9e-2b7d-4c1e-9f0a-5d2e8b7c4a10","x"]}',
    400,
    'each of ids must be a UUID',
  ],
  ['nova: POST /v1/agents/nova/acks {"ids":[null]}', 400, 'each of ids must be a UUID'],
  [
    'nova: POST /v1/agents/nova/acks {"ids":["6f1c3a9e-2b7d-4c1e-9f0a-5d2e8b7c4a10","6f1c3a9e-2b7… (39048 chars)',
    400,
    'ids must be an array of 1..1000 UUIDs',
  ],
  [
    'nova: POST /v1/agents/nova/acks {"ids":["6f1c3a9e-2b7d-4c1e-9f0a-5d2e8b7c4a10"],"foo":1}',
    400,
    'property foo should not exist',
  ],
  ['nova: POST /v1/agents/nova/acks "x"', 400, 'body must be a JSON object'],
  ['nova: POST /v1/agents/nova/acks {"ids":{}}', 400, 'ids must be an array of 1..1000 UUIDs'],
  [
    'nova: POST /v1/agents/nova/acks {"ids":["6f1c3a9e-2b7d-4c1e-9f0a-5d2e8b7c4a10"],"__defineGetter__":1}',
    400,
    'property __defineGetter__ should not exist',
  ],
  [
    'nova: POST /v1/agents/No!/acks {"ids":[]}',
    400,
    "id must match ^[a-z0-9][a-z0-9_-]{0,63}$ and not be 'broadcast'",
  ],
  [
    'nova: POST /v1/messages/{id}/lease {}',
    400,
    'consumer must match ^[A-Za-z0-9_.:-]{1,64}$; extendMs must be an integer from 1 to 3600000',
  ],
  ['nova: POST /v1/messages/{id}/lease []', 400, 'body must be a JSON object'],
  [
    'nova: POST /v1/messages/{id}/lease {"consumer":"w"}',
    400,
    'extendMs must be an integer from 1 to 3600000',
  ],
  ['nova: POST /v1/messages/{id}/lease {"extendMs":5}', 400, 'consumer must match ^[A-Za-z0-9_.:-]{1,64}$'],
  [
    'nova: POST /v1/messages/{id}/lease {"consumer":"w","extendMs":0}',
    400,
    'extendMs must be an integer from 1 to 3600000',
  ],
  [
    'nova: POST /v1/messages/{id}/lease {"consumer":"w","extendMs":1.5}',
    400,
    'extendMs must be an integer from 1 to 3600000',
  ],
  [
    'nova: POST /v1/messages/{id}/lease {"consumer":"w","extendMs":"x"}',
    400,
    'extendMs must be an integer from 1 to 3600000',
  ],
  [
    'nova: POST /v1/messages/{id}/lease {"consumer":"w","extendMs":3600001}',
    400,
    'extendMs must be an integer from 1 to 3600000',
  ],
  [
    'nova: POST /v1/messages/{id}/lease {"consumer":"bad space","extendMs":5}',
    400,
    'consumer must match ^[A-Za-z0-9_.:-]{1,64}$',
  ],
  [
    'nova: POST /v1/messages/{id}/lease {"consumer":"w","extendMs":5,"agentId":"X"}',
    400,
    "agentId must match ^[a-z0-9][a-z0-9_-]{0,63}$ and not be 'broadcast'",
  ],
  ['nova: POST /v1/messages/{id}/nack "x"', 400, 'body must be a JSON object'],
  ['nova: POST /v1/messages/{id}/nack {"requeue":"x"}', 400, 'requeue must be a boolean value'],
  [
    'nova: POST /v1/messages/{id}/nack {"delayMs":-1}',
    400,
    'delayMs must be an integer between 0 and 3600000',
  ],
  [
    'nova: POST /v1/messages/{id}/nack {"delayMs":3600001}',
    400,
    'delayMs must be an integer between 0 and 3600000',
  ],
  [
    'nova: POST /v1/messages/{id}/nack {"delayMs":"x"}',
    400,
    'delayMs must be an integer between 0 and 3600000',
  ],
  [
    'nova: POST /v1/messages/{id}/nack {"delayMs":1.5}',
    400,
    'delayMs must be an integer between 0 and 3600000',
  ],
  [
    'nova: POST /v1/messages/{id}/nack {"reason":1}',
    400,
    'reason must be a string of at most 500 characters',
  ],
  [
    'nova: POST /v1/messages/{id}/nack {"reason":"rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr… (1014 chars)',
    400,
    'reason must be a string of at most 500 characters',
  ],
  [
    'nova: POST /v1/messages/{id}/nack {"reason":"a\\u0000"}',
    400,
    'reason must not contain NUL or unpaired surrogate characters',
  ],
  ['nova: POST /v1/messages/{id}/nack {"consumer":""}', 400, 'consumer must match ^[A-Za-z0-9_.:-]{1,64}$'],
  ['nova: POST /v1/messages/{id}/nack {"foo":1}', 400, 'property foo should not exist'],
];

const REASONS: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden' };

describe('validation messages on the hot routes (e2e)', () => {
  let brain: TestBrain;

  beforeAll(async () => {
    brain = await startBrain('valmessages', { agents: ['nova', 'dexter'] });
  });

  afterAll(() => brain?.close());

  it('names every request once, and has an answer for each', () => {
    const labels = INVALID_REQUESTS.map(label);
    expect(new Set(labels).size).toBe(labels.length);
    expect(ANSWERS.map(([name]) => name)).toEqual(labels);
  });

  it('answers each exactly as recorded', async () => {
    const answers = new Map(ANSWERS.map(([name, status, message]) => [name, { status, message }]));
    const differences: string[] = [];
    for (const request of INVALID_REQUESTS) {
      const response = await brain.client.request(
        request.method,
        request.path.replace('{id}', randomUUID()),
        {
          token: request.as === 'admin' ? ADMIN_TOKEN : brain.token.nova,
          rawBody: request.raw,
        },
      );
      const expected = answers.get(label(request))!;
      const body = (response.body ?? {}) as Record<string, unknown>;
      const got =
        response.status >= 400
          ? { status: response.status, message: body.message as string }
          : { status: response.status, message: null };
      const shaped =
        response.status < 400 ||
        (body.statusCode === response.status && body.error === REASONS[response.status]);
      if (got.status !== expected.status || got.message !== expected.message || !shaped)
        differences.push(`${label(request)}: ${JSON.stringify(body)} (expected ${JSON.stringify(expected)})`);
    }
    expect(differences).toEqual([]);
  });
});
