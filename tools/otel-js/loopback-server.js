// A loopback HTTP server that reads each request's body whole and hands it to
// handler(req, body, res): the fake model server and OTLP sink of record.js and soak.js.
'use strict';

const http = require('http');

function startServer(handler) {
    return new Promise(resolve => {
        const server = http.createServer((req, res) => {
            const chunks = [];
            req.on('data', c => chunks.push(c));
            req.on('end', () => handler(req, Buffer.concat(chunks), res));
        });
        server.listen(0, '127.0.0.1', () => resolve(server));
    });
}

module.exports = {startServer};
