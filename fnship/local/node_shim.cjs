// The child side of `fn invoke --local` (and of fn dev's warm workers) for Node.js handlers: a tiny Lambda-like
// runtime, run with the machine's `node` by fnship/local/runner.py. It mirrors the Python shim (bootstrap.py) and
// its protocol: the event arrives on stdin; stdout/stderr are the function's log; one JSON message per phase goes
// to the control file descriptor (`init` once the handler's module is loaded, `done` with the response or the
// error). With FN_RUNNER_WARM=1 the module is loaded once, `init` is sent, then each line on stdin is one
// invocation {"event", "request_id", "deadline_ms", "arn"}, answered by one `done` carrying its request_id, until
// stdin ends.
//
// Like the AWS Node.js runtime (aws-lambda-nodejs-runtime-interface-client): CommonJS and ES modules, async,
// callback and context.done/succeed/fail handlers, the context object, console lines as
// `time\trequest-id\tLEVEL\tmessage`, error documents {errorType, errorMessage, trace}, Runtime.ImportModuleError,
// Runtime.UserCodeSyntaxError,
// Runtime.HandlerNotFound, Runtime.UnhandledPromiseRejection. It loads nothing of fnship.
"use strict";

const fs = require("fs");
const path = require("path");
const util = require("util");
const { pathToFileURL } = require("url");

const env = process.env;
const handlerSpec = env._FN_HANDLER;
const paths = (env._FN_PATHS || "").split(path.delimiter).filter(Boolean);
const controlFd = Number(env._FN_CONTROL_FD);
const timeoutMs = Number(env._FN_TIMEOUT_MS || "3000");
const firstRequestId = env._FN_REQUEST_ID || "";
const firstArn = env._FN_FUNCTION_ARN || "";
const warm = env.FN_RUNNER_WARM === "1";
for (const name of ["_FN_HANDLER", "_FN_PATHS", "_FN_CONTROL_FD", "_FN_TIMEOUT_MS", "_FN_REQUEST_ID", "_FN_FUNCTION_ARN", "FN_RUNNER_WARM"]) {
  delete env[name];
}

function send(message) {
  fs.writeSync(controlFd, JSON.stringify(message) + "\n");
}

// -- logging: one console call is one CloudWatch event (newlines travel as \r; the runner turns them back) --------
let currentRequestId = firstRequestId;
function logLine(level, args) {
  const text = util.format(...args).replace(/\n/g, "\r");
  fs.writeSync(1, `${new Date().toISOString()}\t${currentRequestId}\t${level}\t${text}\n`);
}
console.log = (...args) => logLine("INFO", args);
console.info = (...args) => logLine("INFO", args);
console.warn = (...args) => logLine("WARN", args);
console.error = (...args) => logLine("ERROR", args);
console.debug = (...args) => logLine("DEBUG", args);
console.trace = (...args) => logLine("TRACE", args);

function errorDocument(error, fallbackType) {
  if (error instanceof Error) {
    return {
      errorType: error.name || fallbackType || "Error",
      errorMessage: error.message,
      trace: (error.stack || "").split("\n"),
    };
  }
  return { errorType: fallbackType || "string", errorMessage: typeof error === "string" ? error : util.inspect(error), trace: [] };
}

function maxRssMb() {
  return Math.round(process.resourceUsage().maxRSS / 1024); // KiB
}

// -- loading the handler the runtime's way -------------------------------------------------------------------------
async function loadHandler() {
  const slash = handlerSpec.lastIndexOf("/");
  const folder = slash >= 0 ? handlerSpec.slice(0, slash + 1) : "";
  const base = handlerSpec.slice(slash + 1);
  const dot = base.indexOf(".");
  const moduleName = folder + (dot >= 0 ? base.slice(0, dot) : base);
  const exportPath = dot >= 0 ? base.slice(dot + 1).split(".") : [];
  const root = paths[0] || process.cwd();
  let file = null;
  for (const ext of [".js", ".mjs", ".cjs"]) {
    const candidate = path.resolve(root, moduleName + ext);
    if (fs.existsSync(candidate)) {
      file = candidate;
      break;
    }
  }
  if (file === null) {
    const error = new Error(`Cannot find module '${moduleName}'`);
    error.name = "Runtime.ImportModuleError";
    error.message = `Error: Cannot find module '${moduleName}'`;
    throw error;
  }
  let loaded;
  try {
    loaded = await import(pathToFileURL(file).href);
  } catch (cause) {
    const error = new Error(`${cause && cause.name ? cause.name : "Error"}: ${cause && cause.message ? cause.message : cause}`);
    // As the Node.js runtime: a syntax error in the handler's code has its own type.
    error.name = cause && cause.name === "SyntaxError" ? "Runtime.UserCodeSyntaxError" : "Runtime.ImportModuleError";
    error.stack = cause && cause.stack ? cause.stack : error.stack;
    throw error;
  }
  // An ES module's named export, or a CommonJS module's `module.exports.x` (the namespace's default).
  let target = exportPath.length && exportPath[0] in loaded ? loaded : loaded.default || loaded;
  for (const part of exportPath) {
    target = target == null ? undefined : target[part];
  }
  if (typeof target !== "function") {
    const error = new Error(`${handlerSpec.slice(slash + 1)} is undefined or not exported`);
    error.name = "Runtime.HandlerNotFound";
    throw error;
  }
  return target;
}

// -- one invocation --------------------------------------------------------------------------------------------------
function makeContext(requestId, arn, deadlineMs, finish) {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: arn,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, // a string, as in the AWS runtime
    awsRequestId: requestId,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    identity: undefined,
    clientContext: undefined,
    getRemainingTimeInMillis: () => Math.max(deadlineMs - Date.now(), 0),
    done: (error, result) => finish(error, result),
    succeed: (result) => finish(null, result),
    fail: (error) => finish(error == null ? new Error("handled") : error),
  };
}

let pending = null; // the invocation in flight: its finish(), for errors nobody caught

function invoke(handler, event, requestId, arn, deadlineMs) {
  return new Promise((resolve) => {
    const begun = process.hrtime.bigint();
    let settled = false;
    const finish = (error, result) => {
      if (settled) return;
      settled = true;
      pending = null;
      const durationMs = Number(process.hrtime.bigint() - begun) / 1e6;
      let payload;
      let errorType = null;
      if (error != null && error !== undefined) {
        const doc = errorDocument(error);
        errorType = doc.errorType;
        payload = JSON.stringify(doc);
        logLine("ERROR", ["Invoke Error \t" + JSON.stringify(doc)]);
      } else {
        try {
          payload = JSON.stringify(result === undefined ? null : result);
        } catch (cause) {
          const doc = { errorType: "Runtime.MarshalError", errorMessage: `Unable to stringify response body: ${cause.message}`, trace: [] };
          errorType = doc.errorType;
          payload = JSON.stringify(doc);
        }
      }
      resolve({ phase: "done", request_id: requestId, duration_ms: durationMs, max_memory_mb: maxRssMb(), payload, error: errorType });
    };
    pending = finish;
    currentRequestId = requestId;
    const context = makeContext(requestId, arn, deadlineMs, finish);
    try {
      const returned = handler(event, context, (error, result) => finish(error, result));
      if (returned && typeof returned.then === "function") {
        returned.then((result) => finish(null, result), (error) => finish(error || new Error("rejected")));
      } else if (returned !== undefined || handler.length < 2) {
        finish(null, returned); // a synchronous handler that takes no context: its value is the response
      } else if (!warm) {
        // It answers through the callback or context.done/succeed/fail; if it never does, the event loop
        // empties and the answer is null, as on Lambda.
        process.once("beforeExit", () => finish(null, undefined));
      }
    } catch (error) {
      finish(error);
    }
  });
}

process.on("uncaughtException", (error) => {
  if (pending) {
    pending(error);
  } else {
    logLine("ERROR", ["Uncaught Exception \t" + JSON.stringify(errorDocument(error))]);
    process.exit(129);
  }
});
process.on("unhandledRejection", (reason) => {
  const doc = errorDocument(reason);
  const error = new Error(`${doc.errorType}: ${doc.errorMessage}`);
  error.name = "Runtime.UnhandledPromiseRejection";
  error.stack = `Runtime.UnhandledPromiseRejection: ${error.message}`;
  if (pending) pending(error);
});

function readAll(stream) {
  return new Promise((resolve) => {
    const chunks = [];
    stream.on("data", (chunk) => chunks.push(chunk));
    stream.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}

async function main() {
  let firstEvent = null;
  if (!warm) {
    const raw = await readAll(process.stdin);
    firstEvent = raw.trim() ? JSON.parse(raw) : {};
  }
  const started = process.hrtime.bigint();
  let handler = null;
  let failure = null;
  try {
    handler = await loadHandler();
  } catch (error) {
    failure = error;
  }
  const initMs = Number(process.hrtime.bigint() - started) / 1e6;
  const deadlineMs = Date.now() + timeoutMs;
  if (warm && failure !== null) {
    logLine("ERROR", [`Uncaught Exception \t${JSON.stringify(errorDocument(failure))}`]); // once, at init
  }
  send({ phase: "init", init_ms: initMs, deadline_ms: deadlineMs, error: failure === null ? null : failure.name });

  const run = async (event, requestId, arn, deadline) => {
    if (failure !== null) {
      const doc = errorDocument(failure);
      if (!warm) logLine("ERROR", [`Uncaught Exception \t${JSON.stringify(doc)}`]);
      return { phase: "done", request_id: requestId, duration_ms: 0, max_memory_mb: maxRssMb(), payload: JSON.stringify(doc), error: doc.errorType };
    }
    return invoke(handler, event, requestId, arn, deadline);
  };

  if (!warm) {
    const done = await run(firstEvent, firstRequestId, firstArn, deadlineMs);
    send(done);
    process.exit(0); // as Lambda freezes the sandbox: timers left behind do not hold the answer back
  }
  const readline = require("readline");
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const message = JSON.parse(line);
    const done = await run(message.event === undefined ? {} : message.event, message.request_id, message.arn || firstArn, Number(message.deadline_ms) || Date.now() + timeoutMs);
    send(done);
  }
  process.exit(0);
}

main().catch((error) => {
  logLine("ERROR", [String(error && error.stack ? error.stack : error)]);
  process.exit(1);
});
