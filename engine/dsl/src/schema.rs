//! The JSON Schema (draft 2020-12) of the DSL 1.0.3 profile shopflow accepts, for YAML editors.
//!
//! The schema mirrors the loader in `parse/`: the same keys per object (`additionalProperties:
//! false` where the loader reports unknown keys), the same required fields and the same
//! constructs left out (gRPC/AsyncAPI/A2A/MCP calls, `run.container/script/shell`,
//! `use.catalogs/extensions`, certificate authentication, external schema resources). What only
//! the loader can check (that names resolve, that expressions compile, cron syntax) stays with
//! `shopflow validate`.

use serde_json::{Map, Value, json};

/// The schema's `$id`.
pub const SCHEMA_ID: &str = "https://shopflow.dev/schemas/flow-1.0.3.json";

/// `call:` names the loader refuses as function names: `http` and `openapi` have their own
/// shapes, the others are protocols shopflow does not run.
const RESERVED_CALLS: &[&str] = &["http", "grpc", "openapi", "asyncapi", "a2a", "mcp"];

/// HTTP methods, as the loader accepts them (it compares case-insensitively).
const HTTP_METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// `${ … }`; `[\s\S]` rather than `.` so expressions written as YAML block scalars match too.
const RUNTIME_EXPRESSION_PATTERN: &str = r"^\s*\$\{[\s\S]*\}\s*$";

/// ISO 8601 durations without years and months (their length varies, the loader refuses them).
const ISO8601_DURATION_PATTERN: &str = r"^P(?:\d+W|\d+D(?:T(?:\d+H(?:\d+M)?(?:\d+(?:[.,]\d+)?S)?|\d+M(?:\d+(?:[.,]\d+)?S)?|\d+(?:[.,]\d+)?S))?|T(?:\d+H(?:\d+M)?(?:\d+(?:[.,]\d+)?S)?|\d+M(?:\d+(?:[.,]\d+)?S)?|\d+(?:[.,]\d+)?S))$";

/// <https://semver.org/#is-there-a-suggested-regular-expression-regex-to-check-a-semver-string>
const SEMVER_PATTERN: &str = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$";

/// DSL 1.0.x, the versions shopflow runs.
const DSL_VERSION_PATTERN: &str = r"^1\.0\.(0|[1-9]\d*)(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$";

/// Namespaces and names: an RFC 1123 label.
const DSL_NAME_PATTERN: &str = r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$";

/// The schema; `builtins` are the built-in functions as (name, one-line description).
pub fn json_schema(builtins: &[(&str, &str)]) -> Value {
    let defs: Map<String, Value> = [
        ("workflow", workflow()),
        ("document", document()),
        ("use", uses()),
        ("evaluate", evaluate()),
        ("schedule", schedule()),
        ("taskList", task_list()),
        ("task", task()),
        ("callHttp", call_http()),
        ("callOpenApi", call_openapi()),
        ("callFunction", call_function(builtins)),
        ("do", do_task()),
        ("emit", emit()),
        ("for", for_task()),
        ("fork", fork()),
        ("listen", listen()),
        ("raise", raise()),
        ("run", run()),
        ("set", set()),
        ("switch", switch()),
        ("switchCase", switch_case()),
        ("try", try_task()),
        ("catch", catch()),
        ("wait", wait()),
        ("endpoint", endpoint()),
        ("uriTemplate", uri_template()),
        ("flowDirective", flow_directive()),
        ("runtimeExpression", runtime_expression()),
        ("expression", expression()),
        ("duration", duration()),
        ("timeout", timeout()),
        ("timeoutReference", timeout_reference()),
        ("retryPolicy", retry_policy()),
        ("error", error()),
        ("errorFilter", error_filter()),
        ("eventProperties", event_properties()),
        ("eventFilter", event_filter()),
        ("eventConsumptionStrategy", event_consumption_strategy()),
        ("subscriptionIterator", subscription_iterator()),
        ("authentication", authentication()),
        ("authenticationReference", authentication_reference()),
        ("basicAuthentication", basic_authentication()),
        ("bearerAuthentication", bearer_authentication()),
        ("oauth2Authentication", oauth2_authentication()),
        ("input", input()),
        ("output", output()),
        ("export", export()),
        ("schema", schema()),
    ]
    .into_iter()
    .map(|(name, def)| (name.to_owned(), def))
    .collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "shopflow flow (Serverless Workflow DSL 1.0.3)",
        "description": "A flow as shopflow runs it: the Serverless Workflow DSL 1.0.3 without the constructs shopflow does not support. `shopflow validate` checks what a schema cannot (names, expressions, cron).",
        "$ref": "#/$defs/workflow",
        "$defs": defs,
    })
}

/// `{"$ref": "#/$defs/NAME"}`.
fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/$defs/{name}") })
}

/// `{"$ref": …, "description": …}`: a reference with its own wording at the place of use.
fn rd(name: &str, description: &str) -> Value {
    json!({ "$ref": format!("#/$defs/{name}"), "description": description })
}

/// A closed object: only `properties` are allowed.
fn object(description: &str, properties: Value, required: &[&str]) -> Value {
    let mut out = json!({
        "type": "object",
        "description": description,
        "properties": properties,
        "additionalProperties": false,
    });
    if !required.is_empty() {
        out["required"] = json!(required);
    }
    out
}

/// A map from names to `value`.
fn map_of(description: &str, value: Value) -> Value {
    json!({ "type": "object", "description": description, "additionalProperties": value })
}

fn string(description: &str) -> Value {
    json!({ "type": "string", "description": description })
}

fn string_list(description: &str) -> Value {
    json!({ "type": "array", "description": description, "items": { "type": "string" } })
}

fn workflow() -> Value {
    object(
        "A workflow: the tasks that carry out one business operation.",
        json!({
            "document": rd("document", "Documents the defined workflow."),
            "input": rd("input", "Configures the workflow's input."),
            "use": rd("use", "Defines the workflow's reusable components, if any."),
            "do": rd("taskList", "The task(s) that must be performed by the workflow."),
            "timeout": rd("timeoutReference", "The configuration, if any, of the workflow's timeout."),
            "output": rd("output", "Configures the workflow's output."),
            "schedule": rd("schedule", "Configures the workflow's schedule, if any."),
            "evaluate": rd("evaluate", "Configures runtime expression evaluation."),
        }),
        &["document", "do"],
    )
}

fn document() -> Value {
    object(
        "Documents the workflow definition.",
        json!({
            "dsl": {
                "type": "string",
                "description": "The version of the DSL used to define the workflow. shopflow runs 1.0.x.",
                "pattern": DSL_VERSION_PATTERN,
                "examples": ["1.0.3"],
            },
            "namespace": {
                "type": "string",
                "description": "The workflow's namespace: lower-case letters, digits and dashes.",
                "pattern": DSL_NAME_PATTERN,
                "maxLength": 63,
            },
            "name": {
                "type": "string",
                "description": "The workflow's name: lower-case letters, digits and dashes.",
                "pattern": DSL_NAME_PATTERN,
                "maxLength": 63,
            },
            "version": {
                "type": "string",
                "description": "The workflow's semantic version (quote it: '1.0.0').",
                "pattern": SEMVER_PATTERN,
                "examples": ["1.0.0"],
            },
            "title": string("The workflow's title."),
            "summary": string("The workflow's Markdown summary."),
            "tags": {
                "type": "object",
                "description": "A key/value mapping of the workflow's tags, if any.",
                "additionalProperties": { "type": ["string", "number", "boolean"] },
            },
            "metadata": { "type": "object", "description": "Additional information about the workflow." },
        }),
        &["dsl", "namespace", "name", "version"],
    )
}

fn uses() -> Value {
    object(
        "Defines the workflow's reusable components. shopflow does not support `catalogs` and `extensions`.",
        json!({
            "authentications": map_of(
                "A name/value mapping of the workflow's reusable authentication policies.",
                r("authentication"),
            ),
            "errors": map_of("A name/value mapping of the workflow's reusable errors.", r("error")),
            "functions": map_of("A name/value mapping of the workflow's reusable tasks, called by name with `call:`.", r("task")),
            "retries": map_of("A name/value mapping of the workflow's reusable retry policies.", r("retryPolicy")),
            "secrets": string_list("A list containing the workflow's secrets, read as `$secrets.NAME`."),
            "timeouts": map_of("A name/value mapping of the workflow's reusable timeouts.", r("timeout")),
        }),
        &[],
    )
}

fn evaluate() -> Value {
    object(
        "Configures a workflow's runtime expression evaluation.",
        json!({
            "language": {
                "const": "jq",
                "description": "The language used for writing runtime expressions. shopflow supports `jq` only.",
            },
            "mode": {
                "enum": ["strict", "loose"],
                "enumDescriptions": [
                    "Requires all expressions to be enclosed within `${ }` (the default).",
                    "Evaluates any value provided; if the evaluation fails, the value stays the string as written.",
                ],
                "description": "The runtime expression evaluation mode. Defaults to `strict`.",
            },
        }),
        &[],
    )
}

fn schedule() -> Value {
    let mut out = object(
        "Configures the schedule of a workflow: set at least one of `every`, `cron`, `after`, `on`.",
        json!({
            "every": rd("duration", "The interval at which the workflow runs, regardless of whether the previous run is still in progress."),
            "cron": {
                "type": "string",
                "description": "A cron expression: minute hour day-of-month month day-of-week ('0 9 * * *' is 09:00 daily), or a nickname such as `@daily`.",
                "examples": ["0 9 * * *", "@daily"],
            },
            "after": rd("duration", "A delay the workflow waits after it completes before it runs again."),
            "on": rd("eventConsumptionStrategy", "The events that start a run of the workflow."),
        }),
        &[],
    );
    out["minProperties"] = json!(1);
    out
}

fn task_list() -> Value {
    json!({
        "type": "array",
        "description": "Tasks run in order; each entry is `- taskName:` with the task under it.",
        "minItems": 1,
        "items": {
            "type": "object",
            "description": "One named task.",
            "minProperties": 1,
            "maxProperties": 1,
            "additionalProperties": r("task"),
        },
    })
}

fn task() -> Value {
    json!({
        "description": "A task: exactly one of call, do, emit, for, fork, listen, raise, run, set, switch, try, wait, plus the common task properties.",
        "oneOf": [
            r("callHttp"),
            r("callOpenApi"),
            r("callFunction"),
            r("do"),
            r("emit"),
            r("for"),
            r("fork"),
            r("listen"),
            r("raise"),
            r("run"),
            r("set"),
            r("switch"),
            r("try"),
            r("wait"),
        ],
    })
}

/// The properties every task has.
fn common_task_properties() -> Map<String, Value> {
    let common = json!({
        "if": rd("expression", "A runtime expression, if any, used to determine whether or not the task should be run; a skipped task outputs its raw input."),
        "input": rd("input", "An object used to customize the task's input and to document its schema, if any."),
        "output": rd("output", "An object used to customize the task's output and to document its schema, if any."),
        "export": rd("export", "An object used to customize the content of the workflow context."),
        "timeout": rd("timeoutReference", "The configuration of the task's timeout, if any."),
        "then": rd("flowDirective", "The flow directive to execute next. Defaults to `continue`."),
        "metadata": { "type": "object", "description": "Additional information about the task." },
    });
    match common {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// A task kind: its own properties plus the common ones, nothing else.
fn task_kind(description: &str, own: Value, required: &[&str]) -> Value {
    let mut properties = common_task_properties();
    if let Value::Object(own) = own {
        properties.extend(own);
    }
    object(description, Value::Object(properties), required)
}

fn call_http() -> Value {
    let methods: Vec<String> = HTTP_METHODS
        .iter()
        .map(|m| m.to_ascii_lowercase())
        .chain(HTTP_METHODS.iter().map(|m| (*m).to_owned()))
        .collect();
    task_kind(
        "Calls an HTTP endpoint.",
        json!({
            "call": { "const": "http", "description": "The name of the function to call: `http`." },
            "with": object(
                "The HTTP request.",
                json!({
                    "method": {
                        "description": "The HTTP request method.",
                        "anyOf": [{ "enum": methods }, r("runtimeExpression")],
                    },
                    "endpoint": {
                        "description": "An URI or an object that describes the HTTP endpoint to call.",
                        "anyOf": [r("uriTemplate"), r("runtimeExpression"), r("endpoint")],
                    },
                    "headers": {
                        "description": "A name/value mapping of the HTTP headers to use, if any.",
                        "anyOf": [{ "type": "object" }, r("runtimeExpression")],
                    },
                    "body": { "description": "The HTTP request body, if any." },
                    "query": {
                        "description": "A name/value mapping of the query parameters to use, if any.",
                        "anyOf": [{ "type": "object" }, r("runtimeExpression")],
                    },
                    "output": http_output(),
                    "redirect": redirect(),
                }),
                &["method", "endpoint"],
            ),
        }),
        &["call", "with"],
    )
}

fn call_openapi() -> Value {
    task_kind(
        "Calls an operation described by an OpenAPI (or Swagger 2) document.",
        json!({
            "call": { "const": "openapi", "description": "The name of the function to call: `openapi`." },
            "with": object(
                "The operation to call.",
                json!({
                    "document": object(
                        "The OpenAPI document that defines the operation to call.",
                        json!({
                            "name": string("The name, if any, of the document."),
                            "endpoint": {
                                "description": "Where to get the document: a URI or an endpoint object.",
                                "anyOf": [r("uriTemplate"), r("runtimeExpression"), r("endpoint")],
                            },
                        }),
                        &["endpoint"],
                    ),
                    "operationId": string("The id of the OpenAPI operation to call."),
                    "parameters": {
                        "type": "object",
                        "description": "A name/value mapping of the parameters of the operation, if any.",
                    },
                    "authentication": rd("authenticationReference", "The authentication policy, if any, to use when calling the operation."),
                    "output": http_output(),
                    "redirect": redirect(),
                }),
                &["document", "operationId"],
            ),
        }),
        &["call", "with"],
    )
}

fn http_output() -> Value {
    json!({
        "enum": ["content", "response", "raw"],
        "enumDescriptions": [
            "The content of the response, possibly deserialized (the default).",
            "The response: status, headers and content.",
            "The base-64 encoded content of the response.",
        ],
        "description": "The call's output format. Defaults to `content`.",
    })
}

fn redirect() -> Value {
    json!({
        "type": "boolean",
        "description": "Whether 3xx responses count as success. Defaults to `false`: any status outside 200–299 is an error.",
    })
}

fn call_function(builtins: &[(&str, &str)]) -> Value {
    let names: Vec<&str> = builtins.iter().map(|(name, _)| *name).collect();
    let descriptions: Vec<&str> = builtins
        .iter()
        .map(|(_, description)| *description)
        .collect();
    task_kind(
        "Calls a built-in function or one defined under `use.functions`.",
        json!({
            "call": {
                "description": "The name of the function to call: a built-in function or a name defined under `use.functions`.",
                "anyOf": [
                    {
                        "enum": names,
                        "enumDescriptions": descriptions,
                        "description": "A built-in function.",
                    },
                    {
                        "type": "string",
                        "minLength": 1,
                        "description": "A function defined under `use.functions`.",
                        "not": {
                            "anyOf": [
                                { "enum": RESERVED_CALLS },
                                { "type": "string", "pattern": "@|://" },
                            ],
                        },
                    },
                ],
            },
            "with": {
                "type": "object",
                "description": "A name/value mapping of the parameters to call the function with.",
            },
        }),
        &["call"],
    )
}

fn do_task() -> Value {
    task_kind(
        "Runs its subtasks in sequence.",
        json!({ "do": rd("taskList", "The tasks to perform sequentially.") }),
        &["do"],
    )
}

fn emit() -> Value {
    task_kind(
        "Publishes an event.",
        json!({
            "emit": object(
                "The event to emit.",
                json!({
                    "event": object(
                        "Defines the event to emit.",
                        json!({
                            "with": {
                                "allOf": [r("eventProperties")],
                                "description": "The event's attributes and data; `id`, `source` and `time` are filled in when absent.",
                                "required": ["type"],
                            },
                        }),
                        &["with"],
                    ),
                }),
                &["event"],
            ),
        }),
        &["emit"],
    )
}

fn for_task() -> Value {
    task_kind(
        "Iterates over a collection, running `do` for each item.",
        json!({
            "for": object(
                "What to iterate over.",
                json!({
                    "each": string("The name of the variable that holds the current item. Defaults to `item`."),
                    "in": rd("expression", "A runtime expression used to get the collection to enumerate."),
                    "at": string("The name of the variable that holds the index of the current item. Defaults to `index`."),
                }),
                &["in"],
            ),
            "while": rd("expression", "A runtime expression that must hold for the iteration to continue."),
            "do": rd("taskList", "The task(s) to perform for each item in the collection."),
        }),
        &["for", "do"],
    )
}

fn fork() -> Value {
    task_kind(
        "Runs branches concurrently.",
        json!({
            "fork": object(
                "The branches to run concurrently.",
                json!({
                    "branches": rd("taskList", "The tasks to perform concurrently."),
                    "compete": {
                        "type": "boolean",
                        "description": "Whether the branches race, the first to complete setting the output. Defaults to `false`: the output is the array of every branch's output, in declaration order.",
                    },
                }),
                &["branches"],
            ),
        }),
        &["fork"],
    )
}

fn listen() -> Value {
    task_kind(
        "Waits for one or more events.",
        json!({
            "listen": object(
                "The events to wait for.",
                json!({
                    "to": rd("eventConsumptionStrategy", "Configures the event(s) the workflow must listen to."),
                    "read": {
                        "enum": ["data", "envelope", "raw"],
                        "enumDescriptions": [
                            "Reads the event's data (the default).",
                            "Reads the event's envelope, including its context attributes.",
                            "Reads the event's raw data.",
                        ],
                        "description": "Specifies how events are read. Defaults to `data`.",
                    },
                }),
                &["to"],
            ),
            "foreach": rd("subscriptionIterator", "Configures the iterator, if any, for processing each consumed event."),
        }),
        &["listen"],
    )
}

fn raise() -> Value {
    task_kind(
        "Raises an error.",
        json!({
            "raise": object(
                "The error to raise.",
                json!({
                    "error": {
                        "description": "Defines the error to raise: inline, or the name of an error defined under `use.errors`.",
                        "anyOf": [string("The name of an error defined under `use.errors`."), r("error")],
                    },
                }),
                &["error"],
            ),
        }),
        &["raise"],
    )
}

fn run() -> Value {
    task_kind(
        "Runs another workflow (a subflow). shopflow does not run containers, scripts or shell commands.",
        json!({
            "run": object(
                "The process to run: a workflow.",
                json!({
                    "workflow": object(
                        "The workflow to run.",
                        json!({
                            "namespace": string("The namespace of the workflow to run."),
                            "name": string("The name of the workflow to run."),
                            "version": string("The version of the workflow to run. Defaults to `latest`."),
                            "input": { "description": "The data, if any, to pass as input to the workflow." },
                        }),
                        &["namespace", "name"],
                    ),
                    "await": {
                        "type": "boolean",
                        "description": "Whether to wait for the subflow to complete. Defaults to `true`; when `false` the task outputs its transformed input.",
                    },
                    "return": { "description": "Accepted for compatibility; has no effect on a workflow process." },
                }),
                &["workflow"],
            ),
        }),
        &["run"],
    )
}

fn set() -> Value {
    task_kind(
        "Sets data.",
        json!({
            "set": {
                "description": "The data to set: an object (its strings may be runtime expressions) or one runtime expression.",
                "anyOf": [{ "type": "object" }, { "type": "string" }],
            },
        }),
        &["set"],
    )
}

fn switch() -> Value {
    task_kind(
        "Chooses where the flow goes next from conditions.",
        json!({
            "switch": {
                "type": "array",
                "description": "The cases, tried in order; each entry is `- caseName: {when, then}`.",
                "items": {
                    "type": "object",
                    "minProperties": 1,
                    "maxProperties": 1,
                    "additionalProperties": r("switchCase"),
                },
            },
        }),
        &["switch"],
    )
}

fn switch_case() -> Value {
    object(
        "A switch case: a condition and where to go when it matches.",
        json!({
            "when": rd("expression", "A runtime expression used to determine whether the case matches. Without it the case is the default; a switch has at most one."),
            "then": rd("flowDirective", "The flow directive to execute when the case matches."),
        }),
        &["then"],
    )
}

fn try_task() -> Value {
    task_kind(
        "Runs tasks and handles the errors they raise.",
        json!({
            "try": rd("taskList", "The task(s) to perform."),
            "catch": rd("catch", "Configures the errors to catch and how to handle them."),
        }),
        &["try", "catch"],
    )
}

fn catch() -> Value {
    object(
        "Which errors to catch and how to handle them.",
        json!({
            "errors": object(
                "The definition of the errors to catch.",
                json!({ "with": rd("errorFilter", "The properties an error must have to be caught.") }),
                &[],
            ),
            "as": string("The name of the runtime expression variable to save the error as. Defaults to `error`."),
            "when": rd("expression", "A runtime expression used to determine whether or not to catch the filtered error."),
            "exceptWhen": rd("expression", "A runtime expression used to determine whether or not to catch the filtered error; it is not caught when this holds."),
            "retry": {
                "description": "The retry policy to use, if any, when catching errors: inline, or the name of one defined under `use.retries`.",
                "anyOf": [string("The name of a retry policy defined under `use.retries`."), r("retryPolicy")],
            },
            "do": rd("taskList", "The task(s) to run when catching an error."),
        }),
        &[],
    )
}

fn wait() -> Value {
    task_kind(
        "Pauses for a while.",
        json!({
            "wait": {
                "description": "The amount of time to wait: an ISO 8601 duration, a duration object or a runtime expression.",
                "anyOf": [r("duration"), r("runtimeExpression")],
            },
        }),
        &["wait"],
    )
}

fn endpoint() -> Value {
    object(
        "Describes an endpoint.",
        json!({
            "uri": {
                "description": "The endpoint's URI.",
                "anyOf": [r("uriTemplate"), r("runtimeExpression")],
            },
            "authentication": rd("authenticationReference", "The authentication policy to use."),
        }),
        &["uri"],
    )
}

fn uri_template() -> Value {
    json!({
        "type": "string",
        "description": "An absolute http(s) URI; `{name}` placeholders are replaced by top-level fields of the task input.",
        "pattern": r"^(?:https?://|/|\{)\S*$",
        "examples": ["https://api.example.com/orders/{orderId}"],
    })
}

fn flow_directive() -> Value {
    json!({
        "description": "Where the flow goes next: `continue`, `exit`, `end` or the name of a task in the same list.",
        "anyOf": [
            {
                "enum": ["continue", "exit", "end"],
                "enumDescriptions": [
                    "Proceed with the next task in line.",
                    "Complete the current list; in the main `do`, this ends the workflow.",
                    "End the workflow gracefully.",
                ],
            },
            { "type": "string", "description": "The name of a task in the same list." },
        ],
    })
}

fn runtime_expression() -> Value {
    json!({
        "type": "string",
        "description": "A runtime expression: jq enclosed in `${ }`.",
        "pattern": RUNTIME_EXPRESSION_PATTERN,
    })
}

fn expression() -> Value {
    json!({
        "description": "A runtime expression (jq), with or without `${ }`; a YAML constant such as `true` is a constant expression.",
        "type": ["string", "boolean", "number", "null"],
    })
}

fn duration() -> Value {
    json!({
        "description": "A duration: ISO 8601 text (`PT30S`, `PT15M`, `P1DT2H`; no years or months) or an object.",
        "oneOf": [
            {
                "type": "string",
                "description": "An ISO 8601 duration such as `PT30S`, `PT15M` or `P1DT2H`.",
                "pattern": ISO8601_DURATION_PATTERN,
            },
            {
                "type": "object",
                "description": "A duration as days, hours, minutes, seconds and milliseconds.",
                "minProperties": 1,
                "additionalProperties": false,
                "properties": {
                    "days": { "type": "integer", "minimum": 0, "description": "Number of days, if any." },
                    "hours": { "type": "integer", "minimum": 0, "description": "Number of hours, if any." },
                    "minutes": { "type": "integer", "minimum": 0, "description": "Number of minutes, if any." },
                    "seconds": { "type": "integer", "minimum": 0, "description": "Number of seconds, if any." },
                    "milliseconds": { "type": "integer", "minimum": 0, "description": "Number of milliseconds, if any." },
                },
            },
        ],
    })
}

fn timeout() -> Value {
    object(
        "Defines a workflow or task timeout.",
        json!({
            "after": {
                "description": "The duration after which the workflow or task times out.",
                "anyOf": [r("duration"), r("runtimeExpression")],
            },
        }),
        &["after"],
    )
}

fn timeout_reference() -> Value {
    json!({
        "description": "A timeout: inline, or the name of one defined under `use.timeouts`.",
        "anyOf": [string("The name of a timeout defined under `use.timeouts`."), r("timeout")],
    })
}

fn retry_policy() -> Value {
    let backoff =
        |description: &str| json!({ "type": ["object", "null"], "description": description });
    object(
        "How to retry a failed task.",
        json!({
            "when": rd("expression", "A runtime expression used to determine whether or not to retry running the task."),
            "exceptWhen": rd("expression", "A runtime expression used to determine whether or not to retry running the task; no retry when it holds."),
            "delay": rd("duration", "The duration, if any, to wait between retry attempts."),
            "backoff": {
                "type": "object",
                "description": "The backoff strategy to use: exactly one of `constant`, `linear`, `exponential`. Defaults to constant.",
                "additionalProperties": false,
                "minProperties": 1,
                "maxProperties": 1,
                "properties": {
                    "constant": backoff("The same delay between every attempt."),
                    "linear": backoff("A delay that grows linearly with each attempt."),
                    "exponential": backoff("A delay that doubles with each attempt."),
                },
            },
            "limit": object(
                "The limits, if any, to impose to the retry policy.",
                json!({
                    "attempt": object(
                        "Limits on attempts.",
                        json!({
                            "count": { "type": "integer", "minimum": 0, "description": "The maximum attempts count." },
                            "duration": rd("duration", "The duration limit, if any, for all retry attempts."),
                        }),
                        &[],
                    ),
                    "duration": rd("duration", "The maximum duration, if any, during which to retry a given task."),
                }),
                &[],
            ),
            "jitter": object(
                "The range of random time added to each delay.",
                json!({
                    "from": rd("duration", "The minimum duration of the jitter range."),
                    "to": rd("duration", "The maximum duration of the jitter range."),
                }),
                &["from", "to"],
            ),
        }),
        &[],
    )
}

fn error() -> Value {
    object(
        "An RFC 7807 problem description of an error.",
        json!({
            "type": {
                "type": "string",
                "description": "A URI reference that identifies the error type; prefer the standard types.",
                "examples": [
                    "https://serverlessworkflow.io/spec/1.0.0/errors/validation",
                    "https://serverlessworkflow.io/spec/1.0.0/errors/communication",
                    "https://serverlessworkflow.io/spec/1.0.0/errors/timeout",
                    "https://serverlessworkflow.io/spec/1.0.0/errors/runtime",
                ],
            },
            "status": {
                "description": "The status code for this occurrence of the error; prefer HTTP status codes.",
                "anyOf": [{ "type": "integer" }, r("runtimeExpression")],
            },
            "title": string("A short, human-readable summary of the error, or a runtime expression."),
            "detail": string("A human-readable explanation specific to this occurrence of the error, or a runtime expression."),
            "instance": string("A JSON Pointer to the component the error originates from."),
        }),
        &["type", "status"],
    )
}

fn error_filter() -> Value {
    object(
        "The properties an error must have to be caught.",
        json!({
            "type": string("The error type to catch."),
            "status": { "type": "integer", "description": "The status to catch." },
            "instance": string("The JSON Pointer of the component the error must originate from."),
            "title": string("The title to catch."),
            "details": string("The detail to catch."),
            "detail": string("The detail to catch."),
        }),
        &[],
    )
}

fn event_properties() -> Value {
    json!({
        "type": "object",
        "description": "CloudEvent attributes and data; extension attributes are allowed.",
        "properties": {
            "id": string("Identifies the event; `source` + `id` is unique for each distinct event."),
            "source": string("A URI, or runtime expression, that identifies the context in which the event happened."),
            "type": string("Describes the type of event, e.g. `shopflow.taobao.trade.buyerpay`."),
            "time": string("A timestamp, or runtime expression, of when the occurrence happened."),
            "subject": string("Describes the subject of the event in the context of the event producer, e.g. the order id."),
            "datacontenttype": string("Content type of `data`; JSON when omitted."),
            "dataschema": string("A URI, or runtime expression, that identifies the schema `data` adheres to."),
            "data": { "description": "The event payload." },
        },
    })
}

fn event_filter() -> Value {
    object(
        "Selects events by their attributes.",
        json!({
            "with": {
                "allOf": [r("eventProperties")],
                "description": "The attributes filtered events must have; values may be runtime expressions. At least one.",
                "minProperties": 1,
            },
            "correlate": map_of(
                "A name/definition mapping of the correlations to attempt when filtering events.",
                object(
                    "Links an event attribute to data of the run.",
                    json!({
                        "from": rd("expression", "A runtime expression used to extract the correlation value from the filtered event."),
                        "expect": { "description": "A constant or runtime expression the extracted value must match; without it the first extracted value becomes the expectation." },
                    }),
                    &["from"],
                ),
            ),
        }),
        &["with"],
    )
}

fn event_consumption_strategy() -> Value {
    let mut out = object(
        "Which events to consume: exactly one of `all`, `any`, `one`.",
        json!({
            "all": {
                "type": "array",
                "description": "Waits for all defined events.",
                "minItems": 1,
                "items": r("eventFilter"),
            },
            "any": {
                "type": "array",
                "description": "Waits for any of the defined events; if empty, listens to all incoming events.",
                "items": r("eventFilter"),
            },
            "one": rd("eventFilter", "Waits for the defined event."),
            "until": {
                "description": "With `any` only: the runtime expression condition or the events that must be consumed to stop listening.",
                "anyOf": [{ "type": "string" }, r("eventConsumptionStrategy")],
            },
        }),
        &[],
    );
    out["oneOf"] =
        json!([{ "required": ["all"] }, { "required": ["any"] }, { "required": ["one"] }]);
    out["dependentRequired"] = json!({ "until": ["any"] });
    out
}

fn subscription_iterator() -> Value {
    object(
        "Runs tasks for each consumed event.",
        json!({
            "item": string("The name of the variable that holds the current event. Defaults to `item`."),
            "at": string("The name of the variable that holds the index of the current event. Defaults to `index`."),
            "do": rd("taskList", "The tasks to perform for each consumed event."),
            "output": rd("output", "An object, if any, used to customize the item's output and to document its schema."),
            "export": rd("export", "An object, if any, used to customize the content of the workflow context."),
        }),
        &["do"],
    )
}

fn authentication() -> Value {
    let mut out = object(
        "An authentication policy: exactly one scheme. shopflow does not support `certificate`.",
        json!({
            "basic": rd("basicAuthentication", "The `basic` authentication scheme."),
            "bearer": rd("bearerAuthentication", "The `bearer` authentication scheme."),
            "digest": rd("basicAuthentication", "The `digest` authentication scheme."),
            "oauth2": rd("oauth2Authentication", "The `oauth2` authentication scheme."),
            "oidc": rd("oauth2Authentication", "The `oidc` (OpenID Connect) authentication scheme."),
            "use": string("Ignored next to a scheme."),
        }),
        &[],
    );
    out["oneOf"] = json!([
        { "required": ["basic"] },
        { "required": ["bearer"] },
        { "required": ["digest"] },
        { "required": ["oauth2"] },
        { "required": ["oidc"] },
    ]);
    out
}

fn authentication_reference() -> Value {
    json!({
        "description": "An authentication policy: inline, or `use:` the name of one defined under `use.authentications`.",
        "anyOf": [
            object(
                "A reference to a reusable authentication policy.",
                json!({ "use": string("The name of an authentication defined under `use.authentications`.") }),
                &["use"],
            ),
            r("authentication"),
        ],
    })
}

fn basic_authentication() -> Value {
    let mut out = object(
        "A username and password, or `use:` a secret holding them.",
        json!({
            "use": string("The name of a secret (listed under `use.secrets`) holding `username` and `password`."),
            "username": string("The username to use."),
            "password": string("The password to use."),
        }),
        &[],
    );
    out["anyOf"] = json!([{ "required": ["use"] }, { "required": ["username", "password"] }]);
    out
}

fn bearer_authentication() -> Value {
    let mut out = object(
        "A bearer token, or `use:` a secret holding it.",
        json!({
            "use": string("The name of a secret (listed under `use.secrets`) holding `token`."),
            "token": string("The bearer token to use."),
        }),
        &[],
    );
    out["anyOf"] = json!([{ "required": ["use"] }, { "required": ["token"] }]);
    out
}

fn oauth2_authentication() -> Value {
    let mut out = object(
        "An OAuth2 / OpenID Connect client, or `use:` a secret holding its settings.",
        json!({
            "use": string("The name of a secret (listed under `use.secrets`) holding the settings."),
            "authority": string("The URI of the authority to use when making OAuth2 calls."),
            "endpoints": object(
                "Paths of the authority's endpoints.",
                json!({
                    "token": string("The relative path to the token endpoint. Defaults to `/oauth2/token`."),
                    "revocation": string("The relative path to the revocation endpoint (not used by shopflow)."),
                    "introspection": string("The relative path to the introspection endpoint (not used by shopflow)."),
                }),
                &[],
            ),
            "grant": {
                "enum": ["client_credentials", "password"],
                "enumDescriptions": [
                    "The workflow authenticates as itself with its client id and secret.",
                    "The workflow authenticates with a username and password.",
                ],
                "description": "The grant type to use.",
            },
            "client": object(
                "The client's credentials.",
                json!({
                    "id": string("The client id to use."),
                    "secret": string("The client secret to use, if any."),
                    "authentication": {
                        "enum": ["client_secret_post", "client_secret_basic"],
                        "description": "The client authentication method to use. Defaults to `client_secret_post`.",
                    },
                }),
                &[],
            ),
            "request": object(
                "How the token request is sent.",
                json!({
                    "encoding": {
                        "type": "string",
                        "description": "The encoding of the token request. Defaults to application/x-www-form-urlencoded.",
                        "examples": ["application/x-www-form-urlencoded", "application/json"],
                    },
                }),
                &[],
            ),
            "issuers": string_list("Valid issuers of generated tokens (not checked by shopflow)."),
            "scopes": string_list("The scopes, if any, to request the token for."),
            "audiences": string_list("The audiences, if any, to request the token for."),
            "username": string("The username to use; only with the `password` grant."),
            "password": string("The password to use; only with the `password` grant."),
        }),
        &[],
    );
    out["anyOf"] = json!([{ "required": ["use"] }, { "required": ["authority", "grant"] }]);
    out
}

/// `input.from`, `output.as`, `export.as`.
fn transformation(description: &str) -> Value {
    json!({ "description": description, "type": ["string", "object"] })
}

fn input() -> Value {
    object(
        "Documents and optionally transforms input data.",
        json!({
            "schema": rd("schema", "The schema used to describe and validate raw input data."),
            "from": transformation("A runtime expression, or an object of them, used to filter and/or mutate the input."),
        }),
        &[],
    )
}

fn output() -> Value {
    object(
        "Documents and optionally transforms output data.",
        json!({
            "schema": rd("schema", "The schema used to describe and validate output data."),
            "as": transformation("A runtime expression, or an object of them, used to filter and/or mutate the output."),
        }),
        &[],
    )
}

fn export() -> Value {
    object(
        "Sets the workflow context from the task's output.",
        json!({
            "schema": rd("schema", "The schema used to describe and validate the context."),
            "as": transformation("A runtime expression, or an object of them, whose result becomes the new `$context`, e.g. `$context + .`."),
        }),
        &[],
    )
}

fn schema() -> Value {
    object(
        "An inline JSON Schema. shopflow does not fetch external schema resources.",
        json!({
            "format": {
                "type": "string",
                "description": "The schema format: `json` (JSON Schema).",
                "pattern": "^json(?::.*)?$",
                "examples": ["json"],
            },
            "document": { "type": "object", "description": "The inline schema document." },
        }),
        &["document"],
    )
}
