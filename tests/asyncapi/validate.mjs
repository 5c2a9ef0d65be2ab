// Validates AsyncAPI documents: node validate.mjs [FILE ...] (default: docs/asyncapi.yaml of this repository).
//
// 1. @asyncapi/parser with its default ruleset (Spectral: the AsyncAPI 3 JSON Schema, references, the recommended and
//    AsyncAPI 3 rules), every diagnostic printed;
// 2. every message example against its message's payload and headers schemas. The parser checks examples only for
//    AsyncAPI 2; here they are checked with Ajv in the payload schemas' own dialect (JSON Schema 2020-12, what
//    docs/schemas declares), formats included (date-time, uuid).
//
// Node.js 18.18 or later (Debian 12's nodejs is 18.19): package.json pins jsep, a dependency of the parser's JSONPath
// engines, to 1.4.0 ("overrides"), whose engines say Node 10.16 or later; jsep 1.5 and later ask for Node 20.16.
//
// Exit code: 0 when no document has an error (warnings, information and hints are printed, not fatal), 1 when one
// has, 2 when a file cannot be read.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';
import { Parser, fromFile, DiagnosticSeverity } from '@asyncapi/parser';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const here = path.dirname(fileURLToPath(import.meta.url));
const files = process.argv.length > 2 ? process.argv.slice(2) : [path.resolve(here, '..', '..', 'docs', 'asyncapi.yaml')];

const severityName = (severity) => DiagnosticSeverity[severity]?.toLowerCase() ?? String(severity);

function report(file, diagnostic) {
  const start = diagnostic.range?.start;
  const where = start ? `${file}:${start.line + 1}:${start.character + 1}` : file;
  const at = diagnostic.path?.length ? ` (at ${diagnostic.path.join('/')})` : '';
  console.log(`${where}: ${severityName(diagnostic.severity)} ${diagnostic.code}: ${diagnostic.message}${at}`);
}

// One validator per schema: the schemas carry $id, which Ajv registers once per instance.
function validatorFor(schema) {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(schema);
}

function exampleDiagnostics(document) {
  const found = [];
  for (const message of document.allMessages().all()) {
    const parts = [['payload', message.payload()], ['headers', message.headers()]];
    message.examples().all().forEach((example, index) => {
      for (const [part, schema] of parts) {
        const value = part === 'payload' ? example.payload() : example.headers();
        if (value === undefined)
          continue;
        const where = ['components', 'messages', message.id(), 'examples', String(index), part];
        if (!schema) {
          found.push({ severity: DiagnosticSeverity.Error, code: 'message-examples', path: where, message: `example "${example.name() ?? index}" has ${part} but the message declares no ${part} schema` });
          continue;
        }
        // A multi-format schema object ({schemaFormat, schema}) wraps the schema itself.
        const json = schema.json();
        const validate = validatorFor(json.schemaFormat !== undefined && json.schema !== undefined ? json.schema : json);
        if (!validate(value)) {
          for (const error of validate.errors)
            found.push({ severity: DiagnosticSeverity.Error, code: 'message-examples', path: where,
              message: `example "${example.name() ?? index}" of ${message.id()} breaks its ${part} schema: ${error.instancePath || '/'} ${error.message}` });
        }
      }
    });
  }
  return found;
}

let failed = false;
for (const file of files) {
  if (!fs.existsSync(file)) {
    console.error(`${file}: no such file`);
    process.exit(2);
  }
  const { document, diagnostics } = await fromFile(new Parser(), file).parse();
  const all = [...diagnostics, ...(document ? exampleDiagnostics(document) : [])];
  all.forEach((d) => report(file, d));
  const count = (severity) => all.filter((d) => d.severity === severity).length;
  const errors = count(DiagnosticSeverity.Error);
  console.log(`${file}: ${document ? 'parsed' : 'NOT parsed'}; ${errors} error(s), ${count(DiagnosticSeverity.Warning)} warning(s), ` +
    `${count(DiagnosticSeverity.Information)} information, ${count(DiagnosticSeverity.Hint)} hint(s)` +
    (document ? `; ${document.channels().length} channels, ${document.operations().length} operations, ${document.allMessages().length} messages` : ''));
  if (!document || errors > 0)
    failed = true;
}

process.exit(failed ? 1 : 0);
