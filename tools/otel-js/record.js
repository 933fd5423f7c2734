// Records OTLP fixtures from the real OpenTelemetry JS SDK and its OpenAI instrumentation
// (@opentelemetry/instrumentation-openai) driving the real `openai` client against a fake model
// server on loopback. Nothing here is written by hand: the spans and log records are what the
// libraries emit. Run once with `tools/otel-js/record`; the output goes to
// tests/data/otel_js/ and is committed, so CI needs neither npm nor the network.
//
// Scenarios (each its own service.name, so the tests can tell them apart):
//   chat-tools        Chat Completions, a tool call and its answer, no agent span: each LLM call
//                     is its own trace, message content as log events (gen_ai.user.message, ...).
//   chat-agent        The same run under an application's own invoke_agent span: one trace.
//   responses         The Responses API: content as gen_ai.client.inference.operation.details.
//   chat-escalation   A user asking for a person; the model calls a handoff tool.
// Every scenario is exported twice: OTLP/JSON (traces.jsonl, logs.jsonl: one request per line, as
// a collector's file exporter writes) and OTLP/protobuf (one request per file, *.pb).

'use strict';

const fs = require('fs');
const path = require('path');
const {startServer} = require('./loopback-server');

const outDir = path.resolve(__dirname, '../../tests/data/otel_js');

// --- the fake model server: canned answers, chosen by what the request holds ----------------

function chatAnswer(body) {
    const messages = body.messages || [];
    const last = messages[messages.length - 1] || {};
    const base = {
        id: 'chatcmpl-' + messages.length,
        object: 'chat.completion',
        created: 1764496800,
        model: body.model + '-2025-04-14',
        system_fingerprint: 'fp_fixture',
    };
    const usage = (input, output) => ({
        prompt_tokens: input,
        completion_tokens: output,
        total_tokens: input + output,
    });
    const userText = messages.filter(m => m.role === 'user').map(m => m.content).join(' ');
    if (last.role === 'user' && /human|person|agent/i.test(userText)) {
        return {
            ...base,
            choices: [{
                index: 0,
                finish_reason: 'tool_calls',
                message: {
                    role: 'assistant',
                    content: null,
                    tool_calls: [{
                        id: 'call_handoff_1',
                        type: 'function',
                        function: {name: 'transfer_to_human', arguments: '{"reason":"customer asked for a person"}'},
                    }],
                },
            }],
            usage: usage(96, 21),
        };
    }
    if (last.role === 'user') {
        return {
            ...base,
            choices: [{
                index: 0,
                finish_reason: 'tool_calls',
                message: {
                    role: 'assistant',
                    content: null,
                    tool_calls: [{
                        id: 'call_weather_1',
                        type: 'function',
                        function: {name: 'get_weather', arguments: '{"city":"Lisbon"}'},
                    }],
                },
            }],
            usage: usage(82, 17),
        };
    }
    const toolText = last.role === 'tool' ? last.content : '';
    const text = /transferred/.test(toolText)
        ? 'I have passed this to a colleague from our support team; they will reply here shortly.'
        : 'It is 21 °C and sunny in Lisbon right now.';
    return {
        ...base,
        choices: [{index: 0, finish_reason: 'stop', message: {role: 'assistant', content: text}}],
        usage: usage(120, 14),
    };
}

function responsesAnswer(body) {
    return {
        id: 'resp_fixture_1',
        object: 'response',
        created_at: 1764496800,
        status: 'completed',
        model: body.model + '-2025-04-14',
        output: [{
            type: 'message',
            id: 'msg_fixture_1',
            role: 'assistant',
            status: 'completed',
            content: [{type: 'output_text', text: 'Your order #4411 left our warehouse yesterday.', annotations: []}],
        }],
        usage: {input_tokens: 41, output_tokens: 12, total_tokens: 53},
        error: null,
        incomplete_details: null,
        instructions: body.instructions || null,
        parallel_tool_calls: true,
        tool_choice: 'auto',
        tools: [],
        text: {format: {type: 'text'}},
    };
}

// --- the OTLP sink: keeps each request body as it came --------------------------------------

const captured = []; // {signal, contentType, body}

async function main() {
    const model = await startServer((req, body, res) => {
        const request = JSON.parse(body.toString() || '{}');
        const answer = req.url.endsWith('/responses') ? responsesAnswer(request) : chatAnswer(request);
        res.writeHead(200, {'content-type': 'application/json'});
        res.end(JSON.stringify(answer));
    });
    const sink = await startServer((req, body, res) => {
        captured.push({signal: req.url.includes('logs') ? 'logs' : 'traces',
                       contentType: req.headers['content-type'], body});
        res.writeHead(200, {'content-type': req.headers['content-type']});
        res.end(req.headers['content-type'].includes('json') ? '{}' : '');
    });
    const sinkUrl = `http://127.0.0.1:${sink.address().port}`;

    const {NodeTracerProvider} = require('@opentelemetry/sdk-trace-node');
    const {SimpleSpanProcessor} = require('@opentelemetry/sdk-trace-base');
    const {LoggerProvider, SimpleLogRecordProcessor} = require('@opentelemetry/sdk-logs');
    const {resourceFromAttributes} = require('@opentelemetry/resources');
    const api = require('@opentelemetry/api');
    const logsApi = require('@opentelemetry/api-logs');
    const {OpenAIInstrumentation} = require('@opentelemetry/instrumentation-openai');
    const {registerInstrumentations} = require('@opentelemetry/instrumentation');
    const exporters = {
        json: {
            traces: require('@opentelemetry/exporter-trace-otlp-http').OTLPTraceExporter,
            logs: require('@opentelemetry/exporter-logs-otlp-http').OTLPLogExporter,
        },
        protobuf: {
            traces: require('@opentelemetry/exporter-trace-otlp-proto').OTLPTraceExporter,
            logs: require('@opentelemetry/exporter-logs-otlp-proto').OTLPLogExporter,
        },
    };

    const instrumentation = new OpenAIInstrumentation({captureMessageContent: true});
    registerInstrumentations({instrumentations: [instrumentation]});
    const OpenAI = require('openai').default;
    const client = new OpenAI({apiKey: 'fixture', baseURL: `http://127.0.0.1:${model.address().port}/v1`});

    const tools = [
        {type: 'function', function: {name: 'get_weather', parameters: {type: 'object', properties: {city: {type: 'string'}}}}},
        {type: 'function', function: {name: 'transfer_to_human', parameters: {type: 'object', properties: {reason: {type: 'string'}}}}},
    ];
    const system = {role: 'system', content: 'You are the travel desk assistant. Use tools when they help.'};

    // One agent loop: call the model, run the tools it asks for, call it again with the results.
    async function agentLoop(userText, runTool) {
        const messages = [system, {role: 'user', content: userText}];
        for (let turn = 0; turn < 4; ++turn) {
            const completion = await client.chat.completions.create({model: 'gpt-4.1', messages, tools});
            const message = completion.choices[0].message;
            messages.push(message);
            if (!message.tool_calls)
                return;
            for (const call of message.tool_calls)
                messages.push({role: 'tool', tool_call_id: call.id, content: runTool(call)});
        }
    }
    const runTool = call => call.function.name === 'get_weather'
        ? '{"temperature_c":21,"sky":"sunny"}'
        : '{"status":"transferred","queue":"support"}';

    const scenarios = {
        'chat-tools': () => agentLoop('What is the weather in Lisbon?', runTool),
        'chat-agent': () => {
            const tracer = api.trace.getTracer('travel-desk');
            return tracer.startActiveSpan('invoke_agent travel-desk', {
                attributes: {
                    'gen_ai.operation.name': 'invoke_agent',
                    'gen_ai.agent.name': 'travel-desk',
                    'gen_ai.conversation.id': 'conv-fixture-7',
                },
            }, async span => {
                await agentLoop('What is the weather in Lisbon?', runTool);
                span.end();
            });
        },
        'responses': () => client.responses.create({
            model: 'gpt-4.1',
            instructions: 'You are the order desk assistant.',
            input: 'Where is my order #4411?',
        }),
        'chat-escalation': () => agentLoop('This is the third time I ask. Let me talk to a human, please.', runTool),
    };

    for (const encoding of ['json', 'protobuf']) {
        for (const [name, run] of Object.entries(scenarios)) {
            const resource = resourceFromAttributes({'service.name': name, 'service.version': '1.4.0'});
            const tracerProvider = new NodeTracerProvider({
                resource,
                spanProcessors: [new SimpleSpanProcessor(new exporters[encoding].traces({url: `${sinkUrl}/v1/traces`}))],
            });
            const loggerProvider = new LoggerProvider({
                resource,
                processors: [new SimpleLogRecordProcessor({exporter: new exporters[encoding].logs({url: `${sinkUrl}/v1/logs`})})],
            });
            api.trace.disable();
            logsApi.logs.disable();
            tracerProvider.register();
            logsApi.logs.setGlobalLoggerProvider(loggerProvider);
            instrumentation.setTracerProvider(tracerProvider);
            instrumentation.setLoggerProvider(loggerProvider);
            const first = captured.length;
            await run();
            await tracerProvider.forceFlush();
            await loggerProvider.forceFlush();
            await new Promise(r => setTimeout(r, 200));
            await tracerProvider.shutdown();
            await loggerProvider.shutdown();
            write(encoding, name, captured.slice(first));
        }
    }
    model.close();
    sink.close();
}

function write(encoding, scenario, requests) {
    const dir = path.join(outDir, scenario);
    fs.mkdirSync(dir, {recursive: true});
    const counts = {traces: 0, logs: 0};
    for (const signal of ['traces', 'logs']) {
        const bodies = requests.filter(r => r.signal === signal).map(r => r.body);
        counts[signal] = bodies.length;
        if (encoding === 'json') {
            const lines = bodies.map(b => JSON.stringify(JSON.parse(b.toString()))).join('\n');
            fs.writeFileSync(path.join(dir, `${signal}.jsonl`), lines + '\n');
        } else {
            bodies.forEach((b, i) => fs.writeFileSync(path.join(dir, `${signal}-${i + 1}.pb`), b));
        }
    }
    console.log(`${scenario} (${encoding}): ${counts.traces} trace requests, ${counts.logs} log requests`);
}

main().catch(error => {
    console.error(error);
    process.exit(1);
});
