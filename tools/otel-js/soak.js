// Soaks a Winnow OTLP/HTTP receiver with the real OpenTelemetry JS SDK (issue #13): several
// exporter processes, each an application of its own (its own service.name, TracerProvider and
// LoggerProvider with the SDK's batch processors, as production sets them up), run agent loops
// through the real `openai` client and its OpenTelemetry instrumentation against a fake model
// server, and export to the receiver: spans over /v1/traces and message content as log records
// over /v1/logs, half of the processes as OTLP/JSON, half as protobuf. Midway one more process
// sends a burst of small requests (one span each, SimpleSpanProcessor: one request per span) at a
// set rate for a few seconds.
//   node soak.js --url http://127.0.0.1:4318 --seconds 600 --exporters 4 --runs 8
//                [--burst-rate 1000 --burst-seconds 10]
// Prints one JSON object: what was made, what the exporters were told (success or failure, by
// span, log record and request) and the request latencies as the exporter saw them (each export
// call, retries included), so that a caller can set them against what the store holds.
'use strict';

const {fork} = require('child_process');
const {startServer} = require('./loopback-server');

function option(name, fallback) {
    const at = process.argv.indexOf('--' + name);
    return at > 0 ? process.argv[at + 1] : fallback;
}

function percentile(sorted, p) {
    if (!sorted.length)
        return null;
    return sorted[Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)];
}

function latencySummary(values) {
    const sorted = values.slice().sort((a, b) => a - b);
    const round = v => v === null ? null : Math.round(v * 10) / 10;
    return {
        requests: sorted.length,
        p50_ms: round(percentile(sorted, 50)),
        p90_ms: round(percentile(sorted, 90)),
        p99_ms: round(percentile(sorted, 99)),
        max_ms: round(sorted.length ? sorted[sorted.length - 1] : null),
    };
}

// --- an exporter that counts what it was told and times each export call ----------------------

class CountingExporter {
    constructor(inner, tally) {
        this.inner = inner;
        this.tally = tally;
    }
    export(items, done) {
        const started = process.hrtime.bigint();
        this.inner.export(items, result => {
            this.tally.latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
            if (result.code === 0) {
                this.tally.ok += items.length;
            } else {
                this.tally.failed += items.length;
                const message = String(result.error && result.error.message).slice(0, 120);
                this.tally.errors[message] = (this.tally.errors[message] || 0) + 1;
            }
            done(result);
        });
    }
    forceFlush() {
        return this.inner.forceFlush ? this.inner.forceFlush() : Promise.resolve();
    }
    shutdown() {
        return this.inner.shutdown();
    }
}

const newTally = () => ({ok: 0, failed: 0, latencies: [], errors: {}});

function exporterClasses(encoding) {
    return encoding === 'json'
        ? {traces: require('@opentelemetry/exporter-trace-otlp-http').OTLPTraceExporter,
           logs: require('@opentelemetry/exporter-logs-otlp-http').OTLPLogExporter}
        : {traces: require('@opentelemetry/exporter-trace-otlp-proto').OTLPTraceExporter,
           logs: require('@opentelemetry/exporter-logs-otlp-proto').OTLPLogExporter};
}

// --- the fake model: a tool call for the question, then an answer from the tool's result --------

function chatAnswer(body, serial) {
    const messages = body.messages || [];
    const last = messages[messages.length - 1] || {};
    const base = {id: 'chatcmpl-soak-' + serial, object: 'chat.completion', created: Math.floor(Date.now() / 1000),
                  model: body.model + '-2025-04-14'};
    const usage = (input, output) => ({prompt_tokens: input, completion_tokens: output, total_tokens: input + output});
    if (last.role === 'user') {
        const human = /human|person/i.test(last.content);
        return {...base, usage: usage(90, 18), choices: [{index: 0, finish_reason: 'tool_calls', message: {
            role: 'assistant', content: null, tool_calls: [{id: 'call_' + serial, type: 'function', function: human
                ? {name: 'transfer_to_human', arguments: '{"reason":"customer asked for a person"}'}
                : {name: 'lookup_order', arguments: JSON.stringify({order: String(4000 + serial % 1000)})}}]}}]};
    }
    const transferred = last.role === 'tool' && /transferred/.test(last.content);
    return {...base, usage: usage(130, 16), choices: [{index: 0, finish_reason: 'stop', message: {role: 'assistant',
        content: transferred ? 'A colleague from support will reply here shortly.'
                             : `Order ${4000 + serial % 1000} left the warehouse yesterday.`}}]};
}

function startModelServer() {
    let serial = 0;
    return startServer((req, body, res) => {
        res.writeHead(200, {'content-type': 'application/json'});
        res.end(JSON.stringify(chatAnswer(JSON.parse(body.toString() || '{}'), ++serial)));
    });
}

// --- one exporter process: agent runs at a steady rate for a time ------------------------------

async function exporterProcess(index, encoding, url, seconds, runsPerSecond) {
    const {NodeTracerProvider} = require('@opentelemetry/sdk-trace-node');
    const {BatchSpanProcessor} = require('@opentelemetry/sdk-trace-base');
    const {LoggerProvider, BatchLogRecordProcessor} = require('@opentelemetry/sdk-logs');
    const {resourceFromAttributes} = require('@opentelemetry/resources');
    const api = require('@opentelemetry/api');
    const logsApi = require('@opentelemetry/api-logs');
    const {OpenAIInstrumentation} = require('@opentelemetry/instrumentation-openai');
    const {registerInstrumentations} = require('@opentelemetry/instrumentation');

    const classes = exporterClasses(encoding);
    const spans = newTally();
    const logs = newTally();
    const resource = resourceFromAttributes({'service.name': `soak-${index}`, 'service.version': '2.0.0'});
    const tracerProvider = new NodeTracerProvider({resource, spanProcessors: [new BatchSpanProcessor(
        new CountingExporter(new classes.traces({url: `${url}/v1/traces`}), spans))]});
    const loggerProvider = new LoggerProvider({resource, processors: [new BatchLogRecordProcessor(
        {exporter: new CountingExporter(new classes.logs({url: `${url}/v1/logs`}), logs)})]});
    tracerProvider.register();
    logsApi.logs.setGlobalLoggerProvider(loggerProvider);
    const instrumentation = new OpenAIInstrumentation({captureMessageContent: true});
    instrumentation.setTracerProvider(tracerProvider);
    instrumentation.setLoggerProvider(loggerProvider);
    registerInstrumentations({instrumentations: [instrumentation]});

    const model = await startModelServer();
    const OpenAI = require('openai').default;
    const client = new OpenAI({apiKey: 'soak', baseURL: `http://127.0.0.1:${model.address().port}/v1`, maxRetries: 0});
    const tools = ['lookup_order', 'transfer_to_human'].map(name =>
        ({type: 'function', function: {name, parameters: {type: 'object', properties: {}}}}));
    const tracer = api.trace.getTracer('soak-agent');
    const questions = ['Where is my order?', 'Has my parcel shipped yet?', 'I want to talk to a human about my order.'];

    let runs = 0;
    let failedRuns = 0;
    async function agentRun(serial) {
        await tracer.startActiveSpan(`invoke_agent soak-${index}`, {attributes: {
            'gen_ai.operation.name': 'invoke_agent',
            'gen_ai.agent.name': `soak-${index}`,
            'gen_ai.conversation.id': `soak-${index}-${serial}`,
        }}, async span => {
            try {
                const messages = [{role: 'system', content: 'You are the order desk.'},
                                  {role: 'user', content: questions[serial % questions.length]}];
                for (let turn = 0; turn < 3; ++turn) {
                    const completion = await client.chat.completions.create({model: 'gpt-4.1-mini', messages, tools});
                    const message = completion.choices[0].message;
                    messages.push(message);
                    if (!message.tool_calls)
                        break;
                    for (const call of message.tool_calls)
                        messages.push({role: 'tool', tool_call_id: call.id, content:
                            call.function.name === 'transfer_to_human' ? '{"status":"transferred"}' : '{"status":"shipped"}'});
                }
                ++runs;
            } catch (error) {
                ++failedRuns;
            } finally {
                span.end();
            }
        });
    }

    // Runs start on a fixed schedule, not one after another, so a slow receiver does not slow the
    // load down (as production traffic would not wait for its telemetry).
    const started = Date.now();
    const inFlight = new Set();
    let serial = 0;
    await new Promise(resolve => {
        const timer = setInterval(() => {
            const due = Math.floor((Date.now() - started) / 1000 * runsPerSecond);
            while (serial < due) {
                const run = agentRun(serial++);
                inFlight.add(run);
                run.finally(() => inFlight.delete(run));
            }
            if (Date.now() - started >= seconds * 1000) {
                clearInterval(timer);
                resolve();
            }
        }, 20);
    });
    await Promise.all(inFlight);
    await tracerProvider.forceFlush();
    await loggerProvider.forceFlush();
    await tracerProvider.shutdown();
    await loggerProvider.shutdown();
    model.close();
    return {index, encoding, runs, failedRuns, spans, logs};
}

// --- the burst: one small span per request, at a set rate ---------------------------------------

async function burstProcess(url, rate, seconds) {
    const {BasicTracerProvider, SimpleSpanProcessor} = require('@opentelemetry/sdk-trace-base');
    const {resourceFromAttributes} = require('@opentelemetry/resources');
    const classes = exporterClasses('json');
    const spans = newTally();
    const exporter = new classes.traces({url: `${url}/v1/traces`, concurrencyLimit: 10 * rate});
    const provider = new BasicTracerProvider({resource: resourceFromAttributes({'service.name': 'soak-burst'}),
        spanProcessors: [new SimpleSpanProcessor(new CountingExporter(exporter, spans))]});
    const tracer = provider.getTracer('soak-burst');
    const total = Math.round(rate * seconds);
    const started = Date.now();
    let made = 0;
    await new Promise(resolve => {
        const timer = setInterval(() => {
            const due = Math.min(total, Math.floor((Date.now() - started) / 1000 * rate));
            for (; made < due; ++made) {
                const span = tracer.startSpan('chat gpt-4.1-nano', {attributes: {
                    'gen_ai.operation.name': 'chat',
                    'gen_ai.request.model': 'gpt-4.1-nano',
                    'gen_ai.conversation.id': `burst-${made}`,
                    'gen_ai.input.messages': JSON.stringify([{role: 'user', parts: [{type: 'text', content: `ping ${made}`}]}]),
                    'gen_ai.output.messages': JSON.stringify([{role: 'assistant', parts: [{type: 'text', content: 'pong'}],
                                                               finish_reason: 'stop'}]),
                }});
                span.end();
            }
            if (made >= total) {
                clearInterval(timer);
                resolve();
            }
        }, 5);
    });
    const sentSeconds = (Date.now() - started) / 1000;
    await provider.forceFlush();
    await provider.shutdown();
    return {made, sentSeconds, spans};
}

// --- the parent: starts the processes, waits, sums up --------------------------------------------

function runChild(args) {
    return new Promise((resolve, reject) => {
        const child = fork(__filename, ['--child', JSON.stringify(args)], {stdio: ['ignore', 'inherit', 'inherit', 'ipc']});
        child.on('message', resolve);
        child.on('exit', code => code === 0 || reject(new Error(`soak child ${JSON.stringify(args)} exited ${code}`)));
    });
}

async function parent() {
    const url = option('url', 'http://127.0.0.1:4318');
    const seconds = Number(option('seconds', 600));
    const exporters = Number(option('exporters', 4));
    const runsPerSecond = Number(option('runs', 8));
    const burstRate = Number(option('burst-rate', 1000));
    const burstSeconds = Number(option('burst-seconds', 10));

    const children = [];
    for (let i = 0; i < exporters; ++i)
        children.push(runChild({kind: 'exporter', index: i, encoding: i % 2 ? 'protobuf' : 'json', url, seconds,
                                runsPerSecond}));
    const burst = burstRate > 0
        ? new Promise(r => setTimeout(r, seconds * 500)).then(() => runChild({kind: 'burst', url, rate: burstRate,
                                                                               seconds: burstSeconds}))
        : Promise.resolve(null);
    const results = await Promise.all(children);
    const burstResult = await burst;

    const sum = (key, field) => results.reduce((n, r) => n + r[key][field], 0);
    const errors = {};
    for (const r of [...results, ...(burstResult ? [burstResult] : [])])
        for (const key of ['spans', 'logs'])
            for (const [message, n] of Object.entries((r[key] || {}).errors || {}))
                errors[message] = (errors[message] || 0) + n;
    const summary = {
        seconds, exporters, runs_per_second_each: runsPerSecond,
        agent_runs: results.reduce((n, r) => n + r.runs, 0),
        failed_agent_runs: results.reduce((n, r) => n + r.failedRuns, 0),
        spans_exported: sum('spans', 'ok'), spans_failed: sum('spans', 'failed'),
        log_records_exported: sum('logs', 'ok'), log_records_failed: sum('logs', 'failed'),
        trace_requests: latencySummary(results.flatMap(r => r.spans.latencies)),
        log_requests: latencySummary(results.flatMap(r => r.logs.latencies)),
        burst: burstResult && {
            requests_made: burstResult.made,
            target_rate: burstRate,
            achieved_rate: Math.round(burstResult.made / burstResult.sentSeconds),
            spans_exported: burstResult.spans.ok, spans_failed: burstResult.spans.failed,
            latency: latencySummary(burstResult.spans.latencies),
        },
        errors,
    };
    process.stdout.write(JSON.stringify(summary, null, 1) + '\n');
}

if (process.argv[2] === '--child') {
    const args = JSON.parse(process.argv[3]);
    const work = args.kind === 'burst'
        ? burstProcess(args.url, args.rate, args.seconds)
        : exporterProcess(args.index, args.encoding, args.url, args.seconds, args.runsPerSecond);
    work.then(result => process.send(result, () => process.exit(0)),
              error => { console.error(error); process.exit(1); });
} else {
    parent().catch(error => { console.error(error); process.exit(1); });
}
